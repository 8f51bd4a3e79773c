"""Leave-one-out, cumulative meta-analysis and influence diagnostics (metafor's ``leave1out``,
``cumul`` and ``influence`` for intercept-only models)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _dist
from .errors import SynthesisError
from .rma import RMAResult, _fit


@dataclass(frozen=True)
class SequentialFits:
    """One refit per row: ``slab[i]`` names the study left out (leave1out) or the last study
    added (cumul). Arrays follow metafor's columns; ``Q``/``Qp`` are the refits' QE/QEp."""

    slab: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    Q: np.ndarray
    Qp: np.ndarray
    tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray


def _labels(res: RMAResult) -> tuple[str, ...]:
    return res.slab if res.slab is not None else tuple(str(i + 1) for i in range(res.k))


def _refit(y: np.ndarray, v: np.ndarray, res: RMAResult) -> RMAResult | None:
    """A refit, or None when it cannot be computed (metafor reports NA for that row)."""
    try:
        return _fit(y, v, res.method, res.test, res.level, None, res.control, warn=False)
    except SynthesisError:
        return None


def _collect(fits: list[RMAResult | None], slab: Sequence[str]) -> SequentialFits:
    def col(name: str) -> np.ndarray:
        return np.array([np.nan if f is None else getattr(f, name) for f in fits], dtype=float)

    return SequentialFits(tuple(slab), col("estimate"), col("se"), col("zval"), col("pval"),
                          col("ci_lb"), col("ci_ub"), col("QE"), col("QEp"), col("tau2"),
                          col("I2"), col("H2"), col("pi_lb"), col("pi_ub"))


def leave1out(res: RMAResult) -> SequentialFits:
    """Refit the model once without each study (same method, test, level and control).

    A refit that cannot be computed (an iterative estimator that does not converge) gives a
    row of NaN, as metafor's NA.
    """
    if res.k < 2:
        raise SynthesisError("leave1out needs k >= 2")
    keep = ~np.eye(res.k, dtype=bool)
    fits = [_refit(res.yi[m], res.vi[m], res) for m in keep]
    return _collect(fits, _labels(res))


def cumul(res: RMAResult, order: Sequence[Any] | np.ndarray | None = None) -> SequentialFits:
    """Cumulative meta-analysis: refit on the first 1, 2, ..., k studies.

    ``order``: a sort key per study (e.g. publication year); ties keep the data order, as R's
    ``order()``. Default: data order.
    """
    idx = np.arange(res.k) if order is None else np.argsort(np.asarray(order), kind="stable")
    if order is not None and len(idx) != res.k:
        raise SynthesisError(f"order has {len(idx)} values for {res.k} studies")
    y, v = res.yi[idx], res.vi[idx]
    fits = [_refit(y[: i + 1], v[: i + 1], res) for i in range(res.k)]
    lab = _labels(res)
    return _collect(fits, [lab[i] for i in idx])


@dataclass(frozen=True)
class Influence:
    """Case-deletion diagnostics of Viechtbauer & Cheung (2010), metafor's ``influence()``.

    ``is_infl`` flags a study when |dffits| > 3 sqrt(p/(k-p)), the chi2_p probability of
    cook_d exceeds 0.5, hat > 3p/k, or |dfbs| > 1.
    """

    slab: tuple[str, ...]
    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    QE_del: np.ndarray
    hat: np.ndarray
    weight: np.ndarray
    dfbs: np.ndarray
    is_infl: np.ndarray


def influence(res: RMAResult) -> Influence:
    k = res.k
    if k < 2:
        raise SynthesisError("influence needs k >= 2")
    y, v = res.yi, res.vi
    w = 1 / (v + res.tau2)
    hat = w / w.sum()
    vb = res.se**2
    keep = ~np.eye(k, dtype=bool)
    dels = [_refit(y[m], v[m], res) for m in keep]
    nan = float("nan")
    tau2_del = np.array([nan if f is None else f.tau2 for f in dels])
    QE_del = np.array([nan if f is None else f.QE for f in dels])
    beta_del = np.array([nan if f is None else f.estimate for f in dels])
    vb_del_fit = np.array([nan if f is None else f.se**2 for f in dels])
    if res.test == "knha":
        s2w = np.array([nan if f is None else f.se**2 * np.sum(1 / (v[m] + f.tau2))
                        for f, m in zip(dels, keep, strict=True)])
    else:
        s2w = np.ones(k)
    vb_del = 1 / np.array([np.sum(1 / (v + t)) for t in tau2_del])
    with np.errstate(invalid="ignore"):
        return _influence_stats(res, y, v, hat, vb, tau2_del, QE_del, beta_del, vb_del_fit, s2w,
                                vb_del)


def _influence_stats(res: RMAResult, y: np.ndarray, v: np.ndarray, hat: np.ndarray, vb: float,
                     tau2_del: np.ndarray, QE_del: np.ndarray, beta_del: np.ndarray,
                     vb_del_fit: np.ndarray, s2w: np.ndarray, vb_del: np.ndarray) -> Influence:
    k, p = res.k, 1
    dfb = res.estimate - beta_del
    dffits = dfb / np.sqrt(s2w * hat * (tau2_del + v))
    dfbs = dfb / np.sqrt(s2w * vb_del)
    cook = dfb**2 / vb
    cov_r = vb_del_fit / vb
    resid = y - beta_del
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0  # as metafor
    rstudent = resid / np.sqrt(v * s2w + vb_del_fit + tau2_del * s2w)
    infl = ~np.isnan(dffits) & ((np.abs(dffits) > 3 * np.sqrt(p / (k - p)))
                                 | (_dist.chi2_cdf(cook, p) > 0.5) | (hat > 3 * p / k)
                                 | (np.abs(dfbs) > 1))
    return Influence(_labels(res), rstudent, dffits, cook, cov_r, tau2_del, QE_del, hat,
                     100 * hat, dfbs, infl)
