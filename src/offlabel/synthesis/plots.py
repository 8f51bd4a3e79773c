"""Forest and funnel plots (matplotlib, imported lazily, Agg backend; SVG and PNG).

The forest plot follows the layout reviewers know from RevMan and metafor: one row per study
(label, a square sized by weight with its CI, weight and "estimate [CI]"), the pooled diamond,
the prediction interval, a heterogeneity line and the test for the overall effect. Ratios
(OR, RR, HR, ...) are drawn on a log axis and labelled on the ratio scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dist
from .escalc import RATIO_MEASURES

if TYPE_CHECKING:  # matplotlib itself is imported when a plot is drawn
    from matplotlib.figure import Figure

MEASURE_NAMES = {
    "OR": "Odds ratio", "RR": "Risk ratio", "HR": "Hazard ratio", "PETO": "Peto odds ratio",
    "ROM": "Ratio of means", "IRR": "Incidence rate ratio", "RD": "Risk difference",
    "MD": "Mean difference", "SMD": "Standardised mean difference", "ZCOR": "Fisher's z",
    "COR": "Correlation", "PLO": "Log odds", "PR": "Proportion",
}


def _mpl() -> tuple[ModuleType, ModuleType]:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "svg", "pdf"):
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib import transforms

    return plt, transforms


def _paths(path: str | Path | None, formats: Sequence[str]) -> list[Path]:
    if path is None:
        return []
    p = Path(path)
    if p.suffix.lower() in (".svg", ".png", ".pdf"):
        return [p]
    return [p.with_suffix(f".{f}") for f in formats]


def _finite(x: Any) -> bool:
    return x is not None and bool(np.isfinite(x))


def _fmt_p(p: float | None) -> str:
    if p is None or not np.isfinite(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def forest_plot(
    yi: Any,
    vi: Any,
    labels: Sequence[str],
    res: Any,
    measure: str = "OR",
    path: str | Path | None = None,
    formats: Sequence[str] = ("svg", "png"),
    title: str | None = None,
    left_label: str | None = None,
    right_label: str | None = None,
    level: float = 95,
    dpi: int = 150,
    xlim: tuple[float, float] | None = None,
    model_label: str | None = None,
) -> Figure:
    """Draw a forest plot; write it to ``path`` (one file if it has a suffix, else one per
    format) and return the matplotlib Figure.

    ``res``: the pooled result (:class:`RMAResult`, or any object with ``estimate, ci_lb,
    ci_ub``; ``pi_lb/pi_ub``, ``tau2, I2, QE, QEp, k, zval, pval, method`` are shown when
    present). ``yi``/``vi`` on the analysis scale (log for ratios). ``left_label`` /
    ``right_label``: what an effect on each side of the null favours.
    """
    plt, transforms = _mpl()
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = len(y)
    if len(v) != k or len(labels) != k:
        raise ValueError(f"yi, vi and labels must have the same length ({k}, {len(v)}, {len(labels)})")
    m = measure.upper()
    ratio = m in RATIO_MEASURES
    tr = np.exp if ratio else (lambda x: x)
    pct = level if level > 1 else 100 * level
    crit = _dist.norm_isf((1 - pct / 100) / 2)
    se = np.sqrt(v)
    lo, hi = y - crit * se, y + crit * se
    w = np.asarray(getattr(res, "weights", None) if getattr(res, "weights", None) is not None
                   else (1 / v) / np.sum(1 / v) * 100, dtype=float)
    if w.shape != y.shape:
        w = (1 / v) / np.sum(1 / v) * 100

    est = float(res.estimate)
    c_lb, c_ub = float(res.ci_lb), float(res.ci_ub)
    pi_lb, pi_ub = getattr(res, "pi_lb", None), getattr(res, "pi_ub", None)
    tau2 = getattr(res, "tau2", None)
    method = getattr(res, "method", None)
    has_pi = pi_lb is not None and tau2 is not None and method not in ("FE", "EE", None) \
        and np.isfinite(pi_lb)

    # x range on the analysis scale: all CIs, the diamond and the PI, padded
    pts = np.concatenate([lo, hi, [c_lb, c_ub] + ([pi_lb, pi_ub] if has_pi else [])])
    if xlim is not None:
        xa, xb = (np.log(xlim[0]), np.log(xlim[1])) if ratio else xlim
    else:
        xa, xb = float(np.min(pts)), float(np.max(pts))
        null = 0.0
        xa, xb = min(xa, null), max(xb, null)
        pad = 0.05 * (xb - xa or 1.0)
        xa, xb = xa - pad, xb + pad

    n_rows = k + 3 + (1 if has_pi else 0)
    extra = 0.25 if (left_label or right_label) else 0.0
    height = 1.3 + extra + 0.28 * n_rows + (0.35 if title else 0)
    fig: Figure = plt.figure(figsize=(10.5, height))
    bottom = (0.95 + extra) / height
    top_pad = (0.55 + (0.35 if title else 0)) / height
    ax = fig.add_axes((0.33, bottom, 0.36, 1 - bottom - top_pad))
    ymax = k + 0.8
    ymin = -1.8 - (1 if has_pi else 0)
    ax.set_ylim(ymin, ymax)
    ax.set_xlim(xa, xb)
    rows = k - np.arange(k)  # first study on top

    # study rows: CI line (arrow when clipped) and a square with area proportional to weight
    sizes = 20 + 180 * (w / max(w.max(), 1e-12))
    for yy, a, b, c, s in zip(rows, lo, hi, y, sizes, strict=True):
        ax.plot([max(a, xa), min(b, xb)], [yy, yy], color="0.15", lw=1.1, solid_capstyle="butt")
        for end, edge, sign in ((a, xa, -1), (b, xb, 1)):
            if (end < edge) if sign < 0 else (end > edge):
                ax.annotate("", xy=(edge, yy), xytext=(edge - sign * 0.04 * (xb - xa), yy),
                            arrowprops={"arrowstyle": "->", "color": "0.15", "lw": 1.1})
        if xa <= c <= xb:
            ax.scatter([c], [yy], marker="s", s=s, color="#1f4e79", zorder=3, linewidths=0)

    # pooled diamond and prediction interval
    dy = 0.38
    yd = -1.0
    ax.fill([c_lb, est, c_ub, est], [yd, yd + dy, yd, yd - dy], color="#b22222", zorder=3)
    if has_pi and pi_lb is not None and pi_ub is not None:
        ypi = yd - 1.0
        ax.plot([pi_lb, pi_ub], [ypi, ypi], color="#b22222", lw=1.4)
        for x_ in (pi_lb, pi_ub):
            ax.plot([x_, x_], [ypi - 0.18, ypi + 0.18], color="#b22222", lw=1.4)
    null = 0.0
    ax.axvline(null, color="0.3", lw=0.8, zorder=1)
    ax.axvline(est, color="#b22222", lw=0.7, ls=(0, (2, 4)), alpha=0.7, zorder=1)
    ax.axhline(0.0, color="0.6", lw=0.6)

    # axis: ratio scale labels for ratios
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_yticks([])
    if ratio:
        cand = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        ticks = cand[(np.log(cand) >= xa) & (np.log(cand) <= xb)]
        if len(ticks) < 3:
            ticks = np.exp(np.linspace(xa, xb, 4))
        ax.set_xticks(np.log(ticks))
        ax.set_xticklabels([f"{t:g}" if t >= 0.1 else f"{t:.2g}" for t in ticks])
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel(f"{MEASURE_NAMES.get(m, m)}{' (log scale)' if ratio else ''}", fontsize=9.5)
    # what each side of the null favours, under the axis title (RevMan's place)
    xt = ax.get_xaxis_transform()
    if left_label:
        ax.annotate(f"\u2190 {left_label}", xy=(null, 0), xycoords=xt, xytext=(-6, -42),
                    textcoords="offset points", ha="right", va="top", fontsize=8.5, color="0.3")
    if right_label:
        ax.annotate(f"{right_label} \u2192", xy=(null, 0), xycoords=xt, xytext=(6, -42),
                    textcoords="offset points", ha="left", va="top", fontsize=8.5, color="0.3")

    # text columns aligned with the rows: x in figure fraction, y in data units
    tf = transforms.blended_transform_factory(fig.transFigure, ax.transData)
    hdr = ymax - 0.1
    fs = 9.5
    ax.text(0.02, hdr, "Study", transform=tf, ha="left", va="bottom", fontsize=fs, weight="bold")
    ax.text(0.765, hdr, "Weight", transform=tf, ha="right", va="bottom", fontsize=fs, weight="bold")
    ax.text(0.98, hdr, f"{'Ratio' if ratio else 'Estimate'} [{pct:g}% CI]",
            transform=tf, ha="right", va="bottom", fontsize=fs, weight="bold")

    def ci_text(c: float, a: float, b: float) -> str:
        return f"{tr(c):.2f} [{tr(a):.2f}, {tr(b):.2f}]"

    for yy, lab, c, a, b, ww in zip(rows, labels, y, lo, hi, w, strict=True):
        lab = str(lab)
        lab = lab if len(lab) <= 42 else lab[:41] + "\u2026"
        ax.text(0.02, yy, lab, transform=tf, ha="left", va="center", fontsize=fs)
        ax.text(0.765, yy, f"{ww:.1f}%", transform=tf, ha="right", va="center", fontsize=fs)
        ax.text(0.98, yy, ci_text(c, a, b), transform=tf, ha="right", va="center", fontsize=fs,
                family="DejaVu Sans Mono")
    if model_label is None:
        model_label = ("Fixed-effect model" if method in ("FE", "EE", None)
                       else f"Random-effects model ({method})")
        if method in ("MH", "Peto"):
            model_label = f"{method} fixed-effect model"
    ax.text(0.02, yd, model_label, transform=tf, ha="left", va="center", fontsize=fs,
            weight="bold")
    ax.text(0.765, yd, "100%", transform=tf, ha="right", va="center", fontsize=fs, weight="bold")
    ax.text(0.98, yd, ci_text(est, c_lb, c_ub), transform=tf, ha="right", va="center",
            fontsize=fs, weight="bold", family="DejaVu Sans Mono")
    if has_pi and pi_lb is not None and pi_ub is not None:
        ax.text(0.02, yd - 1.0, f"Prediction interval ({pct:g}%)", transform=tf, ha="left",
                va="center", fontsize=fs - 0.5, color="0.25")
        ax.text(0.98, yd - 1.0, f"[{tr(pi_lb):.2f}, {tr(pi_ub):.2f}]", transform=tf, ha="right",
                va="center", fontsize=fs - 0.5, color="0.25", family="DejaVu Sans Mono")

    # footer: heterogeneity and overall effect
    bits = []
    if tau2 is not None and method not in ("FE", "EE", None):
        bits.append(f"\u03c4\u00b2 = {tau2:.3f}")
    # NaN: metafor's NA (no Q test with a sampling variance <= 0): not shown
    if _finite(getattr(res, "I2", None)):
        bits.append(f"I\u00b2 = {res.I2:.0f}%")
    if _finite(getattr(res, "QE", None)):
        kk: int = getattr(res, "k_yi", None) or getattr(res, "k", None) or k
        bits.append(f"Q = {res.QE:.2f} (df = {kk - 1}, {_fmt_p(getattr(res, 'QEp', None))})")
    foot = ("Heterogeneity: " + ", ".join(bits)) if bits else ""
    if getattr(res, "zval", None) is not None:
        stat = "t" if getattr(res, "test", "z") == "knha" else "z"
        foot += f"\nTest for overall effect: {stat} = {res.zval:.2f}, {_fmt_p(getattr(res, 'pval', None))}"
    fig.text(0.02, 0.12 / height, foot, ha="left", va="bottom", fontsize=8.5, color="0.2")
    if title:
        fig.text(0.02, 1 - 0.18 / height, title, ha="left", va="top", fontsize=11.5, weight="bold")
    for p in _paths(path, formats):
        p.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(p, dpi=dpi, metadata={"Date": None} if p.suffix == ".svg" else None)
    return fig


def funnel_plot(
    yi: Any,
    vi: Any,
    res: Any,
    measure: str = "OR",
    path: str | Path | None = None,
    formats: Sequence[str] = ("svg", "png"),
    trimfill: Any = None,
    title: str | None = None,
    level: float = 95,
    dpi: int = 150,
) -> Figure:
    """Funnel plot: effect against standard error (inverted), the pooled estimate and the
    pseudo-confidence region ``estimate +/- z se``. With ``trimfill`` (a
    :class:`~offlabel.synthesis.bias.TrimFill`), the imputed studies are drawn as open circles
    and the filled estimate as a dashed line."""
    plt, _ = _mpl()
    y = np.asarray(yi, dtype=float)
    se = np.sqrt(np.asarray(vi, dtype=float))
    m = measure.upper()
    ratio = m in RATIO_MEASURES
    pct = level if level > 1 else 100 * level
    crit = _dist.norm_isf((1 - pct / 100) / 2)
    est = float(res.estimate)
    fig: Figure
    fig, ax = plt.subplots(figsize=(6.2, 5.0))
    fill_y = np.asarray(getattr(trimfill, "fill_yi", []), dtype=float) if trimfill is not None else np.empty(0)
    fill_se = np.sqrt(np.asarray(getattr(trimfill, "fill_vi", []), dtype=float)) if trimfill is not None else np.empty(0)
    smax = float(max(se.max(), fill_se.max() if fill_se.size else 0)) * 1.08
    ss = np.linspace(0, smax, 50)
    ax.fill_betweenx(ss, est - crit * ss, est + crit * ss, color="0.93", zorder=0)
    ax.plot(est - crit * ss, ss, color="0.55", lw=0.8, ls="--")
    ax.plot(est + crit * ss, ss, color="0.55", lw=0.8, ls="--")
    ax.axvline(est, color="#1f4e79", lw=1.0)
    ax.scatter(y, se, s=30, color="#1f4e79", zorder=3, label="studies")
    if fill_y.size:
        ax.scatter(fill_y, fill_se, s=30, facecolors="white", edgecolors="#b22222", zorder=3,
                   label=f"imputed by trim-and-fill ({fill_y.size})")
        ax.axvline(float(trimfill.fit.estimate), color="#b22222", lw=1.0, ls=(0, (4, 3)),
                   label="filled estimate")
    ax.set_ylim(smax, 0)
    ax.set_ylabel("Standard error")
    if ratio:
        xs = np.concatenate([y, fill_y, [est - crit * smax, est + crit * smax]])
        cand = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100])
        ticks = cand[(np.log(cand) >= xs.min()) & (np.log(cand) <= xs.max())]
        if len(ticks) >= 2:
            ax.set_xticks(np.log(ticks))
            ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlabel(f"{MEASURE_NAMES.get(m, m)}{' (log scale)' if ratio else ''}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, x=0.02, ha="left", fontsize=11)
    fig.tight_layout()
    for p in _paths(path, formats):
        p.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(p, dpi=dpi, metadata={"Date": None} if p.suffix == ".svg" else None)
    return fig
