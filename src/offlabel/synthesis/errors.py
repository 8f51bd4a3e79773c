"""The exceptions of offlabel.synthesis (defined in offlabel.errors, the one tree) and the one
warning category of ours.

``SynthesisWarning`` is what metafor says with ``warning()``: the fit goes ahead but something
about it needs the reader's eye (non-positive sampling variances, a Q test that cannot be
computed). A category of its own lets a caller silence or escalate exactly these
(``warnings.simplefilter("error", SynthesisWarning)``).
"""

from __future__ import annotations

from offlabel.errors import ConvergenceError, SynthesisError

__all__ = ["ConvergenceError", "SynthesisError", "SynthesisWarning"]


class SynthesisWarning(UserWarning):
    """A metafor warning: the result stands but has a caveat (the message says which)."""
