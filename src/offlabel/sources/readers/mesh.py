"""NLM's MeSH descriptor file (descYYYY.xml, plain or .gz): each descriptor's UI, name and tree
numbers.

MEDLINE citations name their MeSH descriptors but not where they sit in the MeSH trees; the tree
numbers (C = diseases, F03 = mental disorders, D = chemicals and drugs) live only in this file.
`offlabel scan --mesh PATH` reads it once so that conditions can be told by their tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._common import ReaderError, Source, open_binary, record_label, release, source_name

__all__ = ["Descriptor", "iter_mesh_descriptors", "read_mesh_descriptors"]


@dataclass(frozen=True, slots=True)
class Descriptor:
    """One MeSH descriptor: its UI (D011433), its name and its tree numbers (none for a check tag
    such as Humans)."""

    ui: str
    name: str
    trees: tuple[str, ...] = ()


def iter_mesh_descriptors(source: Source, *, name: str | None = None) -> Iterator[Descriptor]:
    """Yield each <DescriptorRecord> of a descriptor file, streaming (the full file is ~300 MB).

    A file that is not a descriptor file, or breaks off, is a ReaderError naming the file, the
    line and the last descriptor read."""
    from lxml import etree

    file = source_name(source, name)
    count = 0
    last: str | None = None
    try:
        stream = open_binary(source)
    except OSError as exc:
        raise ReaderError(file, f"cannot open: {exc}") from None
    try:
        parser = etree.iterparse(
            stream, events=("end",), tag="DescriptorRecord", huge_tree=True,
            remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False,
        )
        for _event, elem in parser:
            desc = _descriptor(elem)
            if desc is None:
                raise ReaderError(file, "DescriptorRecord without DescriptorUI",
                                  record=record_label(count, last), line=elem.sourceline)
            count += 1
            last = desc.ui
            release(elem)
            yield desc
    except etree.XMLSyntaxError as exc:
        msg = (exc.msg or "malformed XML").splitlines()[0]
        raise ReaderError(file, f"malformed XML: {msg}", record=record_label(count, last),
                          line=exc.lineno or None) from None
    except (OSError, EOFError) as exc:
        raise ReaderError(file, f"cannot read: {exc}", record=record_label(count, last)) from None
    finally:
        if stream is not source:
            stream.close()
    root = getattr(parser, "root", None)
    if count == 0 and root is not None and root.tag != "DescriptorRecordSet":
        raise ReaderError(file, f"not a MeSH descriptor file (root element <{root.tag}>)", line=1)


def read_mesh_descriptors(source: Source, *, name: str | None = None) -> dict[str, Descriptor]:
    """Every descriptor of the file, by UI."""
    return {d.ui: d for d in iter_mesh_descriptors(source, name=name)}


def _descriptor(rec: Any) -> Descriptor | None:
    # Direct children only: DescriptorUI also appears deeper (pharmacological actions,
    # see-also references), naming other descriptors.
    ui = name = ""
    trees: list[str] = []
    for child in rec:
        tag = child.tag
        if tag == "DescriptorUI":
            ui = (child.text or "").strip()
        elif tag == "DescriptorName":
            for sub in child:
                if sub.tag == "String":
                    name = (sub.text or "").strip()
        elif tag == "TreeNumberList":
            trees.extend(t.text.strip() for t in child if t.tag == "TreeNumber" and t.text)
    if not ui:
        return None
    return Descriptor(ui, name, tuple(trees))

