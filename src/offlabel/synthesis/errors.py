"""The one exception type of offlabel.synthesis."""

from __future__ import annotations


class SynthesisError(ValueError):
    """Bad input or a fit that cannot be computed; the message is one line naming the study."""


class ConvergenceError(SynthesisError):
    """An iterative tau^2 estimator (REML, ML, EB, PM) did not converge."""
