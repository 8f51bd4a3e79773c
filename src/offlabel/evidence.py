"""Load and validate evidence files (YAML, schema = offlabel.model.EvidenceFile).

Problems are reported as ``file:line: study <id>: field <name>: <what is wrong>`` so a curator
can jump straight to the line. PyYAML's composed node tree gives the line of every value; the
pydantic error location is walked down that tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from offlabel.errors import EvidenceError
from offlabel.model import DrugProfile, EvidenceFile, Study

BUNDLED_PACKAGE = "offlabel.data.evidence"
# libyaml's C loader when PyYAML was built with it: parsing the bundled files is most of `ask`.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)




@dataclass
class EvidenceBase:
    drugs: dict[str, DrugProfile] = field(default_factory=dict)
    studies: list[Study] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    example_drugs: set[str] = field(default_factory=set)

    def studies_for(self, drug_id: str) -> list[Study]:
        return [s for s in self.studies if s.drug == drug_id]

    def find_drug(self, text: str) -> DrugProfile | None:
        key = text.strip().lower()
        for d in self.drugs.values():
            names = {d.id, d.name.lower(), *(s.lower() for s in d.synonyms),
                     *(b.lower() for b in d.brand_names)}
            if key in names:
                return d
        return None


def _node_at(node: yaml.Node | None, loc: tuple) -> yaml.Node | None:
    """The deepest YAML node along a pydantic error location."""
    for part in loc:
        if node is None:
            return None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                return node  # missing field: point at the mapping that lacks it
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            # discriminated-union tags ("binary", "reported") are not YAML keys
            continue
    return node


def _describe(loc: tuple, data: object) -> tuple[str, str]:
    """('study <id>' or 'drug', dotted field name) for a pydantic location."""
    where = "file"
    rest = list(loc)
    if rest[:1] == ["studies"] and len(rest) > 1 and isinstance(rest[1], int):
        sid = None
        try:
            sid = data["studies"][rest[1]].get("id")  # type: ignore[index,union-attr]
        except (TypeError, KeyError, IndexError, AttributeError):
            pass
        where = f"study {sid or '#' + str(rest[1] + 1)}"
        rest = rest[2:]
    elif rest[:1] == ["drug"]:
        where = "drug"
        rest = rest[1:]
    tags = {"binary", "continuous", "reported", "single_arm"}
    name = ".".join(
        f"[{p}]" if isinstance(p, int) else str(p) for p in rest if p not in tags
    ).replace(".[", "[")
    return where, name or "(record)"


def check_text(text: str, filename: str) -> tuple[EvidenceFile | None, list[str]]:
    """Validate one file's text. Returns the parsed file (or None) and the problem lines."""
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [f"{filename}:{line}: file: field (yaml): not valid YAML: {problem}"]
    if not isinstance(data, dict):
        return None, [f"{filename}:1: file: field (root): expected a mapping with 'drug' and 'studies'"]
    try:
        parsed = EvidenceFile.model_validate(data)
    except ValidationError as exc:
        # Composing the node tree is slow; only pay for it to put line numbers on problems.
        root = yaml.compose(text, Loader=_FAST_LOADER)
        problems = []
        for err in exc.errors():
            node = _node_at(root, err["loc"])
            line = node.start_mark.line + 1 if node is not None else 1
            where, name = _describe(err["loc"], data)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required field is missing"
            elif isinstance(err.get("input"), (str, int, float)) and "got" not in msg:
                msg = f"{msg} (got {err['input']!r})"
            problems.append(f"{filename}:{line}: {where}: field {name}: {msg}")
        return None, sorted(set(problems), key=lambda p: (int(p.split(":")[1]), p))
    problems = []
    seen: dict[str, int] = {}
    for i, study in enumerate(parsed.studies):
        if study.id in seen:
            root = yaml.compose(text, Loader=_FAST_LOADER)
            node = _node_at(root, ("studies", i, "id"))
            line = node.start_mark.line + 1 if node else 1
            problems.append(
                f"{filename}:{line}: study {study.id}: field id: duplicate of study #{seen[study.id] + 1}"
            )
        seen.setdefault(study.id, i)
    return (None if problems else parsed), problems


def check_file(path: Path) -> tuple[EvidenceFile | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}:1: file: field (file): cannot read: {exc.__class__.__name__}: {exc}"]
    return check_text(text, str(path))


def bundled_files() -> list[tuple[str, str]]:
    """(name, text) of every bundled evidence file, in a stable order."""
    root = resources.files(BUNDLED_PACKAGE)
    out = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            out.append((f"offlabel/data/evidence/{entry.name}", entry.read_text(encoding="utf-8")))
    return out


def _merge_profile(base: DrugProfile, extra: DrugProfile) -> DrugProfile:
    """Later files may carry a minimal drug block; union the lists, keep the first scalars."""
    merged = base.model_copy(deep=True)
    for name in ("synonyms", "brand_names", "forms"):
        cur = getattr(merged, name)
        cur.extend(x for x in getattr(extra, name) if x not in cur)
    have = {(a.region, a.indication) for a in merged.approvals}
    merged.approvals.extend(a for a in extra.approvals if (a.region, a.indication) not in have)
    for name in ("drug_class", "mechanism", "boxed_warning"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(extra, name))
    if len(extra.approvals) > len(base.approvals) and base.mechanism is None:
        merged.name = extra.name
    return merged


def build_base(parsed: Iterable[tuple[str, EvidenceFile]]) -> tuple[EvidenceBase, list[str]]:
    base = EvidenceBase()
    problems: list[str] = []
    ids: dict[str, str] = {}
    for fname, ev in parsed:
        base.files.append(fname)
        did = ev.drug.id
        base.drugs[did] = _merge_profile(base.drugs[did], ev.drug) if did in base.drugs else ev.drug
        if ev.example:
            base.example_drugs.add(did)
        for s in ev.studies:
            if s.drug is None:
                s = s.model_copy(update={"drug": did})
            if s.id in ids:
                problems.append(
                    f"{fname}:1: study {s.id}: field id: also defined in {ids[s.id]}"
                )
                continue
            ids[s.id] = fname
            base.studies.append(s)
    return base, problems


def load_evidence(extra_paths: Iterable[Path] = (), bundled: bool = True) -> EvidenceBase:
    """The bundled evidence plus user files. Raises EvidenceError listing every problem."""
    parsed: list[tuple[str, EvidenceFile]] = []
    problems: list[str] = []
    sources: list[tuple[str, str | Path]] = list(bundled_files()) if bundled else []
    for p in extra_paths:
        p = Path(p)
        files = sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
        sources.extend((str(f), f) for f in files)
    for name, content in sources:
        if isinstance(content, Path):
            ev, probs = check_file(content)
        else:
            ev, probs = check_text(content, name)
        problems.extend(probs)
        if ev is not None:
            parsed.append((name, ev))
    base, more = build_base(parsed)
    problems.extend(more)
    if problems:
        raise EvidenceError(problems)
    return base


def unsourced_numbers(data: object, path: str = "", sourced: bool = False) -> list[str]:
    """Paths of numbers in a raw evidence mapping with no `source`/`sources` at or above them.

    The schema already demands sources where numbers usually sit; this walk is the guarantee
    for any number anywhere, including fields added later.
    """
    out: list[str] = []
    if isinstance(data, dict):
        has = bool(data.get("source")) or bool(data.get("sources"))
        for k, v in data.items():
            if k in ("source", "sources", "schema_version", "year"):
                continue  # the source block itself; the schema version; a citation's year
            out += unsourced_numbers(v, f"{path}.{k}" if path else str(k), sourced or has)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += unsourced_numbers(v, f"{path}[{i}]", sourced)
    elif isinstance(data, (int, float)) and not isinstance(data, bool) and not sourced:
        out.append(path)
    return out
