"""Sampling variances <= 0, as metafor treats them (rma.uni 3.8-1): studies kept, warnings as
SynthesisWarning, DL/HS/PM and infinite weights refused, no Q test. R's numbers:
tests/data/metafor/extra/dat.nielweise2007.add0.json (RD with add=0: study 15 has vi = 0)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from offlabel.synthesis import (
    METAFOR_DEFAULT,
    Control,
    SynthesisError,
    SynthesisWarning,
    confint,
    escalc,
    leave1out,
    metareg,
    ranktest,
    rma,
    rma_batch,
)

FX = json.loads((Path(__file__).resolve().parent / "data" / "metafor" / "extra"
                 / "dat.nielweise2007.add0.json").read_text())
TIGHT = Control(threshold=1e-12, tol=1e-14, maxiter=10000, tau2_max=1e6, safeguard=False)


def _entry(aid):
    return next(a for a in FX["analyses"] if a["id"] == aid)


@pytest.fixture(scope="module")
def rd():
    d = FX["data"]
    yi, vi = escalc("RD", ai=d["ai"], n1i=d["n1i"], ci=d["ci"], n2i=d["n2i"], add=0)
    return yi, vi, d


def test_escalc_rd_add0_gives_a_zero_variance(rd):
    yi, vi, _ = rd
    ref = _entry("effect_sizes:RD")["results"]
    np.testing.assert_allclose(vi, ref["vi"], rtol=1e-12, atol=0)
    assert vi[14] == 0.0 and yi[14] == 0.0


@pytest.mark.parametrize("method", ["REML", "ML", "EB", "HE", "SJ"])
def test_kept_with_metafor_warnings_and_numbers(rd, method):
    yi, vi, _ = rd
    ref = _entry(f"rma:RD:{method}:z")
    with pytest.warns(SynthesisWarning) as rec:
        res = rma(yi, vi, method=method, control=METAFOR_DEFAULT)
    msgs = [str(w.message) for w in rec]
    assert any(m.startswith("There are outcomes with non-positive sampling variances: study 15")
               for m in msgs), msgs
    assert any(m.startswith("Cannot compute Q-test, I^2, or H^2") for m in msgs), msgs
    assert len(ref["warnings"]) == 2
    r = ref["results"]
    assert res.k == r["k"] == 18  # the zero-variance study is kept
    assert math.isnan(res.QE) and math.isnan(res.QEp) and math.isnan(res.I2) and math.isnan(res.H2)
    assert r["QE"] is None and r["I2"] is None
    # METAFOR_DEFAULT repeats metafor's own iteration: the same numbers, not just close ones
    for ours, theirs in ((res.tau2, r["tau2"]), (res.estimate, r["estimate"]), (res.se, r["se"]),
                         (res.ci_lb, r["ci.lb"]), (res.pval, r["pval"])):
        assert ours == pytest.approx(theirs, rel=1e-9)
    np.testing.assert_allclose(res.weights, r["weights_pct"], rtol=1e-9)


def test_default_control_converges_where_metafor_tightened_does(rd):
    yi, vi, _ = rd
    r = _entry("rma:RD:REML:z:tight")["results"]
    with pytest.warns(SynthesisWarning):
        res = rma(yi, vi, method="REML")
    assert res.tau2 == pytest.approx(r["tau2"], rel=1e-6)
    assert res.estimate == pytest.approx(r["estimate"], rel=1e-6)
    with pytest.warns(SynthesisWarning):
        res = rma(yi, vi, method="REML", control=TIGHT)
    assert res.tau2 == pytest.approx(r["tau2"], rel=1e-9)


@pytest.mark.parametrize("method, fragment", [
    ("DL", "DL estimator cannot be used when there are non-positive sampling variances"),
    ("PM", "PM estimator cannot be used when there are non-positive sampling variances"),
    ("HS", "HS estimator cannot be used when there are non-positive sampling variances"),
    ("FE", "division by zero when computing the inverse variance weights: study 15"),
])
def test_refused_where_metafor_stops(rd, method, fragment):
    yi, vi, _ = rd
    assert "results" not in _entry(f"rma:RD:{method}:z")
    with pytest.warns(SynthesisWarning), pytest.raises(SynthesisError, match=fragment) as exc:
        rma(yi, vi, method=method)
    assert "\n" not in str(exc.value)


def test_negative_variances_become_zero(rd):
    yi, vi, _ = rd
    ref = _entry("rma:RD:REML:z:negative:tight")
    assert "Negative sampling variances constrained to zero." in ref["warnings"]
    with pytest.warns(SynthesisWarning) as rec:
        res = rma(yi, vi - 0.0004, method="REML", control=TIGHT)
    assert any(str(w.message).startswith("Negative sampling variances constrained to zero")
               for w in rec)
    assert res.vi.min() == 0.0
    assert res.tau2 == pytest.approx(ref["results"]["tau2"], rel=1e-8)
    assert res.estimate == pytest.approx(ref["results"]["estimate"], rel=1e-8)


def test_metareg_keeps_them_and_has_no_qe(rd):
    yi, vi, d = rd
    ref = _entry("rma.mods:RD:REML:z:mods=~year:tight")
    with pytest.warns(SynthesisWarning) as rec:
        res = metareg(yi, vi, {"year": d["year"]}, method="REML", control=TIGHT)
    assert any(str(w.message).startswith("Cannot compute QE-test") for w in rec)
    assert math.isnan(res.QE) and math.isnan(res.I2)
    np.testing.assert_allclose(res.estimate, ref["results"]["estimate"], rtol=1e-8)
    assert res.QM == pytest.approx(ref["results"]["QM"], rel=1e-8)


def test_what_metafor_cannot_compute_either(rd):
    yi, vi, _ = rd
    with pytest.warns(SynthesisWarning):
        res = rma(yi, vi, method="REML")
    with pytest.raises(SynthesisError, match="non-positive sampling variances"):
        confint(res)
    with pytest.raises(SynthesisError, match="not enough finite observations"):
        ranktest(res)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SynthesisWarning)  # refits are quiet, as in metafor
        l1o = leave1out(res)
    assert np.isfinite(l1o.Q[14]) and np.isnan(l1o.Q[:14]).all()  # only without study 15


def test_all_positive_input_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SynthesisWarning)
        rma([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="DL")


def test_batch_still_requires_positive_variances():
    with pytest.raises(SynthesisError, match="vi must be > 0"):
        rma_batch([0.1, 0.2, 0.3], [0.01, 0.0, 0.02])
