"""``rma``: fixed- and random-effects meta-analysis, metafor's ``rma.uni`` for one pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np

from . import _dist
from . import _engine as eng
from ._checks import all_positive, check_yi_vi, refuse_estimator, refuse_infinite_weight, warn_no_q
from ._checks import check_method as _check_method
from ._zeroin import zeroin
from .errors import SynthesisError
from .metareg import MetaRegResult, metareg

Method = Literal["FE", "EE", "DL", "REML", "ML", "PM", "HE", "HS", "SJ", "EB"]
Test = Literal["z", "knha", "t"]


@dataclass(frozen=True)
class RMAResult:
    """One pooled estimate, metafor's names (``ci_lb`` for ``ci.lb``). ``I2`` and ``weights`` in %."""

    estimate: float
    se: float
    zval: float  # a t statistic when test is "knha" or "t"
    pval: float
    ci_lb: float
    ci_ub: float
    tau2: float  # 0 for FE/EE
    se_tau2: float | None
    I2: float
    H2: float
    QE: float
    QEp: float
    k: int
    weights: np.ndarray
    pi_lb: float
    pi_ub: float
    method: str
    test: str
    level: float
    dfs: int | None
    vt: float  # "typical" within-study variance used for I2/H2
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)
    slab: tuple[str, ...] | None = field(default=None, repr=False)
    iterations: int = 0
    control: eng.Control = field(default=eng.Control(), repr=False)

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.tau2))

    def predict(self) -> Prediction:
        return predict(self)

    def confint(self, level: float | None = None) -> TauCI:
        return confint(self, level=level)


@dataclass(frozen=True)
class Prediction:
    """metafor's ``predict()`` for an intercept-only model."""

    pred: float
    se: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float


@dataclass(frozen=True)
class Interval:
    estimate: float
    ci_lb: float
    ci_ub: float


@dataclass(frozen=True)
class TauCI:
    """Q-profile confidence intervals for tau^2, tau, I^2 and H^2 (metafor's ``confint()``).

    ``lb_sign``/``ub_sign``: ``""`` bound found; ``"<"`` below the search interval (value shown is
    its lower end, 0); ``">"`` above it (value shown is its upper end).
    """

    tau2: Interval
    tau: Interval
    I2: Interval
    H2: Interval
    lb_sign: str
    ub_sign: str


@overload
def rma(yi: Any, vi: Any, method: Method | str = ..., test: Test | str = ..., level: float = ...,
        slab: Sequence[str] | None = ..., mods: None = ..., intercept: bool = ...,
        control: eng.Control | None = ...) -> RMAResult: ...


@overload
def rma(yi: Any, vi: Any, method: Method | str = ..., test: Test | str = ..., level: float = ...,
        slab: Sequence[str] | None = ..., *, mods: Any, intercept: bool = ...,
        control: eng.Control | None = ...) -> MetaRegResult: ...


def rma(
    yi: Any,
    vi: Any,
    method: Method | str = "REML",
    test: Test | str = "z",
    level: float = 95,
    slab: Sequence[str] | None = None,
    mods: Any = None,
    intercept: bool = True,
    control: eng.Control | None = None,
) -> RMAResult | MetaRegResult:
    """Meta-analysis of ``yi`` with sampling variances ``vi``, like ``metafor::rma()``.

    ``method``: FE/EE (fixed/equal effects) or a tau^2 estimator DL, REML, ML, PM, HE, HS, SJ,
    EB. ``test``: ``"z"``, ``"knha"`` (Hartung-Knapp) or ``"t"`` (t distribution, no
    rescaling). ``level`` 95 or 0.95. With ``mods``
    (a k x m array of moderators, or a dict name -> column) this is a meta-regression and returns
    :class:`offlabel.synthesis.metareg.MetaRegResult`.

    Sampling variances <= 0 are accepted as metafor accepts them, with its warnings
    (:class:`~offlabel.synthesis.errors.SynthesisWarning`): negative ones become 0, QE, QEp,
    I2 and H2 are NaN, and the estimators that need 1/vi (DL, HS, PM), or a model that would
    give a study infinite weight (FE, tau^2 = 0), raise SynthesisError.
    """
    if mods is not None:
        return metareg(yi, vi, mods, method=method, test=test, level=level, slab=slab,
                       intercept=intercept, control=control)
    y, v = check_yi_vi(yi, vi, slab)
    m, t = _check_method(method, test, len(y))
    return _fit(y, v, m, t, level, slab, control or eng.Control())


def _fit(y: np.ndarray, v: np.ndarray, method: str, test: str, level: float,
         slab: Sequence[str] | None = None, control: eng.Control = eng.Control(),
         warn: bool = True) -> RMAResult:
    """Fit without input validation (internal: leave1out, cumul, trimfill, k = 1 allowed).

    ``warn=False``: no SynthesisWarning (refits inside diagnostics, as metafor suppresses its
    warnings there); errors are raised all the same."""
    seg = eng.Segments(None, len(y))
    k = np.array([float(len(y))])
    if len(y) == 1:
        test = "z"  # as metafor
    allpos = all_positive(v)
    if not allpos:
        refuse_estimator(v, method, slab)
    fit = eng.estimate_tau2(y, v, seg, method, control, k)
    if not allpos:
        refuse_infinite_weight(v, float(fit.tau2[0]), slab)
        if warn:
            warn_no_q(int_only=True)
    s = eng.summarise(y, v, seg, method, test, level, fit, k)
    fe = method in ("FE", "EE")
    se_tau2 = None if fe or not np.isfinite(s.se_tau2[0]) else float(s.se_tau2[0])
    return RMAResult(
        estimate=float(s.estimate[0]), se=float(s.se[0]), zval=float(s.zval[0]),
        pval=float(s.pval[0]), ci_lb=float(s.ci_lb[0]), ci_ub=float(s.ci_ub[0]),
        tau2=float(s.tau2[0]), se_tau2=se_tau2, I2=float(s.I2[0]), H2=float(s.H2[0]),
        QE=float(s.QE[0]), QEp=float(s.QEp[0]) if s.QEp is not None else float("nan"), k=len(y), weights=np.asarray(s.weights, float),
        pi_lb=float(s.pi_lb[0]), pi_ub=float(s.pi_ub[0]), method=method, test=test,
        level=float(level), dfs=int(s.dfs[0]) if np.isfinite(s.dfs[0]) else None,
        vt=float(s.vt[0]), yi=y, vi=v, slab=tuple(slab) if slab is not None else None,
        iterations=int(s.iterations[0]), control=control,
    )


def predict(res: RMAResult) -> Prediction:
    """Pooled estimate with its CI and the prediction interval (``mu +/- crit sqrt(se^2 + tau2)``)."""
    return Prediction(res.estimate, res.se, res.ci_lb, res.ci_ub, res.pi_lb, res.pi_ub)


def fit_stats(res: RMAResult) -> dict[str, float] | None:
    """logLik, deviance, AIC, BIC, AICc for ML and REML fits (REML versions for REML)."""
    if res.method not in ("ML", "REML"):
        return None
    return eng.fit_stats(res.yi, res.vi, res.tau2, res.method)


def confint(res: RMAResult, level: float | None = None, tau2_max: float | None = None,
            tol: float | None = None) -> TauCI:
    """Q-profile confidence interval for tau^2 (and tau, I^2, H^2), as ``metafor::confint()``.

    The bounds solve ``Q(tau2) = chi2_{k-1}`` quantiles exactly (to machine precision unless
    ``tol`` is given). The search interval is ``[0, tau2_max]`` with metafor's default
    ``tau2_max = max(100, 10 tau2)``.
    """
    if res.method in ("FE", "EE"):
        raise SynthesisError("confint: no tau^2 in a fixed-effect model")
    if res.k < 2:
        raise SynthesisError("confint: needs k >= 2")
    if not all_positive(res.vi):
        raise SynthesisError("confint: cannot compute a CI for tau^2 when there are non-positive"
                             " sampling variances in the data")
    alpha = eng.level_alpha(level if level is not None else res.level)
    y, v, k = res.yi, res.vi, res.k
    tmin = min(0.0, res.tau2)
    tmax = tau2_max if tau2_max is not None else (
        res.control.tau2_max if res.control.tau2_max is not None else max(100.0, 10 * res.tau2))
    crit_u = _dist.chi2_isf(alpha / 2, k - 1)  # large quantile -> lower bound
    crit_l = _dist.chi2_ppf(alpha / 2, k - 1)  # small quantile -> upper bound
    seg = eng.Segments(None, len(y))

    def q(t: float) -> float:
        return float(eng.q_gen(y, v, np.array([t]), seg)[0])

    tol = tol if tol is not None else res.control.tol

    def root(target: float) -> float:
        if tol is not None:  # reproduce uniroot(tol=...) as metafor calls it
            return zeroin(lambda t: q(t) - target, tmin, tmax, tol, 1000)
        return float(_dist.optimize().brentq(lambda t: q(t) - target, tmin, tmax, xtol=1e-300,
                                             rtol=4 * np.finfo(float).eps, maxiter=1000))

    q_max, q_min = q(tmax), q(tmin)
    lb_sign = ub_sign = ""
    if q_min < crit_l:
        lb = ub = tmin
        lb_sign = ub_sign = "<"
    elif q_max > crit_l:
        ub, ub_sign = tmax, ">"
    else:
        ub = root(crit_l)
    if q_max > crit_u:
        lb = ub = tmax
        lb_sign = ub_sign = ">"
    elif q_min < crit_u:
        lb = tmin
    else:
        lb = root(crit_u)
    vt = res.vt

    def i2(t: float) -> float:
        return 100 * t / (vt + t)

    def h2(t: float) -> float:
        return t / vt + 1

    return TauCI(
        tau2=Interval(res.tau2, lb, ub),
        tau=Interval(float(np.sqrt(res.tau2)), float(np.sqrt(lb)), float(np.sqrt(ub))),
        I2=Interval(res.I2, i2(lb), i2(ub)),
        H2=Interval(res.H2, h2(lb), h2(ub)),
        lb_sign=lb_sign, ub_sign=ub_sign,
    )
