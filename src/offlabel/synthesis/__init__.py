"""offlabel.synthesis: meta-analysis that reproduces R's metafor, vectorised for corpus scale.

Effect sizes and pooling::

    from offlabel.synthesis import escalc, from_ci, rma
    yi, vi = escalc("OR", ai=[4, 6], n1i=[50, 60], ci=[10, 12], n2i=[50, 61])
    yi2, vi2 = from_ci("OR", 6.3, 2.4, 16.1)          # "OR 6.3 (2.4-16.1)" -> log scale
    res = rma(yi, vi, method="REML", test="knha")      # metafor's names: res.tau2, res.I2, ...
    res.confint()                                      # Q-profile CI for tau^2, I^2, H^2

Beyond one pool: ``rma(yi, vi, mods=...)`` / ``metareg`` (meta-regression), ``subgroup``,
``rma_mh``, ``rma_peto``, ``leave1out``, ``cumul``, ``influence``, ``regtest``,
``ranktest``, ``trimfill``; ``rma_batch(yi, vi, group)`` pools thousands of analyses in one
vectorised call; ``plots.forest_plot`` / ``plots.funnel_plot`` draw them.

Exactness: with the default :class:`Control` every iterative estimate is solved to machine
precision (REML/ML by safeguarded Newton steps, PM/EB by a bracketed root finder). With
``control=METAFOR_DEFAULT`` the iterations are metafor's own (Fisher scoring stopped at a
1e-5 change, ``uniroot`` with its default tolerance), which reproduces metafor's printed
numbers digit for digit. ``python validation/metafor/conformance.py DIR`` (a script of the
repository, not part of this package) checks all of it against metafor reference files.
"""

from ._engine import METAFOR_DEFAULT, Control
from .batch import BatchResult, rma_batch, rma_batch_table
from .bias import RankTest, RegTest, TrimFill, ranktest, regtest, trimfill
from .diagnostics import Influence, SequentialFits, cumul, influence, leave1out
from .errors import ConvergenceError, SynthesisError, SynthesisWarning
from .escalc import escalc, from_ci
from .metareg import MetaRegResult, metareg, predict_mods
from .mh import MHResult, rma_mh, rma_peto
from .plots import forest_plot, funnel_plot
from .rma import Interval, Prediction, RMAResult, TauCI, confint, fit_stats, predict, rma
from .subgroup import SubgroupResult, subgroup

__all__ = [
    "METAFOR_DEFAULT",
    "BatchResult",
    "Control",
    "ConvergenceError",
    "Influence",
    "Interval",
    "MHResult",
    "MetaRegResult",
    "Prediction",
    "RMAResult",
    "RankTest",
    "RegTest",
    "SequentialFits",
    "SubgroupResult",
    "SynthesisError",
    "SynthesisWarning",
    "TauCI",
    "TrimFill",
    "confint",
    "cumul",
    "escalc",
    "fit_stats",
    "forest_plot",
    "from_ci",
    "funnel_plot",
    "influence",
    "leave1out",
    "metareg",
    "predict",
    "predict_mods",
    "ranktest",
    "regtest",
    "rma",
    "rma_batch",
    "rma_batch_table",
    "rma_mh",
    "rma_peto",
    "subgroup",
    "trimfill",
]
