"""Effect sizes and their sampling variances, following metafor's ``escalc``.

Every function returns ``(yi, vi)`` as float ndarrays on the analysis scale (log for ratios,
logit for PLO, Fisher z for ZCOR). Conventions copied from metafor 3.8 on purpose, because the
point is that a reviewer can reproduce our numbers in R:

* 2x2 tables (RR, OR, RD, PETO): ``add=1/2`` is added to all four cells of a table that has a
  zero cell (``to="only0"``); double-zero tables are kept unless ``drop00=True``.
* PR and PLO: ``add`` is added to ``xi`` and ``ni - xi`` when ``xi == 0`` or ``xi == ni``.
* SMD is Hedges' g with the exact small-sample correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from . import _dist
from .errors import SynthesisError

ArrayLike = float | Sequence[float] | np.ndarray
NanPolicy = Literal["raise", "propagate"]
AddTo = Literal["only0", "all", "if0all", "none"]  # which tables/rows get ``add``
Slab = Sequence[str] | None
Pair = tuple[np.ndarray, np.ndarray]  # (yi, vi)

TWO_BY_TWO = ("RR", "OR", "RD", "PETO")
CONTINUOUS = ("MD", "SMD", "ROM")
CORRELATION = ("COR", "ZCOR")
PROPORTION = ("PR", "PLO", "PAS", "PFT")
RATES = ("IRR", "IRD", "IR", "IRLN")  # incidence rates: events over person-time
MEASURES = TWO_BY_TWO + CONTINUOUS + CORRELATION + PROPORTION + RATES
# measures analysed on the log scale: a reported ratio is converted with log()
RATIO_MEASURES = ("OR", "RR", "HR", "IRR", "ROM", "PETO")


def _arr(x: ArrayLike | None, name: str) -> np.ndarray | None:
    if x is None:
        return None
    a = np.atleast_1d(np.asarray(x, dtype=float))
    if a.ndim != 1:
        raise SynthesisError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def _given(x: ArrayLike | None, name: str) -> np.ndarray:
    a = _arr(x, name)
    if a is None:
        raise SynthesisError(f"{name} is required")
    return a


def _label(i: int, slab: Sequence[str] | None) -> str:
    return f"study {i + 1} ({slab[i]!r})" if slab is not None else f"study {i + 1}"


def _same_length(slab: Sequence[str] | None, **cols: np.ndarray | None) -> int:
    lens = {n: len(c) for n, c in cols.items() if c is not None}
    if len(set(lens.values())) > 1:
        detail = ", ".join(f"{n}={k}" for n, k in lens.items())
        raise SynthesisError(f"inputs have different lengths: {detail}")
    k = next(iter(lens.values()))
    if slab is not None and len(slab) != k:
        raise SynthesisError(f"slab has {len(slab)} labels for {k} studies")
    return k


def _check(cond: np.ndarray, msg: str, slab: Sequence[str] | None) -> None:
    """Raise naming the first study where ``cond`` is True."""
    bad = np.flatnonzero(cond)
    if bad.size:
        raise SynthesisError(f"{_label(int(bad[0]), slab)}: {msg}")


def _missing(nan_policy: NanPolicy, slab: Slab, **cols: np.ndarray | None) -> np.ndarray:
    """Rows with a missing input; with nan_policy='raise' the first one is an error."""
    miss = np.zeros(len(next(c for c in cols.values() if c is not None)), dtype=bool)
    for name, c in cols.items():
        if c is None:
            continue
        m = ~np.isfinite(c)
        if nan_policy == "raise":
            _check(m, f"{name} is missing or not finite", slab)
        miss |= m
    return miss


def escalc(
    measure: str,
    *,
    ai: ArrayLike | None = None,
    bi: ArrayLike | None = None,
    ci: ArrayLike | None = None,
    di: ArrayLike | None = None,
    n1i: ArrayLike | None = None,
    n2i: ArrayLike | None = None,
    m1i: ArrayLike | None = None,
    m2i: ArrayLike | None = None,
    sd1i: ArrayLike | None = None,
    sd2i: ArrayLike | None = None,
    xi: ArrayLike | None = None,
    ni: ArrayLike | None = None,
    ri: ArrayLike | None = None,
    x1i: ArrayLike | None = None,
    x2i: ArrayLike | None = None,
    t1i: ArrayLike | None = None,
    t2i: ArrayLike | None = None,
    ti: ArrayLike | None = None,
    add: float = 0.5,
    to: AddTo = "only0",
    drop00: bool = False,
    slab: Sequence[str] | None = None,
    nan_policy: NanPolicy = "raise",
) -> tuple[np.ndarray, np.ndarray]:
    """Compute ``(yi, vi)`` like ``metafor::escalc(measure, ...)``.

    ``nan_policy="propagate"`` gives NaN (metafor's NA) for rows with missing input instead of
    raising; it is what a data frame with gaps needs.
    """
    measure = measure.upper()
    if measure in TWO_BY_TWO:
        return _escalc_2x2(measure, ai, bi, ci, di, n1i, n2i, add, to, drop00, slab, nan_policy)
    if measure in CONTINUOUS:
        return _escalc_cont(measure, m1i, sd1i, n1i, m2i, sd2i, n2i, slab, nan_policy)
    if measure in CORRELATION:
        return _escalc_cor(measure, ri, ni, slab, nan_policy)
    if measure in PROPORTION:
        return _escalc_prop(measure, xi, ni, add, to, slab, nan_policy)
    if measure in ("IRR", "IRD"):
        return _escalc_rates2(measure, x1i, t1i, x2i, t2i, add, to, drop00, slab, nan_policy)
    if measure in ("IR", "IRLN"):
        return _escalc_rate1(measure, xi, ti, add, to, slab, nan_policy)
    raise SynthesisError(f"unknown effect size measure {measure!r}; known: {', '.join(MEASURES)}")


def _escalc_2x2(measure: str, ai: ArrayLike | None, bi: ArrayLike | None, ci: ArrayLike | None,
                di: ArrayLike | None, n1i: ArrayLike | None, n2i: ArrayLike | None, add: float,
                to: AddTo, drop00: bool, slab: Slab, nan_policy: NanPolicy) -> Pair:
    A, C = _arr(ai, "ai"), _arr(ci, "ci")
    if A is None or C is None:
        raise SynthesisError(f"measure {measure} needs ai and ci")
    B = _non_events(measure, A, _arr(bi, "bi"), _arr(n1i, "n1i"), ("ai", "bi", "n1i"), slab)
    D = _non_events(measure, C, _arr(di, "di"), _arr(n2i, "n2i"), ("ci", "di", "n2i"), slab)
    k = _same_length(slab, ai=A, bi=B, ci=C, di=D)
    miss = _missing(nan_policy, slab, ai=A, bi=B, ci=C, di=D)
    with np.errstate(invalid="ignore"):
        for name, c in (("ai", A), ("bi", B), ("ci", C), ("di", D)):
            _check(~miss & (c < 0), f"{name} is negative ({name} = {c[~miss & (c < 0)][:1]})", slab)
    a, b, c_, d = (np.where(miss, np.nan, x).astype(float) for x in (A, B, C, D))
    if drop00:
        both0 = ((a == 0) & (c_ == 0)) | ((b == 0) & (d == 0))
        miss = miss | both0
    a, b, c_, d = _add_2x2(a, b, c_, d, add, to, miss)
    n1, n2 = a + b, c_ + d
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(a * d / (b * c_))
            vi = 1 / a + 1 / b + 1 / c_ + 1 / d
        elif measure == "RR":
            yi = np.log((a / n1) / (c_ / n2))
            vi = 1 / a - 1 / n1 + 1 / c_ - 1 / n2
        elif measure == "RD":
            p1, p2 = a / n1, c_ / n2
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        else:  # PETO
            n = n1 + n2
            xt, yt = a + c_, b + d
            oe = a - n1 * xt / n
            v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
            yi = oe / v
            vi = 1 / v
    return _finish_estimable(yi, vi, miss, k, nan_policy,
                             f"{measure} is not estimable from this table (empty group?)", slab)


def _non_events(measure: str, events: np.ndarray, cell: np.ndarray | None,
                total: np.ndarray | None, names: tuple[str, str, str], slab: Slab) -> np.ndarray:
    """One group's non-event cell: ``cell`` as given, else the group ``total`` less the events.
    ``names``: how the events, the cell and the total are called in messages."""
    if cell is not None:
        return cell
    ev, cell_name, total_name = names
    if total is None:
        raise SynthesisError(f"measure {measure} needs {cell_name} or {total_name}")
    _same_length(slab, **{ev: events, total_name: total})
    _check(events > total, f"events {ev} greater than the group total {total_name}", slab)
    rest: np.ndarray = total - events
    return rest


def _add_2x2(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, add: float, to: AddTo,
             miss: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if to == "none" or add == 0:
        return a, b, c, d  # the cells as given, not copies with zeros added
    with np.errstate(invalid="ignore"):
        zero = ((a == 0) | (b == 0) | (c == 0) | (d == 0)) & ~miss
    bump = _zero_add(zero, miss, add, to)
    return a + bump, b + bump, c + bump, d + bump


def _finish(yi: np.ndarray, vi: np.ndarray, miss: np.ndarray, k: int) -> Pair:
    yi = np.where(miss, np.nan, yi).astype(float).reshape(k)
    vi = np.where(miss, np.nan, vi).astype(float).reshape(k)
    return yi, vi


def _finish_estimable(yi: np.ndarray, vi: np.ndarray, miss: np.ndarray, k: int,
                      nan_policy: NanPolicy, why: str, slab: Slab) -> Pair:
    """``_finish``; with nan_policy='raise' a row whose yi/vi came out non-finite from complete
    input is an error saying ``why``, not a silent NaN. A zero ``vi`` (RD of a double-zero table
    with ``add=0``, MD with zero SDs) is a value, as in metafor: ``rma`` decides what it allows."""
    yi, vi = _finish(yi, vi, miss, k)
    if nan_policy == "raise":
        _check(~np.isfinite(yi) | ~np.isfinite(vi), why, slab)
    return yi, vi


def _required(measure: str, slab: Slab, nan_policy: NanPolicy,
              **given: ArrayLike | None) -> tuple[int, np.ndarray, list[np.ndarray]]:
    """The inputs ``measure`` needs, all of them (an error names the absent ones): their
    length k, the rows with a missing value, and the columns with those rows set to NaN."""
    opt = {n: _arr(x, n) for n, x in given.items()}
    absent = [n for n, c in opt.items() if c is None]
    if absent:
        raise SynthesisError(f"measure {measure} needs {', '.join(absent)}")
    cols = {n: c for n, c in opt.items() if c is not None}
    k = _same_length(slab, **cols)
    miss = _missing(nan_policy, slab, **cols)
    return k, miss, [np.where(miss, np.nan, c) for c in cols.values()]


def _escalc_cont(measure: str, m1i: ArrayLike | None, sd1i: ArrayLike | None,
                 n1i: ArrayLike | None, m2i: ArrayLike | None, sd2i: ArrayLike | None,
                 n2i: ArrayLike | None, slab: Slab, nan_policy: NanPolicy) -> Pair:
    k, miss, (m1, s1, n1, m2, s2, n2) = _required(
        measure, slab, nan_policy, m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i)
    with np.errstate(invalid="ignore"):
        _check(~miss & ((n1 < 1) | (n2 < 1)), "group sizes must be >= 1", slab)
        _check(~miss & ((s1 < 0) | (s2 < 0)), "standard deviations must be >= 0", slab)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "MD":
            yi = m1 - m2
            vi = s1**2 / n1 + s2**2 / n2
        elif measure == "ROM":
            yi = np.log(m1 / m2)
            vi = s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2)
        else:  # SMD, Hedges' g
            m = n1 + n2 - 2
            sc = _dist.special()
            sdp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
            j = np.exp(sc.gammaln(m / 2) - 0.5 * np.log(m / 2) - sc.gammaln((m - 1) / 2))
            yi = j * (m1 - m2) / sdp
            vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
    return _finish_estimable(yi, vi, miss, k, nan_policy,
                             f"{measure} is not estimable (zero SD, n or mean?)", slab)


def _escalc_cor(measure: str, ri: ArrayLike | None, ni: ArrayLike | None, slab: Slab,
                nan_policy: NanPolicy) -> Pair:
    r, n = _arr(ri, "ri"), _arr(ni, "ni")
    if r is None or n is None:
        raise SynthesisError(f"measure {measure} needs ri and ni")
    k = _same_length(slab, ri=r, ni=n)
    miss = _missing(nan_policy, slab, ri=r, ni=n)
    with np.errstate(invalid="ignore"):
        _check(~miss & (np.abs(r) > 1), "correlation ri outside [-1, 1]", slab)
        _check(~miss & (n < (4 if measure == "ZCOR" else 2)),
               f"sample size ni too small for {measure}", slab)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "ZCOR":
            yi, vi = np.arctanh(r), 1 / (n - 3)
        else:
            yi, vi = r.copy(), (1 - r**2) ** 2 / (n - 1)
    return _finish(yi, vi, miss, k)


def _escalc_prop(measure: str, xi: ArrayLike | None, ni: ArrayLike | None, add: float, to: AddTo,
                 slab: Slab, nan_policy: NanPolicy) -> Pair:
    x, n = _arr(xi, "xi"), _arr(ni, "ni")
    if x is None or n is None:
        raise SynthesisError(f"measure {measure} needs xi and ni")
    k = _same_length(slab, xi=x, ni=n)
    miss = _missing(nan_policy, slab, xi=x, ni=n)
    with np.errstate(invalid="ignore"):
        _check(~miss & (x > n), "events xi greater than the total ni", slab)
        _check(~miss & ((x < 0) | (n <= 0)), "xi must be >= 0 and ni > 0", slab)
    x, n = np.where(miss, np.nan, x), np.where(miss, np.nan, n)
    if measure in ("PR", "PLO") and to != "none" and add != 0:
        with np.errstate(invalid="ignore"):
            edge = (x == 0) | (x == n)
        if to == "all":
            sel = ~miss
        elif to == "if0all":
            sel = ~miss if edge.any() else edge
        else:
            sel = edge
        x = x + np.where(sel, add, 0.0)
        n = n + np.where(sel, 2 * add, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        if measure == "PR":
            yi, vi = p, p * (1 - p) / n
        elif measure == "PLO":
            yi, vi = np.log(p / (1 - p)), 1 / (n * p * (1 - p))
        elif measure == "PAS":
            yi, vi = np.arcsin(np.sqrt(p)), 1 / (4 * n)
        else:  # PFT, Freeman-Tukey double arcsine
            yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
            vi = 1 / (4 * n + 2)
    return _finish_estimable(yi, vi, miss, k, nan_policy,
                             f"{measure} is not estimable here (proportion of 0 or 1?)", slab)


def _zero_add(sel_zero: np.ndarray, miss: np.ndarray, add: float, to: AddTo) -> np.ndarray:
    if to == "none" or add == 0:
        return np.zeros(len(miss))
    if to == "all":
        sel = ~miss
    elif to == "if0all":
        sel = ~miss if sel_zero.any() else sel_zero
    elif to == "only0":
        sel = sel_zero
    else:
        raise SynthesisError(f"to must be 'only0', 'all', 'if0all' or 'none', got {to!r}")
    return np.where(sel, add, 0.0)


def _escalc_rates2(measure: str, x1i: ArrayLike | None, t1i: ArrayLike | None,
                   x2i: ArrayLike | None, t2i: ArrayLike | None, add: float, to: AddTo,
                   drop00: bool, slab: Slab, nan_policy: NanPolicy) -> Pair:
    k, miss, (x1, t1, x2, t2) = _required(measure, slab, nan_policy,
                                          x1i=x1i, t1i=t1i, x2i=x2i, t2i=t2i)
    with np.errstate(invalid="ignore"):
        _check(~miss & ((x1 < 0) | (x2 < 0)), "event counts must be >= 0", slab)
        _check(~miss & ((t1 <= 0) | (t2 <= 0)), "person-times must be > 0", slab)
        if drop00:
            miss = miss | ((x1 == 0) & (x2 == 0))
        bump = _zero_add(((x1 == 0) | (x2 == 0)) & ~miss, miss, add, to)
    x1, x2 = x1 + bump, x2 + bump
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = x1 / t1, x2 / t2
        if measure == "IRR":
            yi, vi = np.log(r1) - np.log(r2), 1 / x1 + 1 / x2
        else:
            yi, vi = r1 - r2, r1 / t1 + r2 / t2
    return _finish_estimable(yi, vi, miss, k, nan_policy,
                             f"{measure} is not estimable here (no events?)", slab)


def _escalc_rate1(measure: str, xi: ArrayLike | None, ti: ArrayLike | None, add: float,
                  to: AddTo, slab: Slab, nan_policy: NanPolicy) -> Pair:
    x, t = _arr(xi, "xi"), _arr(ti, "ti")
    if x is None or t is None:
        raise SynthesisError(f"measure {measure} needs xi and ti")
    k = _same_length(slab, xi=x, ti=t)
    miss = _missing(nan_policy, slab, xi=x, ti=t)
    x, t = np.where(miss, np.nan, x), np.where(miss, np.nan, t)
    with np.errstate(invalid="ignore"):
        _check(~miss & (x < 0), "event count xi must be >= 0", slab)
        _check(~miss & (t <= 0), "person-time ti must be > 0", slab)
        x = x + _zero_add((x == 0) & ~miss, miss, add, to)
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = x / t
        yi, vi = (ir, ir / t) if measure == "IR" else (np.log(ir), 1 / x)
    return _finish_estimable(yi, vi, miss, k, nan_policy,
                             f"{measure} is not estimable here (no events?)", slab)


def from_ci(
    measure: str,
    estimate: ArrayLike,
    ci_lb: ArrayLike,
    ci_ub: ArrayLike,
    level: float = 0.95,
    slab: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A reported estimate with its confidence interval, as ``(yi, vi)``.

    Ratios (OR, RR, HR, IRR, ROM) go to the log scale; differences (MD, SMD, RD, ...) stay as
    they are. ``vi`` comes from the CI width (``se = width / (2 z)``); asymmetric intervals
    (rounded reports) are averaged on the analysis scale. ``level`` is 0.95 or 95.
    """
    m = measure.upper()
    est, lb, ub = (_given(x, n) for x, n in ((estimate, "estimate"), (ci_lb, "ci_lb"), (ci_ub, "ci_ub")))
    _same_length(slab, estimate=est, ci_lb=lb, ci_ub=ub)
    _missing("raise", slab, estimate=est, ci_lb=lb, ci_ub=ub)
    lvl = level / 100 if level > 1 else level
    if not 0 < lvl < 1:
        raise SynthesisError(f"level must be in (0, 1) or (0, 100), got {level}")
    _check(~((lb <= est) & (est <= ub)), "estimate lies outside its confidence interval", slab)
    _check(~(lb < ub), "confidence interval has zero width", slab)
    if m in RATIO_MEASURES:
        _check(lb <= 0, f"{m} confidence bounds must be > 0", slab)
        est, lb, ub = np.log(est), np.log(lb), np.log(ub)
    z = _dist.norm_ppf(1 - (1 - lvl) / 2)
    se = (ub - lb) / (2 * z)
    return est.astype(float), se**2
