"""docs/json.md kept honest: every key it documents is in the JSON offlabel prints for the
bundled evidence, and every key offlabel prints is documented there.

The outputs are every bundled question (each drug's overview and each drug x covered
condition, as `offlabel ask --format json` prints them), one answer with a patient profile and
a registered-unpublished trial (the keys only --profile and --store fill), one answer built on
constructed trials that pools randomised and non-randomised continuous outcomes (by_design, the
continuous effect), and `offlabel compare` for every covered condition with an unknown drug in
the list (the not-covered row).

The doc's shapes are read by a small parser of its notation (see the doc's introduction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"


# --- the notation -----------------------------------------------------------------------


@dataclass(eq=False)
class Obj:
    members: dict[str, Any]  # key -> node (None: a plain value)
    wildcard: Any = None
    has_wildcard: bool = False


@dataclass(eq=False)
class Arr:
    item: Any  # node or None (plain values)


@dataclass(eq=False)
class Union:
    alts: list[Any]


@dataclass(eq=False)
class Ref:
    name: str


class Leaf:
    """An example value: any plain value (text, number, true/false, null, list of those)."""


class Null:
    pass


_TOKEN = re.compile(r'\s+|//[^\n]*|"(?:[^"\\]|\\.)*"|\.\.\.|[{}\[\]:,|=]|[A-Za-z_]\w*|-?\d[\d.eE+-]*')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"docs/json.md: cannot read {text[pos:pos + 30]!r}")
        tok = m.group(0)
        pos = m.end()
        if not tok.isspace() and not tok.startswith("//"):
            out.append(tok)
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"docs/json.md: expected {want!r}, got {tok!r} at token {self.i}")
        self.i += 1
        return tok

    def value(self) -> Any:
        alts = [self.single()]
        while self.peek() == "|":
            self.take("|")
            alts.append(self.single())
        return alts[0] if len(alts) == 1 else Union(alts)

    def single(self) -> Any:
        tok = self.peek()
        if tok == "{":
            return self.obj()
        if tok == "[":
            return self.arr()
        self.take()
        if tok == "null":
            return Null()
        if tok is not None and (tok.startswith('"') or tok in ("true", "false", "...")
                                or re.fullmatch(r"-?\d[\d.eE+-]*", tok)):
            return Leaf()
        if tok is not None and tok[0].isupper():
            return Ref(tok)
        raise ValueError(f"docs/json.md: unexpected {tok!r}")

    def obj(self) -> Obj:
        self.take("{")
        o = Obj({})
        while self.peek() != "}":
            key = self.take()
            if not key.startswith('"'):
                raise ValueError(f"docs/json.md: a key must be quoted, got {key!r}")
            key = key[1:-1]
            node = None
            if self.peek() == ":":
                self.take(":")
                node = self.value()
            if key.startswith("<") and key.endswith(">"):
                o.wildcard, o.has_wildcard = node, True
            elif key in o.members:
                raise ValueError(f"docs/json.md: key {key!r} documented twice in one object")
            else:
                o.members[key] = node
            if self.peek() == ",":
                self.take(",")
        self.take("}")
        return o

    def arr(self) -> Arr:
        self.take("[")
        item = None if self.peek() == "]" else self.value()
        while self.peek() == ",":
            self.take(",")
            self.value()  # "...": more of the same
        self.take("]")
        return Arr(item)

    def definitions(self) -> dict[str, Any]:
        out = {}
        while self.peek() is not None:
            name = self.take()
            self.take("=")
            out[name] = self.value()
        return out


@dataclass
class Schema:
    ask: Any
    compare: Any
    shapes: dict[str, Any]


def parse_doc(text: str) -> Schema:
    blocks = re.findall(r"```jsonc\n(.*?)```", text, re.S)
    assert len(blocks) == 3, "docs/json.md: expected the ask, compare and shared-shapes blocks"
    ask, compare = _Parser(blocks[0]).value(), _Parser(blocks[1]).value()
    return Schema(ask, compare, _Parser(blocks[2]).definitions())


# --- matching output against the doc ----------------------------------------------------


@dataclass
class Check:
    shapes: dict[str, Any]
    undocumented: set[str] = field(default_factory=set)
    seen: set[tuple[int, str]] = field(default_factory=set)

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Ref):
            if node.name not in self.shapes:
                raise ValueError(f"docs/json.md: shape {node.name} is not defined")
            node = self.shapes[node.name]
        return node

    def match(self, value: Any, node: Any, path: str) -> None:
        node = self.resolve(node)
        if isinstance(node, Union):
            node = self._pick(value, self._alternatives(node), path)
            if node is None:
                return
        if node is None or isinstance(node, Leaf):
            if _has_object(value):
                self.undocumented.add(f"{path}: an object where the doc shows a plain value")
            return
        if isinstance(node, Null):
            if value is not None:
                self.undocumented.add(f"{path}: a value where the doc shows null")
            return
        if value is None:
            self.undocumented.add(f"{path}: null where the doc shows no `| null`")
            return
        if isinstance(node, Arr):
            if not isinstance(value, list):
                self.undocumented.add(f"{path}: not a list")
                return
            for x in value:
                self.match(x, node.item, path + "[]")
            return
        if not isinstance(value, dict):
            self.undocumented.add(f"{path}: not an object")
            return
        for key, x in value.items():
            if key in node.members:
                self.seen.add((id(node), key))
                self.match(x, node.members[key], f"{path}.{key}")
            elif node.has_wildcard:
                self.seen.add((id(node), "<*>"))
                self.match(x, node.wildcard, f"{path}.<{key}>")
            else:
                self.undocumented.add(f"{path}.{key}")

    def _alternatives(self, node: Union) -> list[Any]:
        out = []
        for a in node.alts:
            a = self.resolve(a)
            out.extend(self._alternatives(a) if isinstance(a, Union) else [a])
        return out

    def _pick(self, value: Any, alts: list[Any], path: str) -> Any:
        if value is None:
            if any(isinstance(a, Null | Leaf) for a in alts):
                return Null()
            self.undocumented.add(f"{path}: null where the doc shows no `| null`")
            return None
        kind = Obj if isinstance(value, dict) else Arr if isinstance(value, list) else Leaf
        fits = [a for a in alts if isinstance(a, kind)]
        if not fits:
            self.undocumented.add(f"{path}: a {type(value).__name__} where the doc shows none")
            return None
        if kind is Obj:
            # The alternative that documents all of the object's keys and the fewest others.
            return min(fits, key=lambda a: (len(set(value) - set(a.members)),
                                            len(set(a.members) - set(value))))
        return fits[0]

    def documented(self, roots: list[Any]) -> dict[tuple[int, str], str]:
        """Every documented key, as (object id, key) -> where it is documented."""
        out: dict[tuple[int, str], str] = {}
        done: set[int] = set()

        def walk(node: Any, where: str) -> None:
            node = self.resolve(node) if isinstance(node, Ref) else node
            if node is None or id(node) in done:
                return
            done.add(id(node))
            if isinstance(node, Union):
                for a in node.alts:
                    walk(a, where)
            elif isinstance(node, Arr):
                walk(node.item, where + "[]")
            elif isinstance(node, Obj):
                for k, child in node.members.items():
                    out[(id(node), k)] = f"{where}.{k}"
                    walk(child, f"{where}.{k}")
                if node.has_wildcard:
                    out[(id(node), "<*>")] = f"{where}.<*>"
                    walk(node.wildcard, f"{where}.<*>")

        for root in roots:
            walk(root, "")
        return out


def _has_object(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list)
                                       and any(_has_object(x) for x in value))


def check(text: str, asks: list[dict[str, Any]], compares: list[dict[str, Any]]
          ) -> tuple[set[str], set[str]]:
    """(keys output but not documented, keys documented but never output)."""
    schema = parse_doc(text)
    c = Check(schema.shapes)
    for d in asks:
        c.match(d, schema.ask, "ask")
    for d in compares:
        c.match(d, schema.compare, "compare")
    documented = c.documented([schema.ask, schema.compare])
    never = {where for key, where in documented.items() if key not in c.seen}
    return c.undocumented, never


# --- the outputs ------------------------------------------------------------------------

SRC = {"pmid": "1", "where": "constructed for a test"}


def _constructed_answer() -> dict[str, Any]:
    """Randomised and non-randomised trials of a continuous outcome pooled side by side."""
    from offlabel.appraise.core import appraise_condition
    from offlabel.appraise.results import Answer
    from offlabel.model import DrugProfile, Source, Study
    from offlabel.report.data import answer_dict
    from offlabel.vocabulary import BY_ID

    def trial(i: int, design: str, mean: float) -> Study:
        return Study.model_validate({
            "id": f"c{i}", "year": 2010 + i, "conditions": ["alcohol_use_disorder"],
            "design": design, "comparator": "placebo", "direction": "favours_drug",
            "sources": [SRC],
            "outcomes": [{"name": "drinks per day", "kind": "consumption",
                          "higher_is_better": False, "source": SRC,
                          "effect": {"type": "continuous", "mean_drug": mean, "sd_drug": 2.0,
                                     "n_drug": 40, "mean_control": 5.0, "sd_control": 2.0,
                                     "n_control": 40}}]})

    drug = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
    cond = BY_ID["alcohol_use_disorder"]
    studies = [trial(1, "rct", 4.0), trial(2, "rct", 4.2),
               trial(3, "nonrandomized_controlled_trial", 3.5)]
    ca = appraise_condition(drug, cond, studies, {cond.id})
    assert any(o.by_design for o in ca.outcomes)
    return answer_dict(Answer(drug, cond, [ca]))


@pytest.fixture(scope="module")
def outputs() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from offlabel.appraise import answer
    from offlabel.appraise.applicability import parse_profile
    from offlabel.appraise.compare import compare_drugs
    from offlabel.evidence import load_evidence
    from offlabel.report.compare import compare_dict
    from offlabel.report.data import answer_dict

    base = load_evidence()
    names = sorted(d.name for d in base.drugs.values())
    asks, conditions = [], set()
    for name in names:
        overview = answer(base, name)
        asks.append(answer_dict(overview))
        for ca in overview.conditions:
            conditions.add(ca.condition.name)
            asks.append(answer_dict(answer(base, name, ca.condition.name)))
    unpublished = [{"nct": "NCT00000000", "title": "A completed trial", "status": "COMPLETED",
                    "completion_date": "2015-06", "enrollment": 120,
                    "url": "https://clinicaltrials.gov/study/NCT00000000"}]
    profile = parse_profile(["liver_disease=yes", "max_tolerated_dose_mg=30"])
    asks.append(answer_dict(answer(base, "baclofen", "alcohol use disorder", profile=profile,
                                   unpublished=unpublished)))
    asks.append(_constructed_answer())
    compares = [compare_dict(compare_drugs(base, c, [*names, "nosuchdrug"]))
                for c in sorted(conditions)]
    return asks, compares


def test_every_output_key_is_documented(outputs):
    undocumented, _never = check(DOC.read_text(encoding="utf-8"), *outputs)
    assert not undocumented, "keys in the JSON output missing from docs/json.md:\n" + "\n".join(
        sorted(undocumented))


def test_every_documented_key_is_output(outputs):
    _undocumented, never = check(DOC.read_text(encoding="utf-8"), *outputs)
    assert not never, "keys in docs/json.md that no output has:\n" + "\n".join(sorted(never))


def test_a_fake_key_in_the_doc_fails(outputs):
    text = DOC.read_text(encoding="utf-8").replace('"mesh_id": "D000437",',
                                                   '"mesh_id": "D000437", "fake_key": 1,', 1)
    assert '"fake_key"' in text
    _undocumented, never = check(text, *outputs)
    assert never == {".conditions[].fake_key"}


def test_an_undocumented_output_key_fails(outputs):
    asks, compares = outputs
    extra = {**asks[0], "conditions": [{**asks[0]["conditions"][0], "extra": {"x": 1}}]}
    undocumented, _never = check(DOC.read_text(encoding="utf-8"), [*asks, extra], compares)
    assert undocumented == {"ask.conditions[].extra"}
    nested = {**compares[0], "drugs": [{**compares[0]["drugs"][0], "approval": {"US": {"new": 1}}}]}
    undocumented, _never = check(DOC.read_text(encoding="utf-8"), asks, [*compares, nested])
    assert undocumented == {"compare.drugs[].approval.<US>.new"}


def test_the_design_values_listed_are_the_models():
    from offlabel.model import Design

    text = DOC.read_text(encoding="utf-8")
    listed = re.search(r'"design",\s*//(.*?)\n\s*"evidence_level"', text, re.S)
    assert listed, "docs/json.md: the studies' design comment is missing"
    values = re.findall(r"[a-z_]+", listed.group(1).replace("//", " "))
    assert sorted(values) == sorted(d.value for d in Design)
