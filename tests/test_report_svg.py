"""The inline SVG figures of the web pages (report/svg.py) and the CLI's forest plot ticks.

Ticks must be round numbers with the null among them; the "favours" words must sit on the side
the outcome's direction says; untrusted titles must come out escaped; every figure must be
well-formed XML with a non-zero size.
"""

from __future__ import annotations

import math
import re

import pytest
from lxml import etree

from offlabel.report.svg import (
    FAVOURS_CONTROL,
    FAVOURS_DRUG,
    ForestRow,
    PooledRow,
    compare_forest_svg,
    favours_sides,
    forest_svg,
    nice_ticks,
    pyramid_svg,
    tick_label,
)

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _round(t: float) -> bool:
    """At most two significant digits: 0.5, 1, 2.5, 10, -150 are round; 0.514086 is not."""
    if t == 0:
        return True
    digits = re.sub(r"[^0-9]", "", f"{abs(t):.10g}".split("e")[0]).strip("0")
    return len(digits) <= 2


@pytest.mark.parametrize(("lo", "hi"), [(1.17, 3.43), (0.514086, 2.96889), (0.9, 1.1),
                                        (0.2, 0.3), (0.05, 50), (1e-4, 1e4), (3, 400), (1, 1)])
def test_log_ticks_are_round_enclose_the_range_and_mark_one(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi, log=True)
    assert 1.0 in ticks
    assert all(_round(t) for t in ticks), ticks
    assert ticks[0] <= min(lo, 1.0) and ticks[-1] >= max(hi, 1.0)
    assert 3 <= len(ticks) <= 9 and ticks == sorted(ticks)


@pytest.mark.parametrize(("lo", "hi"), [(-6.5, 0.3), (-2.3, 1.1), (0.01, 0.02), (-120, -30),
                                        (-0.37, 0.12), (5, 5), (0, 0), (-16.85, 0.65)])
def test_linear_ticks_are_round_evenly_spaced_and_mark_zero(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi, log=False)
    assert 0.0 in ticks
    assert all(_round(t) for t in ticks), ticks
    assert ticks[0] <= min(lo, 0.0) and ticks[-1] >= max(hi, 0.0)
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and 3 <= len(ticks) <= 9


def test_the_unrounded_ticks_of_the_issue_become_round() -> None:
    # Issue 14: the CLI plot labelled 0.514086 0.922334 1.65478 2.96889.
    assert [tick_label(t) for t in nice_ticks(0.514086, 2.96889, log=True)] == \
        ["0.5", "1", "2", "5"]


def _parse(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode())  # raises on malformed XML
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    vb = [float(x) for x in root.get("viewBox").split()]
    assert vb[2] > 0 and vb[3] > 0
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title") is not None
    assert not root.xpath("//@style"), "no style attributes (CSP without unsafe-inline)"
    return root


def _forest(higher_is_better: bool | None, measure: str = "RR", title: str = "Abstinence") -> str:
    rows = [ForestRow("Addolorato 2007", 2.5, 1.49, 4.18, 40.4),
            ForestRow("Reynaud 2017", 1.18, 0.62, 2.22, 33.8, "from OR"),
            ForestRow("Müller 2015", 2.86, 1.27, 6.48, 25.8, "per protocol")]
    pooled = PooledRow("Pooled, random effects", 2.01, 1.17, 3.43, 0.85, 4.72, "k = 3")
    left, right = favours_sides(higher_is_better)
    return forest_svg(rows, pooled, measure=measure, favours_left=left, favours_right=right,
                      title=title)


def _text(root: etree._Element, cls: str) -> str:
    (el,) = root.xpath(f"//*[@class='{cls}']")
    return "".join(el.itertext())


def test_forest_svg_is_valid_with_rows_diamond_log_axis_and_null_line() -> None:
    root = _parse(_forest(True))
    assert root.get("class") == "forest"
    assert len(root.xpath("//*[local-name()='g'][@class='study']")) == 3
    assert len(root.xpath("//*[@class='diamond']")) == 1
    ticks = [t.text for t in root.xpath("//*[@class='tick']")]
    assert ticks == ["0.5", "1", "2", "5", "10"]
    null = root.xpath("//*[local-name()='line'][@class='null']")
    assert len(null) == 1 and null[0].get("stroke-dasharray")
    # the null line sits at the x of the tick labelled 1
    (one,) = [t for t in root.xpath("//*[@class='tick']") if t.text == "1"]
    assert float(one.get("x")) == pytest.approx(float(null[0].get("x1")), abs=0.1)
    assert "log scale" in "".join(root.itertext())
    # squares' areas follow the weights: the heaviest study has the largest square
    sides = [float(r.get("width")) for r in root.xpath("//*[local-name()='g'][@class='study']"
                                                       "/*[local-name()='rect']")]
    assert sides[0] == max(sides) and sides[2] == min(sides)


def test_favours_labels_flip_with_the_outcome_direction() -> None:
    higher = _parse(_forest(True))
    lower = _parse(_forest(False))
    assert FAVOURS_CONTROL in _text(higher, "favours-left")
    assert FAVOURS_DRUG in _text(higher, "favours-right")
    assert FAVOURS_DRUG in _text(lower, "favours-left")
    assert FAVOURS_CONTROL in _text(lower, "favours-right")
    # the left words end left of the null, the right words start right of it
    null_x = float(higher.xpath("//*[@class='null']")[0].get("x1"))
    (left,) = higher.xpath("//*[@class='favours-left']")
    (right,) = higher.xpath("//*[@class='favours-right']")
    assert left.get("text-anchor") == "end" and float(left.get("x")) < null_x
    assert float(right.get("x")) > null_x
    assert favours_sides(None) == ("lower with drug", "higher with drug")


def test_a_difference_measure_has_a_linear_axis_with_zero() -> None:
    rows = [ForestRow("Gual 2013", -1.7, -3.05, -0.35, 55.2),
            ForestRow("Mann 2013", -2.3, -3.8, -0.8, 44.8)]
    pooled = PooledRow("Pooled, random effects", -1.97, -2.97, -0.97)
    svg = forest_svg(rows, pooled, measure="MD", favours_left=FAVOURS_DRUG,
                     favours_right=FAVOURS_CONTROL, title="Heavy drinking days")
    root = _parse(svg)
    ticks = [float(t.text) for t in root.xpath("//*[@class='tick']")]
    assert 0.0 in ticks and ticks == sorted(ticks) and all(_round(t) for t in ticks)
    assert "log scale" not in "".join(root.itertext())


def test_untrusted_text_is_escaped_in_forest_and_pyramid() -> None:
    rows = [ForestRow(XSS, 1.5, 1.1, 2.0, 60.0, note=XSS), ForestRow("B", 0.8, 0.5, 1.3, 40.0)]
    svg = forest_svg(rows, PooledRow(XSS, 1.2, 0.9, 1.6), measure="OR",
                     favours_left=XSS, favours_right="x\" onload=\"alert(3)", title=XSS)
    root = _parse(svg)
    assert "<script" not in svg and "<img" not in svg and 'onload="' not in svg
    assert not root.xpath("//*[local-name()='script' or local-name()='img']")
    assert not [a for a in root.xpath("//@*") if a.attrname.startswith("on")]
    assert "<script>alert(1)</script>" in root.find(f"{SVG}title").text  # shown as text
    pyr = pyramid_svg({XSS: {"favours_drug": 2}}, title=XSS)
    proot = _parse(pyr)
    assert "<script" not in pyr and not proot.xpath("//*[local-name()='script']")


def test_pyramid_has_one_band_per_level_coloured_by_direction_with_a_legend() -> None:
    counts = {"systematic reviews and meta-analyses": {"favours_drug": 7, "no_difference": 2,
                                                       "favours_control": 0, "mixed": 2,
                                                       "unclear": 1},
              "randomised controlled trials": {"favours_drug": 8, "no_difference": 7,
                                               "favours_control": 1, "mixed": 0, "unclear": 2},
              "animal and in-vitro studies": {"favours_drug": 0, "no_difference": 0,
                                              "favours_control": 0, "mixed": 0, "unclear": 0}}
    root = _parse(pyramid_svg(counts, title="Baclofen, alcohol use disorder"))
    assert root.get("class") == "pyramid"
    bands = root.xpath("//*[local-name()='g'][@class='band']")
    assert [b.get("data-level") for b in bands] == list(counts)
    # one coloured piece per non-zero direction; an empty level is drawn as an empty band
    assert len(bands[0].xpath("*[local-name()='polygon']")) == 4
    assert len(bands[1].xpath("*[local-name()='polygon']")) == 4
    assert len(bands[2].xpath("*[local-name()='polygon']")) == 1
    legend = "".join(root.xpath("//*[@class='legend']")[0].itertext())
    for words in ("favours drug (15)", "no difference (9)", "favours control (1)", "mixed (2)",
                  "unclear (3)"):
        assert words in legend
    # a wider band lower down: the pyramid's shape
    def width(band: etree._Element) -> float:
        xs = [float(p.split(",")[0]) for poly in band.xpath("*[local-name()='polygon']")
              for p in poly.get("points").split()]
        return max(xs) - min(xs)
    assert width(bands[0]) < width(bands[1]) < width(bands[2])


def test_compare_forest_has_one_row_per_drug_with_an_estimate() -> None:
    eff = {"measure": "RR", "k": 5, "outcome": "relapse"}
    result = {"condition": "alcohol use disorder", "common_outcome": "relapse", "drugs": [
        {"drug": "Baclofen", "covered": True,
         "common_outcome_effect": dict(eff, estimate=0.87, ci_lb=0.77, ci_ub=0.99)},
        {"drug": "Naltrexone", "covered": True,
         "common_outcome_effect": dict(eff, estimate=0.83, ci_lb=0.76, ci_ub=0.91)},
        {"drug": "Topiramate", "covered": True, "common_outcome_effect": None},
        {"drug": "nosuch", "covered": False, "common_outcome_effect": None}]}
    svg = compare_forest_svg(result, higher_is_better=False)
    assert svg is not None
    root = _parse(svg)
    assert len(root.xpath("//*[local-name()='g'][@class='study']")) == 2
    assert not root.xpath("//*[@class='diamond']")
    assert FAVOURS_DRUG in _text(root, "favours-left")
    assert compare_forest_svg({"drugs": []}, higher_is_better=None) is None


def test_a_pool_s_plot_marks_converted_and_per_protocol_rows_with_footnotes() -> None:
    from offlabel.pipeline import Offlabel
    from offlabel.report.svg import pooled_forest_svg

    ans = Offlabel().ask("baclofen", "alcohol use disorder", record=False).answer
    (o,) = [o for o in ans.conditions[0].outcomes if o.pooled is not None]
    p = o.pooled
    assert p is not None and any(p.converted_from) and any(p.per_protocol)
    root = _parse(pooled_forest_svg(p, o.outcome, higher_is_better=o.key.higher_is_better))
    labels = [g.xpath("string(./*[local-name()='text'][1])")
              for g in root.xpath("//*[local-name()='g'][@class='study']")]
    names = p.names or p.labels
    for label, name, conv, pp in zip(labels, names, p.converted_from, p.per_protocol,
                                     strict=True):
        assert label.startswith(name)
        assert ("*" in label) == bool(conv) and ("†" in label) == bool(pp)
    notes = [t.text for t in root.xpath("//*[@class='footnote']")]
    assert notes[0].startswith(f"k = {p.k}, n = {p.n}")
    assert any(n.startswith("* converted from OR to RR") for n in notes)
    assert any(n.startswith("† per-protocol") for n in notes)
    assert FAVOURS_DRUG in _text(root, "favours-right")  # abstinence: higher is better


def test_cli_forest_plot_ticks_are_round_with_one_and_favours_labels() -> None:
    """`ask --plots`: baclofen's abstinence pool, log axis: 0.5 1 2 5 10, favours words."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from offlabel.pipeline import Offlabel
    from offlabel.report.plots import forest_figure

    ans = Offlabel().ask("baclofen", "alcohol use disorder", record=False).answer
    (o,) = [o for o in ans.conditions[0].outcomes if o.pooled is not None]
    assert o.pooled is not None
    fig = forest_figure(o.pooled, o.outcome, o.key.higher_is_better)
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == ["0.5", "1", "2", "5", "10"]
        assert [round(math.exp(x), 6) for x in ax.get_xticks()] == [0.5, 1, 2, 5, 10]
        texts = [t.get_text() for t in ax.texts]
        assert "← favours control" in texts and "favours drug →" in texts
        lo, hi = ax.get_xlim()
        assert math.exp(lo) == pytest.approx(0.5) and math.exp(hi) == pytest.approx(10)
    finally:
        plt.close(fig)
