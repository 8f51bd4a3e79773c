"""offlabel.synthesis: meta-analysis that reproduces R's metafor, vectorised for corpus scale.

>>> from offlabel.synthesis import escalc, rma
>>> yi, vi = escalc("OR", ai=[4, 6], n1i=[50, 60], ci=[10, 12], n2i=[50, 61])
>>> res = rma(yi, vi, method="REML")
"""

from ._engine import METAFOR_DEFAULT, Control
from .batch import BatchResult, rma_batch
from .bias import RankTest, RegTest, TrimFill, ranktest, regtest, trimfill
from .diagnostics import Influence, SequentialFits, cumul, influence, leave1out
from .errors import ConvergenceError, SynthesisError
from .escalc import escalc, from_ci
from .metareg import MetaRegResult, metareg, predict_mods
from .mh import MHResult, rma_mh, rma_peto
from .rma import Prediction, RMAResult, TauCI, confint, fit_stats, predict, rma
from .subgroup import SubgroupResult, subgroup

__all__ = [
    "METAFOR_DEFAULT",
    "BatchResult",
    "Control",
    "ConvergenceError",
    "Influence",
    "MHResult",
    "MetaRegResult",
    "Prediction",
    "RMAResult",
    "RankTest",
    "RegTest",
    "SequentialFits",
    "SubgroupResult",
    "SynthesisError",
    "TauCI",
    "TrimFill",
    "confint",
    "cumul",
    "escalc",
    "fit_stats",
    "from_ci",
    "influence",
    "leave1out",
    "metareg",
    "predict",
    "predict_mods",
    "ranktest",
    "regtest",
    "rma",
    "rma_batch",
    "rma_mh",
    "rma_peto",
    "subgroup",
    "trimfill",
]
