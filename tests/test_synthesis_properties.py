"""Property tests (hypothesis) for rma: what must hold for every valid input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from offlabel.synthesis import rma
from offlabel.synthesis.batch import rma_batch

METHODS = ["FE", "DL", "REML", "ML", "PM", "HE", "HS", "SJ", "EB"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

effects = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
variances = st.integers(-8, 8).flatmap(
    lambda e: st.floats(0.5, 5.0).map(lambda m: m * 10.0**e))  # 1e-8 .. 1e8 (and a bit)


@st.composite
def studies(draw, min_k=2, max_k=12):
    k = draw(st.integers(min_k, max_k))
    y = draw(st.lists(effects, min_size=k, max_size=k))
    v = draw(st.lists(variances, min_size=k, max_size=k))
    return np.array(y), np.array(v)


def _fit_quietly(y, v, **kw):
    # a numpy warning is a bug here: turn it into an error
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            return rma(y, v, **kw)


def _finite(res) -> bool:
    vals = [res.estimate, res.se, res.ci_lb, res.ci_ub, res.tau2, res.I2, res.H2, res.QE,
            res.QEp, res.pi_lb, res.pi_ub, res.pval]
    return all(np.isfinite(vals)) and np.all(np.isfinite(res.weights))


@SETTINGS
@given(data=studies(), method=st.sampled_from(METHODS), seed=st.integers(0, 2**32 - 1))
def test_permutation_invariance(data, method, seed):
    y, v = data
    perm = np.random.default_rng(seed).permutation(len(y))
    a = rma(y, v, method=method)
    b = rma(y[perm], v[perm], method=method)
    scale = max(1.0, abs(a.estimate))
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-6, abs=1e-9 * max(1.0, a.tau2))
    assert b.estimate == pytest.approx(a.estimate, rel=1e-7, abs=1e-9 * scale)
    np.testing.assert_allclose(b.weights, a.weights[perm], rtol=1e-6, atol=1e-9)


@SETTINGS
@given(data=studies(), method=st.sampled_from(METHODS), test=st.sampled_from(["z", "knha"]))
def test_tau2_nonnegative_ci_contains_estimate_no_warnings(data, method, test):
    y, v = data
    res = _fit_quietly(y, v, method=method, test=test)
    assert res.tau2 >= 0
    assert _finite(res)
    assert res.ci_lb <= res.estimate <= res.ci_ub
    assert res.pi_lb <= res.ci_lb and res.ci_ub <= res.pi_ub
    assert 0 <= res.I2 <= 100
    # H2 = (tau2 + s2)/s2 >= 1 for random effects; metafor's FE H2 = QE/(k-1) may be below 1
    assert res.H2 >= (0 if method == "FE" else 1 - 1e-12)
    assert 0 <= res.QEp <= 1
    assert sum(res.weights) == pytest.approx(100)


@SETTINGS
@given(data=studies(), method=st.sampled_from(METHODS[1:]))
def test_random_effects_equals_fixed_effect_when_tau2_is_zero(data, method):
    y, v = data
    re = rma(y, v, method=method)
    assume(re.tau2 == 0)
    fe = rma(y, v, method="FE")
    assert re.estimate == pytest.approx(fe.estimate, rel=1e-12, abs=1e-15)
    assert re.se == pytest.approx(fe.se, rel=1e-12)


@SETTINGS
@given(k=st.integers(2, 10), y0=effects, v=st.lists(variances, min_size=10, max_size=10),
       method=st.sampled_from(METHODS))
def test_identical_effects(k, y0, v, method):
    y = np.full(k, y0)
    res = _fit_quietly(y, np.array(v[:k]), method=method)
    assert res.tau2 <= 1e-12  # 0 up to the rounding of mean(yi)
    assert res.estimate == pytest.approx(y0, abs=1e-12 * max(1.0, abs(y0)))
    assert res.QE == pytest.approx(0, abs=1e-12)


@SETTINGS
@given(data=studies(min_k=2, max_k=2), method=st.sampled_from(METHODS))
def test_two_studies_extreme_variances(data, method):
    y, v = data
    res = _fit_quietly(y, v, method=method)
    assert _finite(res)


@SETTINGS
@given(groups=st.lists(studies(max_k=6), min_size=1, max_size=6),
       method=st.sampled_from(["DL", "REML", "PM"]))
def test_batch_matches_single(groups, method):
    y = np.concatenate([g[0] for g in groups])
    v = np.concatenate([g[1] for g in groups])
    codes = np.repeat(np.arange(len(groups)), [len(g[0]) for g in groups])
    res = rma_batch(y, v, codes, method=method)
    for i, (gy, gv) in enumerate(groups):
        one = rma(gy, gv, method=method)
        assert res.tau2[i] == pytest.approx(one.tau2, rel=1e-6, abs=1e-9 * max(1.0, one.tau2))
        assert res.estimate[i] == pytest.approx(one.estimate, rel=1e-7, abs=1e-9)
