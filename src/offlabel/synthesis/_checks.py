"""Input checks shared by ``rma`` and ``metareg``, and metafor's rules for sampling variances
that are not positive.

It sits below both modules so that ``rma`` may call ``metareg`` (for ``mods=``) without
``metareg`` importing ``rma`` back.

metafor (``rma.uni``, 3.8 and still in 5.x) accepts ``vi <= 0`` once missing values are gone:
it warns "There are outcomes with non-positive sampling variances.", sets negative values to 0
("Negative sampling variances constrained to zero."), and keeps those studies. What then fails
is whatever needs ``1/vi``: the DL, HS and PM estimators stop with an error, ML/REML skip their
check of the likelihood at tau^2 = 0, any fit whose weight ``1/(vi + tau^2)`` is infinite (a
fixed-effect model, or tau^2 = 0) stops with "Division by zero when computing the inverse
variance weights.", and the Q test, I^2 and H^2 are NA with the warning "Cannot compute Q-test,
I^2, or H^2 when there are non-positive sampling variances in the data.". The functions below
repeat each rule; the messages keep metafor's meaning and name the first study concerned.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from . import _engine as eng
from .errors import SynthesisError, SynthesisWarning

# estimators metafor refuses when a sampling variance is not positive (they divide by vi)
NEEDS_POSITIVE_VI = ("DL", "HS", "PM")


def _name(i: int, slab: Sequence[str] | None) -> str:
    return f"study {i + 1} ({slab[i]!r})" if slab is not None else f"study {i + 1}"


def _studies(idx: np.ndarray, slab: Sequence[str] | None) -> str:
    shown = ", ".join(_name(int(i), slab) for i in idx[:3])
    return shown + (f" and {len(idx) - 3} more" if len(idx) > 3 else "")


_PACKAGE = str(Path(__file__).resolve().parent)


def warn(message: str) -> None:
    """A SynthesisWarning attributed to the first caller outside this package (the user's
    ``rma(...)`` line, however deep inside synthesis the rule was checked)."""
    level = 2
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, SynthesisWarning, stacklevel=level)


def check_yi_vi(yi: Any, vi: Any, slab: Sequence[str] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays; bad input raises naming the first offending study.

    Sampling variances <= 0 are accepted with metafor's warning (negative ones become 0, with
    a second warning); what the model can then do is decided by :func:`nonpositive_rules`.
    """
    y = np.atleast_1d(np.asarray(yi, dtype=float))
    v = np.atleast_1d(np.asarray(vi, dtype=float))
    if y.ndim != 1 or v.ndim != 1:
        raise SynthesisError(f"yi and vi must be one-dimensional, got shapes {y.shape} and {v.shape}")
    if len(y) != len(v):
        raise SynthesisError(f"yi has {len(y)} values but vi has {len(v)}")
    if slab is not None and len(slab) != len(y):
        raise SynthesisError(f"slab has {len(slab)} labels for {len(y)} studies")
    for arr, what in ((y, "yi"), (v, "vi")):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            i = int(bad[0])
            raise SynthesisError(f"{_name(i, slab)}: {what} is {arr[i]} (missing or not finite)")
    return y, constrain_vi(v, slab)


def constrain_vi(v: np.ndarray, slab: Sequence[str] | None = None) -> np.ndarray:
    """metafor's first step with ``vi <= 0``: warn, and set negative variances to 0."""
    nonpos = np.flatnonzero(v <= 0)
    if nonpos.size == 0:
        return v
    # metafor stays quiet when the user set every vi to 0 on purpose (its vi0 flag)
    if not np.all(v == 0):
        warn("There are outcomes with non-positive sampling variances: "
             f"{_studies(nonpos, slab)}.")
    neg = np.flatnonzero(v < 0)
    if neg.size:
        v = np.where(v < 0, 0.0, v)
        warn(f"Negative sampling variances constrained to zero: {_studies(neg, slab)}.")
    return v


def check_method(method: str, test: str, k: int) -> tuple[str, str]:
    """``method``/``test`` in canonical case, and enough studies for them."""
    m, t = eng.method_and_test(method, test)
    if k < 1:
        raise SynthesisError("no studies to pool (k = 0)")
    if m not in ("FE", "EE") and k < 2:
        raise SynthesisError(f"method {m} needs at least 2 studies to estimate tau^2, got k = {k};"
                             " use method='FE'")
    if t in ("knha", "t") and k < 2:
        raise SynthesisError(f"test='{t}' needs at least 2 studies")
    return m, t


def all_positive(v: np.ndarray) -> bool:
    """metafor's ``allvipos``."""
    return bool(v.size == 0 or v.min() > 0)


def refuse_estimator(v: np.ndarray, method: str, slab: Sequence[str] | None = None) -> None:
    """DL, HS and PM need 1/vi: metafor stops when a vi is not positive."""
    if method in NEEDS_POSITIVE_VI and not all_positive(v):
        i = int(np.flatnonzero(v <= 0)[0])
        raise SynthesisError(f"{method} estimator cannot be used when there are non-positive "
                             f"sampling variances in the data ({_name(i, slab)}: vi = {v[i]:g})")


def refuse_infinite_weight(v: np.ndarray, tau2: float, slab: Sequence[str] | None = None) -> None:
    """A study with vi + tau^2 = 0 would get an infinite weight: metafor stops."""
    bad = np.flatnonzero(v + tau2 <= 0)
    if bad.size:
        i = int(bad[0])
        raise SynthesisError("division by zero when computing the inverse variance weights: "
                             f"{_name(i, slab)} has vi = {v[i]:g} and tau^2 = {tau2:g}")


def warn_no_q(int_only: bool) -> None:
    warn(f"Cannot compute {'Q' if int_only else 'QE'}-test, I^2, or H^2 when there are "
         "non-positive sampling variances in the data.")
