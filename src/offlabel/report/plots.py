"""Forest plots for the report's pooled outcomes, drawn by offlabel.synthesis.plots."""

from __future__ import annotations

import base64
import io


def forest_plots_b64(ans) -> dict[str, str]:  # noqa: ANN001
    """'<condition_id>/<outcome index>' -> base64 PNG, for outcomes pooled from 2+ studies."""
    out: dict[str, str] = {}
    try:
        from offlabel.synthesis.plots import forest_plot
    except ImportError:  # plots not available: the report still renders, without figures
        return out
    for ca in ans.conditions:
        for i, o in enumerate(ca.outcomes):
            p = o.pooled
            if p is None or p.k < 2:
                continue
            buf = io.BytesIO()
            forest_plot(p.yi, p.vi, p.labels, measure=p.measure, path=buf, fmt="png",
                        title=o.outcome)
            out[f"{ca.condition.id}/{i}"] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out
