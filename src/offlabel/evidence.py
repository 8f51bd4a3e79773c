"""Load and validate evidence files (YAML, schema = offlabel.model.EvidenceFile).

Problems are reported as ``file:line: study <id>: field <name>: <what is wrong>`` so a curator
can jump straight to the line. PyYAML's composed node tree gives the line of every value; the
pydantic error location is walked down that tree.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from offlabel.errors import EvidenceError
from offlabel.model import DrugProfile, EvidenceFile, Study, name_key

__all__ = ["BUNDLED_PACKAGE", "EvidenceBase", "EvidenceError", "build_base", "bundled_files",
           "check_file", "check_text", "load_evidence", "unsourced_numbers"]

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
        """The drug whose whole name, synonym or brand TEXT is, compared as model.name_key does
        ("BACLOFEN", "Lioresal", "baclofène"); None for anything else, never a drug whose name
        is merely inside the text."""
        key = name_key(text)
        if not key:
            return None
        for d in self.drugs.values():
            if key in {name_key(n) for n in (d.id, d.name, *d.synonyms, *d.brand_names)}:
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
    exc: ValidationError, locate: Callable[[tuple[int | str, ...]], int], where: str,
    filename: str,
) -> list[tuple[int, str]]:
    """(line, problem line) for each error of one validation; `locate` gives a location's line."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = locate(loc)
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


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR = yaml.ScalarEvent
# The tags of plain scalars: the same short ones ("rct", "true", "12") recur thousands of
# times, and the resolver tries its regular expressions on each.
_PLAIN_TAGS: dict[str, str] = {}


class _Loader(_FAST_LOADER):  # type: ignore[misc,valid-type]
    """libyaml's event parser, building values straight from its events.

    `yaml.load` composes the whole document's node tree before it builds any value: for a
    50 MB file that is over a gigabyte, and the cyclic garbage collector walks those millions
    of nodes again and again. Here values are built as the events arrive (PyYAML's safe
    constructor still builds every scalar that is not a plain string), so a file is read one
    study at a time. Line numbers are only needed for problems: the text of the part with a
    problem is then read again into nodes (see `_Spans`).
    """

    def __init__(self, text: str, *, part: bool = False) -> None:
        super().__init__(text)
        self.part = part  # a part of a document, read again to locate a problem
        self.anchors: dict[str, yaml.Node] = {}  # read_node's
        self.anchored: dict[str, tuple[Any, yaml.Mark]] = {}  # read_value's

    def _plain_tag(self, value: str) -> str:
        tag: str = self.resolve(yaml.ScalarNode, value, (True, False))
        if len(value) < 32:
            if len(_PLAIN_TAGS) > 50_000:
                _PLAIN_TAGS.clear()
            _PLAIN_TAGS[value] = tag
        return tag

    def _tag(self, ev: Any) -> str:
        """The tag of an untagged scalar event, as the resolver would give it."""
        if not ev.implicit[0]:
            return _STR  # quoted
        return _PLAIN_TAGS.get(ev.value) or self._plain_tag(ev.value)

    def read_value(self, ev: Any = None) -> Any:
        """The value that starts with event `ev` (by default the next one), read to its end."""
        if ev is None:
            ev = self.get_event()
        if type(ev) is _SCALAR and ev.tag is None and ev.anchor is None:
            # most events: an untagged scalar, read here without another call
            if not ev.implicit[0]:
                return ev.value  # quoted: a string
            tag = _PLAIN_TAGS.get(ev.value) or self._plain_tag(ev.value)
            return ev.value if tag == _STR else self._scalar(tag, ev)
        return self._read_value(ev)

    def _scalar(self, tag: str, ev: Any) -> Any:
        node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
        build = self.yaml_constructors.get(tag)
        return build(self, node) if build is not None else self.construct_object(node)

    def _read_value(self, ev: Any) -> Any:
        kind = type(ev)
        if kind is yaml.AliasEvent:
            if ev.anchor not in self.anchored:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {ev.anchor!r}", ev.start_mark
                )
            return self.anchored[ev.anchor][0]
        anchor = ev.anchor
        if anchor is not None and anchor in self.anchored:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchored[anchor][1], "second occurrence", ev.start_mark,
            )
        tag = ev.tag
        value: Any
        if kind is yaml.ScalarEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.ScalarNode, ev.value, ev.implicit)
            value = ev.value if tag == _STR else self._scalar(tag, ev)
        elif kind is yaml.SequenceStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.SequenceNode, None, ev.implicit)
            if tag != _SEQ:  # !!omap, !!pairs, a local tag: PyYAML's own way
                return self._by_node(ev)
            value = []
            if anchor is not None:  # registered first: an alias inside may refer to it
                self.anchored[anchor] = (value, ev.start_mark)
            read, get = self.read_value, self.get_event
            while type(sub := get()) is not yaml.SequenceEndEvent:
                value.append(read(sub))
        elif kind is yaml.MappingStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.MappingNode, None, ev.implicit)
            if tag != _MAP:  # !!set, a local tag
                return self._by_node(ev)
            value = {}
            if anchor is not None:
                self.anchored[anchor] = (value, ev.start_mark)
            merged: list[dict[Any, Any]] = []
            read, get = self.read_value, self.get_event
            while type(sub := get()) is not yaml.MappingEndEvent:
                if _is_merge(sub):
                    merged += _to_merge(read(), ev, sub)
                    continue
                key = read(sub)
                if type(key) is not str:
                    _hashable(key, ev, sub)
                value[key] = read()
            if merged:  # merged keys first, the mapping's own keys win (as PyYAML merges)
                own = dict(value)
                value.clear()
                for m in merged:
                    value.update(m)
                value.update(own)
        else:  # the parser hands out nothing else inside a document
            raise yaml.composer.ComposerError(None, None, f"unexpected {ev}", ev.start_mark)
        if anchor is not None:
            self.anchored[anchor] = (value, ev.start_mark)
        return value

    def _by_node(self, ev: Any) -> Any:
        value = self.construct_document(self.read_node(ev))
        if ev.anchor is not None:
            self.anchored[ev.anchor] = (value, ev.start_mark)
        return value

    def read_node(self, ev: Any = None) -> yaml.Node:
        """The node that starts with event `ev` (by default the next one), as yaml.compose."""
        if ev is None:
            ev = self.get_event()
        kind = type(ev)
        if kind is yaml.AliasEvent:
            if ev.anchor in self.anchors:
                return self.anchors[ev.anchor]
            if self.part:  # its anchor lies outside the part: the alias's own place will do
                return yaml.ScalarNode(_STR, "", ev.start_mark, ev.end_mark)
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {ev.anchor!r}", ev.start_mark
            )
        if ev.anchor is not None and ev.anchor in self.anchors and not self.part:
            raise yaml.composer.ComposerError(
                f"found duplicate anchor {ev.anchor!r}; first occurrence",
                self.anchors[ev.anchor].start_mark, "second occurrence", ev.start_mark,
            )
        tag = ev.tag
        node: yaml.Node
        if kind is yaml.ScalarEvent:
            if tag is None:
                tag = self._tag(ev)
            elif tag == "!":
                tag = self.resolve(yaml.ScalarNode, ev.value, ev.implicit)
            node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
        elif kind is yaml.SequenceStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.SequenceNode, None, ev.implicit)
            node = yaml.SequenceNode(tag, [], ev.start_mark, None, flow_style=ev.flow_style)
            if ev.anchor is not None:
                self.anchors[ev.anchor] = node
            while type(sub := self.get_event()) is not yaml.SequenceEndEvent:
                node.value.append(self.read_node(sub))
            node.end_mark = sub.end_mark
        elif kind is yaml.MappingStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(yaml.MappingNode, None, ev.implicit)
            node = yaml.MappingNode(tag, [], ev.start_mark, None, flow_style=ev.flow_style)
            if ev.anchor is not None:
                self.anchors[ev.anchor] = node
            while type(sub := self.get_event()) is not yaml.MappingEndEvent:
                key = self.read_node(sub)
                node.value.append((key, self.read_node()))
            node.end_mark = sub.end_mark
        else:
            raise yaml.composer.ComposerError(None, None, f"unexpected {ev}", ev.start_mark)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = node
        return node


def _is_merge(ev: Any) -> bool:
    """A plain, untagged `<<` key: YAML's merge key (which the resolver makes of it)."""
    return type(ev) is _SCALAR and ev.value == "<<" and ev.tag is None and ev.implicit[0]


def _hashable(key: Any, mapping: Any, event: Any) -> None:
    try:
        hash(key)
    except TypeError:
        raise yaml.constructor.ConstructorError(
            "while constructing a mapping", mapping.start_mark, "found unhashable key",
            event.start_mark,
        ) from None


def _to_merge(value: Any, mapping: Any, key: Any) -> list[dict[Any, Any]]:
    """The mappings a `<<` key merges, in increasing priority (YAML's merge key)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        for v in value:
            if not isinstance(v, dict):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", mapping.start_mark,
                    f"expected a mapping for merging, but found {type(v).__name__}",
                    key.start_mark,
                )
        return list(value)  # pair after pair, as PyYAML 6 merges them
    raise yaml.constructor.ConstructorError(
        "while constructing a mapping", mapping.start_mark,
        f"expected a mapping or list of mappings for merging, but found {type(value).__name__}",
        key.start_mark,
    )


class _Spans:
    """Where parts of a text lie, to give a problem its line without keeping nodes around.

    A part (a study, the drug block) is read again from its own text into nodes only when it
    has a problem; a part that does not read on its own (an alias to an anchor outside it)
    reports its first line.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._last: tuple[int, yaml.Node | None] = (-1, None)  # a part has problems in a row

    def line(self, start: yaml.Mark, end: yaml.Mark, loc: tuple[int | str, ...]) -> int:
        if self._last[0] != start.index:
            self._last = (start.index, self._node(start, end))
        node = self._last[1]
        at = _node_at(node, loc) if node is not None else None
        return start.line + 1 + (at.start_mark.line if at is not None else 0)

    def _node(self, start: yaml.Mark, end: yaml.Mark) -> yaml.Node | None:
        # the part's first line padded to its column, so that block indentation still reads
        part = " " * start.column + self.text[start.index : end.index]
        loader = _Loader(part, part=True)
        try:
            loader.get_event()
            if not loader.check_event(yaml.DocumentStartEvent):
                return None  # an empty part: its first line is the place
            loader.get_event()
            return loader.read_node()
        except yaml.YAMLError:
            return None
        finally:
            loader.dispose()


def check_text(text: str, filename: str) -> tuple[EvidenceFile | None, list[str]]:
    """Validate one file's text. Returns the parsed file (or None) and the problem lines.

    Linear in the file's size, in time and memory: studies are read and validated one at a
    time, and each problem is located by reading again only the study (or block) it is in.
    """
    collecting = gc.isenabled()
    gc.disable()  # what is built here holds no cycles, and collections would walk all of it
    text = text.removeprefix("\ufeff")  # libyaml skips it, and would count marks from after it
    loader = _Loader(text)
    try:
        return _check(loader, _Spans(text), filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [f"{filename}:{line}: file: field (yaml): not valid YAML: {problem}"]
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


def _check(
    loader: _Loader, spans: _Spans, filename: str
) -> tuple[EvidenceFile | None, list[str]]:
    loader.get_event()  # the stream's start
    not_mapping = (
        None,
        [f"{filename}:1: file: field (root): expected a mapping with 'drug' and 'studies'"],
    )
    if loader.check_event(yaml.StreamEndEvent):
        return not_mapping  # an empty file
    start = loader.get_event()  # the document's start
    first = loader.get_event()
    if type(first) is not yaml.MappingStartEvent or (
        first.tag not in (None, "!", _MAP)
    ):
        value = loader.read_value(first)
        _end_of_document(loader, start)
        if not isinstance(value, dict):
            return not_mapping
        top: dict[Any, Any] = value  # a tagged root mapping: no line beyond the first
        where: dict[Any, tuple[yaml.Mark, yaml.Mark]] = {}
        studies: list[Study] | None = None
        in_studies: list[tuple[int, str]] = []
    else:
        top, where, studies, in_studies = _read_top(loader, spans, filename, first)
        _end_of_document(loader, start)

    def locate(loc: tuple[int | str, ...]) -> int:
        if loc and loc[0] in where:
            begin, end = where[loc[0]]
            return spans.line(begin, end, loc[1:])
        return int(first.start_mark.line) + 1  # a missing key: the mapping that lacks it

    found = list(in_studies)
    try:
        parsed = EvidenceFile.model_validate(top)
    except ValidationError as exc:
        found += _problems(exc, locate, "file", filename)
    if found:
        found.sort()
        return None, list(dict.fromkeys(p for _, p in found))
    if studies is not None:
        parsed.studies = studies
    return parsed, []


def _read_top(
    loader: _Loader, spans: _Spans, filename: str, first: Any
) -> tuple[
    dict[Any, Any],
    dict[Any, tuple[yaml.Mark, yaml.Mark]],
    list[Study] | None,
    list[tuple[int, str]],
]:
    """The top-level mapping, with the `studies` sequence read and validated as it goes."""
    top: dict[Any, Any] = {}
    where: dict[Any, tuple[yaml.Mark, yaml.Mark]] = {}  # each key's value, for its problems
    studies: list[Study] | None = None  # validated studies, when `studies` is a sequence
    in_studies: list[tuple[int, str]] = []
    merged: list[dict[Any, Any]] = []
    while type(ev := loader.get_event()) is not yaml.MappingEndEvent:
        if _is_merge(ev):
            merged += _to_merge(loader.read_value(), first, ev)
            continue
        key = loader.read_value(ev)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", first.start_mark, "found unhashable key",
                ev.start_mark,
            ) from None
        nxt = loader.peek_event()
        if key == "studies" and type(nxt) is yaml.SequenceStartEvent and nxt.anchor is None \
                and nxt.tag in (None, "!", _SEQ):
            # a repeated key replaces the earlier value, as yaml.load would
            studies, in_studies = _read_studies(loader, spans, filename)
            top[key] = []
            where.pop(key, None)
            continue
        if key == "studies":
            studies, in_studies = None, []
        value_start = nxt.start_mark
        top[key] = loader.read_value()
        where[key] = (value_start, loader.peek_event().start_mark)
    if merged:
        own = dict(top)
        top.clear()
        for m in merged:
            top.update(m)
        top.update(own)
    return top, where, studies, in_studies


def _read_studies(
    loader: _Loader, spans: _Spans, filename: str
) -> tuple[list[Study], list[tuple[int, str]]]:
    """The valid studies of a `studies:` sequence, and (line, problem) for the others."""
    studies: list[Study] = []
    found: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    loader.get_event()  # the sequence's start
    i = -1
    while type(ev := loader.get_event()) is not yaml.SequenceEndEvent:
        i += 1
        data = loader.read_value(ev)
        span = (ev.start_mark, loader.peek_event().start_mark)
        sid = data.get("id") if isinstance(data, dict) else None
        where = f"study {sid or '#' + str(i + 1)}"
        try:
            study = Study.model_validate(data)
        except ValidationError as exc:
            found += _problems(exc, functools.partial(spans.line, *span), where, filename)
            continue
        if study.id in seen:
            line = spans.line(*span, ("id",))
            found.append((line, f"{filename}:{line}: study {study.id}: field id: "
                                f"duplicate of study #{seen[study.id] + 1}"))
        seen.setdefault(study.id, i)
        studies.append(study)
    return studies, found


def _end_of_document(loader: _Loader, start: Any) -> None:
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
    merged.harms.extend(h for h in extra.harms if h not in merged.harms)
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


def _bundled_key(files: list[tuple[str, str]]) -> bytes:
    return b"".join(name.encode() + b"\0" + text.encode() + b"\0" for name, text in files)


def _parsed_bundled() -> tuple[list[tuple[str, EvidenceFile]], list[str]]:
    """The bundled files, checked and parsed; from the on-disk cache (offlabel.cache) when their
    content and the code that reads them are the same as when it was written (parsing the YAML
    was most of what `ask` took)."""
    from offlabel import cache

    files = bundled_files()
    key = _bundled_key(files)
    cached = cache.load("evidence", key)
    if isinstance(cached, list):
        return cached, []
    parsed: list[tuple[str, EvidenceFile]] = []
    problems: list[str] = []
    for name, text in files:
        ev, probs = check_text(text, name)
        problems.extend(probs)
        if ev is not None:
            parsed.append((name, ev))
    if not problems:
        cache.save("evidence", key, parsed)
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
