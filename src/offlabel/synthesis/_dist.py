"""The normal, t, chi-square and F tails that synthesis needs, without ``scipy.stats``.

Importing ``scipy.stats`` costs about half a second (it loads every distribution, sparse
graphs, ndimage...), more than any meta-analysis we run, and ``offlabel ask`` paid it on every
start. The distribution objects are thin wrappers: ``stats.norm.sf(x)`` is
``special.ndtr(-x)``, ``stats.chi2.sf(x, df)`` is ``special.chdtrc(df, x)`` and so on (see
``scipy/stats/_continuous_distns.py``), plus argument checks. These functions call the same
``scipy.special`` ufuncs with the same arguments and repeat those checks, so every value is
the same double that ``scipy.stats`` returns (``tests/test_synthesis_dist.py`` compares them bit
for bit, edge values included). ``scipy.special`` itself is imported on first use, so
``import offlabel.synthesis`` loads neither.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

Num = Any  # a float or an ndarray of floats; results have the shape of the broadcast inputs


def special() -> ModuleType:
    """``scipy.special``, imported on first use (about 0.2 s: not paid by callers that never
    compute a p-value)."""
    return importlib.import_module("scipy.special")


def stats() -> ModuleType:
    """``scipy.stats`` (half a second to import): only for what has no cheaper equivalent here
    (Kendall's tau of the rank test)."""
    return importlib.import_module("scipy.stats")


def optimize() -> ModuleType:
    """``scipy.optimize`` (0.2 s to import): the root finder of the Q-profile CI."""
    return importlib.import_module("scipy.optimize")


def _out(x: np.ndarray) -> Any:
    # scipy.stats returns a numpy scalar for scalar input, an array otherwise
    return x[()] if x.ndim == 0 else x


def _bad_df(*dfs: Num) -> np.ndarray:
    """Where a degrees-of-freedom argument is not > 0: scipy.stats answers NaN there."""
    bad = np.zeros((), dtype=bool)
    for d in dfs:
        d = np.asarray(d, dtype=float)
        bad = bad | ~(d > 0)
    return bad


# --- normal ---------------------------------------------------------------------------------
def norm_cdf(x: Num) -> Any:
    return special().ndtr(np.asarray(x, dtype=float))[()]


def norm_sf(x: Num) -> Any:
    return special().ndtr(-np.asarray(x, dtype=float))[()]


# quantiles: scipy.stats returns ``_ppf(q) * scale + loc``, and adding loc = 0 turns -0.0 into
# 0.0; the ``+ 0.0`` below does the same
def norm_ppf(q: Num) -> Any:
    return (special().ndtri(np.asarray(q, dtype=float)) + 0.0)[()]


def norm_isf(q: Num) -> Any:
    return (-special().ndtri(np.asarray(q, dtype=float)) + 0.0)[()]


# --- chi-square (support [0, inf)) -----------------------------------------------------------
def chi2_sf(x: Num, df: Num) -> Any:
    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = special().chdtrc(df, x)
    v = np.where(x <= 0, 1.0, np.where(x == np.inf, 0.0, v))
    return _out(np.where(_bad_df(df) | np.isnan(x), np.nan, v))


def chi2_cdf(x: Num, df: Num) -> Any:
    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = special().chdtr(df, x)
    v = np.where(x <= 0, 0.0, np.where(x == np.inf, 1.0, v))
    return _out(np.where(_bad_df(df) | np.isnan(x), np.nan, v))


def _prob_ok(q: np.ndarray) -> np.ndarray:
    return (q >= 0) & (q <= 1)


def chi2_isf(q: Num, df: Num) -> Any:
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = special().chdtri(df, q)
    v = np.where(q == 0, np.inf, np.where(q == 1, 0.0, v))
    return _out(np.where(_bad_df(df) | ~_prob_ok(q), np.nan, v + 0.0))


def chi2_ppf(p: Num, df: Num) -> Any:
    p = np.asarray(p, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = 2 * special().gammaincinv(df / 2, p)
    v = np.where(p == 0, 0.0, np.where(p == 1, np.inf, v))
    return _out(np.where(_bad_df(df) | ~_prob_ok(p), np.nan, v + 0.0))


# --- Student t (support the real line) ------------------------------------------------------
def t_sf(x: Num, df: Num) -> Any:
    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = special().stdtr(df, -x)
    return _out(np.where(_bad_df(df), np.nan, v))


def t_isf(q: Num, df: Num) -> Any:
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        v = -special().stdtrit(df, q)
    v = np.where(q == 0, np.inf, np.where(q == 1, -np.inf, v))
    return _out(np.where(_bad_df(df) | ~_prob_ok(q), np.nan, v + 0.0))


# --- F (support [0, inf)) -------------------------------------------------------------------
def f_sf(x: Num, dfn: Num, dfd: Num) -> Any:
    x = np.asarray(x, dtype=float)
    dfn = np.asarray(dfn, dtype=float)
    dfd = np.asarray(dfd, dtype=float)
    with np.errstate(invalid="ignore"):
        v = special().fdtrc(dfn, dfd, x)
    v = np.where(x <= 0, 1.0, v)
    return _out(np.where(_bad_df(dfn, dfd) | np.isnan(x), np.nan, v))
