"""Subgroup analysis: separate pools per subgroup and the test for subgroup differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import _engine as eng
from .errors import SynthesisError
from .metareg import MetaRegResult, metareg
from .rma import RMAResult, check_yi_vi, rma


@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup fits (each with its own tau^2) and the test for subgroup differences:
    ``Q_between`` is the Q of a fixed-effect meta-analysis of the subgroup estimates, chi-square
    with ``df`` = groups - 1 (as RevMan and ``rma(est, sei=se, method="FE")`` on the fits).
    ``common_tau2``: the alternative test (moderator model with a common tau^2, metafor's QM)."""

    groups: tuple[str, ...]
    fits: dict[str, RMAResult]
    Q_between: float
    df: int
    pval: float
    common_tau2: MetaRegResult | None


def subgroup(yi, vi, groups: Sequence, method: str = "REML", test: str = "z", level: float = 95,
             slab: Sequence[str] | None = None, control: eng.Control | None = None) -> SubgroupResult:
    y, v = check_yi_vi(yi, vi, slab)
    g = np.asarray([str(x) for x in groups])
    if len(g) != len(y):
        raise SynthesisError(f"groups has {len(g)} labels for {len(y)} studies")
    levels = tuple(sorted(set(g.tolist())))
    if len(levels) < 2:
        raise SynthesisError(f"subgroup analysis needs at least 2 groups, got {len(levels)}")
    fits: dict[str, RMAResult] = {}
    for lev in levels:
        m = g == lev
        sl = [s for s, keep in zip(slab, m, strict=True) if keep] if slab is not None else None
        meth = method if m.sum() >= 2 else "FE"  # a single study has no tau^2 to estimate
        try:
            fits[lev] = rma(y[m], v[m], method=meth, test=test if m.sum() >= 2 else "z",
                            level=level, slab=sl, control=control)
        except SynthesisError as e:
            raise SynthesisError(f"subgroup {lev!r}: {e}") from None
    est = np.array([fits[lev].estimate for lev in levels])
    se = np.array([fits[lev].se for lev in levels])
    fe = rma(est, se**2, method="FE")
    common = None
    if len(y) > len(levels):
        dummies = {f"{lev}": (g == lev).astype(float) for lev in levels[1:]}
        try:
            common = metareg(y, v, dummies, method=method, test=test, level=level, control=control)
        except SynthesisError:
            common = None
    df = len(levels) - 1
    return SubgroupResult(levels, fits, fe.QE, df, float(stats.chi2.sf(fe.QE, df)), common)
