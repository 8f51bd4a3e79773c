"""MEDLINE text (PubMed's "MEDLINE" export, .nbib, .medline, .txt).

A record is a block of `TAG - value` lines (tag left-justified in four columns, continuation
lines indented by six spaces) starting at `PMID-`; blocks are separated by blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from offlabel.model import Record

from ._common import (
    OnError,
    ReaderError,
    Source,
    between_label,
    find_nct,
    parse_year,
    raise_error,
    read_text,
    record_label,
    source_name,
    split_sections,
    squash,
)

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) *- ?(.*)$")
_ID_KIND = re.compile(r"^(\S+)\s*\[(\w+)\]")


def iter_medline(
    source: Source | str, *, name: str | None = None, on_error: OnError | None = None
) -> Iterator[Record]:
    """Yield a Record per MEDLINE block. A block with a line that is not MEDLINE is one bad
    record, and a stray line between blocks one problem: each a ReaderError, raised (the
    default) or handed to `on_error`, after which reading resumes at the next block."""
    report = on_error or raise_error
    file = source_name(source, name)
    try:
        text = read_text(source, file)
    except ReaderError as exc:
        report(exc)
        return
    fields: list[tuple[str, str]] = []
    start_line = 0
    count = 0
    last_pmid: str | None = None
    broken = False  # inside a bad block: its lines are skipped up to the next block
    stray = False  # after a stray line between blocks: its continuation lines go with it

    def last() -> str | None:
        return f"PMID {last_pmid}" if last_pmid else None

    def fault(message: str, line: int) -> None:
        """The block being read is bad: report it once, skip the rest of it."""
        nonlocal broken, fields, count
        report(ReaderError(file, message, record=record_label(count, last()), line=line))
        broken, fields = True, []
        count += 1

    def finish() -> Record | None:
        nonlocal count, last_pmid, fields
        rec = _record(fields)
        fields = []
        if rec.pmid is None and not rec.title:
            fault("record has neither PMID nor TI", start_line)
            return None
        count += 1
        last_pmid = rec.pmid or last_pmid
        return rec

    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if fields and (rec := finish()) is not None:
                yield rec
            broken = stray = False
            continue
        if line.startswith((" ", "\t")):
            if broken or stray:
                continue
            if not fields:
                report(ReaderError(file, "continuation line outside a record",
                                   record=between_label(count, last()), line=lineno))
                stray = True
                continue
            tag, value = fields[-1]
            fields[-1] = (tag, f"{value} {line.strip()}")
            continue
        m = _TAG_LINE.match(line)
        if not m or line[4:5] != "-":
            message = f"not a MEDLINE 'TAG - value' line: {line[:40]!r}"
            if fields:
                fault(message, lineno)
            elif not broken:  # a stray line between blocks, not a record
                report(ReaderError(file, message, record=between_label(count, last()),
                                   line=lineno))
                stray = True
            continue
        stray = False
        tag, value = m.group(1), m.group(2).strip()
        if tag == "PMID":
            if fields and (rec := finish()) is not None:
                yield rec
            broken = False  # a new block starts, even without the blank separator
            if not value.isdigit():
                fault(f"field PMID: not a number {value[:40]!r}", lineno)
                continue
        if broken:
            continue
        if not fields:
            start_line = lineno
        fields.append((tag, value))
    if fields and (rec := finish()) is not None:
        yield rec


def _record(fields: list[tuple[str, str]]) -> Record:
    rec = Record(source="medline")
    for tag, value in fields:
        if tag == "PMID":
            rec.pmid = value
        elif tag == "TI":
            rec.title = squash(value)
        elif tag == "AB":
            rec.abstract = squash(value)
        elif tag == "JT":
            rec.journal = value
        elif tag == "TA" and not rec.journal:
            rec.journal = value
        elif tag == "DP":
            rec.year = parse_year(value)
        elif tag in ("AU", "CN"):
            rec.authors.append(value)
        elif tag == "PT":
            rec.publication_types.append(value)
        elif tag == "MH":
            _mesh(value, rec)
        elif tag == "RN":
            # "61489-71-2 (Menotropins)": the substance name is in the parentheses.
            m = re.search(r"\((.+)\)\s*$", value)
            rec.chemicals.append(m.group(1) if m else value)
        elif tag == "OT":
            rec.keywords.append(value)
        elif tag == "LA" and not rec.language:
            rec.language = value
        elif tag in ("AID", "LID"):
            m = _ID_KIND.match(value)
            if m and m.group(2) == "doi" and not rec.doi:
                rec.doi = m.group(1)
        elif tag == "PMC":
            rec.pmcid = value
        elif tag == "SI" and value.startswith("ClinicalTrials.gov"):
            rec.nct = rec.nct or find_nct(value)
        elif tag == "STAT":
            rec.extra["status"] = value
    rec.abstract_sections = split_sections(rec.abstract)
    return rec


def _mesh(value: str, rec: Record) -> None:
    # "Fertility Agents, Female/administration & dosage/*therapeutic use": '*' marks major topic.
    parts = [p.strip().lstrip("*") for p in value.split("/")]
    desc = parts[0]
    if not desc:
        return
    rec.mesh.append(desc)
    if len(parts) > 1:
        rec.mesh_qualifiers[desc] = parts[1:]
