"""synthesis._dist gives the very doubles scipy.stats gives (it replaces scipy.stats so that
importing offlabel.synthesis stays cheap); and importing the package leaves scipy.stats out."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from offlabel.synthesis import _dist

EDGES = [-np.inf, -1e300, -40.0, -8.5, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1e-12, 0.5, 1.0, 1.96,
         3.0, 8.5, 40.0, 1e300, np.inf, np.nan]
PROBS = [0.0, 1e-300, 1e-16, 1e-9, 0.001, 0.0125, 0.025, 0.05, 0.5, 0.95, 0.975, 1 - 1e-12, 1.0,
         -0.1, 1.1, np.nan]
DFS = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 29.0, 1000.0, np.inf, np.nan]


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (a.view(np.int64) == b.view(np.int64))))


def _grid(xs, dfs):
    rng = np.random.default_rng(7)
    x = np.concatenate([np.repeat(xs, len(dfs)), rng.normal(0, 5, 400), rng.exponential(3, 400)])
    d = np.concatenate([np.tile(dfs, len(xs)), rng.integers(1, 60, 400).astype(float),
                        rng.uniform(0.2, 40, 400)])
    return x, d


@pytest.mark.parametrize("ours, theirs", [
    (_dist.norm_sf, stats.norm.sf), (_dist.norm_cdf, stats.norm.cdf),
])
def test_normal_tails_bit_identical(ours, theirs):
    x, _ = _grid(EDGES, [1.0])
    assert _same(ours(x), theirs(x))
    for v in EDGES:  # scalars come back as numpy scalars, as from scipy.stats
        got, want = ours(v), theirs(v)
        assert _same(got, want) and np.ndim(got) == 0, v


@pytest.mark.parametrize("ours, theirs", [
    (_dist.norm_ppf, stats.norm.ppf), (_dist.norm_isf, stats.norm.isf),
])
def test_normal_quantiles_bit_identical(ours, theirs):
    rng = np.random.default_rng(3)
    q = np.concatenate([PROBS, rng.uniform(0, 1, 500)])
    assert _same(ours(q), theirs(q))
    for v in PROBS:
        assert _same(ours(v), theirs(v)), v


@pytest.mark.parametrize("ours, theirs", [
    (_dist.chi2_sf, stats.chi2.sf), (_dist.chi2_cdf, stats.chi2.cdf), (_dist.t_sf, stats.t.sf),
])
def test_tails_with_df_bit_identical(ours, theirs):
    x, d = _grid(EDGES, DFS)
    with np.errstate(all="ignore"):
        assert _same(ours(x, d), theirs(x, d))
        for xv in (0.0, 1.0, 3.84, -2.0, np.nan):
            for dv in DFS:
                assert _same(ours(xv, dv), theirs(xv, dv)), (xv, dv)


@pytest.mark.parametrize("ours, theirs", [
    (_dist.chi2_isf, stats.chi2.isf), (_dist.chi2_ppf, stats.chi2.ppf), (_dist.t_isf, stats.t.isf),
])
def test_quantiles_with_df_bit_identical(ours, theirs):
    q, d = _grid(PROBS, DFS)
    q = np.where((q < 0) | (q > 1), np.abs(q) % 1, q)
    q[: len(PROBS) * len(DFS)] = np.repeat(PROBS, len(DFS))
    with np.errstate(all="ignore"):
        assert _same(ours(q, d), theirs(q, d))


def test_f_sf_bit_identical():
    x, d = _grid(EDGES, DFS)
    d2 = np.roll(d, 5)
    with np.errstate(all="ignore"):
        assert _same(_dist.f_sf(x, d, d2), stats.f.sf(x, d, d2))
        assert _same(_dist.f_sf(2.5, 3, 10), stats.f.sf(2.5, 3, 10))


def test_import_synthesis_leaves_scipy_stats_unloaded():
    code = ("import sys, offlabel.synthesis, offlabel.synthesis.metareg; "
            "print(sorted(m for m in sys.modules if m == 'scipy.stats' or m.startswith('scipy.stats.')"
            " or m == 'scipy.optimize' or m == 'matplotlib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_what_ask_calls_leaves_scipy_stats_unloaded():
    # the functions `offlabel ask` uses: escalc, from_ci, rma (DL/FE), regtest, metareg
    code = (
        "import sys\n"
        "from offlabel.synthesis import escalc, from_ci, rma, regtest, metareg\n"
        "y, v = escalc('RR', ai=[4, 6, 3, 9], n1i=[50, 60, 40, 80], ci=[10, 12, 8, 11], n2i=[50, 61, 40, 79])\n"
        "y2, v2 = escalc('SMD', m1i=[1.0, 2], sd1i=[1, 1.5], n1i=[20, 30], m2i=[0.5, 1], sd2i=[1, 1], n2i=[21, 29])\n"
        "from_ci('OR', 6.3, 2.4, 16.1)\n"
        "rma(y, v, method='DL'); rma(y[:1], v[:1], method='FE'); rma(y, v, method='REML', test='knha')\n"
        "regtest(list(y) * 3, list(v) * 3)\n"
        "metareg(y, v, [[1.0], [2.0], [3.0], [5.0]], method='REML')\n"
        "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
