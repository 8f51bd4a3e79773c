"""The exceptions of offlabel.synthesis (defined in offlabel.errors, the one tree)."""

from __future__ import annotations

from offlabel.errors import ConvergenceError, SynthesisError

__all__ = ["ConvergenceError", "SynthesisError"]
