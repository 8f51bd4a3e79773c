"""Subgroup analysis: separate pools per subgroup and the test for subgroup differences.

Subgroups are taken in R's factor order (``levels(factor(groups))``, see ``_factor``), so the
first one is metafor's reference level in the common-tau^2 model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _dist
from . import _engine as eng
from ._checks import check_yi_vi
from ._factor import r_levels
from .errors import SynthesisError
from .metareg import MetaRegResult, metareg
from .rma import RMAResult, rma


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


def subgroup(yi: Any, vi: Any, groups: Sequence[Any], method: str = "REML", test: str = "z",
             level: float = 95, slab: Sequence[str] | None = None,
             control: eng.Control | None = None) -> SubgroupResult:
    y, v = check_yi_vi(yi, vi, slab)
    g = np.asarray([str(x) for x in groups])
    if len(g) != len(y):
        raise SynthesisError(f"groups has {len(g)} labels for {len(y)} studies")
    levels = tuple(r_levels(g.tolist()))  # R's factor() order: the first is the reference
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
    return SubgroupResult(levels, fits, fe.QE, df, float(_dist.chi2_sf(fe.QE, df)), common)
