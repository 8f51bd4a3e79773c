"""Load and validate evidence files (YAML, schema = offlabel.model.EvidenceFile).

Problems are reported as ``file:line: study <id>: field <name>: <what is wrong>`` so a curator
can jump straight to the line. PyYAML's composed node tree gives the line of every value; the
pydantic error location is walked down that tree.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from offlabel.errors import EvidenceError
from offlabel.model import DrugProfile, EvidenceFile, Study

BUNDLED_PACKAGE = "offlabel.data.evidence"
# libyaml's C parser when PyYAML was built with it: parsing the bundled files is most of `ask`.
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


def _node_at(node: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
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


_UNION_TAGS = {"binary", "continuous", "reported", "single_arm"}


def _field_name(loc: tuple[int | str, ...]) -> str:
    """The dotted field name of a pydantic location (union tags left out)."""
    name = ".".join(
        f"[{p}]" if isinstance(p, int) else str(p) for p in loc if p not in _UNION_TAGS
    ).replace(".[", "[")
    return name or "(record)"


def _problems(
    exc: ValidationError, node: yaml.Node | None, where: str, filename: str,
) -> list[tuple[int, str]]:
    """(line, problem line) for each error of one validation, located in `node`'s tree."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        at = _node_at(node, loc)
        line = at.start_mark.line + 1 if at is not None else 1
        place = where
        if where == "file" and loc[:1] == ("drug",):
            place, loc = "drug", loc[1:]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif isinstance(err.get("input"), (str, int, float)) and "got" not in msg:
            msg = f"{msg} (got {err['input']!r})"
        out.append((line, f"{filename}:{line}: {place}: field {_field_name(loc)}: {msg}"))
    return out


class _Loader(_FAST_LOADER):  # type: ignore[misc,valid-type]
    """libyaml's event parser with PyYAML's safe constructor, composed one study at a time.

    `yaml.load` composes the whole document's node tree before building any value: for a
    50 MB file that is over a gigabyte, and the cyclic garbage collector then walks those
    millions of nodes again and again. Here each study's nodes are built, turned into data,
    validated and dropped, so memory holds the validated studies and one study's nodes.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.anchors: dict[str, yaml.Node] = {}
        # the same short plain scalars ("rct", "true", "12") recur thousands of times and
        # the resolver tries its regular expressions on each
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type, value: str | None, implicit: object) -> str:
        if kind is yaml.ScalarNode and value is not None and len(value) < 32:
            key = (value, implicit)
            tag = self._tags.get(key)  # type: ignore[arg-type]
            if tag is None:
                if len(self._tags) > 50_000:
                    self._tags.clear()
                tag = self._tags[key] = super().resolve(kind, value, implicit)  # type: ignore[index]
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

    def read_node(self, event: yaml.Event | None = None) -> yaml.Node:
        """The node that starts with `event` (by default the next one), read to its end."""
        ev = self.get_event() if event is None else event
        kind = type(ev)
        if kind is yaml.AliasEvent:
            if ev.anchor not in self.anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {ev.anchor!r}", ev.start_mark
                )
            return self.anchors[ev.anchor]
        if ev.anchor is not None and ev.anchor in self.anchors:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {ev.anchor!r}; first occurrence",
                self.anchors[ev.anchor].start_mark, "second occurrence", ev.start_mark,
            )
        tag = ev.tag
        node: yaml.Node
        if kind is yaml.ScalarEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.ScalarNode, ev.value, ev.implicit)
            node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
        elif kind is yaml.SequenceStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.SequenceNode, None, ev.implicit)
            node = yaml.SequenceNode(tag, [], ev.start_mark, None, flow_style=ev.flow_style)
            if ev.anchor is not None:  # registered first: an alias inside may refer to it
                self.anchors[ev.anchor] = node
            items = node.value
            while type(sub := self.get_event()) is not yaml.SequenceEndEvent:
                items.append(self.read_node(sub))
            node.end_mark = sub.end_mark
        elif kind is yaml.MappingStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.MappingNode, None, ev.implicit)
            node = yaml.MappingNode(tag, [], ev.start_mark, None, flow_style=ev.flow_style)
            if ev.anchor is not None:
                self.anchors[ev.anchor] = node
            pairs = node.value
            while type(sub := self.get_event()) is not yaml.MappingEndEvent:
                key = self.read_node(sub)
                pairs.append((key, self.read_node()))
            node.end_mark = sub.end_mark
        else:  # the parser only hands out these four inside a document
            raise yaml.composer.ComposerError(None, None, f"unexpected {ev}", ev.start_mark)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = node
        return node

    def to_value(self, node: yaml.Node) -> Any:
        return self.construct_document(node)


def check_text(text: str, filename: str) -> tuple[EvidenceFile | None, list[str]]:
    """Validate one file's text. Returns the parsed file (or None) and the problem lines.

    Linear in the file's size, in time and memory: studies are read, validated and located
    one at a time, and every problem is located in the nodes already built (never by
    composing the file again).
    """
    collecting = gc.isenabled()
    gc.disable()  # the nodes and values built here hold no cycles to collect
    loader = _Loader(text)
    try:
        return _check(loader, filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [f"{filename}:{line}: file: field (yaml): not valid YAML: {problem}"]
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


def _check(loader: _Loader, filename: str) -> tuple[EvidenceFile | None, list[str]]:
    loader.get_event()  # the stream's start
    not_mapping = (
        None,
        [f"{filename}:1: file: field (root): expected a mapping with 'drug' and 'studies'"],
    )
    if loader.check_event(yaml.StreamEndEvent):
        return not_mapping  # an empty file
    start = loader.get_event()  # the document's start
    first = loader.get_event()
    if type(first) is not yaml.MappingStartEvent:
        loader.read_node(first)
        _end_of_document(loader, start)
        return not_mapping
    top: dict[Any, Any] = {}
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    studies: list[Study] | None = None  # validated studies, when `studies` is a sequence
    in_studies: list[tuple[int, str]] = []
    while type(ev := loader.get_event()) is not yaml.MappingEndEvent:
        key_node = loader.read_node(ev)
        key = loader.to_value(key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", first.start_mark, "found unhashable key",
                key_node.start_mark,
            ) from None
        if key == "studies" and loader.check_event(yaml.SequenceStartEvent):
            # a repeated key replaces the earlier value, as yaml.load would
            pairs = [(k, v) for k, v in pairs if getattr(k, "value", None) != "studies"]
            studies, in_studies = _check_studies(loader, filename)
            top[key] = []
            continue
        if key == "studies":
            studies, in_studies = None, []
        value_node = loader.read_node()
        pairs.append((key_node, value_node))
        top[key] = loader.to_value(value_node)
    _end_of_document(loader, start)
    found = list(in_studies)
    try:
        parsed = EvidenceFile.model_validate(top)
    except ValidationError as exc:
        root = yaml.MappingNode("tag:yaml.org,2002:map", pairs, first.start_mark, None)
        found += _problems(exc, root, "file", filename)
    if found:
        found.sort()
        return None, list(dict.fromkeys(p for _, p in found))
    if studies is not None:
        parsed.studies = studies
    return parsed, []


def _check_studies(loader: _Loader, filename: str) -> tuple[list[Study], list[tuple[int, str]]]:
    """The valid studies of a `studies:` sequence, and (line, problem) for the others."""
    studies: list[Study] = []
    found: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    start = loader.get_event()
    if start.anchor is not None:  # the whole list may be aliased later: keep it as one node
        items = iter(loader.read_node(start).value)
    else:
        items = iter(lambda: _next_item(loader), None)
    for i, node in enumerate(items):
        data = loader.to_value(node)
        sid = data.get("id") if isinstance(data, dict) else None
        where = f"study {sid or '#' + str(i + 1)}"
        try:
            study = Study.model_validate(data)
        except ValidationError as exc:
            found += _problems(exc, node, where, filename)
            continue
        if study.id in seen:
            at = _node_at(node, ("id",))
            line = at.start_mark.line + 1 if at is not None else 1
            found.append((line, f"{filename}:{line}: study {study.id}: field id: "
                                f"duplicate of study #{seen[study.id] + 1}"))
        seen.setdefault(study.id, i)
        studies.append(study)
    return studies, found


def _next_item(loader: _Loader) -> yaml.Node | None:
    ev = loader.get_event()
    return None if type(ev) is yaml.SequenceEndEvent else loader.read_node(ev)


def _end_of_document(loader: _Loader, start: yaml.Event) -> None:
    loader.get_event()  # the document's end
    if not loader.check_event(yaml.StreamEndEvent):
        ev = loader.get_event()
        raise yaml.composer.ComposerError(
            "expected a single document in the stream", start.start_mark,
            "but found another document", ev.start_mark,
        )


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


def _cache_file(files: list[tuple[str, str]]) -> Path | None:
    """Where the parsed bundled files are kept, keyed by their content and the code that reads
    them; None when caching is switched off (OFFLABEL_NO_CACHE) or there is no cache folder."""
    import hashlib
    import sys

    if os.environ.get("OFFLABEL_NO_CACHE"):
        return None
    import platformdirs
    import pydantic

    from offlabel import __version__

    h = hashlib.sha256()
    model_file = Path(__file__).with_name("model.py")
    for part in (__version__, sys.version, pydantic.VERSION, model_file.read_bytes().hex()):
        h.update(part.encode())
    for name, text in files:
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    folder = Path(os.environ.get("OFFLABEL_CACHE_DIR") or platformdirs.user_cache_dir("offlabel"))
    return folder / f"evidence-{h.hexdigest()[:32]}.pickle"


def _parsed_bundled() -> tuple[list[tuple[str, EvidenceFile]], list[str]]:
    """The bundled files, checked and parsed; from the on-disk cache when their content is the
    same as when it was written (parsing the YAML is most of what `ask` takes)."""
    import pickle

    files = bundled_files()
    cache = _cache_file(files)
    if cache is not None and cache.exists():
        try:
            with cache.open("rb") as fh:
                cached: list[tuple[str, EvidenceFile]] = pickle.load(fh)
            return cached, []
        except Exception:  # a stale or broken cache is only a slower start
            pass
    parsed: list[tuple[str, EvidenceFile]] = []
    problems: list[str] = []
    for name, text in files:
        ev, probs = check_text(text, name)
        problems.extend(probs)
        if ev is not None:
            parsed.append((name, ev))
    if cache is not None and not problems:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.part")
            with tmp.open("wb") as fh:
                pickle.dump(parsed, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cache)  # whole or not at all, even with two processes writing
        except OSError:
            pass
    return parsed, problems


def load_evidence(extra_paths: Iterable[Path] = (), bundled: bool = True) -> EvidenceBase:
    """The bundled evidence plus user files. Raises EvidenceError listing every problem."""
    parsed: list[tuple[str, EvidenceFile]] = []
    problems: list[str] = []
    if bundled:
        parsed, problems = _parsed_bundled()
    for p in extra_paths:
        p = Path(p)
        for f in sorted(p.glob("*.y*ml")) if p.is_dir() else [p]:
            ev, probs = check_file(f)
            problems.extend(probs)
            if ev is not None:
                parsed.append((str(f), ev))
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
