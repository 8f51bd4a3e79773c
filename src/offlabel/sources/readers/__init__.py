"""File readers: every format in, one `offlabel.model.Record` type out.

    from offlabel.sources.readers import read_records, merge_records
    errors = []
    records = list(read_records("export.nbib", errors=errors))

Formats: PubMed XML (plain or .gz), MEDLINE/.nbib text, RIS, CSV (see readers.csv for the
header), ClinicalTrials.gov v2 JSON, Europe PMC JSON. The format is chosen from the file name
and confirmed by sniffing the first bytes.

Errors (see readers._common): each bad record is one `ReaderError` (file, line, record). A
reader raises the first one unless given `on_error`, a callback it calls for each one before
reading on from the next record. `read_records(path, errors=[])` collects them in the list
and yields every good record of a damaged file, for callers that read many files and report
at the end.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from offlabel.model import Record

from ._common import (
    OnError,
    ReaderError,
    Source,
    between_label,
    dig,
    open_binary,
    raise_error,
    record_label,
    source_name,
)
from .csv import iter_csv
from .ctgov import iter_ctgov, record_from_ctgov
from .europepmc import iter_europepmc, record_from_europepmc
from .medline import iter_medline
from .pubmed_xml import iter_pubmed_xml, parse_pubmed_xml
from .ris import iter_ris

__all__ = [
    "FORMATS",
    "OnError",
    "Reader",
    "ReaderError",
    "Source",
    "between_label",
    "detect_format",
    "dig",
    "iter_csv",
    "iter_ctgov",
    "iter_europepmc",
    "iter_medline",
    "iter_pubmed_xml",
    "iter_records_in",
    "iter_ris",
    "merge_records",
    "open_binary",
    "parse_pubmed_xml",
    "raise_error",
    "read_records",
    "record_from_ctgov",
    "record_from_europepmc",
    "record_label",
    "source_name",
]


class Reader(Protocol):
    """What every entry of FORMATS is: records of a path, bytes, text or stream."""

    def __call__(
        self, source: Source, *, name: str | None = None, on_error: OnError | None = None
    ) -> Iterator[Record]: ...


FORMATS: dict[str, Reader] = {
    "pubmed_xml": iter_pubmed_xml,
    "medline": iter_medline,
    "ris": iter_ris,
    "csv": iter_csv,
    "ctgov": iter_ctgov,
    "europepmc": iter_europepmc,
}

_SUFFIX = {
    ".xml": "pubmed_xml",
    ".nbib": "medline",
    ".medline": "medline",
    ".ris": "ris",
    ".csv": "csv",
}


def detect_format(path: str | os.PathLike[str]) -> str:
    """The reader name for a file, from its first bytes (the suffix only breaks ties)."""
    p = Path(path)
    try:
        with open_binary(p) as fh:
            head = fh.read(4096)
    except (OSError, EOFError) as exc:
        raise ReaderError(str(p), f"cannot read: {exc}") from None
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "pubmed_xml"
    if text.startswith(("{", "[")):
        if re.search(r'"(studies|protocolSection|nctId)"', text):
            return "ctgov"
        if re.search(r'"(resultList|hitCount|pmcid|pubYear)"', text):
            return "europepmc"
        raise ReaderError(str(p), "JSON that is neither ClinicalTrials.gov v2 nor Europe PMC")
    if re.match(r"PMID- ", text):
        return "medline"
    if re.match(r"TY  -", text):
        return "ris"
    name = p.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    if suffix in _SUFFIX:
        return _SUFFIX[suffix]
    if suffix == ".txt" and re.match(r"[A-Z][A-Z0-9 ]{3}- ", text):
        return "medline"
    raise ReaderError(
        str(p),
        "unrecognised record format (expected PubMed XML, MEDLINE, RIS, "
        "CSV, ClinicalTrials.gov or Europe PMC JSON)",
    )


def read_records(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    errors: list[ReaderError] | None = None,
    on_error: OnError | None = None,
) -> Iterator[Record]:
    """Yield the records of one file.

    Without `errors` or `on_error` the first bad record raises ReaderError. With either, each
    bad record (and a file that cannot be read at all) is appended to `errors` / passed to
    `on_error`, and every good record is still yielded.
    """
    report = _sink(errors, on_error)
    try:
        fmt = format or detect_format(path)
        if fmt not in FORMATS:
            raise ReaderError(os.fspath(path), f"unknown format {fmt!r}")
    except ReaderError as exc:
        (report or raise_error)(exc)
        return
    yield from FORMATS[fmt](path, on_error=report)


def _sink(errors: list[ReaderError] | None, on_error: OnError | None) -> OnError | None:
    if errors is None:
        return on_error
    if on_error is None:
        return errors.append

    def both(error: ReaderError) -> None:
        errors.append(error)
        on_error(error)

    return both


_RECORD_SUFFIXES = (".xml", ".xml.gz", ".nbib", ".medline", ".txt", ".ris", ".csv", ".json")


def iter_records_in(
    directory: str | os.PathLike[str],
    *,
    errors: list[ReaderError],
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Record]:
    """Every record of every record file under `directory` (recursively, in sorted order)."""
    skip = {Path(e).resolve() for e in exclude}
    for p in sorted(Path(directory).rglob("*")):
        name = p.name.lower()
        if not p.is_file() or p.resolve() in skip or not name.endswith(_RECORD_SUFFIXES):
            continue
        if name.startswith("readme"):
            continue
        yield from read_records(p, errors=errors)


# --- de-duplication -------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalised_title(title: str) -> str:
    return _NON_ALNUM.sub(" ", title.lower()).strip()


def _keys(rec: Record) -> list[str]:
    keys = []
    if rec.pmid:
        keys.append(f"pmid:{rec.pmid}")
    if rec.doi:
        keys.append(f"doi:{rec.doi.lower()}")
    if _is_registry(rec):  # the same registry entry read twice
        keys.append(f"nct:{rec.nct.upper()}")  # type: ignore[union-attr]
    title = normalised_title(rec.title)
    if len(title) >= 20 and rec.year:
        keys.append(f"title:{title}:{rec.year}")
    return keys


def _is_registry(rec: Record) -> bool:
    return bool(rec.nct) and not rec.pmid and not rec.doi


def merge_records(records: Iterable[Record]) -> list[Record]:
    """Merge duplicates: same PMID, DOI, or normalised title + year; and a registry entry
    with the first paper that cites its NCT id.

    Several papers can report one trial, so an NCT id joins a registry entry (a record with
    an NCT id but no PMID/DOI) to one paper, never two papers to each other. The first record
    seen wins each scalar field it has; lists are unioned in order, so read the richest source
    (PubMed XML) first. `extra["merged_from"]` lists the sources merged.
    """
    merged: list[Record] = []
    by_key: dict[str, int] = {}
    by_nct: dict[str, list[int]] = {}  # NCT id -> merged records carrying it
    for rec in records:
        hit = next((by_key[k] for k in _keys(rec) if k in by_key), None)
        if hit is None and rec.nct:
            incoming_registry = _is_registry(rec)
            for idx in by_nct.get(rec.nct.upper(), []):
                other = merged[idx]
                sources = other.extra.get("merged_from", [])
                joined = (isinstance(sources, list) and "ctgov" in sources) or _is_registry(other)
                # a registry entry joins a paper not yet joined to one; a paper joins a registry
                # entry not yet joined to a paper
                if (incoming_registry and not joined) or (
                    not incoming_registry and _is_registry(other)
                ):
                    hit = idx
                    break
        if hit is None:
            merged.append(_copy(rec))
            hit = len(merged) - 1
        else:
            _merge_into(merged[hit], rec)
        for k in _keys(merged[hit]):
            by_key.setdefault(k, hit)
        if rec.nct and hit not in by_nct.setdefault(rec.nct.upper(), []):
            by_nct[rec.nct.upper()].append(hit)
    return merged


def _copy(rec: Record) -> Record:
    out = Record(**{**rec.__dict__})
    for name in (
        "abstract_sections",
        "authors",
        "publication_types",
        "mesh",
        "chemicals",
        "keywords",
    ):
        setattr(out, name, list(getattr(rec, name)))
    out.mesh_qualifiers = dict(rec.mesh_qualifiers)
    out.extra = {**rec.extra, "merged_from": [rec.source]}
    return out


def _merge_into(into: Record, other: Record) -> None:
    for name in ("pmid", "doi", "nct", "pmcid", "journal", "year", "language"):
        if not getattr(into, name) and getattr(other, name):
            setattr(into, name, getattr(other, name))
    for name in ("title", "abstract"):
        if len(getattr(other, name)) > len(getattr(into, name)) and not getattr(into, name):
            setattr(into, name, getattr(other, name))
    if not into.abstract_sections and other.abstract_sections:
        into.abstract_sections = list(other.abstract_sections)
    for name in ("authors", "publication_types", "mesh", "chemicals", "keywords"):
        have = getattr(into, name)
        have.extend(v for v in getattr(other, name) if v not in have)
    for desc, quals in other.mesh_qualifiers.items():
        into.mesh_qualifiers.setdefault(desc, list(quals))
    for key, value in other.extra.items():
        into.extra.setdefault(key, value)
    sources = into.extra.setdefault("merged_from", [])
    if isinstance(sources, list):
        sources.append(other.source)
