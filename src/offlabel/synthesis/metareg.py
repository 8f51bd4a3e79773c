"""Meta-regression (mixed-effects models with moderators), metafor's ``rma(yi, vi, mods=...)``.

Moderator models are small (k studies x p coefficients), so this module uses the k x k
projection matrices exactly as metafor writes them; the intercept-only engine in ``_engine``
is the fast path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _dist
from . import _engine as eng
from ._checks import (
    all_positive,
    check_method,
    check_yi_vi,
    refuse_estimator,
    refuse_infinite_weight,
    warn_no_q,
)
from ._factor import dummies
from ._zeroin import zeroin
from .errors import ConvergenceError, SynthesisError


@dataclass(frozen=True)
class MetaRegResult:
    """Coefficients and tests of a meta-regression, metafor's names.

    ``QM``/``QMp``: omnibus test of the moderators (chi-square with ``QMdf[0]`` df under
    ``test="z"``; F with ``QMdf`` under ``"knha"``). ``R2``: % of tau^2 explained (None when the
    model has no intercept or is intercept-only).
    """

    coef_names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    vb: np.ndarray
    tau2: float
    se_tau2: float | None
    QM: float
    QMdf: tuple[int, int | None]
    QMp: float
    QE: float
    QEp: float
    I2: float
    H2: float
    R2: float | None
    k: int
    p: int
    dfs: int | None
    method: str
    test: str
    level: float
    X: np.ndarray = field(repr=False)
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    control: eng.Control = field(default=eng.Control(), repr=False)

    def predict(self, newmods: Any = None) -> dict[str, np.ndarray]:
        return predict_mods(self, newmods)


def _columns(mods: Mapping[str, Any], k: int, intercept: bool) -> tuple[np.ndarray, list[str]]:
    """A dict of moderator columns as a matrix. A column of strings is a factor, as in R's
    ``mods = ~ x`` with a character ``x``: one indicator per level after the first (levels in
    R's order, so the reference level and the names match metafor's), named ``x<level>``."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for key, c in mods.items():
        vals = list(c) if not isinstance(c, np.ndarray) else c.tolist()
        if any(isinstance(x, str) for x in vals):
            for name, col in dummies(str(key), vals, drop_first=intercept or bool(cols)):
                names.append(name)
                cols.append(col)
            continue
        names.append(str(key))
        cols.append(np.asarray(c, dtype=float))
    M = np.column_stack(cols) if cols else np.empty((k, 0))
    return M, names


def _design(mods: Any, k: int, intercept: bool,
            names: Sequence[str] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(mods, Mapping):
        M, names = _columns(mods, k, intercept)
    else:
        M = np.asarray(mods, dtype=float)
        if M.ndim == 1:
            M = M[:, None]
        if names is None:
            names = ["mods"] if M.shape[1] == 1 else [f"mods{j + 1}" for j in range(M.shape[1])]
    if M.shape[0] != k:
        raise SynthesisError(f"mods has {M.shape[0]} rows for {k} studies")
    if not np.all(np.isfinite(M)):
        i = int(np.flatnonzero(~np.all(np.isfinite(M), axis=1))[0])
        raise SynthesisError(f"study {i + 1}: moderator value is missing or not finite")
    names = list(names)
    if intercept:
        M = np.column_stack([np.ones(k), M])
        names = ["intrcpt", *names]
    if np.linalg.matrix_rank(M) < M.shape[1]:
        raise SynthesisError("moderators are collinear (a column is redundant)")
    return M, tuple(names)


def _P(w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    W = np.diag(w)
    A = np.linalg.inv(X.T @ (w[:, None] * X))
    return W - (w[:, None] * X) @ A @ (X.T * w), A


def _q(ymc: np.ndarray, v: np.ndarray, X: np.ndarray, t: float) -> float:
    P, _ = _P(1 / (v + t), X)
    return float(ymc @ P @ ymc)


def _tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str,
          control: eng.Control) -> tuple[float, float | None, int]:
    """tau^2 and se(tau^2) for a model with moderators, line by line as metafor."""
    k, p = X.shape
    ymc = y - y.mean()
    if method in ("FE", "EE"):
        return 0.0, None, 0
    if method in ("HE", "ML", "REML", "EB"):
        Pi = np.eye(k) - X @ np.linalg.inv(X.T @ X) @ X.T
        PV = Pi * v[None, :]
        trPV = np.trace(PV)
        tau2 = (ymc @ Pi @ ymc - trPV) / (k - p)
        if method == "HE":
            t = max(tau2, 0)
            se = np.sqrt((2 * np.sum(PV * PV.T) + 4 * t * trPV + 2 * t**2 * (k - p)) / (k - p) ** 2)
            return max(tau2, 0.0), se, 0
        tau2 = control.tau2_init if control.tau2_init is not None else max(0.0, tau2)
        it = 0
        change = control.threshold + 1
        while change > control.threshold:
            it += 1
            old = tau2
            refuse_infinite_weight(v, tau2)  # metafor stops here too (a vi = 0 at tau2 = 0)
            w = 1 / (v + tau2)
            P, _ = _P(w, X)
            if method == "ML":
                PP = P @ P
                adj = (ymc @ PP @ ymc - w.sum()) / np.sum(w**2)
            elif method == "REML":
                PP = P @ P
                adj = (ymc @ PP @ ymc - np.trace(P)) / np.trace(PP)
            else:
                adj = (ymc @ P @ ymc * k / (k - p) - k) / w.sum()
            if not np.isfinite(adj):
                adj = 0.0
            if tau2 <= 0 and adj < 0:
                adj = 0.0
            while tau2 + adj < 0:
                adj /= 2
            tau2 = tau2 + adj
            change = abs(old - tau2)
            if it > control.maxiter:
                raise ConvergenceError(f"{method} Fisher scoring did not converge in {control.maxiter}"
                                       " iterations; raise control.maxiter")
        if method in ("ML", "REML") and control.ll0check and all_positive(v):
            ll0 = _ll(y, v, X, 0.0, method)
            ll1 = _ll(y, v, X, tau2, method)
            tol = control.tol if control.tol is not None else np.finfo(float).eps ** 0.25
            if ll0 - ll1 > tol and tau2 > control.threshold:
                tau2 = 0.0
        refuse_infinite_weight(v, tau2)
        w = 1 / (v + tau2)
        P, _ = _P(w, X)
        if method == "ML":
            se = np.sqrt(2 / np.sum(w**2))
        elif method == "REML":
            se = np.sqrt(2 / np.sum(P * P))
        else:
            se = np.sqrt(2 * k**2 / (k - p) / w.sum() ** 2)
        return max(tau2, 0.0), se, it
    if method in ("DL", "HS"):
        w = 1 / v
        P, _ = _P(w, X)
        rss = ymc @ P @ ymc
        trP = np.trace(P)
        if method == "DL":
            tau2 = (rss - (k - p)) / trP
            t = max(tau2, 0)
            se = np.sqrt((2 * (k - p) + 4 * t * trP + 2 * t**2 * np.sum(P * P)) / trP**2)
        else:
            tau2 = (rss - k) / w.sum()
            t = max(tau2, 0)
            se = np.sqrt((2 * (k - p) + 4 * t * trP + 2 * t**2 * np.sum(P * P)) / w.sum() ** 2)
        return max(tau2, 0.0), se, 0
    if method == "SJ":
        t0 = float(np.var(ymc) * 1.0) if control.tau2_init is None else control.tau2_init
        w = 1 / (v + t0)
        P, _ = _P(w, X)
        PV = P * v[None, :]
        tau2 = t0 * (ymc @ P @ ymc) / (k - p)
        t = max(tau2, 0)
        se = np.sqrt(t0**2 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * t * np.sum(PV * P)
                                            + 2 * t**2 * np.sum(P * P)))
        return max(tau2, 0.0), se, 0
    if method == "PM":
        target = k - p
        if _q(ymc, v, X, 0.0) < target:
            tau2 = 0.0
        else:
            tmax = control.tau2_max
            if tmax is None:
                med = np.median(y)
                tmax = max(100.0, 10 * (1.4826 * np.median(np.abs(y - med))) ** 2)
            if _q(ymc, v, X, tmax) > target:
                raise ConvergenceError(f"PM: tau2 lies above the search limit tau2_max = {tmax:g}")
            tol = control.tol if control.tol is not None else 1e-15
            tau2 = zeroin(lambda t: _q(ymc, v, X, t) - target, 0.0, tmax, tol, control.maxiter)
        w = 1 / (v + tau2)
        return max(tau2, 0.0), np.sqrt(2 * k**2 / (k - p) / w.sum() ** 2), 0
    raise SynthesisError(f"unknown method {method!r}")


def _ll(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, method: str) -> float:
    k, p = X.shape
    w = 1 / (v + tau2)
    A = X.T @ (w[:, None] * X)
    b = np.linalg.solve(A, X.T @ (w * y))
    rss = np.sum(w * (y - X @ b) ** 2)
    if method == "ML":
        return float(-0.5 * k * eng.LOG2PI - 0.5 * np.sum(np.log(v + tau2)) - 0.5 * rss)
    return float(-0.5 * (k - p) * eng.LOG2PI - 0.5 * np.sum(np.log(v + tau2))
                 - 0.5 * np.linalg.slogdet(A)[1] - 0.5 * rss)


def metareg(yi: Any, vi: Any, mods: Any, method: str = "REML", test: str = "z",
            level: float = 95, slab: Sequence[str] | None = None, intercept: bool = True,
            control: eng.Control | None = None,
            names: Sequence[str] | None = None) -> MetaRegResult:
    """Mixed-effects meta-regression of ``yi`` on ``mods``: a k x m array, or a dict of
    columns (a column of strings is a factor: indicators for every level but R's first)."""
    y, v = check_yi_vi(yi, vi, slab)
    X, coef_names = _design(mods, len(y), intercept, names)
    return _metareg(y, v, X, coef_names, method, test, level, control or eng.Control(), intercept)


def _metareg(y: np.ndarray, v: np.ndarray, X: np.ndarray, coef_names: Sequence[str], method: str,
             test: str, level: float, control: eng.Control, intercept: bool = True,
             r2: bool = True, warn: bool = True) -> MetaRegResult:
    k, p = X.shape
    method, test = check_method(method, test, k)
    need = p if method in ("FE", "EE") else p + 1
    if need > k:
        raise SynthesisError(f"{p} coefficients{'' if method in ('FE', 'EE') else ' and tau^2'}"
                             f" cannot be estimated from k = {k} studies")
    alpha = eng.level_alpha(level)
    allpos = all_positive(v)
    if not allpos:
        refuse_estimator(v, method)
    tau2, se_tau2, _ = _tau2(y, v, X, method, control)
    refuse_infinite_weight(v, tau2)
    w = 1 / (v + tau2)
    A = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = A @ (X.T @ (w * y))
    vb = A
    dfs = None
    if test == "knha":
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - p)
        vb = s2w * vb
    if test in ("knha", "t"):
        dfs = k - p
    se = np.sqrt(np.diag(vb))
    zval = beta / se
    btt = np.arange(1 if intercept and p > 1 else 0, p)
    m = len(btt)
    vbb = vb[np.ix_(btt, btt)]
    QM = float(beta[btt] @ np.linalg.solve(vbb, beta[btt]))
    if test in ("knha", "t"):
        QM /= m
        QMdf = (m, k - p)
        QMp = float(_dist.f_sf(QM, m, k - p)) if k - p > 0 else float("nan")
        pval = 2 * _dist.t_sf(np.abs(zval), k - p)
        crit = _dist.t_isf(alpha / 2, k - p)
    else:
        QMdf = (m, None)
        QMp = float(_dist.chi2_sf(QM, m))
        pval = 2 * _dist.norm_sf(np.abs(zval))
        crit = _dist.norm_isf(alpha / 2)
    ymc = y - y.mean()
    nan = float("nan")
    if not allpos:
        # metafor's allvipos: no QE test, I^2 or H^2 (it warns and leaves them NA)
        QE, QEp, I2, H2 = nan, nan, nan, nan
        if warn:
            warn_no_q(int_only=p == 1 and intercept)
    elif k > p:
        P0, _ = _P(1 / v, X)
        QE = max(0.0, float(ymc @ P0 @ ymc))
        QEp = float(_dist.chi2_sf(QE, k - p))
        vt = (k - p) / np.trace(P0)
        if method in ("FE", "EE"):
            I2 = max(0.0, 100 * (QE - (k - p)) / QE) if QE > 0 else 0.0
            H2 = QE / (k - p)
        else:
            I2 = 100 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1
    else:
        QE, QEp, I2, H2 = 0.0, 1.0, 0.0, 1.0
    R2 = None
    if r2 and intercept and p > 1:
        if method in ("FE", "EE"):
            R2 = _r2_fe(y, 1 / v, X)
        else:
            # metafor refits the intercept-only model and reports NA when that fit fails
            try:
                t0, _, _ = _tau2(y, v, np.ones((k, 1)), method, control)
                refuse_infinite_weight(v, t0)
                R2 = 0.0 if t0 == 0 else max(0.0, 100 * (t0 - tau2) / t0)
            except SynthesisError:
                R2 = None
    return MetaRegResult(
        coef_names=tuple(coef_names), estimate=beta, se=se, zval=zval, pval=pval,
        ci_lb=beta - crit * se, ci_ub=beta + crit * se, vb=vb, tau2=float(tau2),
        se_tau2=None if se_tau2 is None else float(se_tau2), QM=QM, QMdf=QMdf, QMp=QMp,
        QE=QE, QEp=QEp, I2=float(I2), H2=float(H2), R2=R2, k=k, p=p, dfs=dfs, method=method,
        test=test, level=float(level), X=X, yi=y, vi=v, weights=100 * w / w.sum(), control=control)


def _r2_fe(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> float:
    """Adjusted R^2 (%) of the weighted least-squares fit, as metafor reports for FE models."""
    k, p = X.shape
    if np.var(y) == 0:
        return 0.0
    b = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
    rss = np.sum(w * (y - X @ b) ** 2)
    mw = np.sum(w * y) / w.sum()
    tss = np.sum(w * (y - mw) ** 2)
    r2 = 1 - rss / tss
    adj = 1 - (1 - r2) * (k - 1) / (k - p)
    return max(0.0, float(100 * adj))


def predict_mods(res: MetaRegResult, newmods: Any = None) -> dict[str, np.ndarray]:
    """Predicted effects at ``newmods`` (rows of moderator values, intercept added), metafor's
    ``predict(res, newmods=...)``: ``pred, se, ci_lb, ci_ub, pi_lb, pi_ub`` arrays."""
    if newmods is None:
        Xn = res.X
    else:
        Xn = np.asarray(newmods, dtype=float)
        has_int = res.coef_names[0] == "intrcpt"
        nmod = res.p - (1 if has_int else 0)
        Xn = Xn.reshape(-1, 1) if (Xn.ndim == 1 and nmod == 1) else np.atleast_2d(Xn)
        if Xn.shape[1] != nmod:
            raise SynthesisError(f"newmods has {Xn.shape[1]} columns, the model has {nmod} moderators")
        if has_int:
            Xn = np.column_stack([np.ones(len(Xn)), Xn])
    alpha = eng.level_alpha(res.level)
    crit = _dist.t_isf(alpha / 2, res.dfs) if res.dfs is not None else _dist.norm_isf(alpha / 2)
    pred = Xn @ res.estimate
    se = np.sqrt(np.einsum("ij,jk,ik->i", Xn, res.vb, Xn))
    sp = np.sqrt(se**2 + res.tau2)
    return {"pred": pred, "se": se, "ci_lb": pred - crit * se, "ci_ub": pred + crit * se,
            "pi_lb": pred - crit * sp, "pi_ub": pred + crit * sp}
