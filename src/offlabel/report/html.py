"""HTML view: a Jinja2 template with autoescaping on, so titles and abstracts from sources
can never inject markup. The page opens with the bottom line (report/bottomline.py)."""

from __future__ import annotations

from typing import Any

from offlabel.report.bottomline import (
    OVERVIEW_HEAD,
    bottom_line,
    certainty_words,
    estimate_words,
    verdict_words,
)
from offlabel.report.names import label_of, relabeller
from offlabel.report.words import (
    BOTTOM_LINE,
    CERTAINTY_TEXT,
    DETAILS,
    HARMS_TITLE,
    NO_APPROVAL,
    NO_ESTIMATE,
    NO_HARM,
    SYSTEM_OFFLABEL,
    VERDICT_TEXT,
    favours_cell,
    harm_line,
    verdict_cell,
)

__all__ = ["render"]


def render(d: dict[str, Any], plots: dict[str, str] | None = None, brief: bool = False) -> str:
    """plots maps '<condition_id>/<outcome index>' to base64 PNG forest plots; brief renders
    the bottom line alone."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("offlabel.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    tpl = env.get_template("report.html.j2")
    words = {"bottom_line": BOTTOM_LINE, "details": DETAILS, "no_approval": NO_APPROVAL,
             "no_estimate": NO_ESTIMATE, "no_harm": NO_HARM, "overview_head": OVERVIEW_HEAD,
             "system_offlabel": SYSTEM_OFFLABEL, "harms": HARMS_TITLE}
    return tpl.render(d=d, overview=d["question"]["condition"] is None, plots=plots or {},
                      verdict_text=VERDICT_TEXT, certainty_text=CERTAINTY_TEXT,
                      bl=bottom_line(d), brief=brief, words=words,
                      name=relabeller(s for c in d["conditions"] for s in c["studies"]),
                      label_of=label_of, certainty_words=certainty_words,
                      estimate_words=estimate_words, verdict_words=verdict_words,
                      harm_line=harm_line, verdict_cell=verdict_cell,
                      favours_cell=favours_cell)
