"""Forest plots for the report's pooled outcomes, drawn by offlabel.synthesis.plots."""

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


def forest_figure(pooled: Pooled, title: str) -> Figure:
    """A matplotlib Figure for one Pooled outcome (k >= 2), random-effects DL as in the report."""
    from offlabel.synthesis import rma
    from offlabel.synthesis.plots import forest_plot

    res = rma(pooled.yi, pooled.vi, method="DL", slab=pooled.labels)
    fig: Figure = forest_plot(pooled.yi, pooled.vi, pooled.labels, res, measure=pooled.measure,
                              path=None, title=title,
                              model_label="Random effects (DerSimonian-Laird)")
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
            fig = forest_figure(p, o.outcome)
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
            fig = forest_figure(o.pooled, f"{ans.drug.name}, {ca.condition.name}: {o.outcome}")
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
