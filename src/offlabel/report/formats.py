"""The one registry of report formats: every face picks a format here by name.

A format renders the report of an answer (and, where it makes sense, a comparison of drugs) to
text. The report dict (report/data.py, documented in docs/json.md) is what every view renders;
a new format is one module with a render function plus one `register_format` line here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from offlabel.errors import UsageError

if TYPE_CHECKING:
    from offlabel.appraise import Answer

__all__ = ["FORMATS", "ReportFormat", "format_names", "get_format", "register_format",
           "render_answer", "render_compare", "render_map"]


@dataclass(frozen=True)
class ReportFormat:
    name: str
    suffix: str  # file name ending for --out suggestions and downloads
    media_type: str
    answer: Callable[[Answer, int | None, bool], str]  # (answer, width, colour) -> text
    compare: Callable[[dict[str, Any], int | None, bool], str] | None = None
    # The bottom line alone (`ask --brief`); a format without one (json) always gives it all.
    brief: Callable[[Answer, int | None, bool], str] | None = None
    # A scan's evidence map (pipeline/evidence_map.map_dict) -> text.
    evidence_map: Callable[[dict[str, Any], int | None, bool], str] | None = None


FORMATS: dict[str, ReportFormat] = {}


def register_format(fmt: ReportFormat) -> None:
    FORMATS[fmt.name] = fmt


def format_names(kind: str = "answer") -> list[str]:
    return [f.name for f in FORMATS.values() if kind == "answer" or f.compare is not None]


def get_format(name: str, kind: str = "answer") -> ReportFormat:
    fmt = FORMATS.get(name)
    if fmt is None or (kind == "compare" and fmt.compare is None):
        raise UsageError(f"--format must be one of {', '.join(format_names(kind))}, got {name!r}")
    return fmt


def render_answer(ans: Answer, fmt: str, *, width: int | None = None, color: bool = False,
                  brief: bool = False) -> str:
    f = get_format(fmt)
    render = f.brief if brief and f.brief is not None else f.answer
    return render(ans, width, color)


def render_compare(result: dict[str, Any], fmt: str, *, width: int | None = None,
                   color: bool = False) -> str:
    render = get_format(fmt, "compare").compare
    assert render is not None  # get_format checked it
    return render(result, width, color)


def render_map(d: dict[str, Any], fmt: str, *, width: int | None = None,
               color: bool = False) -> str:
    render = get_format(fmt).evidence_map
    if render is None:
        raise UsageError(f"--format {fmt} cannot show an evidence map")
    return render(d, width, color)


def _dict(ans: Answer) -> dict[str, Any]:
    from offlabel.report.data import answer_dict

    return answer_dict(ans)


def _json_text(d: dict[str, Any]) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def _console(width: int | None, color: bool) -> tuple[Any, io.StringIO]:
    from rich.console import Console

    buf = io.StringIO()
    return Console(file=buf, width=width or 120, force_terminal=color, color_system=(
        "auto" if color else None), highlight=False), buf


def _terminal_answer(ans: Answer, width: int | None, color: bool, brief: bool = False) -> str:
    from offlabel.report.terminal import render

    console, buf = _console(width, color)
    render(_dict(ans), console, brief=brief)
    return buf.getvalue()


def _terminal_brief(ans: Answer, width: int | None, color: bool) -> str:
    return _terminal_answer(ans, width, color, brief=True)


def _terminal_compare(result: dict[str, Any], width: int | None, color: bool) -> str:
    from offlabel.report.compare import render_terminal

    console, buf = _console(width or 140, color)
    render_terminal(result, console)
    return buf.getvalue()


def _markdown_answer(ans: Answer, width: int | None, color: bool) -> str:
    from offlabel.report.markdown import render

    return render(_dict(ans))


def _markdown_brief(ans: Answer, width: int | None, color: bool) -> str:
    from offlabel.report.markdown import render_bottom_line

    return render_bottom_line(_dict(ans))


def _markdown_compare(result: dict[str, Any], width: int | None, color: bool) -> str:
    from offlabel.report.compare import render_markdown

    return render_markdown(result)


def _html_answer(ans: Answer, width: int | None, color: bool) -> str:
    from offlabel.report.html import render
    from offlabel.report.plots import forest_plots_b64

    return render(_dict(ans), plots=forest_plots_b64(ans))


def _html_brief(ans: Answer, width: int | None, color: bool) -> str:
    from offlabel.report.html import render

    return render(_dict(ans), brief=True)


register_format(ReportFormat("terminal", ".txt", "text/plain; charset=utf-8",
                             _terminal_answer, _terminal_compare, _terminal_brief))
register_format(ReportFormat("md", ".md", "text/markdown; charset=utf-8",
                             _markdown_answer, _markdown_compare, _markdown_brief))
register_format(ReportFormat("json", ".json", "application/json",
                             lambda ans, _w, _c: _json_text(_dict(ans)),
                             lambda res, _w, _c: _json_text(res)))
register_format(ReportFormat("html", ".html", "text/html; charset=utf-8", _html_answer,
                             brief=_html_brief))


def _map_view(name: str) -> Callable[[dict[str, Any], int | None, bool], str]:
    def render(d: dict[str, Any], width: int | None, color: bool) -> str:
        from offlabel.report import evidence_map as em

        if name == "terminal":
            return em.render_terminal(d, width, color)
        if name == "md":
            return em.render_markdown(d)
        if name == "html":
            return em.render_html(d)
        return _json_text(d)
    return render


for _name in ("terminal", "md", "json", "html"):
    FORMATS[_name] = replace(FORMATS[_name], evidence_map=_map_view(_name))
