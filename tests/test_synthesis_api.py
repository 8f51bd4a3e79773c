"""Public API beyond rma(): subgroups, meta-regression, MH/Peto, diagnostics, bias tests,
checked against the bundled metafor figures (the conformance runner checks every field; these
tests pin the Python interface others code against)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from offlabel.synthesis import (
    METAFOR_DEFAULT,
    Control,
    SynthesisError,
    cumul,
    escalc,
    influence,
    leave1out,
    metareg,
    ranktest,
    regtest,
    rma,
    rma_mh,
    rma_peto,
    subgroup,
    trimfill,
)

DATA = Path(__file__).resolve().parent / "data" / "metafor"
TIGHT = Control(threshold=1e-12, tol=1e-14, maxiter=10000, tau2_max=1e6, safeguard=False)


@pytest.fixture(scope="module")
def bcg():
    fx = json.loads((DATA / "dat.bcg.json").read_text())
    d = fx["data"]
    yi, vi = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    return d, yi, vi, {a["id"]: a["results"] for a in fx["analyses"]}


def test_subgroup_q_between(bcg):
    d, yi, vi, ref = bcg
    for method in ("REML", "DL"):
        sg = subgroup(yi, vi, d["alloc"], method=method,
                      control=TIGHT if method == "REML" else None)
        r = ref[f"subgroup_q:RR:{method}:z:by=alloc" + (":tight" if method == "REML" else "")]
        assert sg.Q_between == pytest.approx(r["Q_between"], rel=1e-8)
        assert sg.df == r["df"] and sg.pval == pytest.approx(r["pval"], rel=1e-8)
        assert set(sg.fits) == {"alternate", "random", "systematic"}
        common = ref[f"rma.mods:RR:{method}:z:mods=~factor(alloc)" + (":tight" if method == "REML" else "")]
        assert sg.common_tau2.QM == pytest.approx(common["QM"], rel=1e-8)


def test_metareg_via_rma_mods(bcg):
    d, yi, vi, ref = bcg
    res = rma(yi, vi, mods={"ablat": d["ablat"]}, method="REML", control=TIGHT)
    r = ref["rma.mods:RR:REML:z:mods=~ablat:tight"]
    assert res.coef_names == ("intrcpt", "ablat")
    np.testing.assert_allclose(res.estimate, r["estimate"], rtol=1e-8)
    assert res.R2 == pytest.approx(r["R2"], rel=1e-8)
    pred = res.predict([10, 30, 50])
    np.testing.assert_allclose(pred["pi_ub"], ref["predict.mods:RR:REML:z:mods=~ablat:tight"]["pi.ub"],
                               rtol=1e-8)
    with pytest.raises(SynthesisError, match="rows"):
        metareg(yi, vi, np.ones(5))


def test_mh_and_peto(bcg):
    d, _, _, ref = bcg
    counts = {"ai": d["tpos"], "bi": d["tneg"], "ci": d["cpos"], "di": d["cneg"]}
    mh = rma_mh(**counts, measure="OR")
    r = ref["rma.mh:OR:MH:z"]
    assert mh.estimate == pytest.approx(r["estimate"], rel=1e-10)
    assert mh.TA == pytest.approx(r["TA"], rel=1e-10) and mh.MH == pytest.approx(r["MH"], rel=1e-10)
    peto = rma_peto(**counts)
    assert peto.QE == pytest.approx(ref["rma.peto:PETO:Peto:z"]["QE"], rel=1e-10)


def test_diagnostics_and_bias(bcg):
    d, yi, vi, ref = bcg
    res = rma(yi, vi, method="REML", control=METAFOR_DEFAULT)
    l1o = leave1out(res)
    np.testing.assert_allclose(l1o.tau2, ref["leave1out:RR:REML:z"]["tau2"], rtol=1e-8)
    cu = cumul(res, order=d["year"])
    assert list(cu.slab) == ref["cumul:RR:REML:z"]["slab"]
    inf = influence(res)
    np.testing.assert_allclose(inf.cook_d, ref["influence:RR:REML:z"]["cook.d"], rtol=1e-8)
    eg = regtest(rma(yi, vi, method="FE"), model="lm")
    assert eg.zval == pytest.approx(ref["regtest:RR:FE:t:model=lm"]["zval"], rel=1e-10)
    rt = ranktest(res)
    assert rt.pval == pytest.approx(ref["ranktest:RR:REML"]["pval"], rel=1e-10)
    tf = trimfill(res, control=METAFOR_DEFAULT)
    assert (tf.k0, tf.side) == (1, "right")
    assert tf.fit.estimate == pytest.approx(ref["trimfill:RR:REML:z"]["estimate"], rel=1e-8)


def test_convergence_failure_is_reported():
    y = np.array([-0.32, 0.087, -0.59, 0.26, -0.065, -0.47, 0.44, -0.15, -0.84, -0.59])
    v = np.array([0.32, 0.30, 0.28, 0.39, 0.26, 0.11, 0.064, 0.30, 0.40, 0.36])
    with pytest.raises(SynthesisError, match="did not converge in 3 iterations"):
        rma(y, v, method="REML", control=Control(threshold=1e-14, maxiter=3, safeguard=False))


def test_regtest_and_ranktest_accept_yi_vi(bcg):
    _, yi, vi, ref = bcg
    rt = regtest(list(yi), list(vi))  # metafor: regtest(yi, vi) fits REML itself
    assert rt.zval == pytest.approx(ref["regtest:RR:REML:z"]["zval"], rel=1e-6)
    assert ranktest(yi, vi).tau == pytest.approx(ref["ranktest:RR:REML"]["tau"], rel=1e-12)
    with pytest.raises(SynthesisError, match="yi and vi"):
        regtest(yi)
