"""A tiny interpreter for the R expressions stored in metafor reference files.

Each reference analysis records the exact R call that produced it (``rma(yi, vi,
data=es_RR, method='REML', subset=(alloc=='random'))``). Rather than guessing the analysis
from its id, the conformance runner (conformance.py, beside this file) parses and evaluates
that call with offlabel's functions,
so a reference set with other datasets, moderators or subsets runs without new code. It knows
the subset of R those files use: calls with named arguments, strings, numbers, logicals,
``c()``, ``list()``, formulas, ``$``, ``[``, comparisons and arithmetic, ``local``,
``lapply``/``sapply`` over ``function(x) ...`` and ``<-`` assignment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class RError(Exception):
    """Syntax or evaluation error in an R expression."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op><-|<=|>=|==|!=|&&|\|\||%[^%\s]*%|[-+*/^~(){}\[\],;=<>!&|$:])
  | (?P<name>[A-Za-z.][A-Za-z0-9._]*|`[^`]+`)
""", re.VERBOSE)


def tokenize(src: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise RError(f"cannot parse R code at {src[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    out.append(("eof", ""))
    return out


# --- AST -------------------------------------------------------------------------------
@dataclass
class Num:
    value: float


@dataclass
class Str:
    value: str


@dataclass
class Name:
    id: str


@dataclass
class Call:
    fn: Any
    args: list[tuple[str | None, Any]]


@dataclass
class BinOp:
    op: str
    left: Any
    right: Any


@dataclass
class Unary:
    op: str
    operand: Any


@dataclass
class Formula:
    rhs: Any
    text: str


@dataclass
class Index:
    obj: Any
    index: Any


@dataclass
class Dollar:
    obj: Any
    name: str


@dataclass
class Block:
    exprs: list


@dataclass
class Function:
    params: list[str]
    body: Any


@dataclass
class Assign:
    target: str
    value: Any


# precedence (low -> high), R's order for the operators we need
_BIN = [
    ("<-",), ("~",), ("||", "|"), ("&&", "&"), ("==", "!=", "<", ">", "<=", ">="),
    ("+", "-"), ("*", "/"), ("%in%", "%%", "%/%"), (":",), ("^",),
]


class Parser:
    def __init__(self, src: str):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise RError(f"expected {value!r}, found {tok[1]!r} in {self.src!r}")
        self.i += 1
        return tok

    def parse(self):
        exprs = self.sequence(("eof",))
        return exprs[0] if len(exprs) == 1 else Block(exprs)

    def sequence(self, ends):
        exprs = []
        while True:
            while self.peek()[1] in (";",) or self.peek()[0] == "eof" and "eof" not in ends:
                self.take()
            if self.peek()[1] in ends or self.peek()[0] in ends:
                return exprs
            exprs.append(self.expr(0))

    def expr(self, level: int):
        if level >= len(_BIN):
            return self.unary()
        ops = _BIN[level]
        if ops == ("~",) and self.peek()[1] == "~":
            start = self.i
            self.take()
            rhs = self.expr(level + 1)
            text = " ".join(t[1] for t in self.toks[start + 1:self.i])
            return Formula(rhs, text)
        left = self.expr(level + 1)
        while self.peek()[1] in ops and self.peek()[0] == "op":
            op = self.take()[1]
            if op == "<-":
                if not isinstance(left, Name):
                    raise RError("can only assign to a name")
                return Assign(left.id, self.expr(level))
            if op == "^":  # right associative
                return BinOp(op, left, self.expr(level))
            left = BinOp(op, left, self.expr(level + 1))
        return left

    def unary(self):
        if self.peek()[1] in ("-", "+", "!") and self.peek()[0] == "op":
            op = self.take()[1]
            return Unary(op, self.unary())
        return self.postfix(self.primary())

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return Num(float(val.rstrip("L")))
        if kind == "str":
            return Str(bytes(val[1:-1], "utf-8").decode("unicode_escape"))
        if kind == "name":
            if val == "function":
                self.take("(")
                params = []
                while self.peek()[1] != ")":
                    params.append(self.take()[1])
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
                return Function(params, self.expr(0))
            return Name(val.strip("`"))
        if val == "(":
            e = self.expr(0)
            self.take(")")
            return e
        if val == "{":
            exprs = self.sequence(("}",))
            self.take("}")
            return Block(exprs)
        if val == "~":
            self.i -= 1
            return self.expr(1)
        raise RError(f"unexpected {val!r} in {self.src!r}")

    def postfix(self, node):
        while True:
            tok = self.peek()
            if tok[1] == "(":
                self.take()
                args = []
                while self.peek()[1] != ")":
                    name = None
                    if self.peek()[0] in ("name", "str") and self.toks[self.i + 1][1] == "=":
                        name = self.take()[1].strip("`'\"")
                        self.take("=")
                    args.append((name, self.expr(0)))
                    if self.peek()[1] == ",":
                        self.take()
                self.take(")")
                node = Call(node, args)
            elif tok[1] == "[":
                self.take()
                idx = self.expr(0)
                self.take("]")
                node = Index(node, idx)
            elif tok[1] == "$":
                self.take()
                node = Dollar(node, self.take()[1])
            else:
                return node


def parse(src: str):
    return Parser(src).parse()
