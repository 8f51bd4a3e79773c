"""Forest plots for the report's pooled outcomes, drawn by offlabel.synthesis.plots.

The axis follows the web pages' rules (report/svg.py): round ticks (0.5 1 2 5 on a log axis)
with the null always one, and what each side of the null favours under the axis, read from the
outcome's direction (higher is better or not), so a reader never has to work it out.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from offlabel.appraise.results import Answer, Pooled

__all__ = ["forest_figure", "forest_plots_b64", "save_forest_plots"]


_Z975 = 1.959963984540054


def forest_figure(pooled: Pooled, title: str, higher_is_better: bool | None = None) -> Figure:
    """A matplotlib Figure for one Pooled outcome (k >= 2), random-effects DL as in the report;
    `higher_is_better` (the outcome's direction) puts "favours drug / favours control" on the
    right sides of the null."""
    import math

    import numpy as np

    from offlabel.model import RATIO_MEASURES
    from offlabel.report.svg import favours_sides, nice_ticks, tick_label
    from offlabel.synthesis import rma
    from offlabel.synthesis.plots import forest_plot

    res = rma(pooled.yi, pooled.vi, method="DL", slab=pooled.labels)
    ratio = pooled.measure.upper() in RATIO_MEASURES
    # Everything drawn, on the analysis scale: study intervals, the diamond, the prediction
    # interval; the ticks enclose it all and become the axis limits.
    pts = [y + s * _Z975 * math.sqrt(v) for y, v in zip(pooled.yi, pooled.vi, strict=True)
           for s in (-1, 1)]
    pts += [float(x) for x in (res.ci_lb, res.ci_ub, getattr(res, "pi_lb", None),
                               getattr(res, "pi_ub", None))
            if x is not None and math.isfinite(float(x))]
    nat = [math.exp(x) for x in pts] if ratio else pts
    ticks = nice_ticks(min(nat), max(nat), ratio)
    left, right = (favours_sides(higher_is_better) if higher_is_better is not None
                   else (None, None))
    fig: Figure = forest_plot(pooled.yi, pooled.vi, pooled.labels, res, measure=pooled.measure,
                              path=None, title=title,
                              model_label="Random effects (DerSimonian-Laird)",
                              left_label=left, right_label=right,
                              xlim=(ticks[0], ticks[-1]))
    ax = fig.axes[0]
    ax.set_xticks([math.log(t) for t in ticks] if ratio else ticks)
    ax.set_xticklabels([tick_label(t) for t in ticks])
    null = 1.0 if ratio else 0.0
    for t, lab in zip(ticks, ax.get_xticklabels(), strict=True):
        if t == null:
            lab.set_fontweight("bold")
    for line in ax.lines:  # the null line (x = 0 on the analysis scale), dashed
        xs = np.asarray(line.get_xdata(), dtype=float).ravel()
        if xs.size == 2 and xs[0] == xs[1] == 0.0:
            line.set_linestyle((0, (4, 3)))
    return fig


def forest_plots_b64(ans: Answer) -> dict[str, str]:
    """'<condition_id>/<outcome index>' -> base64 PNG, for outcomes pooled from 2+ studies."""
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    for ca in ans.conditions:
        for i, o in enumerate(ca.outcomes):
            p = o.pooled
            if p is None or p.k < 2:
                continue
            fig = forest_figure(p, o.outcome, o.key.higher_is_better)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            plt.close(fig)
            out[f"{ca.condition.id}/{i}"] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out


def save_forest_plots(ans: Answer, folder: Path) -> list[Path]:
    """Write SVG and PNG forest plots of every outcome pooled from 2+ studies."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for ca in ans.conditions:
        for o in ca.outcomes:
            if o.pooled is None or o.pooled.k < 2:
                continue
            fig = forest_figure(o.pooled, f"{ans.drug.name}, {ca.condition.name}: {o.outcome}",
                                o.key.higher_is_better)
            stem = "-".join([ans.drug.id, ca.condition.id, o.key.kind.value, o.key.measure,
                             o.key.comparator]
                            # head-to-head pools are per named drug: one file each
                            + ([re.sub(r"\W+", "_", o.key.active_drug)] if o.key.active_drug
                               else []))
            for ext in ("svg", "png"):
                path = folder / f"{stem}.{ext}"
                fig.savefig(path, dpi=130, bbox_inches="tight")
                written.append(path)
            plt.close(fig)
    return written
