"""offlabel.synthesis: meta-analysis that reproduces R's metafor, vectorised for corpus scale.

>>> from offlabel.synthesis import escalc, rma
>>> yi, vi = escalc("OR", ai=[4, 6], n1i=[50, 60], ci=[10, 12], n2i=[50, 61])
>>> res = rma(yi, vi, method="REML")
"""

from ._engine import METAFOR_DEFAULT, Control
from .errors import ConvergenceError, SynthesisError
from .escalc import escalc, from_ci
from .rma import Prediction, RMAResult, TauCI, confint, fit_stats, predict, rma

__all__ = [
    "METAFOR_DEFAULT",
    "Control",
    "ConvergenceError",
    "Prediction",
    "RMAResult",
    "SynthesisError",
    "TauCI",
    "confint",
    "escalc",
    "fit_stats",
    "from_ci",
    "predict",
    "rma",
]
