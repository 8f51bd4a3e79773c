"""Conformance runner: every analysis of metafor reference files, recomputed with offlabel.

    python validation/metafor/conformance.py DIR

reads every ``*.json`` in DIR (the layout of ``tests/data/metafor``: see its README),
evaluates each analysis's recorded R ``call`` with offlabel's functions (``rlite`` parses the
R), compares every field of ``results`` and prints one line per mismatch,
``file: id: field: expected X got Y``, then ``N passed, M failed`` (one analysis = one unit).
Exit status 1 when anything failed. An analysis type or field we cannot compute is a failure.
Where metafor failed (``error``) we must fail too, with the same meaning for the errors about
sampling variances; metafor's warnings about non-positive sampling variances must come out as
our ``SynthesisWarning`` and only there.

This is a validation script, not part of the installed package: it lives beside the reference
data's generators, reads offlabel.synthesis's internals (the fit functions without input
checks) and is run by tests/test_synthesis_conformance.py, which puts this folder on sys.path.

Tolerances (the reference README's): closed-form results rtol 1e-10; ``tight`` twins rtol
1e-8; default-control entries of iterative methods (REML/ML/PM/EB fits, Q-profile CIs) pass
at rtol 1e-8 or within atol 5e-5 on tau^2-type fields and 5e-4 on everything else. Two
additions, both about floating point rather than method: in iterative entries values below
1e-9 on both sides count as equal (a tau^2 crawling to the 0 boundary), and moderator fits
with an ill-conditioned X'WX get rtol >= 10 cond(X'WX) eps (see ``tolerance_for``).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rlite import (
    Assign,
    BinOp,
    Block,
    Call,
    Dollar,
    Formula,
    Function,
    Index,
    Name,
    Num,
    RError,
    Str,
    Unary,
    parse,
)

from offlabel.synthesis import _engine as eng
from offlabel.synthesis._checks import check_method, constrain_vi
from offlabel.synthesis._factor import dummies
from offlabel.synthesis.bias import ranktest, regtest, trimfill
from offlabel.synthesis.diagnostics import cumul, influence, leave1out
from offlabel.synthesis.errors import SynthesisError, SynthesisWarning
from offlabel.synthesis.escalc import escalc
from offlabel.synthesis.metareg import MetaRegResult, _metareg, predict_mods
from offlabel.synthesis.mh import rma_mh, rma_peto
from offlabel.synthesis.rma import RMAResult, _fit, confint

EPS4 = float(np.finfo(float).eps) ** 0.25


# --- values --------------------------------------------------------------------------------
class Frame(dict):
    """An R data frame: column name -> ndarray (float, or object for strings)."""

    @property
    def nrow(self) -> int:
        return len(next(iter(self.values()))) if self else 0


@dataclass
class Fit:
    """An rma fit as the runner sees it: the offlabel result plus R bookkeeping."""

    res: Any  # RMAResult | MetaRegResult
    frame: Frame | None
    rows: np.ndarray  # 0-based rows of the frame used in the fit
    k_f: int  # rows after subsetting, before dropping missing values (metafor's k.f)
    control: eng.Control
    user_control: dict = field(default_factory=dict)
    labels: list | None = None  # slab= of the call, one per frame row

    def dollar(self, name: str):
        r = self.res
        if name in ("b", "beta"):
            return np.atleast_1d(np.asarray(r.estimate, dtype=float))
        if name == "se":
            return np.atleast_1d(np.asarray(r.se, dtype=float))
        attr = {"ci.lb": "ci_lb", "ci.ub": "ci_ub", "se.tau2": "se_tau2"}.get(name, name)
        if hasattr(r, attr):
            return getattr(r, attr)
        raise RError(f"fit has no component {name!r}")


@dataclass
class Closure:
    params: list[str]
    body: Any
    env: dict


def _column(values: list) -> np.ndarray:
    if all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.array([np.nan if v is None else float(v) for v in values])
    if all(v is None or isinstance(v, bool) for v in values):
        return np.array([v if v is not None else False for v in values], dtype=bool)
    return np.array([None if v is None else str(v) for v in values], dtype=object)


def _as_character(x: np.ndarray) -> np.ndarray:
    """Numbers as R's as.character() writes them (15 significant digits, no trailing .0)."""
    def one(v):
        if isinstance(v, (bool, np.bool_)):
            return "TRUE" if v else "FALSE"
        f = float(v)
        if np.isnan(f):
            return None
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else f"{f:.15g}"

    return np.array([one(v) for v in np.atleast_1d(x)], dtype=object)


def _num(x) -> float:
    a = np.atleast_1d(x)
    if a.size != 1:
        raise RError(f"expected a single value, got {a.size}")
    return float(a[0])


def _str(x) -> str:
    if isinstance(x, str):
        return x
    a = np.atleast_1d(x)
    if a.size != 1:
        raise RError("expected a single string")
    return str(a[0])


def _bool(x) -> bool:
    return bool(np.atleast_1d(x)[0])


# --- the interpreter -------------------------------------------------------------------------
class Interp:
    def __init__(self, data: Frame):
        self.globals: dict[str, Any] = {"dat": data, "TRUE": True, "FALSE": False, "NULL": None,
                                        "NA": np.nan, "T": True, "F": False, "pi": math.pi}

    # evaluation ---------------------------------------------------------------------------
    def eval(self, node, env: dict, scope: Frame | None = None):
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Name):
            if scope is not None and node.id in scope:
                return scope[node.id]
            e: dict | None = env
            while e is not None:
                if node.id in e:
                    return e[node.id]
                e = e.get("__parent__")
            raise RError(f"object {node.id!r} not found")
        if isinstance(node, Assign):
            val = self.eval(node.value, env, scope)
            env[node.target] = val
            return val
        if isinstance(node, Block):
            out = None
            for ex in node.exprs:
                out = self.eval(ex, env, scope)
            return out
        if isinstance(node, Function):
            return Closure(node.params, node.body, env)
        if isinstance(node, Dollar):
            obj = self.eval(node.obj, env, scope)
            if isinstance(obj, Frame):
                if node.name not in obj:
                    raise RError(f"data has no column {node.name!r}")
                return obj[node.name]
            if isinstance(obj, Fit):
                return obj.dollar(node.name)
            if isinstance(obj, dict):
                return obj[node.name]
            raise RError(f"cannot use $ on {type(obj).__name__}")
        if isinstance(node, Index):
            obj = self.eval(node.obj, env, scope)
            idx = self.eval(node.index, env, scope)
            arr = np.atleast_1d(obj)
            ia = np.atleast_1d(idx)
            if ia.dtype == bool:
                return arr[ia]
            out = arr[ia.astype(int) - 1]
            return out[0] if out.size == 1 else out
        if isinstance(node, Unary):
            v = self.eval(node.operand, env, scope)
            if node.op == "-":
                return -np.asarray(v, dtype=float) if not isinstance(v, float) else -v
            if node.op == "!":
                return ~np.asarray(v, dtype=bool)
            return v
        if isinstance(node, BinOp):
            return self.binop(node, env, scope)
        if isinstance(node, Formula):
            return node
        if isinstance(node, Call):
            return self.call(node, env, scope)
        raise RError(f"cannot evaluate {node!r}")

    def binop(self, node: BinOp, env, scope):
        a = self.eval(node.left, env, scope)
        b = self.eval(node.right, env, scope)
        op = node.op

        def arr(x):
            if isinstance(x, str):
                return np.array([x], dtype=object)
            return np.asarray(x)

        A, B = arr(a), arr(b)
        if op in ("==", "!=") and (A.dtype == object) != (B.dtype == object):
            # R compares a number with a string as text: 0 == '0' is TRUE
            A, B = (_as_character(A) if A.dtype != object else A,
                    _as_character(B) if B.dtype != object else B)
        if op in ("==", "!="):
            with np.errstate(invalid="ignore"):
                r = np.asarray(A == B) if op == "==" else np.asarray(A != B)
            return r
        ops: dict[str, Callable] = {
            "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power,
            "<": np.less, ">": np.greater, "<=": np.less_equal, ">=": np.greater_equal,
            "&": np.logical_and, "&&": np.logical_and, "|": np.logical_or, "||": np.logical_or,
            "%%": np.mod, "%/%": np.floor_divide,
        }
        if op == ":":
            return np.arange(_num(a), _num(b) + 1)
        if op == "%in%":
            if A.dtype == object or B.dtype == object:
                A = A if A.dtype == object else _as_character(A)
                B = B if B.dtype == object else _as_character(B)
            return np.isin(A, B)
        if op not in ops:
            raise RError(f"operator {op!r} not supported")
        with np.errstate(invalid="ignore", divide="ignore"):
            return ops[op](A.astype(float) if A.dtype != bool else A,
                           B.astype(float) if B.dtype != bool else B)

    def apply(self, fn, args: list):
        if isinstance(fn, Closure):
            env = {"__parent__": fn.env}
            for p, a in zip(fn.params, args, strict=False):
                env[p] = a
            return self.eval(fn.body, env)
        raise RError("not a function")

    def call(self, node: Call, env, scope):
        if not isinstance(node.fn, Name):
            raise RError("only calls of named functions are supported")
        name = node.fn.id
        handler = BUILTINS.get(name)
        if handler is None:
            raise RError(f"function {name}() is not supported by the runner")
        return handler(self, node.args, env, scope)

    # argument helpers ---------------------------------------------------------------------
    def bind(self, args, formals: list[str]) -> dict[str, Any]:
        """Match R arguments (exact names, then positions) to formals; values stay unevaluated."""
        out: dict[str, Any] = {}
        positional = []
        for n, a in args:
            if n is None:
                positional.append(a)
            elif n in out:
                raise RError(f'formal argument "{n}" matched by multiple actual arguments')
            else:
                out[n] = a
        free = [f for f in formals if f not in out]
        for f, a in zip(free, positional, strict=False):
            out[f] = a
        if len(positional) > len(free):
            raise RError("too many positional arguments")
        return out


# --- builtins ------------------------------------------------------------------------------
def _control(ip: Interp, node, env, scope) -> dict:
    if node is None:
        return {}
    val = ip.eval(node, env, scope)
    if not isinstance(val, dict):
        raise RError("control must be a list()")
    return val


def _to_control(ctl: dict) -> eng.Control:
    known = {"threshold", "tol", "maxiter", "tau2.max", "tau2.init", "ll0check", "tau2.min", "stepadj",
             "verbose"}
    unknown = set(ctl) - known
    if unknown:
        raise RError(f"control options not supported: {', '.join(sorted(unknown))}")
    if ctl.get("tau2.min", 0) != 0 or ctl.get("stepadj", 1) != 1:
        raise RError("control tau2.min/stepadj other than the defaults are not supported")
    return eng.Control(
        threshold=float(ctl.get("threshold", 1e-5)), maxiter=int(ctl.get("maxiter", 100)),
        tol=float(ctl.get("tol", EPS4)),
        tau2_max=float(ctl["tau2.max"]) if "tau2.max" in ctl else None,
        tau2_init=float(ctl["tau2.init"]) if "tau2.init" in ctl else None,
        ll0check=bool(ctl.get("ll0check", True)), safeguard=False)


def b_c(ip, args, env, scope):
    vals = [ip.eval(a, env, scope) for _, a in args]
    if any(isinstance(v, str) or (isinstance(v, np.ndarray) and v.dtype == object) for v in vals):
        return np.array([x for v in vals for x in np.atleast_1d(v)], dtype=object)
    return np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in vals]) if vals else np.array([])


def b_list(ip, args, env, scope):
    return {n if n is not None else str(i): ip.eval(a, env, scope) for i, (n, a) in enumerate(args)}


def b_local(ip, args, env, scope):
    return ip.eval(args[0][1], {"__parent__": env}, scope)


def b_lapply(ip, args, env, scope):
    xs = ip.eval(args[0][1], env, scope)
    fn = ip.eval(args[1][1], env, scope)
    items = xs if isinstance(xs, list) else list(np.atleast_1d(xs))
    return [ip.apply(fn, [x]) for x in items]


def b_sapply(ip, args, env, scope):
    out = b_lapply(ip, args, env, scope)
    return np.array([_num(o) for o in out])


def _math(f):
    def h(ip, args, env, scope):
        return f(np.asarray(ip.eval(args[0][1], env, scope), dtype=float))
    return h


def b_cbind(ip, args, env, scope):
    cols = [np.asarray(ip.eval(a, env, scope), dtype=float) for _, a in args]
    return np.column_stack(cols)


def b_rbind(ip, args, env, scope):
    rows = [np.atleast_1d(np.asarray(ip.eval(a, env, scope), dtype=float)) for _, a in args]
    return np.vstack(rows)


def b_matrix(ip, args, env, scope):
    a = ip.bind(args, ["data", "nrow", "ncol", "byrow"])
    x = np.atleast_1d(np.asarray(ip.eval(a["data"], env, scope), dtype=float))
    nrow = int(_num(ip.eval(a["nrow"], env, scope))) if "nrow" in a else None
    ncol = int(_num(ip.eval(a["ncol"], env, scope))) if "ncol" in a else None
    byrow = _bool(ip.eval(a["byrow"], env, scope)) if "byrow" in a else False
    if nrow is None:
        nrow = len(x) // (ncol or 1)
    if ncol is None:
        ncol = len(x) // nrow
    x = np.resize(x, nrow * ncol)
    return x.reshape(nrow, ncol) if byrow else x.reshape(ncol, nrow).T


def b_paste(sep_default: str):
    def h(ip, args, env, scope):
        sep = sep_default
        parts = []
        for n, a in args:
            if n == "sep":
                sep = _str(ip.eval(a, env, scope))
            elif n is None:
                x = np.atleast_1d(ip.eval(a, env, scope))
                parts.append(x if x.dtype == object else _as_character(x))
            else:
                raise RError(f"paste() argument {n!r} not supported")
        n_out = max(len(p) for p in parts)
        return np.array([sep.join(str(p[i % len(p)]) for p in parts) for i in range(n_out)],
                        dtype=object)
    return h


def b_ifelse(ip, args, env, scope):
    c, a, b = (ip.eval(x, env, scope) for _, x in args[:3])
    return np.where(np.asarray(c, dtype=bool), a, b)


ES_ARGS = ["ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "m2i", "sd1i", "sd2i", "xi", "ni", "ri",
           "x1i", "x2i", "t1i", "t2i", "ti"]


def _escalc_frame(ip: Interp, a: dict, env, scope, data: Frame | None) -> Frame:
    measure = _str(ip.eval(a["measure"], env, scope))
    kw = {}
    for n in ES_ARGS:
        if n in a:
            kw[n] = np.asarray(ip.eval(a[n], env, data), dtype=float)
    add = _num(ip.eval(a["add"], env, scope)) if "add" in a else 0.5
    to = _str(ip.eval(a["to"], env, scope)) if "to" in a else "only0"
    drop00 = _bool(ip.eval(a["drop00"], env, scope)) if "drop00" in a else False
    yi, vi = escalc(measure, add=add, to=to, drop00=drop00, nan_policy="propagate", **kw)
    out = Frame(data or {})
    out["yi"], out["vi"] = yi, vi
    return out


def b_escalc(ip, args, env, scope):
    a = ip.bind(args, ["measure", *ES_ARGS, "data"])
    data = ip.eval(a["data"], env, scope) if "data" in a else None
    for bad in set(a) - {"measure", "data", "add", "to", "drop00", *ES_ARGS}:
        raise RError(f"escalc argument {bad!r} not supported")
    return _escalc_frame(ip, a, env, scope, data)


def _formula_design(f: Formula, data: Frame) -> tuple[np.ndarray, list[str], bool]:
    """Model matrix of a one-sided formula (numeric terms, factor(), character columns, a:b,
    I(), -1), columns named as R's model.matrix names them."""
    terms: list[Any] = []
    intercept = True

    def collect(node, sign=1):
        nonlocal intercept
        if isinstance(node, BinOp) and node.op in ("+", "-"):
            collect(node.left, 1)
            collect(node.right, 1 if node.op == "+" else -1)
            return
        if isinstance(node, Num):
            if node.value == 0 or sign < 0:
                intercept = False
            return
        if sign < 0:
            raise RError("only '- 1' may be subtracted in a formula")
        terms.append(node)

    collect(f.rhs)
    cols: list[np.ndarray] = []
    names: list[str] = []
    ip = Interp(data)

    def text(node) -> str:
        if isinstance(node, Name):
            return node.id
        if isinstance(node, Num):
            return f"{node.value:g}"
        if isinstance(node, Str):
            return repr(node.value)
        if isinstance(node, BinOp):
            sep = "" if node.op in ("^", ":") else " "
            return f"{text(node.left)}{sep}{node.op}{sep}{text(node.right)}"
        if isinstance(node, Call):
            return f"{node.fn.id}({', '.join(text(a) for _, a in node.args)})"
        raise RError("unsupported formula term")

    def term_cols(node) -> list[tuple[str, np.ndarray]]:
        if isinstance(node, Call) and isinstance(node.fn, Name) and node.fn.id in ("factor", "as.factor"):
            x = ip.eval(node.args[0][1], {}, data)
            return _dummies(f"{node.fn.id}({text(node.args[0][1])})", x, intercept or bool(cols))
        if isinstance(node, BinOp) and node.op == ":":
            (ln, lc), = term_cols(node.left)
            (rn, rc), = term_cols(node.right)
            return [(f"{ln}:{rn}", lc * rc)]
        if isinstance(node, BinOp) and node.op == "*":
            return term_cols(node.left) + term_cols(node.right) + term_cols(BinOp(":", node.left, node.right))
        x = ip.eval(node, {}, data)
        if isinstance(node, Call) and node.fn.id == "I":
            x = ip.eval(node.args[0][1], {}, data)
        x = np.asarray(x)
        if x.dtype == object:
            return _dummies(text(node), x, intercept or bool(cols))
        if x.dtype == bool:
            return [(f"{text(node)}TRUE", x.astype(float))]
        return [(text(node), x.astype(float))]

    for t in terms:
        for n, c in term_cols(t):
            names.append(n)
            cols.append(np.broadcast_to(np.asarray(c, dtype=float), (data.nrow,)).copy())
    M = np.column_stack(cols) if cols else np.empty((data.nrow, 0))
    return M, names, intercept


def _dummies(name: str, x, drop_first: bool) -> list[tuple[str, np.ndarray]]:
    """factor(x) columns: levels in R's order (numbers numerically, strings in R's collation,
    see offlabel.synthesis._factor), named as model.matrix names them."""
    return dummies(name, list(np.atleast_1d(np.asarray(x, dtype=object))), drop_first)


RMA_FORMALS = ["yi", "vi", "sei", "weights", "ai", "bi", "ci", "di", "n1i", "n2i", "x1i", "x2i",
               "t1i", "t2i", "m1i", "m2i", "sd1i", "sd2i", "xi", "mi", "ri", "ti", "sdi", "r2i",
               "ni", "mods", "scale", "intercept", "data", "slab", "subset", "measure", "add",
               "to", "drop00", "vtype", "method", "weighted", "test", "level", "btt", "tau2",
               "verbose", "digits", "control"]
RMA_SUPPORTED = {"yi", "vi", "sei", "ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "m2i", "sd1i",
                 "sd2i", "xi", "ri", "ni", "x1i", "x2i", "t1i", "t2i", "ti", "mods", "intercept", "data", "subset", "measure", "add",
                 "to", "drop00", "method", "test", "level", "control", "slab"}


def b_rma(ip, args, env, scope):
    a = ip.bind(args, RMA_FORMALS)
    unsupported = set(a) - RMA_SUPPORTED
    if unsupported:
        raise RError(f"rma() arguments not supported: {', '.join(sorted(unsupported))}")
    data = ip.eval(a["data"], env, scope) if "data" in a else None
    if "measure" in a and "yi" not in a:
        frame = _escalc_frame(ip, a, env, scope, data)
    else:
        yi = np.asarray(ip.eval(a["yi"], env, data), dtype=float)
        if "vi" in a:
            vi = np.asarray(ip.eval(a["vi"], env, data), dtype=float)
        elif "sei" in a:
            vi = np.asarray(ip.eval(a["sei"], env, data), dtype=float) ** 2
        else:
            raise RError("rma() needs vi or sei")
        frame = Frame(data or {})
        frame["yi"], frame["vi"] = np.atleast_1d(yi), np.atleast_1d(vi)
    n = len(frame["yi"])
    keep = np.ones(n, dtype=bool)
    if "subset" in a:
        sub = np.asarray(ip.eval(a["subset"], env, frame))
        if sub.dtype == bool:
            keep &= sub
        else:
            idx = np.atleast_1d(sub).astype(int)
            m = np.zeros(n, dtype=bool)
            if np.all(idx < 0):  # R: negative indices drop those rows
                m[:] = True
                m[-idx - 1] = False
            else:
                m[idx - 1] = True
            keep &= m
    keep_subset = keep.copy()
    method = _str(ip.eval(a["method"], env, scope)) if "method" in a else "REML"
    test = _str(ip.eval(a["test"], env, scope)) if "test" in a else "z"
    level = _num(ip.eval(a["level"], env, scope)) if "level" in a else 95.0
    uctl = _control(ip, a.get("control"), env, scope)
    ctl = _to_control(uctl)
    X = names = None
    intercept = True
    if "intercept" in a:
        intercept = _bool(ip.eval(a["intercept"], env, scope))
    if "mods" in a:
        mnode = a["mods"]
        if isinstance(mnode, Formula):
            M, names, f_int = _formula_design(mnode, frame)
            intercept = intercept and f_int
        else:
            M = np.asarray(ip.eval(mnode, env, frame), dtype=float)
            M = M[:, None] if M.ndim == 1 else M
            names = ["mods"] if M.shape[1] == 1 else [f"mods{j + 1}" for j in range(M.shape[1])]
            if (isinstance(mnode, Call) and isinstance(mnode.fn, Name) and mnode.fn.id == "cbind"
                    and len(mnode.args) == M.shape[1]):
                # cbind() names its columns after named arguments and plain variables
                names = [n if n is not None else (x.id if isinstance(x, Name) else names[j])
                         for j, (n, x) in enumerate(mnode.args)]
        X = np.column_stack([np.ones(n), M]) if intercept else M
        names = (["intrcpt"] if intercept else []) + list(names)
        keep &= np.all(np.isfinite(X), axis=1)
    y, v = frame["yi"], frame["vi"]
    keep &= np.isfinite(y) & np.isfinite(v)
    rows = np.flatnonzero(keep)
    y, v = y[rows], v[rows]
    v = constrain_vi(v)  # metafor: after removing NAs, warn about vi <= 0, set vi < 0 to 0
    if X is None:
        if len(y) < 1:
            raise SynthesisError("no studies left (k = 0)")
        # names checked; k = 1 is fitted with tau2 = 0 as metafor does
        method, test = check_method(method, test, 2)
        res = _fit(y, v, method, test, level, None, ctl)
    else:
        res = _metareg(y, v, X[rows], tuple(names), method, test, level, ctl, intercept)
    labels = None
    if "slab" in a:
        raw = np.atleast_1d(ip.eval(a["slab"], env, frame))
        labels = list(_as_character(raw) if raw.dtype != object else raw)
    return Fit(res, frame, rows, int(keep_subset.sum()), ctl, uctl, labels)


def _fit_arg(ip, args, env, scope, formals) -> tuple[Fit, dict]:
    a = ip.bind(args, formals)
    fit = ip.eval(a["x"], env, scope)
    if not isinstance(fit, Fit):
        raise RError("expected an rma() fit")
    return fit, a


def _slab(fit: Fit) -> tuple[str, ...]:
    """Study labels as metafor shows them: slab= values (made unique as R's make.unique),
    else row numbers."""
    if fit.labels is None:
        return tuple(str(r + 1) for r in fit.rows)
    labs = [str(lab) for lab in fit.labels]
    total = {lab: labs.count(lab) for lab in set(labs)}
    seen: dict[str, int] = {}
    out = []
    for lab in labs:  # metafor numbers every copy of a repeated label: a.1, a.2, ...
        if total[lab] > 1:
            seen[lab] = seen.get(lab, 0) + 1
            out.append(f"{lab}.{seen[lab]}")
        else:
            out.append(lab)
    return tuple(out[r] for r in fit.rows)


def _with_slab(fit: Fit) -> RMAResult:
    import dataclasses

    if not isinstance(fit.res, RMAResult):
        raise RError("this function needs an intercept-only model")
    return dataclasses.replace(fit.res, slab=_slab(fit))


def b_predict(ip, args, env, scope):
    import dataclasses

    fit, a = _fit_arg(ip, args, env, scope, ["x", "newmods"])
    extra = set(a) - {"x", "newmods", "level"}
    if extra:
        raise RError(f"predict() arguments not supported: {', '.join(sorted(extra))}")
    res = fit.res
    if "level" in a:
        lvl = _num(ip.eval(a["level"], env, scope))
        if isinstance(res, MetaRegResult):
            res = dataclasses.replace(res, level=lvl)
        else:
            res = _fit(res.yi, res.vi, res.method, res.test, lvl, None, res.control)
    if isinstance(res, MetaRegResult):
        newmods = ip.eval(a["newmods"], env, scope) if "newmods" in a else None
        return ("predict.mods", predict_mods(res, newmods))
    if "newmods" in a:
        raise RError("newmods given for a model without moderators")
    r = res
    return ("predict", {"pred": r.estimate, "se": r.se, "ci_lb": r.ci_lb, "ci_ub": r.ci_ub,
                        "pi_lb": r.pi_lb, "pi_ub": r.pi_ub})


def b_confint(ip, args, env, scope):
    fit, a = _fit_arg(ip, args, env, scope, ["x", "parm", "level"])
    extra = set(a) - {"x", "control", "level"}
    if extra:
        raise RError(f"confint() arguments not supported: {', '.join(sorted(extra))}")
    cctl = _control(ip, a.get("control"), env, scope)
    tau2_max = cctl.get("tau2.max", fit.user_control.get("tau2.max"))
    level = _num(ip.eval(a["level"], env, scope)) if "level" in a else None
    return confint(fit.res, level=level, tau2_max=None if tau2_max is None else float(tau2_max),
                   tol=float(cctl.get("tol", EPS4)))


def b_leave1out(ip, args, env, scope):
    fit, _ = _fit_arg(ip, args, env, scope, ["x"])
    return leave1out(_with_slab(fit))


def b_cumul(ip, args, env, scope):
    fit, a = _fit_arg(ip, args, env, scope, ["x", "order"])
    order = None
    if "order" in a:
        order = np.asarray(ip.eval(a["order"], env, fit.frame))[fit.rows]
    return cumul(_with_slab(fit), order=order)


def b_influence(ip, args, env, scope):
    fit, _ = _fit_arg(ip, args, env, scope, ["x"])
    return influence(_with_slab(fit))


def b_regtest(ip, args, env, scope):
    fit, a = _fit_arg(ip, args, env, scope, ["x", "vi", "sei", "ni", "subset", "data", "model", "predictor"])
    model = _str(ip.eval(a["model"], env, scope)) if "model" in a else "rma"
    pred = _str(ip.eval(a["predictor"], env, scope)) if "predictor" in a else "sei"
    return regtest(_with_slab(fit), model=model, predictor=pred)


def b_ranktest(ip, args, env, scope):
    fit, a = _fit_arg(ip, args, env, scope, ["x"])
    exact = _bool(ip.eval(a["exact"], env, scope)) if "exact" in a else True
    return ranktest(_with_slab(fit), exact=exact)


def b_trimfill(ip, args, env, scope):
    fit, a = _fit_arg(ip, args, env, scope, ["x", "side", "estimator"])
    side = _str(ip.eval(a["side"], env, scope)) if "side" in a else None
    est = _str(ip.eval(a["estimator"], env, scope)) if "estimator" in a else "L0"
    # metafor refits inside trimfill() with its default control, whatever the model had
    tf = trimfill(_with_slab(fit), side=side, estimator=est, control=eng.METAFOR_DEFAULT)
    return TrimFillCall(tf, fit.k_f, fit.res.k)


@dataclass(frozen=True)
class TrimFillCall:
    result: Any
    k_f: int
    k: int

    def r_fill_values(self, values: np.ndarray) -> list:
        """What the reference extraction ``r$yi[r$fill]`` gives. ``fill`` is indexed over all
        k.f rows (missing ones included) but the refit's ``yi`` holds only the k used ones, so
        with missing rows R reads past the end (NA) or misaligned values; reproduced as is."""
        seq = np.concatenate([np.full(self.k, np.nan), values])  # the refit's yi: used + filled
        out = []
        for pos in range(self.k_f, self.k_f + len(values)):
            out.append(_opt(float(seq[pos])) if pos < len(seq) else None)
        return out


def _mh_args(ip, args, env, scope, formals):
    a = ip.bind(args, formals)
    data = ip.eval(a["data"], env, scope) if "data" in a else None
    kw = {n: np.asarray(ip.eval(a[n], env, data), dtype=float)
          for n in ("ai", "bi", "ci", "di", "n1i", "n2i", "x1i", "x2i", "t1i", "t2i") if n in a}
    opts = {}
    for n in ("add", "to", "drop00", "correct", "measure", "level"):
        if n in a:
            opts[n] = ip.eval(a[n], env, scope)
    extra = set(a) - {"ai", "bi", "ci", "di", "n1i", "n2i", "x1i", "x2i", "t1i", "t2i", "data",
                      "add", "to", "drop00", "correct", "measure", "level"}
    if extra:
        raise RError(f"arguments not supported: {', '.join(sorted(extra))}")
    return kw, opts


def _mh_opts(opts):
    out = {}
    if "add" in opts:
        add = np.atleast_1d(opts["add"])
        out["add"] = float(add[0])
    if "to" in opts:
        out["to"] = _str(np.atleast_1d(opts["to"])[0])
    if "drop00" in opts:
        out["drop00"] = bool(np.atleast_1d(opts["drop00"])[0])
    if "level" in opts:
        out["level"] = _num(opts["level"])
    return out


def b_rma_mh(ip, args, env, scope):
    kw, opts = _mh_args(ip, args, env, scope, ["ai", "bi", "ci", "di", "n1i", "n2i", "x1i", "x2i",
                                               "t1i", "t2i", "measure", "data"])
    return rma_mh(**kw, measure=_str(opts.get("measure", "OR")),
                  correct=bool(np.atleast_1d(opts.get("correct", True))[0]), **_mh_opts(opts))


def b_rma_peto(ip, args, env, scope):
    kw, opts = _mh_args(ip, args, env, scope, ["ai", "bi", "ci", "di", "n1i", "n2i", "data"])
    return rma_peto(**kw, **_mh_opts(opts))


BUILTINS: dict[str, Callable] = {
    "c": b_c, "list": b_list, "local": b_local, "lapply": b_lapply, "sapply": b_sapply,
    "sqrt": _math(np.sqrt), "log": _math(np.log), "exp": _math(np.exp), "abs": _math(np.abs),
    "ifelse": b_ifelse, "paste": b_paste(" "), "paste0": b_paste(""), "cbind": b_cbind, "rbind": b_rbind, "matrix": b_matrix, "escalc": b_escalc, "rma": b_rma, "rma.uni": b_rma,
    "predict": b_predict, "confint": b_confint, "leave1out": b_leave1out, "cumul": b_cumul,
    "influence": b_influence, "regtest": b_regtest, "ranktest": b_ranktest,
    "trimfill": b_trimfill, "rma.mh": b_rma_mh, "rma.peto": b_rma_peto,
    "I": lambda ip, args, env, scope: ip.eval(args[0][1], env, scope),
}


# --- extraction: offlabel results in the reference layout --------------------------------------
def _opt(x):
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else x


def _r_is_infl(f) -> list:
    """metafor's flag with R's NA logic: a study whose deletion fit failed has NA criteria,
    so its flag is TRUE if the hat value alone flags it and NA otherwise."""
    k = len(f.hat)
    out: list = []
    for d, h, flag in zip(f.dffits, f.hat, f.is_infl, strict=True):
        if np.isnan(d):
            out.append(True if h > 3 / k else None)
        else:
            out.append(bool(flag))
    return out


def extract(kind: str, value) -> dict:
    if kind in ("rma", "subgroup_q"):
        if not isinstance(value, Fit) or not isinstance(value.res, RMAResult):
            raise RError(f"{kind}: the call did not give an intercept-only rma fit")
        r = value.res
        if kind == "subgroup_q":
            return {"Q_between": r.QE, "df": r.k - 1, "pval": r.QEp}
        fe = r.method in ("FE", "EE")
        out = {"estimate": r.estimate, "se": r.se, "zval": r.zval, "pval": r.pval,
               "ci.lb": r.ci_lb, "ci.ub": r.ci_ub, "dfs": r.dfs, "tau2": r.tau2,
               "se.tau2": None if fe else _opt(r.se_tau2), "I2": r.I2, "H2": r.H2, "QE": r.QE,
               "QEp": r.QEp, "k": r.k, "weights_pct": list(r.weights),
               "rows": [int(i) + 1 for i in value.rows]}
        if r.method in ("ML", "REML"):
            out["fit.stats"] = eng.fit_stats(r.yi, r.vi, r.tau2, r.method)
        return out
    if kind == "rma.mods":
        if not isinstance(value, Fit) or not isinstance(value.res, MetaRegResult):
            raise RError("rma.mods: the call did not give a moderator model")
        r = value.res
        return {"coef_names": list(r.coef_names), "estimate": list(r.estimate), "se": list(r.se),
                "zval": list(r.zval), "pval": list(r.pval), "ci.lb": list(r.ci_lb),
                "ci.ub": list(r.ci_ub), "dfs": r.dfs, "QM": r.QM, "QMdf": list(r.QMdf),
                "QMp": r.QMp, "QE": r.QE, "QEp": r.QEp,
                "tau2": r.tau2, "se.tau2": None if r.method in ("FE", "EE") else r.se_tau2,
                "I2": r.I2, "H2": r.H2, "R2": r.R2, "k": r.k, "p": r.p,
                "rows": [int(i) + 1 for i in value.rows]}
    if kind in ("predict", "predict.mods"):
        if not (isinstance(value, tuple) and value[0] == kind):
            raise RError(f"{kind}: the call gave {value[0] if isinstance(value, tuple) else value!r}")
        p = value[1]
        conv = (lambda x: list(np.atleast_1d(x))) if kind == "predict.mods" else (lambda x: x)
        return {"pred": conv(p["pred"]), "se": conv(p["se"]), "ci.lb": conv(p["ci_lb"]),
                "ci.ub": conv(p["ci_ub"]), "pi.lb": conv(p["pi_lb"]), "pi.ub": conv(p["pi_ub"])}
    if kind == "confint":
        c = value

        def iv(i):
            return {"estimate": i.estimate, "ci.lb": i.ci_lb, "ci.ub": i.ci_ub}

        return {"tau2": iv(c.tau2), "tau": iv(c.tau), "I2": iv(c.I2), "H2": iv(c.H2),
                "lb.sign": c.lb_sign, "ub.sign": c.ub_sign}
    if kind in ("rma.mh", "rma.peto"):
        m = value
        out = {"estimate": m.estimate, "se": m.se, "zval": m.zval, "pval": m.pval,
               "ci.lb": m.ci_lb, "ci.ub": m.ci_ub, "QE": m.QE, "QEp": m.QEp, "I2": m.I2,
               "H2": m.H2, "k": m.k, "k.yi": m.k_yi}
        if kind == "rma.mh":
            for s in ("MH", "MHp", "CO", "COp", "BD", "BDp", "TA", "TAp"):
                out[s] = getattr(m, s)
        return out
    if kind in ("leave1out", "cumul"):
        s = value
        return {"estimate": list(s.estimate), "se": list(s.se), "zval": list(s.zval),
                "pval": list(s.pval), "ci.lb": list(s.ci_lb), "ci.ub": list(s.ci_ub),
                "Q": list(s.Q), "Qp": list(s.Qp), "tau2": list(s.tau2), "I2": list(s.I2),
                "H2": list(s.H2), "slab": list(s.slab)}
    if kind == "influence":
        f = value
        return {"rstudent": list(f.rstudent), "dffits": list(f.dffits), "cook.d": list(f.cook_d),
                "cov.r": list(f.cov_r), "tau2.del": list(f.tau2_del), "QE.del": list(f.QE_del),
                "hat": list(f.hat), "weight": list(f.weight), "dfbs_intrcpt": list(f.dfbs),
                "is.infl": _r_is_infl(f), "slab": list(f.slab)}
    if kind == "regtest":
        t = value
        return {"model": t.model, "predictor": t.predictor, "zval": t.zval, "pval": t.pval,
                "dfs": t.dfs, "limit_estimate": t.limit_estimate, "limit_ci.lb": t.limit_ci_lb,
                "limit_ci.ub": t.limit_ci_ub, "fit_coef_names": list(t.fit_coef_names),
                "fit_coef": list(t.fit_coef)}
    if kind == "ranktest":
        return {"tau": value.tau, "pval": value.pval}
    if kind == "trimfill":
        if not isinstance(value, TrimFillCall):
            raise RError("trimfill: the call did not give a trimfill() result")
        call, t = value, value.result
        f = t.fit
        return {"k0": t.k0, "se.k0": t.se_k0, "side": t.side, "p.k0": t.p_k0,
                "estimate": f.estimate, "se": f.se, "zval": f.zval, "pval": f.pval,
                "ci.lb": f.ci_lb, "ci.ub": f.ci_ub, "tau2": f.tau2,
                "se.tau2": None if f.method in ("FE", "EE") else _opt(f.se_tau2), "I2": f.I2,
                "H2": f.H2, "QE": f.QE, "QEp": f.QEp, "k": f.k,
                "fill_yi": call.r_fill_values(t.fill_yi), "fill_vi": call.r_fill_values(t.fill_vi)}
    if kind == "effect_sizes":
        fr = value
        return {"yi": [_opt(float(x)) for x in fr["yi"]], "vi": [_opt(float(x)) for x in fr["vi"]]}
    raise RError(f"analysis type {kind!r} is not supported")


# --- comparison ---------------------------------------------------------------------------
TAU2_FIELDS = {"tau2", "se.tau2", "tau2.del", "tau"}
ITERATIVE_CALL = ("'REML'", "'ML'", "'PM'", "'EB'", '"REML"', '"ML"', '"PM"', '"EB"')


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol_tau2: float = 0.0
    atol_other: float = 0.0
    # iterative entries: a tau2 that Fisher scoring walks towards the 0 boundary stops at some
    # 1e-12-ish value that depends on rounding; values below this on both sides are zeros
    zero: float = 0.0

    def ok(self, field_name: str, expected: float, got: float) -> bool:
        if expected == got:
            return True
        if not (np.isfinite(expected) and np.isfinite(got)):
            return False
        diff = abs(expected - got)
        if diff <= self.rtol * max(abs(expected), abs(got)) + 1e-13:
            return True
        if max(abs(expected), abs(got)) < self.zero:
            return True
        leaf = field_name.split(".")[0] if field_name.split(".")[0] in TAU2_FIELDS else field_name
        atol = self.atol_tau2 if leaf in TAU2_FIELDS or field_name.startswith("tau") else self.atol_other
        return diff <= atol


def tolerance_for(analysis: dict, cond: float = 1.0) -> Tolerance:
    """The README's tolerance for this entry. ``cond``: condition number of X'WX of a
    moderator model. A fit with cond ~ 1e9 (a raw publication year next to the intercept) is
    only determined to about cond * eps by any floating-point implementation, metafor's
    included, so the relative tolerance is never set below 10 * cond * eps."""
    floor = 10 * cond * np.finfo(float).eps
    if analysis.get("converged_control"):
        return Tolerance(max(1e-8, floor), zero=1e-9)
    call = analysis.get("call", "")
    if any(m in call for m in ITERATIVE_CALL) or analysis.get("type") == "confint":
        return Tolerance(max(1e-8, floor), 5e-5, 5e-4, zero=1e-9)
    return Tolerance(max(1e-10, floor))


def _condition(value) -> float:
    """cond(X'WX) of the model behind a result (1 for intercept-only models)."""
    res = value.res if isinstance(value, Fit) else None
    if isinstance(res, MetaRegResult):
        w = 1 / (res.vi + res.tau2)
        return float(np.linalg.cond(res.X.T @ (w[:, None] * res.X)))
    return 1.0


class _NotComputed:
    def __repr__(self) -> str:
        return "<not computed>"


NOT_COMPUTED = _NotComputed()


def _fmt(x) -> str:
    if isinstance(x, _NotComputed):
        return repr(x)
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, (list, tuple)) and len(x) > 6:
        return "[" + ", ".join(_fmt(v) for v in x[:6]) + f", ... ({len(x)} values)]"
    return json.dumps(x) if isinstance(x, (str, bool)) or x is None else repr(x)


def compare(expected, got, path: str, tol: Tolerance, out: list[tuple[str, Any, Any]]) -> None:
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            out.append((path, expected, got))
            return
        for key, ev in expected.items():
            p = f"{path}.{key}" if path else key
            if key not in got:
                out.append((p, ev, NOT_COMPUTED))
                continue
            compare(ev, got[key], p, tol, out)
        return
    if isinstance(expected, list):
        g = list(got) if isinstance(got, (list, tuple, np.ndarray)) else None
        if g is None or len(g) != len(expected):
            out.append((path, expected, got))
            return
        bad = []
        for i, (e, x) in enumerate(zip(expected, g, strict=True)):
            sub: list = []
            compare(e, x, f"{path}[{i + 1}]", tol, sub)
            bad.extend(sub)
        if bad:
            out.append((path, expected, list(g)))
        return
    if expected is None:
        if got is None or (isinstance(got, float) and np.isnan(got)):
            return
        out.append((path, expected, got))
        return
    if isinstance(expected, str) and expected in ("Inf", "-Inf"):
        expected = float(expected)
    if isinstance(expected, bool) or isinstance(expected, str):
        if isinstance(got, np.bool_):
            got = bool(got)
        if expected != got:
            out.append((path, expected, got))
        return
    if got is None or isinstance(got, (str, bool)):
        out.append((path, expected, got))
        return
    g = float(got)
    if not tol.ok(path, float(expected), g):
        out.append((path, expected, g))


# --- running a file ------------------------------------------------------------------------
# metafor's warnings that we give too (as SynthesisWarning): the start of metafor's message
# -> the start of ours. Any other metafor warning is not checked.
WARNINGS = {
    "There are outcomes with non-positive sampling variances": "There are outcomes with "
                                                              "non-positive sampling variances",
    "Negative sampling variances constrained to zero": "Negative sampling variances "
                                                       "constrained to zero",
    "Cannot compute Q-test, I^2, or H^2": "Cannot compute Q-test, I^2, or H^2",
    "Cannot compute QE-test, I^2, or H^2": "Cannot compute QE-test, I^2, or H^2",
}
# metafor's errors whose meaning ours must carry (lower case fragment of our message)
ERRORS = {
    "non-positive sampling variances": "non-positive sampling variances",
    "Division by zero when computing the inverse variance weights":
        "division by zero when computing the inverse variance weights",
}


def _check_warnings(expected: list[str], got: list[str], out: list[tuple[str, Any, Any]]) -> None:
    want = sorted(ours for theirs, ours in WARNINGS.items()
                  if any(w.startswith(theirs) for w in expected))
    have = sorted(ours for ours in WARNINGS.values() if any(w.startswith(ours) for w in got))
    if want != have:
        out.append(("warnings", want, have))


def _check_error(expected: str | None, got: str, out: list[tuple[str, Any, Any]]) -> None:
    for theirs, ours in ERRORS.items():
        if expected and theirs in expected and ours not in got.lower():
            out.append(("error", expected, got))


def run_file(path: Path, echo: Callable[[str], None] = print) -> tuple[int, int]:
    fx = json.loads(path.read_text())
    data = Frame({k: _column(v) for k, v in fx.get("data", {}).items()})
    ip = Interp(data)
    env = ip.globals
    passed = failed = 0
    for a in fx.get("analyses", []):
        aid = a.get("id", "?")
        kind = a.get("type")
        mism: list[tuple[str, Any, Any]] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SynthesisWarning)
            try:
                value = ip.eval(parse(a["call"]), env)
                if "results" not in a:  # metafor failed on this call; so should we
                    mism.append(("error", a.get("error"), "a result"))
                else:
                    got = extract(kind, value)
                    compare(a["results"], got, "", tolerance_for(a, _condition(value)), mism)
            except (SynthesisError, RError, ArithmeticError, ValueError, KeyError, IndexError,
                    TypeError, np.linalg.LinAlgError) as e:
                if "results" in a:
                    mism.append(("<analysis>", "a result", f"{type(e).__name__}: {e}"))
                else:
                    _check_error(a.get("error"), str(e), mism)
        ours = [str(w.message) for w in caught if issubclass(w.category, SynthesisWarning)]
        _check_warnings(list(a.get("warnings", [])), ours, mism)
        if mism:
            failed += 1
            for fld, exp, got in mism:
                echo(f"{path.name}: {aid}: {fld}: expected {_fmt(exp)} got {_fmt(got)}")
        else:
            passed += 1
    return passed, failed


def run_dir(directory: Path, echo: Callable[[str], None] = print) -> tuple[int, int]:
    files = sorted(Path(directory).glob("*.json"))
    if not files:
        raise SystemExit(f"conformance: no *.json files in {directory}")
    total_p = total_f = 0
    for f in files:
        try:
            p, n = run_file(f, echo)
        except (json.JSONDecodeError, OSError) as e:
            echo(f"{f.name}: <file>: <read>: expected a reference file got {type(e).__name__}: {e}")
            p, n = 0, 1
        total_p += p
        total_f += n
    return total_p, total_f


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python validation/metafor/conformance.py DIR", file=sys.stderr)
        return 2
    d = Path(args[0])
    if not d.is_dir():
        print(f"conformance: {d} is not a directory", file=sys.stderr)
        return 2
    passed, failed = run_dir(d)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
