"""HTML view: a Jinja2 template with autoescaping on, so titles and abstracts from sources
can never inject markup."""

from __future__ import annotations

from typing import Any

from offlabel.report.words import CERTAINTY_TEXT, VERDICT_TEXT

__all__ = ["render"]


def render(d: dict[str, Any], plots: dict[str, str] | None = None) -> str:
    """plots maps '<condition_id>/<outcome index>' to base64 PNG forest plots."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("offlabel.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    tpl = env.get_template("report.html.j2")
    return tpl.render(d=d, overview=d["question"]["condition"] is None, plots=plots or {},
                      verdict_text=VERDICT_TEXT, certainty_text=CERTAINTY_TEXT)
