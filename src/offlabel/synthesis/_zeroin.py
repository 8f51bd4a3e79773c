"""Brent's zeroin root finder, step for step as R's ``uniroot()`` runs it.

metafor solves the Paule-Mandel equation and the Q-profile bounds with ``uniroot(tol=...)``;
with its default ``tol`` (about 1.2e-4) the answer depends on the exact sequence of iterates.
Following the same algorithm (Brent 1973, as in R's zeroin.c) reproduces metafor's printed
numbers rather than only the exact root.
"""

from __future__ import annotations

from collections.abc import Callable

EPS = 2.220446049250313e-16


def zeroin(f: Callable[[float], float], ax: float, bx: float, tol: float,
           maxiter: int = 1000, fa: float | None = None, fb: float | None = None) -> float:
    a, b = float(ax), float(bx)
    fa = f(a) if fa is None else fa
    fb = f(b) if fb is None else fb
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ArithmeticError("zeroin did not converge")
