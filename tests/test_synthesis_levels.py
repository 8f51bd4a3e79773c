"""Factor levels in R's order: character moderators and subgroups take their reference level
and coefficient names from R's collation (ICU, en_US.UTF-8), pinned from R in
tests/data/metafor/collation/en_US.json and tests/data/metafor/extra/dat.bcg.levels.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from offlabel.synthesis import Control, escalc, metareg, rma, subgroup
from offlabel.synthesis._factor import collate_key, dummies, r_levels

DATA = Path(__file__).resolve().parent / "data" / "metafor"
COLLATION = json.loads((DATA / "collation" / "en_US.json").read_text())
LEVELS = json.loads((DATA / "extra" / "dat.bcg.levels.json").read_text())


def test_the_pinned_file_is_r_under_en_us_with_icu():
    assert COLLATION["lc_collate"] == "en_US.UTF-8" and COLLATION["icu"] is True
    assert len(COLLATION["input"]) > 400


def test_sort_matches_r_sort():
    assert sorted(COLLATION["input"], key=collate_key) == COLLATION["sort"]


def test_levels_match_r_factor_levels():
    assert r_levels(COLLATION["input"]) == COLLATION["factor_levels"]


def test_brief_examples_in_r_order():
    # what code-point order gets wrong: "<400" first, punctuation before digits before
    # letters, a letter's lower case before its capital, "10" before "9"
    got = r_levels(["400", "9", ">=800", "B", "<400", "b", "10", "a"])
    assert got == ["<400", ">=800", "10", "400", "9", "a", "b", "B"]
    assert sorted(COLLATION["examples"], key=collate_key) == COLLATION["examples_sorted"]
    assert sorted(["<400", "400"]) == ["400", "<400"]  # why plain sorted() is not enough


def test_numbers_sort_numerically_and_print_as_r():
    assert r_levels([10.0, 9.0, 100.0, np.nan, 9.0]) == [9.0, 10.0, 100.0]
    cols = dummies("factor(year)", [1980.0, 1948.0, 1980.0, 1.5], drop_first=True)
    assert [n for n, _ in cols] == ["factor(year)1948", "factor(year)1980"]
    np.testing.assert_array_equal(cols[1][1], [1.0, 0.0, 1.0, 0.0])


def _bcg():
    d = LEVELS["data"]
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    return d, yi, vi


def _ref(aid):
    return next(a["results"] for a in LEVELS["analyses"] if a["id"] == aid)


def test_metareg_string_column_is_a_factor_in_r_order():
    d, yi, vi = _bcg()
    ref = _ref("rma.mods:RR:REML:z:mods=~dose:tight")
    ctl = Control(threshold=1e-12, tol=1e-14, maxiter=10000, tau2_max=1e6, safeguard=False)
    res = metareg(yi, vi, {"dose": d["dose"]}, method="REML", control=ctl)
    assert list(res.coef_names) == ref["coef_names"]
    assert res.coef_names[1:] == ("dose>=800", "dose400", "doseb", "doseB")  # "<400" is reference
    np.testing.assert_allclose(res.estimate, ref["estimate"], rtol=1e-8)
    np.testing.assert_allclose(res.se, ref["se"], rtol=1e-8)
    assert res.QM == pytest.approx(ref["QM"], rel=1e-8)


def test_rma_mods_with_string_and_numeric_columns():
    d, yi, vi = _bcg()
    ref = _ref("rma.mods:RR:ML:z:mods=~ablat+arm:tight")
    res = rma(yi, vi, mods={"ablat": d["ablat"], "arm": d["arm"]}, method="ML")
    assert list(res.coef_names) == ref["coef_names"]
    np.testing.assert_allclose(res.estimate, ref["estimate"], rtol=1e-7)


def test_subgroups_in_r_order():
    d, yi, vi = _bcg()
    sg = subgroup(yi, vi, d["dose"], method="DL")
    assert sg.groups == ("<400", ">=800", "400", "b", "B")
    ref = _ref("rma.mods:RR:DL:z:mods=~factor(dose)")
    assert sg.common_tau2 is not None
    np.testing.assert_allclose(sg.common_tau2.estimate, ref["estimate"], rtol=1e-10)
    assert sg.common_tau2.QM == pytest.approx(ref["QM"], rel=1e-10)
