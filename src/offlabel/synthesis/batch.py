"""Many independent meta-analyses in one call, without a Python loop over analyses.

``rma_batch(yi, vi, group)`` pools every group of a long (tidy) table: one row per study, a
group column saying which meta-analysis it belongs to (the layout of a DataFrame). Results
are arrays with one entry per group, identical to calling :func:`rma` group by group (the
same engine does the work; see ``_engine``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Literal

import numpy as np

from . import _dist
from . import _engine as eng
from .errors import SynthesisError


@dataclass(frozen=True)
class BatchResult:
    """Per-group results; ``groups[i]`` labels entry i of every array. ``weights`` is per row
    of the input (percent within its group)."""

    groups: np.ndarray
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    tau2: np.ndarray
    se_tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray
    QE: np.ndarray
    dfs: np.ndarray
    iterations: np.ndarray
    method: str
    test: str
    _vi: np.ndarray = field(repr=False)
    _codes: np.ndarray | None = field(repr=False)

    def __len__(self) -> int:
        return len(self.groups)

    @cached_property
    def QEp(self) -> np.ndarray:
        """p-value of the Q test (computed on first access: the chi-square tail is the
        costliest function of a batch)."""
        return np.where(self.k <= 1, 1.0, _dist.special().chdtrc(np.maximum(self.k - 1, 1), self.QE))

    def weights(self) -> np.ndarray:
        """Each input row's weight in its pooled estimate, percent (computed on request: it is
        as large as the input)."""
        t = self.tau2[0] if self._codes is None else self.tau2[self._codes]
        w = 1 / (self._vi + t)
        tot = np.bincount(np.zeros(w.size, dtype=np.intp) if self._codes is None else self._codes,
                          weights=w, minlength=len(self.groups))
        pct: np.ndarray = 100 * w / (tot[0] if self._codes is None else tot[self._codes])
        return pct

    def to_dict(self) -> dict[str, np.ndarray]:
        """Columns for a DataFrame: ``pandas.DataFrame(res.to_dict())``."""
        skip = {"method", "test", "_vi", "_codes"}
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["QEp"] = self.QEp
        return out


def rma_batch(
    yi: Any,
    vi: Any,
    group: Any = None,
    method: str = "REML",
    test: str = "z",
    level: float = 95,
    control: eng.Control | None = None,
    small: Literal["raise", "fe"] = "raise",
) -> BatchResult:
    """Pool every group of ``(yi, vi)`` rows separately (``group``: labels or integer codes;
    None = a single analysis).

    For a table (DataFrame or mapping of columns) see :func:`rma_batch_table`.

    ``small="raise"`` (default) rejects a group with fewer studies than the estimator needs;
    ``small="fe"`` fits such a group with tau^2 = 0, as metafor does for k = 1.
    """
    y = np.ascontiguousarray(yi, dtype=float).ravel()
    v = np.ascontiguousarray(vi, dtype=float).ravel()
    if y.shape != v.shape:
        raise SynthesisError(f"yi has {y.size} values but vi has {v.size}")
    m, t = eng.method_and_test(method, test)
    if group is None:
        labels, codes = np.array([0]), None
    else:
        g = np.asarray(group)
        if g.shape != y.shape:
            raise SynthesisError(f"group has {g.size} labels for {y.size} studies")
        d = np.diff(g) if g.dtype.kind in "iu" and g.size else None
        if d is not None and g[0] == 0 and (d >= 0).all() and g[-1] == np.count_nonzero(d):
            # already 0..G-1 codes in sorted order: no factorising needed
            labels, codes = np.arange(int(g[-1]) + 1), g.astype(np.intp, copy=False)
            sorted_codes = True
        else:
            labels, codes = np.unique(g, return_inverse=True)
            sorted_codes = False
    seg = eng.Segments(codes, y.size, len(labels), is_sorted=group is not None and sorted_codes)

    def name(i: int) -> str:
        x = labels[i]
        return repr(x.item() if hasattr(x, "item") else x)

    def where(bad: np.ndarray, msg: str) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            lab = f"group {name(int(codes[i]))}, " if codes is not None else ""
            raise SynthesisError(f"row {i + 1} ({lab}study {i + 1}): {msg}")

    # one cheap pass when the input is clean; the row-by-row scan only to name a bad row
    if not (np.isfinite(y.sum()) and np.isfinite(v.sum()) and (v.size == 0 or v.min() > 0)):
        where(~np.isfinite(y), "yi is missing or not finite")
        where(~np.isfinite(v), "vi is missing or not finite")
        where(v <= 0, "sampling variance vi must be > 0")
    if seg.kind == "rect":
        k = np.full(seg.G, float(seg.width))
    elif seg.kind == "one":
        k = np.array([float(y.size)])
    else:
        k = np.bincount(seg.group, minlength=seg.G).astype(float)
    need = 1 if m in ("FE", "EE") else 2
    if t in ("knha", "t"):
        need = 2
    if small == "raise" and (k < need).any():
        gi = int(np.flatnonzero(k < need)[0])
        raise SynthesisError(f"group {name(gi)} has k = {int(k[gi])} studies; method {m}"
                             f"{' with knha' if t == 'knha' else ''} needs at least {need}"
                             " (pass small='fe' to pool it with tau^2 = 0)")
    ctl = control or eng.Control()
    ys, vs = seg.shape(y), seg.shape(v)
    fit = eng.estimate_tau2(ys, vs, seg, m, ctl, k)
    s = eng.summarise(ys, vs, seg, m, t, level, fit, k, weights=False, qep=False)
    return BatchResult(labels, s.k, s.estimate, s.se, s.zval, s.pval, s.ci_lb, s.ci_ub,
                       s.pi_lb, s.pi_ub, s.tau2, s.se_tau2, s.I2, s.H2, s.QE, s.dfs,
                       s.iterations, m, t, v, codes)


def rma_batch_table(table: Any, yi: str = "yi", vi: str = "vi", group: str | None = "group",
                    **kwargs: Any) -> BatchResult:
    """:func:`rma_batch` on the named columns of a DataFrame (or any mapping of columns):
    ``rma_batch_table(df, group="outcome_id", method="REML")``."""
    for col in (yi, vi) + ((group,) if group is not None else ()):
        try:
            table[col]
        except (KeyError, IndexError):
            raise SynthesisError(f"table has no column {col!r}") from None
    return rma_batch(np.asarray(table[yi]), np.asarray(table[vi]),
                     None if group is None else np.asarray(table[group]), **kwargs)
