"""Small-study effects: Egger's regression test, Begg's rank correlation test, trim-and-fill
(metafor's ``regtest``, ``ranktest``, ``trimfill``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _dist
from . import _engine as eng
from ._checks import all_positive
from .errors import SynthesisError
from .metareg import _metareg
from .rma import RMAResult, _fit, rma


@dataclass(frozen=True)
class RegTest:
    """Regression test for funnel asymmetry. ``zval`` is a t statistic when ``dfs`` is set.
    ``limit_*``: the intercept, i.e. the effect expected in an infinitely precise study."""

    model: str
    predictor: str
    zval: float
    pval: float
    dfs: int | None
    limit_estimate: float
    limit_ci_lb: float
    limit_ci_ub: float
    fit_coef_names: tuple[str, ...]
    fit_coef: np.ndarray


def _as_fit(x: Any, vi: Any, method: str, test: str) -> RMAResult:
    """A fit, or (like metafor) effect sizes and variances to fit with ``method``."""
    if isinstance(x, RMAResult):
        if vi is not None:
            raise SynthesisError("pass either a fitted model or yi and vi, not both")
        return x
    if vi is None:
        raise SynthesisError("pass a fitted model (rma(...)) or yi and vi")
    return rma(x, vi, method=method, test=test)


def regtest(x: Any, vi: Any = None, model: str = "rma", predictor: str = "sei", method: str = "REML",
            test: str = "z") -> RegTest:
    """Egger-type regression test on a fit (``regtest(rma(...))``) or, as metafor allows, on
    ``regtest(yi, vi)`` (fitted with ``method``, REML by default).

    ``model="rma"`` (metafor's default): meta-regression on the standard error with the
    model's own method and test. ``model="lm"``: Egger's original weighted regression."""
    res = _as_fit(x, vi, method, test)
    if res.k < 3:
        raise SynthesisError("regtest needs k >= 3")
    y, v = res.yi, res.vi
    preds = {"sei": np.sqrt(v), "vi": v}
    if predictor not in preds:
        raise SynthesisError(f"regtest: predictor must be 'sei' or 'vi', got {predictor!r}")
    X = np.column_stack([np.ones(res.k), preds[predictor]])
    if model == "rma":
        fit = _metareg(y, v, X, ("intrcpt", predictor), res.method, res.test, res.level,
                       res.control, intercept=True, r2=False)
        return RegTest("rma", predictor, float(fit.zval[1]), float(fit.pval[1]), fit.dfs,
                       float(fit.estimate[0]), float(fit.ci_lb[0]), float(fit.ci_ub[0]),
                       fit.coef_names, fit.estimate)
    if model != "lm":
        raise SynthesisError(f"regtest: model must be 'rma' or 'lm', got {model!r}")
    w = 1 / v
    A = np.linalg.inv(X.T @ (w[:, None] * X))
    b = A @ (X.T @ (w * y))
    df = res.k - 2
    sigma2 = np.sum(w * (y - X @ b) ** 2) / df
    se = np.sqrt(np.diag(sigma2 * A))
    t = b / se
    crit = _dist.t_isf(eng.level_alpha(res.level) / 2, df)
    return RegTest("lm", predictor, float(t[1]), float(2 * _dist.t_sf(abs(t[1]), df)), df,
                   float(b[0]), float(b[0] - crit * se[0]), float(b[0] + crit * se[0]),
                   ("Xintrcpt", f"X{predictor}"), b)


@dataclass(frozen=True)
class RankTest:
    tau: float
    pval: float
    exact: bool


def _kendall_exact_p(q: int, n: int) -> float:
    """Two-sided exact p of Kendall's statistic (q concordant pairs, no ties), as R's cor.test."""
    # distribution of the number of inversions of a random permutation (Mahonian numbers)
    m = n * (n - 1) // 2
    dist = np.zeros(m + 1)
    dist[0] = 1.0
    top = 0
    for i in range(2, n + 1):
        # convolve with uniform(0..i-1) via a running window sum
        c = np.concatenate([[0.0], np.cumsum(dist[: top + 1])])
        top += i - 1
        j = np.arange(top + 1)
        hi = np.minimum(j, len(c) - 2) + 1
        lo = np.clip(j - (i - 1), 0, len(c) - 1)
        dist[: top + 1] = (c[hi] - c[lo]) / i
    cdf = np.cumsum(dist)
    p = 1 - cdf[q - 1] if q > m / 2 else cdf[q]
    return float(min(2 * p, 1.0))


def ranktest(x: Any, vi: Any = None, exact: bool = True) -> RankTest:
    """Begg & Mazumdar: Kendall's tau between standardised deviates and variances, on a fit
    or on ``ranktest(yi, vi)``."""
    res = _as_fit(x, vi, "FE", "z")
    y, v = res.yi, res.vi
    n = len(y)
    if n < 3:
        raise SynthesisError("ranktest needs k >= 3")
    if not all_positive(v):
        # 1/vi is infinite, every standardised deviate NaN: R's cor.test() stops there
        raise SynthesisError("ranktest: not enough finite observations (a sampling variance is"
                             " not positive)")
    w = 1 / v
    theta = np.sum(w * y) / w.sum()
    vstar = v - 1 / w.sum()
    ystar = (y - theta) / np.sqrt(vstar)
    tau = float(_dist.stats().kendalltau(ystar, v).statistic)  # imports scipy.stats
    ties = len(np.unique(ystar)) < n or len(np.unique(v)) < n
    if exact and not ties and n <= 400:
        q = int(round((tau + 1) * n * (n - 1) / 4))
        return RankTest(tau, _kendall_exact_p(q, n), True)
    # normal approximation with R's tie-corrected variance
    def tcounts(x: np.ndarray) -> np.ndarray:
        _, c = np.unique(x, return_counts=True)
        return c[c > 1].astype(float)

    xt, yt = tcounts(ystar), tcounts(v)
    t0 = n * (n - 1) / 2
    t1, t2 = np.sum(xt * (xt - 1)) / 2, np.sum(yt * (yt - 1)) / 2
    S = tau * np.sqrt((t0 - t1) * (t0 - t2))
    v0 = n * (n - 1) * (2 * n + 5)
    vt = np.sum(xt * (xt - 1) * (2 * xt + 5))
    vu = np.sum(yt * (yt - 1) * (2 * yt + 5))
    v1 = np.sum(xt * (xt - 1)) * np.sum(yt * (yt - 1))
    v2 = np.sum(xt * (xt - 1) * (xt - 2)) * np.sum(yt * (yt - 1) * (yt - 2))
    var_s = (v0 - vt - vu) / 18 + v1 / (2 * n * (n - 1)) + v2 / (9 * n * (n - 1) * (n - 2))
    z = S / np.sqrt(var_s)
    return RankTest(tau, float(2 * min(_dist.norm_cdf(z), _dist.norm_sf(z))), False)


@dataclass(frozen=True)
class TrimFill:
    """Trim-and-fill (Duval & Tweedie): ``k0`` imputed studies on ``side``, the refit on the
    filled data (``fit``) and the imputed ``fill_yi``/``fill_vi``."""

    k0: int
    se_k0: float
    side: str
    p_k0: float | None
    fit: RMAResult
    fill_yi: np.ndarray
    fill_vi: np.ndarray


def trimfill(res: RMAResult, side: str | None = None, estimator: str = "L0",
             control: eng.Control | None = None, maxiter: int = 100) -> TrimFill:
    """Trim-and-fill with the L0 or R0 estimator, as metafor's ``trimfill()``.

    The internal refits use ``control`` (default: the model's); metafor itself refits with
    its default control whatever the model had, so pass ``METAFOR_DEFAULT`` to reproduce it.
    """
    if res.k < 3:
        raise SynthesisError("trimfill needs k >= 3")
    ctl = control if control is not None else res.control
    yi, vi = res.yi, res.vi
    if side is None:
        X = np.column_stack([np.ones(res.k), np.sqrt(vi)])
        # metafor estimates the side with its warnings suppressed
        slope = _metareg(yi, vi, X, ("intrcpt", "sei"), res.method, "z", 95, ctl, r2=False,
                         warn=False).estimate[1]
        side = "right" if slope < 0 else "left"
    if side not in ("left", "right"):
        raise SynthesisError(f"trimfill: side must be 'left' or 'right', got {side!r}")
    if estimator not in ("L0", "R0"):
        raise SynthesisError(f"trimfill: estimator must be 'L0' or 'R0', got {estimator!r}")
    y = -yi if side == "right" else yi.copy()
    ix = np.argsort(y, kind="stable")
    y, v = y[ix], vi[ix]
    k = len(y)
    k0, k0_prev, it = 0, -1, 0
    se_k0 = 0.0
    beta = 0.0
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise SynthesisError("trimfill: the trim-and-fill iterations did not converge")
        beta = _fit(y[: k - k0], v[: k - k0], res.method, "z", 95, None, ctl, warn=False).estimate
        yc = y - beta
        r = np.empty(k, dtype=float)  # ordinal ranks 1..k, ties in data order
        r[np.argsort(np.abs(yc), kind="stable")] = np.arange(1, k + 1)
        rs = np.sign(yc) * r
        if estimator == "R0":
            neg = rs[rs < 0]
            k0f = (k - (np.max(-neg) if neg.size else 0)) - 1
            se_k0 = np.sqrt(2 * max(0.0, k0f) + 2)
        else:
            Sr = np.sum(rs[rs > 0])
            k0f = (4 * Sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0f**3 + 27 * k0f**2 + 17 * k0f
                      - 18 * k * k0f**2 - 18 * k * k0f + 6 * k**2 * k0f) / 24
            se_k0 = 4 * np.sqrt(var_sr) / (2 * k - 1)
        k0 = int(max(0, _round_half_even(k0f)))
        se_k0 = max(0.0, float(se_k0))
    # metafor's p-value for R0: 1 - sum_{j=1}^{k0+1} 2^-j
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else None
    if k0 > 0:
        yc = y - beta
        fill = -(yc[k - k0:] - beta)
        if side == "right":
            fill = -fill
        fill_yi, fill_vi = fill, v[k - k0:]
        fit = _fit(np.concatenate([yi, fill_yi]), np.concatenate([vi, fill_vi]), res.method,
                   "z", 95, None, ctl, warn=False)
    else:
        fill_yi, fill_vi = np.empty(0), np.empty(0)
        fit = res
    return TrimFill(k0, se_k0, side, p_k0, fit, fill_yi, fill_vi)


def _round_half_even(x: float) -> float:
    # R's round() rounds halves to even, like Python's round()
    return float(round(float(x)))
