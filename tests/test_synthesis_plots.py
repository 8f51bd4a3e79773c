"""Forest and funnel plots are written as SVG and PNG and show what they claim."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from offlabel.synthesis import escalc, rma, trimfill
from offlabel.synthesis.plots import forest_plot, funnel_plot

DATA = Path(__file__).resolve().parent / "data" / "metafor"


@pytest.fixture(scope="module")
def bcg():
    d = json.loads((DATA / "dat.bcg.json").read_text())["data"]
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    labels = [f"{a} ({y})" for a, y in zip(d["author"], d["year"], strict=True)]
    return yi, vi, labels, rma(yi, vi, method="REML", slab=labels)


def test_forest_plot_svg_and_png(tmp_path, bcg):
    yi, vi, labels, res = bcg
    fig = forest_plot(yi, vi, labels, res, measure="RR", path=tmp_path / "forest",
                      left_label="Favours vaccine", right_label="Favours control")
    svg = (tmp_path / "forest.svg").read_text()
    png = (tmp_path / "forest.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    # every study label, the pooled ratio on the ratio scale and the heterogeneity line
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    for lab in labels:
        assert lab in texts
    pooled = f"{np.exp(res.estimate):.2f} [{np.exp(res.ci_lb):.2f}, {np.exp(res.ci_ub):.2f}]"
    assert pooled in texts
    assert any("I\u00b2 = 92%" in t for t in texts)
    assert any(t.startswith("Prediction interval") for t in texts)
    assert "<svg" in svg
    # log axis labelled on the ratio scale
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "1" in ticks and "0.5" in ticks


def test_funnel_plot_with_trimfill(tmp_path, bcg):
    yi, vi, labels, res = bcg
    tf = trimfill(res)
    fig = funnel_plot(yi, vi, res, measure="RR", path=tmp_path / "funnel.svg", trimfill=tf)
    assert (tmp_path / "funnel.svg").read_text().startswith("<?xml")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"imputed by trim-and-fill ({tf.k0})" in legend
    # the imputed studies are plotted at their (yi, se)
    offsets = np.vstack([c.get_offsets() for c in fig.axes[0].collections if len(c.get_offsets())])
    for y, v in zip(tf.fill_yi, tf.fill_vi, strict=True):
        assert np.any(np.all(np.isclose(offsets, [y, np.sqrt(v)]), axis=1))
