"""Vectorised intercept-only random-effects engine.

One code path serves a single meta-analysis (one segment) and many independent ones (ragged
segments of one flat array): every per-study quantity lives in a flat array and every per-study
sum is a segment sum. There is no Python loop over analyses; the only loops are the iterations of
the iterative estimators, run for all analyses at once (analyses that converged are frozen).

The algebra follows metafor's ``rma.uni`` for an intercept-only model with ``P = W - w w'/sum(w)``
written out as sums of powers of the weights, so no k x k matrix is ever formed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from ._dist import special
from ._zeroin import zeroin
from .errors import ConvergenceError, SynthesisError

Arr = np.ndarray  # float arrays of per-study or per-analysis values (bool masks where named so)

METHODS = ("FE", "EE", "DL", "REML", "ML", "PM", "HE", "HS", "SJ", "EB")
ITERATIVE = ("REML", "ML", "EB", "PM")
LOG2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class Control:
    """Convergence control, metafor's names.

    ``threshold``: Fisher scoring (REML/ML/EB) stops when tau^2 changes by less than this.
    metafor's default is 1e-5; ours is tighter (1e-10) because callers want the exact
    estimate. ``tol``: root-finding tolerance for PM and Q-profile bounds (``None`` = to machine
    precision). ``tau2_max``: upper end of the PM search (``None`` = metafor's default
    ``max(100, 10 * mad(yi)^2)``).
    """

    threshold: float = 1e-10
    maxiter: int = 1000
    tol: float | None = None
    tau2_max: float | None = None
    tau2_init: float | None = None
    ll0check: bool = True
    # Fisher scoring can cycle (a step overshoots, metafor's halving brings it back, repeat);
    # metafor then gives up. With safeguard=True we keep a bracket around the root of the score
    # and bisect whenever a step leaves it, so every analysis converges. False = metafor's
    # iteration exactly (the conformance runner uses that).
    safeguard: bool = True


# metafor's own defaults: stop Fisher scoring at a change of 1e-5, uniroot tol = eps^0.25,
# no safeguard. Use it to reproduce what a metafor user sees, digit for digit.
METAFOR_DEFAULT = Control(threshold=1e-5, maxiter=100, tol=float(np.finfo(float).eps) ** 0.25,
                          safeguard=False)


class Segments:
    """Sums and broadcasts over the analyses (segments) of a flat array."""

    # set by _fe_sums: (y, v, its sums), so one fit computes the 1/vi sums once
    _fe: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def __init__(self, group: np.ndarray | None, n: int, n_groups: int | None = None,
                 is_sorted: bool = False):
        self.n = n
        if group is None:
            self.kind, self.G = "one", 1
            return
        g = np.asarray(group, dtype=np.intp)
        self.G = int(n_groups if n_groups is not None else (g.max() + 1 if n else 0))
        self._group = g
        # equal-sized contiguous segments (the common benchmark layout) become a 2-D block:
        # row sums are a matrix-vector product, broadcasting replaces gathers
        width = n // self.G if self.G else 0
        rect = bool(self.G) and width * self.G == n and g[0] == 0 and g[-1] == self.G - 1
        if rect:
            if not is_sorted:
                is_sorted = not np.any(np.diff(g) < 0)
            # sorted codes whose every row starts and ends on its own index are constant rows
            ids = np.arange(self.G)
            rect = (is_sorted and np.array_equal(g[::width], ids)
                    and np.array_equal(g[width - 1::width], ids))
        if rect:
            self.kind, self.width = "rect", width
            self._ones = np.ones(width)
        else:
            self.kind = "ragged"

    def rows(self, idx: np.ndarray) -> Segments:
        """The segments ``idx`` of a rectangular layout, as their own Segments."""
        sub = Segments.__new__(Segments)
        sub.kind, sub.G, sub.width, sub.n = "rect", len(idx), self.width, len(idx) * self.width
        sub._ones = self._ones
        return sub

    def shape(self, x: np.ndarray) -> np.ndarray:
        """The layout the sums expect: (G, width) for equal-sized segments, else flat.
        Broadcasting a (G, 1) column over a 2-D block is much cheaper than repeating it."""
        return x.reshape(self.G, self.width) if self.kind == "rect" else x

    def counts(self) -> np.ndarray:
        """Studies per segment (float)."""
        c = getattr(self, "_counts", None)
        if c is None:
            if self.kind == "one":
                c = np.array([float(self.n)])
            elif self.kind == "rect":
                c = np.full(self.G, float(self.width))
            else:
                c = np.bincount(self._group, minlength=self.G).astype(float)
            self._counts = c
        return c

    @property
    def group(self) -> np.ndarray:
        if self.kind == "one":  # only built when asked for (it is as long as the data)
            return np.zeros(self.n, dtype=np.intp)
        return self._group

    def sum(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "one":
            return np.array([x.sum()])
        if self.kind == "rect":
            return x @ self._ones
        return np.bincount(self.group, weights=x, minlength=self.G)

    def dot(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Segment sums of a * b without materialising the product where possible."""
        if self.kind == "one":
            return np.array([a @ b])
        if self.kind == "rect":
            return np.asarray(np.einsum("ij,ij->i", a, b))
        return np.bincount(self.group, weights=a * b, minlength=self.G)

    def expand(self, a: np.ndarray) -> np.ndarray:
        if self.kind == "one":
            return a[0] if a.shape == (1,) else a
        if self.kind == "rect":
            return a[:, None]
        return np.asarray(a[self.group])


@dataclass(frozen=True)
class Tau2Fit:
    tau2: np.ndarray
    se_tau2: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def _wsums(y: Arr, v: Arr, tau2: Arr | None, seg: Segments) -> tuple[Arr, Arr, Arr, Arr]:
    """Weights 1/(v + tau2) and the sums the intercept-only formulas need."""
    w = 1.0 / v if tau2 is None else 1.0 / (v + seg.expand(tau2))
    s1 = seg.sum(w)
    mu = seg.dot(w, y) / s1
    r = y - seg.expand(mu)
    return w, s1, mu, r


def _fe_sums(y: Arr, v: Arr, seg: Segments) -> tuple[Arr, Arr, Arr, Arr]:
    """Fixed-effect (w = 1/vi) quantities, computed once per call: DL, HS and the Q test
    all need them. Written with two scratch arrays: at 10^5 studies, fresh allocations (page
    faults) cost more than the arithmetic."""
    cache: tuple[Arr, Arr, tuple[Arr, Arr, Arr, Arr]] | None = getattr(seg, "_fe", None)
    if cache is not None and cache[0] is y and cache[1] is v:
        return cache[2]
    w = np.divide(1.0, v)
    s1 = seg.sum(w)
    mu = seg.dot(w, y) / s1
    buf = np.subtract(y, seg.expand(mu))
    np.square(buf, out=buf)
    rss = seg.dot(w, buf)  # sum w (y - mu)^2
    np.multiply(w, w, out=buf)
    s2 = seg.sum(buf)
    s3 = seg.dot(buf, w)
    trP, trPP = _traces(s1, s2, s3, seg)
    out = (s1, rss, trP, trPP)
    seg._fe = (y, v, out)
    return out


def _trP_trPP(w: Arr, s1: Arr, seg: Segments) -> tuple[Arr, Arr, Arr]:
    ww = w * w
    s2 = seg.sum(ww)
    s3 = seg.dot(ww, w)
    trP, trPP = _traces(s1, s2, s3, seg)
    return s2, trP, trPP


def _traces(s1: Arr, s2: Arr, s3: Arr, seg: Segments) -> tuple[Arr, Arr]:
    """tr(P) and tr(PP) from the power sums of the weights."""
    trP = s1 - s2 / s1
    trPP = s2 - 2.0 * s3 / s1 + (s2 / s1) ** 2
    # when one weight dwarfs the others (vi spanning 1e-8..1e8) these differences lose all
    # their digits and can even turn negative. P has k - 1 positive eigenvalues, so
    # tr(P) > 0 and tr(P)^2/(k-1) <= tr(PP) <= tr(P)^2: keep the values inside those bounds.
    trP = np.maximum(trP, np.finfo(float).tiny)
    km1 = np.maximum(seg.counts() - 1.0, 1.0)
    trPP = np.clip(trPP, trP * trP / km1, trP * trP)
    return trP, trPP


def q_gen(y: Arr, v: Arr, tau2: Arr, seg: Segments) -> Arr:
    """Generalised Q: sum w (y - mu_w)^2 with w = 1/(v + tau2)."""
    w, s1, mu, r = _wsums(y, v, tau2, seg)
    return seg.sum(w * r * r)


def _mad2(y: Arr, seg: Segments, k: Arr) -> Arr:
    """(R's mad(yi))^2 per segment, for metafor's default tau2.max = max(100, 10 mad^2)."""
    if seg.kind == "one":
        med = np.median(y)
        return np.array([(1.4826 * np.median(np.abs(y - med))) ** 2])
    if seg.kind == "rect":
        med = np.median(y, axis=1, keepdims=True)
        return np.asarray((1.4826 * np.median(np.abs(y - med), axis=1)) ** 2)
    out = np.empty(seg.G)
    order = np.argsort(seg.group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(k.astype(int))])
    ys = y[order]
    for gi in range(seg.G):  # only used when PM hits its ceiling check; rare
        s = ys[bounds[gi]:bounds[gi + 1]]
        med = np.median(s)
        out[gi] = (1.4826 * np.median(np.abs(s - med))) ** 2
    return out


def estimate_tau2(y: Arr, v: Arr, seg: Segments, method: str, control: Control = Control(),
                  k: np.ndarray | None = None) -> Tau2Fit:
    """tau^2 and its standard error for every segment, metafor's estimators (intercept only)."""
    G = seg.G
    if k is None:
        k = seg.sum(np.ones_like(y))
    zeros = np.zeros(G)
    ones_i = np.zeros(G, dtype=int)
    conv = np.ones(G, dtype=bool)
    if method in ("FE", "EE"):
        return Tau2Fit(zeros, np.full(G, np.nan), ones_i, conv)
    single = k <= 1  # metafor fits k = 1 with tau2 = 0 whatever the method
    km1 = np.where(single, 1.0, k - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("DL", "HS"):
            s1, rss, trP, trPP = _fe_sums(y, v, seg)
            if method == "DL":
                raw = (rss - km1) / trP
                t = np.maximum(raw, 0)
                se = np.sqrt((2 * km1 + 4 * t * trP + 2 * t * t * trPP) / trP**2)
            else:
                raw = (rss - k) / s1
                t = np.maximum(raw, 0)
                se = np.sqrt((2 * km1 + 4 * t * trP + 2 * t * t * trPP) / s1**2)
            tau2 = t
        elif method == "HE":
            tau2, se = _he(y, v, seg, k, km1)
        elif method == "SJ":
            ybar = seg.sum(y) / k
            d = y - seg.expand(ybar)
            t0 = seg.sum(d * d) / k
            w, s1, mu, r = _wsums(y, v, t0, seg)
            rss = seg.sum(w * r * r)
            tau2 = np.maximum(t0 * rss / km1, 0)
            s2, trP, trPP = _trP_trPP(w, s1, seg)
            ww = w * w
            trPVPV = seg.sum(ww * v * v) - 2 * seg.sum(ww * w * v * v) / s1 + (seg.sum(ww * v) / s1) ** 2
            trPPV = seg.sum(v * ww) - 2 * seg.sum(v * ww * w) / s1 + s2 * seg.sum(v * ww) / s1**2
            se = np.sqrt(t0**2 / km1**2 * (2 * trPVPV + 4 * tau2 * trPPV + 2 * tau2**2 * trPP))
        elif method in ("REML", "ML", "EB"):
            if v.size and not v.min() > 0:
                # a zero sampling variance makes the likelihood unbounded as tau2 -> 0: the
                # estimate is wherever metafor's own Fisher scoring stops, and metafor skips
                # its ll(0) check then (allvipos); see _checks
                control = dataclasses.replace(control, safeguard=False, ll0check=False)
            return _fisher(y, v, seg, method, control, k, km1, single)
        elif method == "PM":
            return _paule_mandel(y, v, seg, control, k, km1, single)
        else:
            raise SynthesisError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    tau2 = np.where(single, 0.0, tau2)
    se = np.where(single, np.nan, se)
    return Tau2Fit(tau2, se, ones_i, conv)


def _he(y: Arr, v: Arr, seg: Segments, k: Arr, km1: Arr) -> tuple[Arr, Arr]:
    ybar = seg.sum(y) / k
    d = y - seg.expand(ybar)
    rss = seg.sum(d * d)
    sv = seg.sum(v)
    sv2 = seg.sum(v * v)
    trPV = sv * (k - 1) / k
    trPVPV = sv2 - 2 * sv2 / k + (sv / k) ** 2
    raw = (rss - trPV) / km1
    t = np.maximum(raw, 0)
    se = np.sqrt((2 * trPVPV + 4 * t * trPV + 2 * t * t * km1) / km1**2)
    return t, se


def _reml_ll(y: Arr, v: Arr, tau2: Arr, seg: Segments, k: Arr, reml: bool) -> Arr:
    w, s1, mu, r = _wsums(y, v, tau2, seg)
    rss = seg.sum(w * r * r)
    slog = seg.sum(np.log(v + seg.expand(tau2)))
    ll: Arr
    if reml:
        ll = -0.5 * (k - 1) * LOG2PI - 0.5 * slog - 0.5 * np.log(s1) - 0.5 * rss
    else:
        ll = -0.5 * k * LOG2PI - 0.5 * slog - 0.5 * rss
    return ll


def _fisher(y: Arr, v: Arr, seg: Segments, method: str, control: Control, k: Arr, km1: Arr,
            single: Arr) -> Tau2Fit:
    """Fisher scoring as in metafor: start at max(0, HE), halve steps that go below 0."""
    if control.safeguard and method in ("REML", "ML"):
        # the likelihood rises from tau2 = 0: one maximum to bracket, Newton finds it fast.
        # Otherwise it may have a boundary and an interior maximum: follow metafor's own
        # small Fisher steps from its start so we settle on the same one (ll0check below).
        g0, _, _ = _score(y, v, seg, np.zeros(seg.G), method)
        rising = (g0 > 0) & ~single
        tau2, iters = _newton(y, v, seg, method, control, k, ~rising)
        if (~rising & ~single).any():
            # scoring until the iterates straddle the root, then Newton inside that bracket
            t_f, it_f, lo, hi = _metafor_scoring(y, v, seg, method, control, k, km1,
                                                 single | rising, bracket=True)
            hand = np.isfinite(lo) & np.isfinite(hi) & ~single & ~rising
            if hand.any():
                t_n, it_n = _newton(y, v, seg, method, control, k, ~hand, t_f, lo, hi)
                t_f = np.where(hand, t_n, t_f)
                it_f = np.where(hand, it_f + it_n, it_f)
            tau2 = np.where(rising, tau2, t_f)
            iters = np.where(rising, iters, it_f)
    elif control.safeguard and method == "EB":
        # EB's estimating equation is Q(tau2) = k - 1, the Paule-Mandel equation: solve it
        # with the bracketed solver instead of scoring, which can cycle
        q0 = q_gen(y, v, np.zeros(seg.G), seg)
        pos = (q0 > km1) & ~single
        tau2 = np.zeros(seg.G)
        if pos.any():
            hi = _upper_bracket(y, v, seg, km1)
            tau2 = np.where(pos, solve_q(y, v, seg, km1, np.zeros(seg.G), hi), 0.0)
        iters = np.ones(seg.G, dtype=int)
    else:
        tau2, iters, _, _ = _metafor_scoring(y, v, seg, method, control, k, km1, single)
    G = seg.G
    if method in ("ML", "REML") and control.ll0check:
        # metafor's guard against a local maximum: compare with the fit at tau2 = 0
        reml = method == "REML"
        ll0 = _reml_ll(y, v, np.zeros(G), seg, k, reml)
        ll1 = _reml_ll(y, v, tau2, seg, k, reml)
        tol = control.tol if control.tol is not None else np.finfo(float).eps ** 0.25
        stuck = (ll0 - ll1 > tol) & (tau2 > control.threshold)
        tau2 = np.where(stuck, 0.0, tau2)
    w, s1, mu, r = _wsums(y, v, tau2, seg)
    s2, trP, trPP = _trP_trPP(w, s1, seg)
    if method == "ML":
        se = np.sqrt(2 / s2)
    elif method == "REML":
        se = np.sqrt(2 / trPP)
    else:
        se = np.sqrt(2 * k * k / km1 / s1**2)
    tau2 = np.maximum(tau2, 0.0)
    return Tau2Fit(tau2, np.where(single, np.nan, se), iters, np.ones(G, dtype=bool))


def _not_converged(method: str, control: Control, active: Arr) -> NoReturn:
    bad = int(np.flatnonzero(active)[0])
    raise ConvergenceError(
        f"{method} Fisher scoring did not converge in {control.maxiter} iterations"
        f" (analysis {bad + 1}); raise control.maxiter or use method='DL'")


def _still_iterating(y: Arr, v: Arr, seg: Segments, active: Arr, compact: bool
                     ) -> tuple[Arr | slice, Segments, Arr, Arr]:
    """What one iteration works on, ``(idx, segments, y, v)``: in the rectangular layout only
    the analyses still iterating (a cheap row gather, so the work shrinks as they converge);
    otherwise all of them, and the caller masks the finished ones."""
    if compact:
        idx = np.flatnonzero(active)
        return idx, seg.rows(idx), y[idx], v[idx]
    return slice(None), seg, y, v


GRID = 24  # grid points searched below a sliding REML/ML iterate, see _metafor_scoring


def _metafor_scoring(y: Arr, v: Arr, seg: Segments, method: str, control: Control, k: Arr,
                     km1: Arr, single: Arr, bracket: bool = False
                     ) -> tuple[Arr, Arr, Arr, Arr]:
    """metafor's Fisher scoring; segments flagged ``single`` are left at 0.

    ``bracket=True``: also track where the score was last positive (lo) and negative (hi)
    and stop a segment as soon as both are known (the caller finishes it with Newton)."""
    G = seg.G
    if control.tau2_init is not None:
        tau2 = np.full(G, float(control.tau2_init))
    else:
        tau2, _ = _he(y, v, seg, k, km1)
        tau2 = np.where(single, 0.0, np.maximum(tau2, 0.0))
    active = ~single
    iters = np.zeros(G, dtype=int)
    lo = np.full(G, -np.inf)
    hi = np.full(G, np.inf)
    it = 0
    compact = seg.kind == "rect"
    while active.any():
        it += 1
        idx, sseg, ys, vs = _still_iterating(y, v, seg, active, compact)
        t, kk, kkm1 = tau2[idx], k[idx], km1[idx]
        w, s1, mu, r = _wsums(ys, vs, t, sseg)
        if method == "EB":
            adj = (sseg.dot(w * r, r) * kk / kkm1 - kk) / s1
        else:
            s2, trP, trPP = _trP_trPP(w, s1, sseg)
            wr = w * r
            ypy2 = sseg.dot(wr, wr)
            adj = (ypy2 - s1) / s2 if method == "ML" else (ypy2 - trP) / trPP
        adj = np.where(np.isfinite(adj), adj, 0.0)
        if not compact:
            adj = np.where(active, adj, 0.0)
        # metafor halves the step until tau2 stays >= 0; at tau2 == 0 that ends in adj = -0
        adj = np.where((t + adj < 0) & (t <= 0), 0.0, adj)
        neg = t + adj < 0
        while neg.any():
            adj = np.where(neg, adj / 2, adj)
            neg = t + adj < 0
        go_on = np.abs(adj) > control.threshold
        if bracket:
            lo_, hi_ = lo[idx], hi[idx]
            lo_ = np.where(adj > 0, t, lo_)
            hi_ = np.where(adj < 0, t, hi_)
            if not compact:
                lo_, hi_ = np.where(active, lo_, lo), np.where(active, hi_, hi)
            lo[idx], hi[idx] = lo_, hi_
            go_on = go_on & ~(np.isfinite(lo_) & np.isfinite(hi_))
            if it >= 8:
                # still sliding down with a negative score (a flat likelihood): scoring would
                # crawl for hundreds of steps. Look below on a grid for the maximum it is
                # heading to: the highest grid point with a positive score brackets it (with
                # the next point up); no positive score anywhere means the boundary, 0.
                slide = go_on & ~np.isfinite(lo_) & (adj < 0)
                if slide.any():
                    top = t + adj
                    glo = np.full_like(t, -np.inf)
                    ghi = np.array(top, copy=True)
                    for j in range(GRID, 0, -1):
                        p = top * (j / (GRID + 1))
                        gj, _, _ = _score(ys, vs, sseg, p, method)
                        first = slide & (gj > 0) & ~np.isfinite(glo)
                        glo = np.where(first, p, glo)
                        ghi = np.where(slide & ~np.isfinite(glo), p, ghi)
                    found = slide & np.isfinite(glo)
                    lo_ = np.where(found, glo, lo_)
                    hi_ = np.where(found, np.where(found, top * 0 + ghi, hi_), hi_)
                    lo[idx], hi[idx] = lo_, hi_
                    adj = np.where(found, 0.5 * (glo + ghi) - t, adj)
                    adj = np.where(slide & ~found, -t, adj)
                    go_on = go_on & ~slide
        if compact:
            tau2[idx] = t + adj
            iters[idx] = it
            active[idx] = go_on
        else:
            tau2 = tau2 + adj
            iters = np.where(active, it, iters)
            active = active & go_on
        if it > control.maxiter and active.any():
            _not_converged(method, control, active)
    return tau2, iters, lo, hi


def _score(y: Arr, v: Arr, seg: Segments, tau2: Arr, method: str) -> tuple[Arr, Arr, Arr]:
    """Twice the ML/REML score in tau2 and its derivative (intercept-only closed forms)."""
    w, s1, mu, r = _wsums(y, v, tau2, seg)
    wr = w * r
    s2, trP, trPP = _trP_trPP(w, s1, seg)
    ypy2 = seg.dot(wr, wr)  # y'PPy
    ypy3 = seg.dot(wr * wr, w) - seg.dot(wr, w) ** 2 / s1  # y'PPPy
    if method == "REML":
        return ypy2 - trP, trPP - 2 * ypy3, trPP
    return ypy2 - s1, s2 - 2 * ypy3, s2


def _newton(y: Arr, v: Arr, seg: Segments, method: str, control: Control, k: Arr, skip: Arr,
            tau2: Arr | None = None, lo: Arr | None = None, hi: Arr | None = None
            ) -> tuple[Arr, Arr]:
    """Exact ML/REML: Newton steps on the score, kept inside a bracket that always shrinks.

    For segments whose score at 0 is positive (the others are ``skip``ped). Starts where
    metafor starts (max(0, HE)); Newton (observed information) converges quadratically
    where Fisher scoring is linear, a Fisher step is used where the likelihood is not locally
    concave (so we only climb), and bisection takes over whenever a step leaves the bracket or
    fails to halve. Steps below zero are halved as in metafor.
    """
    G = seg.G
    km1 = np.where(skip, 1.0, k - 1.0)
    if tau2 is None:
        if control.tau2_init is not None:
            tau2 = np.full(G, float(control.tau2_init))
        else:
            tau2, _ = _he(y, v, seg, k, km1)
            tau2 = np.maximum(tau2, 0.0)
    tau2 = np.where(skip, 0.0, tau2)
    at0 = skip
    # the score is > 0 at lo and < 0 at hi (by default lo = 0, where it is positive here)
    lo = np.zeros(G) if lo is None else np.where(skip, 0.0, lo)
    hi = np.full(G, np.inf) if hi is None else np.where(skip, np.inf, hi)
    prev = np.full(G, np.inf)
    active = ~at0
    iters = np.zeros(G, dtype=int)
    it = 0
    compact = seg.kind == "rect"
    while active.any():
        it += 1
        idx, sseg, ys, vs = _still_iterating(y, v, seg, active, compact)
        t, lo_, hi_, pv = tau2[idx], lo[idx], hi[idx], prev[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            g, h, info = _score(ys, vs, sseg, t, method)
            step = np.where(h < 0, -g / h, g / info)  # Newton if locally concave, else Fisher
        step = np.where(np.isfinite(step), step, 0.0)
        lo_ = np.where(g > 0, np.maximum(lo_, t), lo_)
        hi_ = np.where(g < 0, np.minimum(hi_, t), hi_)
        prop = t + step
        bad = (prop <= lo_) | (prop >= hi_) | (np.abs(step) > 0.5 * pv)
        both = np.isfinite(lo_) & np.isfinite(hi_)
        step = np.where(both & bad, 0.5 * (lo_ + hi_) - t, step)
        # below zero: halve the step as metafor does (at 0 with a negative score: stay)
        step = np.where((t <= 0) & (step < 0), 0.0, step)
        neg = t + step < 0
        while neg.any():
            step = np.where(neg, step / 2, step)
            neg = t + step < 0
        done = (np.abs(step) <= control.threshold) | (g == 0)
        if not compact:
            act = active
            step = np.where(act, step, 0.0)
            lo, hi = np.where(act, lo_, lo), np.where(act, hi_, hi)
            prev = np.where(act, np.abs(step), prev)
            tau2 = tau2 + step
            iters = np.where(act, it, iters)
            active = active & ~done
        else:
            lo[idx], hi[idx], prev[idx] = lo_, hi_, np.abs(step)
            tau2[idx] = t + step
            iters[idx] = it
            active[idx] = ~done
        if it > control.maxiter and active.any():
            _not_converged(method, control, active)
    return tau2, iters


def _upper_bracket(y: Arr, v: Arr, seg: Segments, target: Arr) -> Arr:
    """A tau2 with Q(tau2) <= target for every segment (doubling from a moment estimate)."""
    k = seg.sum(np.ones_like(y))
    ybar = seg.sum(y) / k
    d = y - seg.expand(ybar)
    hi: Arr = np.maximum(seg.sum(d * d) / np.maximum(k - 1, 1), 1e-8) * 2
    for _ in range(200):
        over = q_gen(y, v, hi, seg) > target
        if not over.any():
            break
        hi = np.where(over, hi * 4, hi)
    return hi


def solve_q(y: Arr, v: Arr, seg: Segments, target: Arr, lo: Arr, hi: Arr,
            tol: float | None = None, maxiter: int = 200) -> Arr:
    """Root of Q(tau2) = target in [lo, hi] for every segment (Q is decreasing in tau2).

    Newton steps from the left inside a shrinking bracket, bisection when Newton leaves it.
    Callers make sure Q(lo) >= target >= Q(hi).
    """
    t = np.array(lo, dtype=float, copy=True)
    lo = np.array(lo, dtype=float, copy=True)
    hi = np.array(hi, dtype=float, copy=True)
    active = np.ones(seg.G, dtype=bool)
    for _ in range(maxiter):
        w, s1, mu, r = _wsums(y, v, t, seg)
        f = seg.sum(w * r * r) - target
        fp = -seg.sum(w * w * r * r)
        lo = np.where(active & (f > 0), t, lo)
        hi = np.where(active & (f < 0), t, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(fp < 0, -f / fp, np.inf)
        nt = t + step
        bad = ~np.isfinite(nt) | (nt <= lo) | (nt >= hi)
        nt = np.where(bad, 0.5 * (lo + hi), nt)
        nt = np.where(f == 0, t, nt)
        delta = np.abs(nt - t)
        t = np.where(active, nt, t)
        eps = tol if tol is not None else 4 * np.finfo(float).eps * np.maximum(np.abs(t), 1e-300)
        active = active & (delta > eps) & ((hi - lo) > eps)
        if not active.any():
            break
    return t


def _paule_mandel(y: Arr, v: Arr, seg: Segments, control: Control, k: Arr, km1: Arr,
                  single: Arr) -> Tau2Fit:
    G = seg.G
    q0 = q_gen(y, v, np.zeros(G), seg)
    pos = (q0 >= km1) & ~single
    tau2 = np.zeros(G)
    if pos.any():
        if control.tau2_max is not None:
            tmax = np.full(G, float(control.tau2_max))
        else:
            tmax = np.maximum(100.0, 10 * _mad2(y, seg, k))
        qmax = q_gen(y, v, tmax, seg)
        over = pos & (qmax > km1)
        if over.any():
            bad = int(np.flatnonzero(over)[0])
            raise ConvergenceError(
                f"PM: tau2 lies above the search limit tau2_max = {tmax[bad]:g}"
                f" (analysis {bad + 1}); raise control.tau2_max or use method='DL'")
        if control.tol is not None and seg.kind == "one" and pos[0]:
            # mimic uniroot(tol=...) step for step, see _zeroin
            target = float(km1[0])
            root = np.array([zeroin(lambda t: float(q_gen(y, v, np.array([t]), seg)[0]) - target,
                                    0.0, float(tmax[0]), control.tol, control.maxiter)])
        else:
            root = solve_q(y, v, seg, km1, np.zeros(G), tmax)
        tau2 = np.where(pos, root, 0.0)
    w, s1, mu, r = _wsums(y, v, tau2, seg)
    se = np.sqrt(2 * k * k / km1 / s1**2)
    return Tau2Fit(tau2, np.where(single, np.nan, se), np.ones(G, dtype=int), np.ones(G, dtype=bool))


@dataclass(frozen=True)
class Summary:
    """Per-segment results of an intercept-only fit, all arrays of shape (G,)."""

    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    tau2: np.ndarray
    se_tau2: np.ndarray
    QE: np.ndarray
    QEp: np.ndarray | None
    I2: np.ndarray
    H2: np.ndarray
    vt: np.ndarray
    k: np.ndarray
    dfs: np.ndarray
    weights: np.ndarray | None  # per study, percent within its segment
    iterations: np.ndarray
    converged: np.ndarray


def level_alpha(level: float) -> float:
    lvl = level / 100 if level > 1 else level
    if not 0 < lvl < 1:
        raise SynthesisError(f"level must be in (0, 1) or (0, 100), got {level}")
    return 1 - lvl


def method_and_test(method: str, test: str) -> tuple[str, str]:
    """``method`` and ``test`` in canonical case (REML, knha), checked against what the engine
    knows; case-insensitive like metafor."""
    m = method.upper()
    if m not in METHODS:
        raise SynthesisError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    t = test.lower()
    if t not in ("z", "knha", "t"):
        raise SynthesisError(f"unknown test {test!r}; use 'z', 'knha' or 't'")
    return m, t


def summarise(y: Arr, v: Arr, seg: Segments, method: str, test: str, level: float,
              fit: Tau2Fit, k: np.ndarray, weights: bool = True, qep: bool = True) -> Summary:
    """Everything metafor reports for each segment. ``weights``/``qep`` False skip the
    per-study weights and the Q-test p-value (the chi-square tail is the costliest function
    here); the batch API computes those on request."""
    alpha = level_alpha(level)
    tau2 = fit.tau2
    single = k <= 1
    w = np.add(v, seg.expand(tau2))
    np.divide(1.0, w, out=w)
    s1 = seg.sum(w)
    mu = seg.dot(w, y) / s1
    knha = (test == "knha") & ~single
    tdist = (test in ("knha", "t")) & ~single  # "t": t(k-1) inference without the HK scale
    with np.errstate(divide="ignore", invalid="ignore"):
        vb = 1 / s1
        if test == "knha":
            r = y - seg.expand(mu)
            rss = seg.sum(w * r * r)
            s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / np.where(single, 1, k - 1))
            vb = np.where(knha, s2w * vb, vb)
        se = np.sqrt(vb)
        # Hartung-Knapp with zero residual scatter gives se = 0 (metafor then prints NaN):
        # take the limit, z = 0 for a zero estimate and +/-inf otherwise
        zval = np.where(se > 0, mu / np.where(se > 0, se, 1.0),
                        np.where(mu == 0, 0.0, np.copysign(np.inf, mu)))
        dfs = np.where(tdist, k - 1, np.nan)
        # scipy.special directly: the distribution objects cost more than the arithmetic here
        sc = special()
        pz = 2 * sc.ndtr(-np.abs(zval))
        crit_z = -sc.ndtri(alpha / 2)
        if test in ("knha", "t"):
            dft = np.where(tdist, k - 1, 1)
            pt_ = 2 * sc.stdtr(dft, -np.abs(zval))
            crit_t = -sc.stdtrit(dft, alpha / 2)
            pval = np.where(tdist, pt_, pz)
            crit = np.where(tdist, crit_t, crit_z)
        else:
            pval, crit = pz, np.full(seg.G, crit_z)
        ci_lb, ci_ub = mu - crit * se, mu + crit * se
        sp = np.sqrt(se**2 + tau2)
        pi_lb, pi_ub = mu - crit * sp, mu + crit * sp
        # heterogeneity always uses the fixed-effect weights 1/vi
        _, QE, trP0, _ = _fe_sums(y, v, seg)
        QE = np.maximum(0.0, QE)
        # metafor's allvipos: no Q test, I^2 or H^2 where a vi is not positive
        nonpos = (seg.sum(np.where(v > 0, 0.0, 1.0)) > 0) if v.size and not v.min() > 0 else None
        if nonpos is not None:
            QE = np.where(nonpos, np.nan, QE)
        df = np.where(single, 1, k - 1)
        QEp = np.where(single, 1.0, sc.chdtrc(df, QE)) if qep else None
        vt = (k - 1) / trP0
        if method in ("FE", "EE"):
            # max(0, 100 (QE - df)/QE), written so a tiny QE cannot overflow (0/0 for
            # identical studies is 0, not metafor's NaN)
            big = QE > k - 1
            I2 = np.where(big, 100 * (QE - (k - 1)) / np.where(big, QE, 1.0), 0.0)
            H2 = QE / (k - 1)
        else:
            I2 = 100 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1
        if nonpos is not None:
            I2, H2, vt = (np.where(nonpos, np.nan, x) for x in (I2, H2, vt))
        QE = np.where(single, 0.0, QE)
        I2 = np.where(single, 0.0, I2)
        H2 = np.where(single, 1.0, H2)
        vt = np.where(single, 0.0, vt)
    wpct = 100 * w / seg.expand(s1) if weights else None
    return Summary(mu, se, zval, pval, ci_lb, ci_ub, pi_lb, pi_ub, tau2, fit.se_tau2, QE, QEp,
                   I2, H2, vt, k.astype(int), dfs, wpct, fit.iterations, fit.converged)


def fit_stats(y: Arr, v: Arr, tau2: float, method: str) -> dict[str, float]:
    """metafor's fit.stats column for an intercept-only ML or REML fit."""
    k = len(y)
    w = 1 / (v + tau2)
    s1 = w.sum()
    mu = (w * y).sum() / s1
    rss = (w * (y - mu) ** 2).sum()
    slog = np.log(v + tau2).sum()
    parms = 1 + (0 if method in ("FE", "EE") else 1)
    if method == "REML":
        ll = -0.5 * (k - 1) * LOG2PI + 0.5 * np.log(k) - 0.5 * slog - 0.5 * np.log(s1) - 0.5 * rss
        dev = -2 * ll
        n_eff = k - 1
    else:
        ll = -0.5 * k * LOG2PI - 0.5 * slog - 0.5 * rss
        if k <= 1:
            dev = 0.0
        elif v.min() > 0:
            dev = -2 * (ll - (-0.5 * np.log(2 * np.pi * v)).sum())
        else:  # metafor: no saturated-model term when a vi is not positive
            dev = -2 * ll
        n_eff = k
    m = max(n_eff, parms + 2)
    with np.errstate(divide="ignore"):  # k = 1 under REML: log(0), as R gives -Inf
        bic = float(-2 * ll + parms * np.log(n_eff))
    return {"logLik": float(ll), "deviance": float(dev), "AIC": float(-2 * ll + 2 * parms),
            "BIC": bic, "AICc": float(-2 * ll + 2 * parms * m / (m - parms - 1))}
