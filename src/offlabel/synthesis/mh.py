"""Mantel-Haenszel and Peto pooling of 2x2 tables (metafor's ``rma.mh`` and ``rma.peto``).

Both pool the raw counts (no continuity correction). The heterogeneity statistics follow
metafor: ``rma.mh`` computes Q from escalc-type ``yi/vi`` (1/2 added to tables with a zero
cell, double-zero tables dropped); ``rma.peto`` from the Peto O-E and V of the raw counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _dist
from . import _engine as eng
from .errors import SynthesisError
from .escalc import AddTo, Slab, _check, escalc


@dataclass(frozen=True)
class MHResult:
    """Pooled fixed-effect estimate of k tables. ``k_yi`` tables have a finite ``yi`` (used for Q).

    OR only: ``MH``/``MHp`` Cochran-Mantel-Haenszel test, ``CO``/``COp`` Cochran's version
    (without the N-1), ``BD``/``BDp`` Breslow-Day and ``TA``/``TAp`` Tarone's adjusted
    Breslow-Day test of homogeneity of the odds ratios.
    """

    measure: str
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    QE: float
    QEp: float
    I2: float
    H2: float
    k: int
    k_yi: int
    MH: float | None = None
    MHp: float | None = None
    CO: float | None = None
    COp: float | None = None
    BD: float | None = None
    BDp: float | None = None
    TA: float | None = None
    TAp: float | None = None


def _non_events(events: np.ndarray, cell: Any, total: Any, names: tuple[str, str, str],
                slab: Slab) -> np.ndarray:
    """One group's non-event cell: ``cell`` as given, else the group ``total`` less the events.
    ``names``: how the events, the cell and the total are called in messages."""
    if cell is not None:
        return np.asarray(cell, dtype=float)
    ev, cell_name, total_name = names
    if total is None:
        raise SynthesisError(f"need {cell_name} or {total_name}")
    n = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore"):
        _check(events > n, f"events {ev} greater than the group total {total_name}", slab)
    rest: np.ndarray = n - events
    return rest


Tables = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _tables(ai: Any, bi: Any, ci: Any, di: Any, n1i: Any, n2i: Any, slab: Slab) -> Tables:
    a = np.asarray(ai, dtype=float)
    c = np.asarray(ci, dtype=float)
    b = _non_events(a, bi, n1i, ("ai", "bi", "n1i"), slab)
    d = _non_events(c, di, n2i, ("ci", "di", "n2i"), slab)
    if not (len(a) == len(b) == len(c) == len(d)):
        raise SynthesisError("ai, bi, ci, di have different lengths")
    with np.errstate(invalid="ignore"):
        for name, x in (("ai", a), ("bi", b), ("ci", c), ("di", d)):
            _check(x < 0, f"{name} is negative", slab)
    return a, b, c, d


def _complete_tables(measure: str, ai: Any, bi: Any, ci: Any, di: Any, n1i: Any, n2i: Any,
                     slab: Slab, add: float, to: AddTo,
                     drop00: bool) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """The escalc-type ``yi/vi`` of every table (what Q is computed from), and the tables
    without a missing count (metafor's ``na.omit``), which are what gets pooled."""
    a, b, c, d = _tables(ai, bi, ci, di, n1i, n2i, slab)
    yi, vi = escalc(measure, ai=a, bi=b, ci=c, di=d, add=add, to=to, drop00=drop00,
                    nan_policy="propagate")
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    return yi, vi, (a[ok], b[ok], c[ok], d[ok])


def _het(yi: np.ndarray, vi: np.ndarray, est: float) -> tuple[float, float, float, float, int]:
    ok = np.isfinite(yi) & np.isfinite(vi)
    y, v = yi[ok], vi[ok]
    kyi = len(y)
    if kyi > 1:
        QE = max(0.0, float(np.sum((y - est) ** 2 / v)))
        return QE, float(_dist.chi2_sf(QE, kyi - 1)), max(0.0, 100 * (QE - (kyi - 1)) / QE) if QE > 0 else 0.0, QE / (kyi - 1), kyi
    return 0.0, 1.0, 0.0, 1.0, kyi


def _wald(est: float, se: float, level: float) -> tuple[float, float, float, float]:
    z = est / se
    crit = _dist.norm_isf(eng.level_alpha(level) / 2)
    return z, float(2 * _dist.norm_sf(abs(z))), est - crit * se, est + crit * se


def _mh_result(measure: str, est: float, se: float, level: float, yi: np.ndarray,
               vi: np.ndarray, k: int, extra: dict[str, float | None]) -> MHResult:
    """The pooled estimate with its Wald test and CI; Q, I2 and H2 from the escalc-type
    ``yi/vi`` of every table (as ``rma.mh`` does, not from the MH weights)."""
    z, p, lb, ub = _wald(est, se, level)
    QE, QEp, I2, H2, kyi = _het(yi, vi, est)
    return MHResult(measure, est, se, float(z), p, float(lb), float(ub), QE, QEp, float(I2),
                    float(H2), k, kyi, **extra)


def rma_mh(ai: Any = None, bi: Any = None, ci: Any = None, di: Any = None, n1i: Any = None,
           n2i: Any = None, measure: str = "OR",
           correct: bool = True, level: float = 95, slab: Sequence[str] | None = None,
           add: float = 0.5, to: AddTo = "only0", drop00: bool = True,
           x1i: Any = None, x2i: Any = None, t1i: Any = None, t2i: Any = None) -> MHResult:
    """Mantel-Haenszel pooled OR, RR or RD (Robins-Breslow-Greenland / Greenland-Robins
    variances) from 2x2 tables, or IRR/IRD from events ``x1i, x2i`` over person-times
    ``t1i, t2i``.

    Tables with a missing count are skipped (as metafor's ``na.omit``). ``add``/``to``/``drop00``
    only shape the escalc-type yi/vi behind the Q statistic.
    """
    measure = measure.upper()
    if measure in ("IRR", "IRD"):
        return _mh_rates(measure, x1i, x2i, t1i, t2i, correct, level, add, to, drop00)
    if measure not in ("OR", "RR", "RD"):
        raise SynthesisError(f"rma_mh: measure must be OR, RR, RD, IRR or IRD, got {measure!r}")
    yi, vi, (a, b, c, d) = _complete_tables(measure, ai, bi, ci, di, n1i, n2i, slab, add, to,
                                            drop00)
    k = len(a)
    if k < 1:
        raise SynthesisError("rma_mh: no complete 2x2 tables")
    n1, n2 = a + b, c + d
    N = n1 + n2
    extra: dict[str, float | None] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            P = a / N + d / N
            Q = b / N + c / N
            Ri = (a / N) * d
            Si = (b / N) * c
            R, S = Ri.sum(), Si.sum()
            if R == 0 or S == 0:
                raise SynthesisError("rma_mh: the MH odds ratio is not estimable (no events in a"
                                     " diagonal of every table)")
            est = float(np.log(R / S))
            se = float(np.sqrt(0.5 * (np.sum(P * Ri) / R**2 + np.sum(P * Si + Q * Ri) / (R * S)
                                      + np.sum(Q * Si) / S**2)))
            extra = _or_tests(a, b, c, d, n1, n2, N, R / S, correct)
        elif measure == "RR":
            R = np.sum(a * (n2 / N))
            S = np.sum(c * (n1 / N))
            if a.sum() == 0 or c.sum() == 0:
                raise SynthesisError("rma_mh: the MH risk ratio is not estimable (no events in a group)")
            est = float(np.log(R / S))
            se = float(np.sqrt(np.sum((n1 / N) * (n2 / N) * (a + c) - (a / N) * c) / (R * S)))
        else:
            den = np.sum(n1 * (n2 / N))
            est = float(np.sum(a * (n2 / N) - c * (n1 / N)) / den)
            se = float(np.sqrt((est * np.sum(c * (n1 / N) ** 2 - a * (n2 / N) ** 2
                                             + (n1 / N) * (n2 / N) * (n2 - n1) / 2)
                                + np.sum(a * (n2 - c) / N + c * (n1 - a) / N) / 2) / den**2))
    return _mh_result(measure, est, se, level, yi, vi, k, extra)


def _mh_rates(measure: str, x1i: Any, x2i: Any, t1i: Any, t2i: Any, correct: bool, level: float,
              add: float, to: AddTo, drop00: bool) -> MHResult:
    if any(x is None for x in (x1i, x2i, t1i, t2i)):
        raise SynthesisError(f"rma_mh: measure {measure} needs x1i, x2i, t1i and t2i")
    x1, x2, t1, t2 = (np.asarray(x, dtype=float) for x in (x1i, x2i, t1i, t2i))
    yi, vi = escalc(measure, x1i=x1, x2i=x2, t1i=t1, t2i=t2, add=add, to=to, drop00=drop00,
                    nan_policy="propagate")
    ok = np.isfinite(x1) & np.isfinite(x2) & np.isfinite(t1) & np.isfinite(t2)
    x1, x2, t1, t2 = x1[ok], x2[ok], t1[ok], t2[ok]
    k = len(x1)
    if k < 1:
        raise SynthesisError("rma_mh: no complete rows")
    T = t1 + t2
    extra: dict[str, float | None] = {}
    if measure == "IRR":
        R = np.sum(x1 * (t2 / T))
        S = np.sum(x2 * (t1 / T))
        if x1.sum() == 0 or x2.sum() == 0:
            raise SynthesisError("rma_mh: the MH rate ratio is not estimable (no events in a group)")
        est = float(np.log(R / S))
        se = float(np.sqrt(np.sum((t1 / T) * (t2 / T) * (x1 + x2)) / (R * S)))
        xt = x1 + x2
        if xt.sum() == 0:
            extra.update(MH=None, MHp=None)
        else:
            MH = float((abs(np.sum(x1 - xt * (t1 / T))) - (0.5 if correct else 0.0)) ** 2
                       / np.sum(xt * (t1 / T) * (t2 / T)))
            extra.update(MH=MH, MHp=float(_dist.chi2_sf(MH, 1)))
    else:
        den = np.sum((t1 / T) * t2)
        est = float(np.sum((x1 * t2 - x2 * t1) / T) / den)
        se = float(np.sqrt(np.sum(((t1 / T) * t2) ** 2 * (x1 / t1**2 + x2 / t2**2))) / den)
    return _mh_result(measure, est, se, level, yi, vi, k, extra)


def _or_tests(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, n1: np.ndarray,
              n2: np.ndarray, N: np.ndarray, psi: float, correct: bool) -> dict[str, float | None]:
    xt, yt = a + c, b + d
    out: dict[str, float | None] = {}
    if xt.sum() == 0 or yt.sum() == 0:
        out.update(MH=None, MHp=None, CO=None, COp=None)
    else:
        dev = (abs(np.sum(a - (n1 / N) * xt)) - (0.5 if correct else 0.0)) ** 2
        CO = float(dev / np.sum((n1 / N) * (n2 / N) * (xt * (yt / N))))
        MH = float(dev / np.sum((n1 / N) * (n2 / N) * (xt * (yt / (N - 1)))))
        out.update(CO=CO, COp=float(_dist.chi2_sf(CO, 1)), MH=MH, MHp=float(_dist.chi2_sf(MH, 1)))
    # Breslow-Day: expected a-cell under the common OR psi, from the quadratic in metafor
    if psi == 1:
        N11 = (n1 / N) * xt
    else:
        A = psi * (n1 + xt) + (n2 - xt)
        B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
        N11 = (A - B) / (2 * (psi - 1))
    pos = (N11 > 0) & (xt > 0) & (yt > 0)
    kpos = int(pos.sum())
    N11 = N11[pos]
    N12 = n1[pos] - N11
    N21 = xt[pos] - N11
    N22 = N11 - n1[pos] - xt[pos] + N[pos]
    var = 1 / (1 / N11 + 1 / N12 + 1 / N21 + 1 / N22)
    BD = max(0.0, float(np.sum((a[pos] - N11) ** 2 / var)))
    TA = max(0.0, BD - float(np.sum(a[pos] - N11) ** 2 / np.sum(var)))
    out.update(BD=BD, TA=TA,
               BDp=float(_dist.chi2_sf(BD, kpos - 1)) if kpos > 1 else None,
               TAp=float(_dist.chi2_sf(TA, kpos - 1)) if kpos > 1 else None)
    return out


def rma_peto(ai: Any = None, bi: Any = None, ci: Any = None, di: Any = None, n1i: Any = None,
             n2i: Any = None, level: float = 95,
             slab: Sequence[str] | None = None, add: float = 0.5, to: AddTo = "only0",
             drop00: bool = True) -> MHResult:
    """Peto's one-step log odds ratio: ``sum(O - E) / sum(V)``, ``se = 1/sqrt(sum(V))``."""
    yi, vi, (a, b, c, d) = _complete_tables("PETO", ai, bi, ci, di, n1i, n2i, slab, add, to,
                                            drop00)
    k = len(a)
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    with np.errstate(divide="ignore", invalid="ignore"):
        E = xt * n1 / N
        V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    V = np.where(np.isfinite(V), V, 0.0)
    sv = V.sum()
    if sv == 0:
        raise SynthesisError("rma_peto: every table has zero variance (no events or no non-events)")
    est = float(np.sum(a - E) / sv)
    se = float(1 / np.sqrt(sv))
    z, p, lb, ub = _wald(est, se, level)
    kyi = int(np.sum(np.isfinite(yi) & np.isfinite(vi)))
    pos = V > 0
    QE = max(0.0, float(np.sum((a - E)[pos] ** 2 / V[pos]) - np.sum(a - E) ** 2 / V[pos].sum()))
    if int(pos.sum()) > 1:
        QEp = float(_dist.chi2_sf(QE, kyi - 1))
        I2 = max(0.0, 100 * (QE - (kyi - 1)) / QE) if QE > 0 else 0.0
        H2 = QE / (kyi - 1)
    else:
        QEp, I2, H2 = 1.0, 0.0, 1.0
    return MHResult("PETO", est, se, float(z), p, float(lb), float(ub), QE, QEp, float(I2),
                    float(H2), k, kyi)
