"""Core API of offlabel.synthesis: escalc, from_ci, rma against the bundled metafor figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from offlabel.synthesis import METAFOR_DEFAULT, Control, SynthesisError, escalc, from_ci, rma

DATA = Path(__file__).resolve().parent / "data" / "metafor"


def _bcg():
    fx = json.loads((DATA / "dat.bcg.json").read_text())
    return fx, fx["data"]


def test_escalc_rr_matches_metafor():
    fx, d = _bcg()
    ref = next(a for a in fx["analyses"] if a["id"] == "effect_sizes:RR")["results"]
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    np.testing.assert_allclose(yi, ref["yi"], rtol=1e-12)
    np.testing.assert_allclose(vi, ref["vi"], rtol=1e-12)


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "ML", "PM", "HE", "HS", "SJ", "EB"])
def test_rma_bcg_tight(method):
    fx, d = _bcg()
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    ids = {a["id"]: a for a in fx["analyses"]}
    a = ids.get(f"rma:RR:{method}:z:tight") or ids[f"rma:RR:{method}:z"]
    res = rma(yi, vi, method=method, control=Control(threshold=1e-12))
    r = a["results"]
    for ours, key in ((res.estimate, "estimate"), (res.se, "se"), (res.ci_lb, "ci.lb"),
                      (res.ci_ub, "ci.ub"), (res.QE, "QE"), (res.I2, "I2"), (res.H2, "H2")):
        assert ours == pytest.approx(r[key], rel=1e-8), key
    if method != "FE":
        assert res.tau2 == pytest.approx(r["tau2"], rel=1e-8)
        assert res.se_tau2 == pytest.approx(r["se.tau2"], rel=1e-8)
    np.testing.assert_allclose(res.weights, r["weights_pct"], rtol=1e-8)


def test_default_control_reproduces_metafor_reml_iterations():
    fx, d = _bcg()
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    r = next(a for a in fx["analyses"] if a["id"] == "rma:RR:REML:z")["results"]
    res = rma(yi, vi, method="REML", control=METAFOR_DEFAULT)
    assert res.tau2 == pytest.approx(r["tau2"], rel=1e-10)


def test_from_ci_log_scale():
    yi, vi = from_ci("OR", 6.3, 2.4, 16.1)
    assert yi[0] == pytest.approx(np.log(6.3))
    se = (np.log(16.1) - np.log(2.4)) / (2 * 1.959963984540054)
    assert vi[0] == pytest.approx(se**2)
    yi, vi = from_ci("MD", [1.0, -2.0], [0.0, -3.0], [2.0, -1.0], level=95)
    np.testing.assert_allclose(yi, [1.0, -2.0])


@pytest.mark.parametrize(
    ("yi", "vi", "kw", "fragment"),
    [
        ([0.1, float("nan")], [0.1, 0.1], {}, "study 2"),
        ([0.1, 0.2], [float("inf"), 0.1], {"slab": ["A", "B"]}, "'A'"),
        ([0.1, 0.2, 0.3], [0.1, 0.1], {}, "3 values"),
        ([0.1], [0.1], {"method": "REML"}, "at least 2"),
    ],
)
def test_rma_bad_input_names_study(yi, vi, kw, fragment):
    with pytest.raises(SynthesisError, match=fragment) as exc:
        rma(yi, vi, **kw)
    assert "\n" not in str(exc.value)


def test_escalc_events_above_total():
    with pytest.raises(SynthesisError, match="study 2.*greater"):
        escalc("OR", ai=[1, 9], n1i=[10, 8], ci=[2, 2], n2i=[10, 10])
