"""Inline SVG figures for the web pages: the forest plot and the evidence pyramid.

A browser page cannot run matplotlib, and a PNG cannot be read by a screen reader, searched,
or zoomed without blurring; so the web pages draw their figures as SVG text built here, with
every piece of text escaped (study titles come from outside sources and are untrusted). No
`style` attributes (the pages' Content-Security-Policy refuses inline styles): colours and
fonts are SVG presentation attributes. The tick rules (`nice_ticks`) are shared with the CLI's
matplotlib plots (report/plots.py) so both faces label the same axis the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from offlabel.model import RATIO_MEASURES

if TYPE_CHECKING:
    from offlabel.appraise.results import Pooled

__all__ = ["DIRECTION_COLOURS", "DIRECTION_WORDS", "FAVOURS_CONTROL", "FAVOURS_DRUG",
           "ForestRow", "PooledRow", "compare_forest_svg", "favours_sides", "forest_svg",
           "nice_ticks", "pooled_forest_svg", "pyramid_svg", "tick_label"]

FAVOURS_DRUG = "favours drug"
FAVOURS_CONTROL = "favours control"
# Direction of a study's finding -> legend words and colour (blue/orange, not green/red, so a
# reader who cannot tell red from green can still read it; the legend carries words too).
DIRECTION_WORDS: dict[str, str] = {
    "favours_drug": "favours drug", "no_difference": "no difference",
    "favours_control": "favours control", "mixed": "mixed", "unclear": "unclear",
}
DIRECTION_COLOURS: dict[str, str] = {
    "favours_drug": "#1f5fa8", "no_difference": "#8a8a8a", "favours_control": "#d0661a",
    "mixed": "#7b4fa0", "unclear": "#cfd4d8",
}
_DARK_TEXT = {"unclear"}  # fills light enough to need dark count text

_Z975 = 1.959963984540054  # the Wald interval of a study on the analysis scale
_MEASURE_NAMES = {
    "OR": "Odds ratio", "RR": "Risk ratio", "HR": "Hazard ratio", "PETO": "Peto odds ratio",
    "ROM": "Ratio of means", "IRR": "Incidence rate ratio", "RD": "Risk difference",
    "MD": "Mean difference", "SMD": "Standardised mean difference",
}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_CHAR = 0.56  # average glyph width as a share of the font size, to fit text without a browser


def _x(text: object) -> str:
    """Text or an attribute value, escaped for XML (quotes too: it may sit in an attribute)."""
    return escape(str(text), quote=True)


def _n(v: float) -> str:
    """A coordinate: short, and never '-0'."""
    s = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# --- ticks ---------------------------------------------------------------------------------

_LOG_MANTISSAS: tuple[tuple[float, ...], ...] = (
    (1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
    (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0),
)


def _round_sig(v: float, digits: int = 6) -> float:
    if v == 0:
        return 0.0
    return round(v, digits - 1 - math.floor(math.log10(abs(v))))


def _log_candidates(mantissas: Sequence[float], lo: float, hi: float) -> list[float]:
    out = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2):
        out += [_round_sig(m * 10.0 ** e) for m in mantissas]
    return sorted(set(out))


def nice_ticks(lo: float, hi: float, log: bool) -> list[float]:
    """Round axis ticks spanning [lo, hi] and the null (1 on a log axis, 0 on a linear one).

    Log axes take 1-2-5 steps (0.1 0.2 0.5 1 2 5 10), decades when that gives too many, finer
    round steps (0.8 1 1.2 1.5) when the range is narrow; linear axes take steps of 1, 2 or 5
    times a power of ten. The first and last ticks enclose the range, so they make the axis.
    """
    if log:
        lo = min(lo, 1.0) if lo > 0 and math.isfinite(lo) else 1.0
        hi = max(hi, 1.0) if hi > 0 and math.isfinite(hi) else 1.0
        if lo == hi:  # nothing but the null: an axis around it
            lo, hi = 0.5, 2.0
        best: list[float] | None = None
        for mantissas in _LOG_MANTISSAS:  # coarsest first: the first with 4+ ticks wins
            cand = _log_candidates(mantissas, lo, hi)
            first = max(c for c in cand if c <= lo * (1 + 1e-9))
            last = min(c for c in cand if c >= hi * (1 - 1e-9))
            ticks = [c for c in cand if first <= c <= last]
            if len(ticks) > 9:
                best = best or ticks
                break
            best = ticks
            if len(ticks) >= 4:
                break
        assert best is not None
        if len(best) > 9:  # many decades: every other (or third) decade, 1 kept
            every = math.ceil(len(best) / 8)
            best = [t for t in best if round(math.log10(t)) % every == 0]
        return best
    lo = min(lo, 0.0) if math.isfinite(lo) else 0.0
    hi = max(hi, 0.0) if math.isfinite(hi) else 0.0
    if lo == hi:
        lo, hi = -1.0, 1.0
    span = hi - lo
    for e in range(math.floor(math.log10(span)) - 2, math.floor(math.log10(span)) + 2):
        for m in (1.0, 2.0, 5.0):
            step = m * 10.0 ** e
            first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if last - first <= 7:
                nd = max(0, -math.floor(math.log10(step) + 1e-9))
                return [round(i * step, nd) + 0.0 for i in range(first, last + 1)]
    return [lo, 0.0, hi]  # not reached: a step of ten times the span always fits


def tick_label(t: float) -> str:
    """'0.5', '1', '10', '0.25', '-2.5': a tick as a reader writes it."""
    if t == 0:
        return "0"
    return f"{_round_sig(t, 4):g}"


def favours_sides(higher_is_better: bool | None) -> tuple[str, str]:
    """(left, right) words under a forest plot's axis. Left of the null the drug's value is
    lower than the control's: that favours the drug when lower is better (relapse, heavy
    drinking days, adverse events), the control when higher is better (abstinence). Unknown:
    the sides say only which way the drug's value lies."""
    if higher_is_better is None:
        return "lower with drug", "higher with drug"
    return (FAVOURS_CONTROL, FAVOURS_DRUG) if higher_is_better else (FAVOURS_DRUG, FAVOURS_CONTROL)


# --- forest plot ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot on the natural scale (ratios as ratios)."""

    label: str
    estimate: float
    ci_lb: float
    ci_ub: float
    weight: float | None = None  # percent; None draws a square of one size
    note: str = ""  # a short mark after the label ("*", "k = 5"), explained in a footnote


@dataclass(frozen=True)
class PooledRow:
    label: str  # "Random effects (DerSimonian-Laird)"
    estimate: float
    ci_lb: float
    ci_ub: float
    pi_lb: float | None = None
    pi_ub: float | None = None
    summary: str = ""  # "k = 3, n = 412, I² = 52%"


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def _fit(text: str, width: float, size: float) -> str:
    """TEXT shortened with an ellipsis to fit WIDTH px at font SIZE."""
    room = max(4, int(width / (size * _CHAR)))
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def forest_svg(rows: Sequence[ForestRow], pooled: PooledRow | None, *, measure: str,
               favours_left: str, favours_right: str, title: str,
               label_header: str = "Study", weight_header: str = "Weight",
               footnotes: Sequence[str] = ()) -> str:
    """A forest plot as an inline `<svg class="forest">`: one row per study (CI whisker, a
    square whose area follows its weight), the pooled diamond, a log axis for ratios, round
    ticks with the null always one (and a dashed line), and what each side favours."""
    m = measure.upper()
    log = m in RATIO_MEASURES
    null = 1.0 if log else 0.0

    def ok(v: float) -> bool:
        return math.isfinite(v) and (v > 0 or not log)

    pts = [v for r in rows for v in (r.estimate, r.ci_lb, r.ci_ub) if ok(v)]
    if pooled is not None:
        pts += [v for v in (pooled.estimate, pooled.ci_lb, pooled.ci_ub, pooled.pi_lb,
                            pooled.pi_ub) if v is not None and ok(v)]
    lo, hi = (min(pts), max(pts)) if pts else (null, null)
    ticks = nice_ticks(lo, hi, log)

    def tr(v: float) -> float:
        return math.log(v) if log else v

    size, small = 13.0, 11.5
    width = 640.0  # compact: on a phone it is drawn at 480 px or more and scrolls sideways
    label_w, plot_x0, plot_x1 = 166.0, 178.0, 400.0
    weight_x, est_x = 452.0, 636.0  # right edges of the two text columns
    row_h = 24.0
    top = 30.0  # header baseline
    y0 = top + 14.0  # first row's top
    n_rows = len(rows)
    pooled_y = y0 + n_rows * row_h + (row_h * 0.75 if pooled else 0.0)
    plot_bottom = pooled_y + (row_h * 0.75 if pooled else 0.0)
    if pooled is not None and pooled.pi_lb is not None and pooled.pi_ub is not None:
        plot_bottom += row_h * 0.8
    axis_y = plot_bottom + 6.0
    notes = ([pooled.summary] if pooled is not None and pooled.summary else []) + list(footnotes)
    height = axis_y + 60.0 + 17.0 * len(notes)
    a, b = tr(ticks[0]), tr(ticks[-1])

    def px(v: float) -> float:
        return plot_x0 + (tr(v) - a) / ((b - a) or 1.0) * (plot_x1 - plot_x0)

    ci = "95% CI"
    head = f"{m} [{ci}]"
    summary = (f"{m} {_fmt(pooled.estimate)} ({_fmt(pooled.ci_lb)} to {_fmt(pooled.ci_ub)})"
               if pooled else f"{n_rows} estimates")
    aria = (f"Forest plot: {title}. {summary}. "
            f"{'Log scale. ' if log else ''}Left of {tick_label(null)}: {favours_left}; "
            f"right: {favours_right}.")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" role="img" '
           f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
           f'font-family="{_x(_FONT)}" font-size="{_n(size)}" aria-label="{_x(aria)}">',
           f"<title>{_x(f'Forest plot: {title}')}</title>",
           f"<desc>{_x(summary)}</desc>"]
    # header
    out.append(f'<g font-weight="600" fill="#222">'
               f'<text x="4" y="{_n(top)}">{_x(label_header)}</text>'
               + (f'<text x="{_n(weight_x)}" y="{_n(top)}" text-anchor="end">'
                  f'{_x(weight_header)}</text>' if any(r.weight is not None for r in rows)
                  else "")
               + f'<text x="{_n(est_x)}" y="{_n(top)}" text-anchor="end">{_x(head)}</text></g>')
    # null and pooled-estimate reference lines behind the marks
    xn = px(null)
    out.append(f'<line class="null" x1="{_n(xn)}" y1="{_n(y0 - 4)}" x2="{_n(xn)}" '
               f'y2="{_n(axis_y)}" stroke="#555" stroke-width="1" stroke-dasharray="4 3"/>')
    if pooled is not None and ok(pooled.estimate):
        xe = px(pooled.estimate)
        out.append(f'<line x1="{_n(xe)}" y1="{_n(y0 - 4)}" x2="{_n(xe)}" y2="{_n(pooled_y)}" '
                   f'stroke="#b22222" stroke-width="0.8" stroke-dasharray="2 4" opacity="0.7"/>')
    weights = [r.weight for r in rows if r.weight is not None and r.weight > 0]
    wmax = max(weights) if weights else 1.0
    for i, r in enumerate(rows):
        cy = y0 + i * row_h + row_h / 2
        label = r.label + (f" {r.note}" if r.note else "")
        out.append(f'<g class="study"><title>{_x(label)}: {_x(m)} {_x(_fmt(r.estimate))} '
                   f'({_x(_fmt(r.ci_lb))} to {_x(_fmt(r.ci_ub))})</title>')
        out.append(f'<text x="4" y="{_n(cy + 4)}" fill="#222">{_x(_fit(label, label_w, size))}'
                   "</text>")
        if ok(r.ci_lb) and ok(r.ci_ub):
            xa, xb = max(px(r.ci_lb), plot_x0), min(px(r.ci_ub), plot_x1)
            out.append(f'<line x1="{_n(xa)}" y1="{_n(cy)}" x2="{_n(xb)}" y2="{_n(cy)}" '
                       f'stroke="#222" stroke-width="1.3"/>')
            for edge, clipped, sign in ((xa, px(r.ci_lb) < plot_x0, -1),
                                        (xb, px(r.ci_ub) > plot_x1, 1)):
                if clipped:  # the interval runs off the axis: an arrowhead says so
                    out.append(f'<polygon points="{_n(edge)},{_n(cy)} {_n(edge - sign * 7)},'
                               f'{_n(cy - 4)} {_n(edge - sign * 7)},{_n(cy + 4)}" fill="#222"/>')
        if ok(r.estimate) and plot_x0 <= px(r.estimate) <= plot_x1:
            # area follows the weight: the side follows its square root
            side = 5.0 + 9.0 * math.sqrt((r.weight or wmax) / wmax) if weights else 9.0
            xc = px(r.estimate)
            out.append(f'<rect x="{_n(xc - side / 2)}" y="{_n(cy - side / 2)}" '
                       f'width="{_n(side)}" height="{_n(side)}" fill="#1f4e79"/>')
        if r.weight is not None:
            out.append(f'<text x="{_n(weight_x)}" y="{_n(cy + 4)}" text-anchor="end" '
                       f'fill="#222">{r.weight:.1f}%</text>')
        out.append(f'<text x="{_n(est_x)}" y="{_n(cy + 4)}" text-anchor="end" fill="#222" '
                   f'font-variant-numeric="tabular-nums">{_x(_fmt(r.estimate))} '
                   f'[{_x(_fmt(r.ci_lb))}, {_x(_fmt(r.ci_ub))}]</text></g>')
    if pooled is not None:
        out.append('<g class="pooled">')
        out.append(f"<title>{_x(pooled.label)}: {_x(summary)}</title>")
        out.append(f'<line x1="4" y1="{_n(pooled_y - row_h * 0.6)}" x2="{_n(est_x)}" '
                   f'y2="{_n(pooled_y - row_h * 0.6)}" stroke="#bbb" stroke-width="0.8"/>')
        out.append(f'<text x="4" y="{_n(pooled_y + 4)}" font-weight="600" fill="#222">'
                   f'{_x(_fit(pooled.label, label_w, size))}</text>')
        if all(ok(v) for v in (pooled.estimate, pooled.ci_lb, pooled.ci_ub)):
            xl, xe, xu = (min(max(px(v), plot_x0), plot_x1)
                          for v in (pooled.ci_lb, pooled.estimate, pooled.ci_ub))
            out.append(f'<polygon class="diamond" points="{_n(xl)},{_n(pooled_y)} {_n(xe)},'
                       f'{_n(pooled_y - 7)} {_n(xu)},{_n(pooled_y)} {_n(xe)},{_n(pooled_y + 7)}" '
                       f'fill="#b22222"/>')
        if any(r.weight is not None for r in rows):
            out.append(f'<text x="{_n(weight_x)}" y="{_n(pooled_y + 4)}" text-anchor="end" '
                       f'font-weight="600" fill="#222">100%</text>')
        out.append(f'<text x="{_n(est_x)}" y="{_n(pooled_y + 4)}" text-anchor="end" '
                   f'font-weight="600" fill="#222">{_x(_fmt(pooled.estimate))} '
                   f'[{_x(_fmt(pooled.ci_lb))}, {_x(_fmt(pooled.ci_ub))}]</text>')
        if pooled.pi_lb is not None and pooled.pi_ub is not None and ok(pooled.pi_lb) \
                and ok(pooled.pi_ub):
            yp = pooled_y + row_h * 0.8
            xa, xb = max(px(pooled.pi_lb), plot_x0), min(px(pooled.pi_ub), plot_x1)
            out.append(f'<text x="4" y="{_n(yp + 4)}" fill="#444" font-size="{_n(small)}">'
                       "Prediction interval (95%)</text>")
            out.append(f'<line x1="{_n(xa)}" y1="{_n(yp)}" x2="{_n(xb)}" y2="{_n(yp)}" '
                       f'stroke="#b22222" stroke-width="1.4"/>')
            for xx in (xa, xb):
                out.append(f'<line x1="{_n(xx)}" y1="{_n(yp - 4)}" x2="{_n(xx)}" '
                           f'y2="{_n(yp + 4)}" stroke="#b22222" stroke-width="1.4"/>')
            out.append(f'<text x="{_n(est_x)}" y="{_n(yp + 4)}" text-anchor="end" fill="#444" '
                       f'font-size="{_n(small)}">[{_x(_fmt(pooled.pi_lb))}, '
                       f'{_x(_fmt(pooled.pi_ub))}]</text>')
        out.append("</g>")
    # axis, ticks (the null's label in bold), measure name, what each side favours
    out.append(f'<g class="axis" fill="#222" font-size="{_n(small)}">')
    out.append(f'<line x1="{_n(plot_x0)}" y1="{_n(axis_y)}" x2="{_n(plot_x1)}" '
               f'y2="{_n(axis_y)}" stroke="#222" stroke-width="1"/>')
    for t in ticks:
        xt = px(t)
        bold = ' font-weight="700"' if t == null else ""
        out.append(f'<line x1="{_n(xt)}" y1="{_n(axis_y)}" x2="{_n(xt)}" y2="{_n(axis_y + 5)}" '
                   f'stroke="#222" stroke-width="1"/>'
                   f'<text class="tick" x="{_n(xt)}" y="{_n(axis_y + 17)}" text-anchor="middle"'
                   f"{bold}>{_x(tick_label(t))}</text>")
    name = _MEASURE_NAMES.get(m, m) + (" (log scale)" if log else "")
    out.append(f'<text x="{_n((plot_x0 + plot_x1) / 2)}" y="{_n(axis_y + 32)}" '
               f'text-anchor="middle" fill="#444">{_x(name)}</text>')
    out.append(f'<text class="favours-left" x="{_n(xn - 6)}" y="{_n(axis_y + 47)}" '
               f'text-anchor="end" fill="#333">← {_x(favours_left)}</text>')
    out.append(f'<text class="favours-right" x="{_n(xn + 6)}" y="{_n(axis_y + 47)}" '
               f'fill="#333">{_x(favours_right)} →</text>')
    out.append("</g>")
    for i, note in enumerate(notes):  # the pool's numbers and what the row marks mean
        out.append(f'<text class="footnote" x="4" y="{_n(axis_y + 66 + 17 * i)}" fill="#444" '
                   f'font-size="{_n(small)}">{_x(_fit(note, width - 8, small))}</text>')
    out.append("</svg>")
    return "".join(out)


def pooled_forest_svg(p: Pooled, title: str, *, higher_is_better: bool) -> str:
    """The forest plot of one of offlabel's pools: each study's own estimate and Wald interval
    (back on the natural scale), its weight, and the pooled diamond with its prediction
    interval."""
    log = p.measure.upper() in RATIO_MEASURES

    def bt(v: float) -> float:
        return math.exp(v) if log else v

    names = p.names or p.labels
    rows = []
    for i, (yi, vi) in enumerate(zip(p.yi, p.vi, strict=True)):
        se = math.sqrt(vi) if vi > 0 else 0.0
        marks = []
        if i < len(p.converted_from) and p.converted_from[i]:
            marks.append("*")
        if i < len(p.per_protocol) and p.per_protocol[i]:
            marks.append("†")
        rows.append(ForestRow(str(names[i]) if i < len(names) else p.study_ids[i], bt(yi),
                              bt(yi - _Z975 * se), bt(yi + _Z975 * se),
                              p.weights[i] if i < len(p.weights) else None, "".join(marks)))
    method = {"DL": "DerSimonian-Laird", "REML": "REML", "FE": "fixed effect",
              "MH": "Mantel-Haenszel"}.get(p.method, p.method)
    fixed = p.method in ("FE", "EE", "MH", "Peto")
    label = "Pooled, fixed effect" if fixed else "Pooled, random effects"
    i2 = f", I² = {p.I2:.0f}%" if math.isfinite(p.I2) else ""
    summary = f"k = {p.k}" + (f", n = {p.n}" if p.n else "") + i2 + f"; {method}"
    pooled = PooledRow(label, p.estimate, p.ci_lb, p.ci_ub, p.pi_lb, p.pi_ub, summary)
    left, right = favours_sides(higher_is_better)
    footnotes = []
    converted = sorted({c for c in p.converted_from if c})
    if converted:
        footnotes.append(f"* converted from {' or '.join(converted)} to {p.measure} to enter "
                         "the pool (Zhang & Yu)")
    if any(p.per_protocol):
        footnotes.append("† per-protocol numbers: a sensitivity input (no intention-to-treat "
                         "result)")
    return forest_svg(rows, pooled, measure=p.measure, favours_left=left, favours_right=right,
                      title=title, footnotes=footnotes)


def compare_forest_svg(result: Mapping[str, Any], *, higher_is_better: bool | None
                       ) -> str | None:
    """The comparison's common outcome, one row per drug (report/compare.py's compare_dict):
    each drug's pooled or single-study estimate on the measure most drugs share. None when no
    drug has an estimate on it."""
    effects = [(r, r["common_outcome_effect"]) for r in result.get("drugs", [])
               if r.get("covered") and r.get("common_outcome_effect")]
    if not effects:
        return None
    measures = [e["measure"] for _, e in effects]
    measure = max(dict.fromkeys(measures), key=measures.count)
    rows = [ForestRow(str(r["drug"]), float(e["estimate"]), float(e["ci_lb"]), float(e["ci_ub"]),
                      None, f"(k = {e['k']})" if e.get("k") else "")
            for r, e in effects if e["measure"] == measure]
    outcome = str(result.get("common_outcome") or "").replace("_", " ")
    left, right = favours_sides(higher_is_better)
    return forest_svg(rows, None, measure=measure, favours_left=left, favours_right=right,
                      title=f"{outcome} in {result.get('condition', '')}, by drug",
                      label_header="Drug")


# --- evidence pyramid ----------------------------------------------------------------------


def pyramid_svg(counts: Mapping[str, Mapping[str, int]], *, title: str) -> str:
    """The evidence pyramid by design (`<svg class="pyramid">`): one band per evidence level in
    the order given (strongest first, at the top), each split into the studies' directions,
    with the counts written in and a legend in words."""
    levels = list(counts.items())
    order = list(DIRECTION_WORDS)
    size, small = 13.0, 12.0
    width = 600.0  # compact: on a phone it is drawn at 480 px or more and scrolls sideways
    band_h = 32.0
    gap = 3.0
    top = 8.0
    cx, half_min, half_max = 144.0, 28.0, 140.0  # the pyramid's centre and half-widths
    label_x = cx + half_max + 14.0
    n = max(len(levels), 1)
    totals = {d: sum(c.get(d, 0) for _, c in levels) for d in order}
    # the legend's items, wrapped into lines that fit the width
    legend: list[list[tuple[str, str, float]]] = [[]]
    x = 4.0
    for d in order:
        text = f"{DIRECTION_WORDS[d]} ({totals[d]})"
        w = 17 + len(text) * small * _CHAR + 14
        if x + w > width and legend[-1]:
            legend.append([])
            x = 4.0
        legend[-1].append((d, text, x))
        x += w
    legend_y = top + n * (band_h + gap) + 20.0
    height = legend_y + 20.0 * len(legend) + 14.0
    aria = f"Evidence pyramid: {title}. " + "; ".join(
        f"{lv}: {sum(c.values())} ({', '.join(f'{c.get(d, 0)} {DIRECTION_WORDS[d]}' for d in order if c.get(d))})"
        if sum(c.values()) else f"{lv}: 0" for lv, c in levels) + "."
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pyramid" role="img" '
           f'viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width)}" height="{_n(height)}" '
           f'font-family="{_x(_FONT)}" font-size="{_n(size)}" aria-label="{_x(aria)}">',
           f"<title>{_x(f'Evidence pyramid: {title}')}</title>"]

    def half(i: float) -> float:
        return half_min + (half_max - half_min) * i / n

    for i, (level, c) in enumerate(levels):
        y_top = top + i * (band_h + gap)
        y_bot = y_top + band_h
        # the band's edges follow the pyramid's sides through the gaps too
        ht, hb = half(i + 0.0), half(i + 1.0)
        total = sum(c.get(d, 0) for d in order)
        out.append(f'<g class="band" data-level="{_x(level)}">'
                   f"<title>{_x(level)}: {total} "
                   f"{'study' if total == 1 else 'studies'}</title>")
        if total == 0:
            out.append(f'<polygon points="{_n(cx - ht)},{_n(y_top)} {_n(cx + ht)},{_n(y_top)} '
                       f'{_n(cx + hb)},{_n(y_bot)} {_n(cx - hb)},{_n(y_bot)}" fill="#f1f1f1" '
                       f'stroke="#bbb" stroke-width="0.8"/>')
        start = 0.0
        for d in order:
            k = c.get(d, 0)
            if not k:
                continue
            f0, f1 = start / total, (start + k) / total
            start += k
            xt0, xt1 = cx - ht + 2 * ht * f0, cx - ht + 2 * ht * f1
            xb0, xb1 = cx - hb + 2 * hb * f0, cx - hb + 2 * hb * f1
            out.append(f'<polygon points="{_n(xt0)},{_n(y_top)} {_n(xt1)},{_n(y_top)} '
                       f'{_n(xb1)},{_n(y_bot)} {_n(xb0)},{_n(y_bot)}" '
                       f'fill="{DIRECTION_COLOURS[d]}" stroke="#fff" stroke-width="1">'
                       f"<title>{_x(level)}: {k} {_x(DIRECTION_WORDS[d])}</title></polygon>")
            mid_w = (xt1 - xt0 + xb1 - xb0) / 2
            if mid_w >= 8 + 7 * len(str(k)):
                fill = "#222" if d in _DARK_TEXT else "#fff"
                out.append(f'<text x="{_n((xt0 + xt1 + xb0 + xb1) / 4)}" '
                           f'y="{_n(y_top + band_h / 2 + 4.5)}" text-anchor="middle" '
                           f'font-weight="600" fill="{fill}">{k}</text>')
        out.append(f'<text x="{_n(label_x)}" y="{_n(y_top + band_h / 2 + 4.5)}" fill="#222" '
                   f'font-size="{_n(small)}">{_x(_fit(level, width - label_x - 30, small))}</text>'
                   f'<text x="{_n(width - 4)}" y="{_n(y_top + band_h / 2 + 4.5)}" '
                   f'text-anchor="end" font-weight="600" fill="#222">{total}</text></g>')
    # legend in words, with the totals by direction
    out.append(f'<g class="legend" font-size="{_n(small)}">')
    for row, items in enumerate(legend):
        y = legend_y + 20.0 * row
        for d, text, lx in items:
            out.append(f'<rect x="{_n(lx)}" y="{_n(y - 10)}" width="12" height="12" '
                       f'fill="{DIRECTION_COLOURS[d]}" stroke="#888" stroke-width="0.5"/>'
                       f'<text x="{_n(lx + 17)}" y="{_n(y)}" fill="#222">{_x(text)}</text>')
    out.append(f'<text x="4" y="{_n(legend_y + 20.0 * len(legend) + 4)}" fill="#444">'
               "Strongest designs at the top; bands split by the studies' directions.</text>")
    out.append("</g></svg>")
    return "".join(out)
