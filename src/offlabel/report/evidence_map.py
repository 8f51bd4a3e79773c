"""Views of a scan's evidence map (pipeline/evidence_map.py map_dict): terminal, Markdown, HTML,
an SVG heat map for pages and a matplotlib heat map for files.

Every view says first, in the same words, what the map is: records counted by a machine
classifier, not appraised, with no verdict; and each row carries the `offlabel ask` command that
would appraise the pair, so the map leads to an appraisal rather than standing for one.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

__all__ = ["design_label", "heatmap_svg", "render_html", "render_markdown", "render_terminal",
           "save_heatmap"]

def design_label(design: str) -> str:
    """A design's words as a column head ("case series"); a name of three letters or fewer is
    an acronym ("RCT"). Read from the value, so a new design needs no entry here."""
    if "_" not in design and len(design) <= 3:
        return design.upper()
    return design.replace("_", " ")


def _columns(d: dict[str, Any]) -> list[str]:
    """The designs any row has, in the order of evidence levels."""
    present = {k for r in d["rows"] for k in r["by_design"]}
    return [c for c in d["designs"] if c in present]


def _row_name(d: dict[str, Any], r: dict[str, Any]) -> str:
    if d["map"] == "drug":
        return str(r["condition"])
    if d["map"] == "condition":
        return str(r["drug"])
    return f"{r['drug']} / {r['condition']}"


def _title(d: dict[str, Any]) -> str:
    q = d["query"]
    if d["map"] == "drug":
        return f"Evidence map: conditions studied with {q['drug']}"
    if d["map"] == "condition":
        return f"Evidence map: drugs studied in {q['condition']}"
    return f"Evidence map: {q['drug']} in {q['condition']}"


def _summary(d: dict[str, Any]) -> str:
    shown = len(d["rows"])
    more = f" (the {shown} with most records shown)" if d["rows_total"] > shown else ""
    unit = "pair" if d["map"] == "pair" else d["rows_are"][:-1]
    plural = "" if d["rows_total"] == 1 else "s"
    records = "record" if d["records"] == 1 else "records"
    return (f"{d['records']:,} {records} in {d['rows_total']:,} {unit}{plural}{more}; "
            f"scan {d['scan']}")


def _studies_lines(r: dict[str, Any]) -> list[str]:
    lines = []
    for s in r["top_rcts"]:
        n = f"n={s['n']}" if s["n"] else "n not reported"
        lines.append(f"RCT PMID {s['pmid']} ({s['year'] or 'year ?'}, {n}): {s['title']}")
    for s in r["reviews"]:
        kind = str(s["design"]).replace("_", " ")
        lines.append(f"{kind} PMID {s['pmid']} ({s['year'] or 'year ?'}): {s['title']}")
    return lines


def render_terminal(d: dict[str, Any], width: int | None = None, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width or 120, force_terminal=color,
                      color_system="auto" if color else None, highlight=False)
    console.print(f"[bold]{_title(d)}[/bold]")
    console.print(f"[yellow]{d['label']}[/yellow]")
    console.print(_summary(d))
    cols = _columns(d)
    table = Table(show_lines=False, pad_edge=False)
    table.add_column(d["rows_are"][:-1] if d["map"] != "pair" else "pair", overflow="fold")
    table.add_column("records", justify="right")
    for c in cols:
        table.add_column(design_label(c).replace(" ", "\n"), justify="right")
    table.add_column("RCT n", justify="right")
    table.add_column("best design")
    for r in d["rows"]:
        table.add_row(_row_name(d, r), str(r["records"]),
                      *[str(r["by_design"].get(c, "")) for c in cols],
                      str(r["rct_participants"] or ""), (r["best_design"] or "").replace("_", " "))
    console.print(table)
    if d["rows"]:
        console.print("Appraise a pair (curated evidence, or this map again when not curated):")
        for r in d["rows"]:
            console.print(f"  {r['ask']}", soft_wrap=True)
    if d["map"] == "pair":
        for r in d["rows"]:
            dirs = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["by_direction"].items())
            console.print(f"Direction as classified: {dirs or 'none'}")
            years = r["by_year"]
            if years:
                console.print(f"Years: {min(years)}-{max(years)}")
            for line in _studies_lines(r):
                console.print(f"  {line}", soft_wrap=True)
    return buf.getvalue()


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(d: dict[str, Any]) -> str:
    cols = _columns(d)
    out = [f"# {_title(d)}", "", f"**{d['label']}**", "", _summary(d), ""]
    head = [d["rows_are"][:-1] if d["map"] != "pair" else "pair", "records",
            *[design_label(c) for c in cols], "RCT n", "best design", "appraise"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join("---" for _ in head) + "|")
    for r in d["rows"]:
        cells = [_row_name(d, r), r["records"], *[r["by_design"].get(c, "") for c in cols],
                 r["rct_participants"] or "", (r["best_design"] or "").replace("_", " "),
                 f"`{r['ask']}`"]
        out.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    for r in d["rows"]:
        lines = _studies_lines(r)
        if lines:
            out += ["", f"## {_row_name(d, r)}: largest trials and reviews", ""]
            out += [f"- {_md_cell(line)}" for line in lines]
    return "\n".join(out) + "\n"


def _shade(count: int, top: int) -> str:
    """A fill from white to the report's blue, by the count's share of the largest cell
    (square root, so the small counts that matter most are still told apart)."""
    if count <= 0 or top <= 0:
        return "#ffffff"
    t = (count / top) ** 0.5
    r, g, b = (int(255 + (x - 255) * t) for x in (31, 84, 150))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(d: dict[str, Any], link: bool = True) -> str:
    """The map as an SVG heat map (rows x designs, counts written in the cells), with
    presentation attributes only (no style=), so a page under a strict CSP can inline it. With
    `link`, each row name links to the /ask page of its pair."""
    from urllib.parse import urlencode

    cols = _columns(d)
    rows = d["rows"]
    # Column heads stand vertically (read bottom to top) over narrow cells.
    name_w, cell_w, cell_h = 240, 34, 22
    head_h = 12 + 6.5 * max((len(design_label(c)) for c in cols), default=4)
    width = name_w + cell_w * max(len(cols), 1) + 10
    height = head_h + cell_h * max(len(rows), 1) + 10
    top = max((v for r in rows for v in r["by_design"].values()), default=0)
    e = html.escape
    parts = [f'<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'width="{width}" height="{height:.0f}" viewBox="0 0 {width} {height:.0f}" '
             f'font-family="sans-serif" font-size="12">',
             f"<title>{e(_title(d))}: records by design</title>"]
    for j, c in enumerate(cols):
        x = name_w + j * cell_w + cell_w / 2 + 3
        y = head_h - 6
        parts.append(f'<text x="{x}" y="{y}" font-size="11" transform="rotate(-90 {x} {y})">'
                     f'{e(design_label(c))}</text>')
    for i, r in enumerate(rows):
        y = head_h + i * cell_h
        name = _row_name(d, r)
        label = e(name if len(name) <= 34 else name[:33] + "…")
        text = f'<text x="{name_w - 6}" y="{y + cell_h * 0.7}" text-anchor="end">{label}</text>'
        if link:
            href = "/ask?" + urlencode({"drug": r["drug"], "condition": r["condition"]})
            text = f'<a href="{e(href)}"><title>{e(r["ask"])}</title>{text}</a>'
        parts.append(text)
        for j, c in enumerate(cols):
            v = int(r["by_design"].get(c, 0))
            x = name_w + j * cell_w
            parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                         f'fill="{_shade(v, top)}" stroke="#d0d7de"/>')
            if v:
                ink = "#ffffff" if top and (v / top) ** 0.5 > 0.55 else "#1b1f24"
                parts.append(f'<text x="{x + cell_w / 2 - 1}" y="{y + cell_h * 0.7}" '
                             f'text-anchor="middle" fill="{ink}">{v}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(d: dict[str, Any]) -> str:
    """A standalone page (`ask --scan --format html`, `map --format html`): no script, no
    style attribute; the heat map inline."""
    e = html.escape
    rows_html = []
    for r in d["rows"]:
        studies = "".join(f"<li>{e(line)}</li>" for line in _studies_lines(r))
        rows_html.append(
            f"<tr><td>{e(_row_name(d, r))}</td><td>{r['records']}</td>"
            f"<td>{e((r['best_design'] or '').replace('_', ' '))}</td>"
            f"<td>{r['rcts']}</td><td>{r['rct_participants'] or ''}</td>"
            f"<td><code>{e(r['ask'])}</code>"
            + (f"<ul>{studies}</ul>" if studies else "") + "</td></tr>")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{e(_title(d))}</title></head><body>"
        f"<h1>{e(_title(d))}</h1><p id=\"map-label\"><strong>{e(d['label'])}</strong></p>"
        f"<p>{e(_summary(d))}</p>{heatmap_svg(d, link=False)}"
        "<table id=\"evidence-map\"><thead><tr><th>" + e(str(d["rows_are"]))
        + "</th><th>records</th>"
        "<th>best design</th><th>RCTs</th><th>RCT participants</th><th>appraise</th></tr>"
        "</thead><tbody>" + "".join(rows_html) + "</tbody></table>"
        "<footer><p>offlabel appraises evidence; it is not medical advice.</p></footer>"
        "</body></html>\n")


def save_heatmap(d: dict[str, Any], path: Path) -> Path:
    """The heat map as a PNG or SVG file (by PATH's suffix), drawn with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    cols = _columns(d)
    rows = d["rows"]
    data = np.array([[r["by_design"].get(c, 0) for c in cols] for r in rows] or [[0]],
                    dtype=float)
    fig, ax = plt.subplots(figsize=(max(7.0, 3.5 + 0.7 * max(len(cols), 1)),
                                    1.8 + 0.32 * max(len(rows), 1)))
    try:
        top = float(data.max()) if data.size else 0.0
        # Square root from zero, as the SVG shades: a count of 1 is visibly not empty.
        ax.imshow(np.sqrt(data), cmap="Blues", aspect="auto", vmin=0,
                  vmax=max(np.sqrt(top), 1.0))
        ax.set_xticks(range(len(cols)), [design_label(c) for c in cols], rotation=40,
                      ha="right")
        ax.set_yticks(range(len(rows)), [_row_name(d, r) for r in rows])
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = int(data[i, j])
                if v:
                    dark = top and (v / top) ** 0.5 > 0.55
                    ax.text(j, i, str(v), ha="center", va="center",
                            color="white" if dark else "black", fontsize=8)
        ax.set_title(f"{_title(d)}\n{d['label']}", fontsize=9, loc="left")
        fig.savefig(path, format=path.suffix.lstrip(".").lower() or "png", dpi=120,
                    bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
