"""RIS (EndNote, Zotero, Mendeley, PubMed's citation manager export).

`TY  - JOUR` opens a record and `ER  -` closes it. A record left open at the end of the file is a
truncated export: the reader reports it (ReaderError) rather than guessing.
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

# the standard is "XX  - value"; some tools write one space before the dash
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: ?(.*))?$")
_PUBMED_URL = re.compile(r"pubmed(?:\.ncbi\.nlm\.nih\.gov/|/)(\d+)")


def iter_ris(
    source: Source | str, *, name: str | None = None, on_error: OnError | None = None
) -> Iterator[Record]:
    """Yield a Record per TY ... ER block. A block left open or missing its TY is one bad
    record, a stray line between blocks one problem: each a ReaderError, raised (the default)
    or handed to `on_error`, after which reading resumes at the next TY."""
    report = on_error or raise_error
    file = source_name(source, name)
    try:
        text = read_text(source, file)
    except ReaderError as exc:
        report(exc)
        return
    fields: list[tuple[str, str]] | None = None
    start_line = 0
    count = 0
    last: str | None = None
    skipping = False  # inside a block without its TY (reported): up to its ER or a TY
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        m = _TAG_LINE.match(line)
        if m is None:
            if not line.strip():
                continue
            if fields:  # a wrapped value (abstracts often are)
                tag, value = fields[-1]
                fields[-1] = (tag, f"{value} {line.strip()}")
                continue
            if not skipping:
                report(ReaderError(file, f"not a RIS 'XX  - value' line: {line[:40]!r}",
                                   record=between_label(count, last), line=lineno))
            continue
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag == "TY":
            if fields is not None:
                report(ReaderError(file, "TY before the previous record's ER",
                                   record=record_label(count, last), line=lineno))
                count += 1
            skipping = False
            fields, start_line = [("TY", value)], lineno
        elif tag == "ER":
            if fields is None:
                if not skipping:
                    report(ReaderError(file, "ER without TY", record=between_label(count, last),
                                       line=lineno))
                skipping = False
                continue
            count += 1
            rec = _record(fields)
            fields = None
            last = f"PMID {rec.pmid}" if rec.pmid else rec.doi or last
            yield rec
        elif fields is None:
            if not skipping:
                report(ReaderError(file, f"tag {tag} outside a record (no TY)",
                                   record=record_label(count, last), line=lineno))
                count += 1
                skipping = True
        else:
            fields.append((tag, value))
    if fields is not None:
        report(ReaderError(file, "truncated: record has no ER line",
                           record=record_label(count, last), line=start_line))


def _record(fields: list[tuple[str, str]]) -> Record:
    rec = Record(source="ris")
    notes: list[str] = []
    for tag, value in fields:
        if not value:
            continue
        if tag in ("TI", "T1") and not rec.title:
            rec.title = squash(value)
        elif tag in ("AB", "N2") and not rec.abstract:
            rec.abstract = squash(value)
        elif tag in ("JO", "JF", "T2", "JA", "J2") and not rec.journal:
            rec.journal = value
        elif tag in ("PY", "Y1", "DA") and rec.year is None:
            rec.year = parse_year(value)
        elif tag in ("AU", "A1"):
            rec.authors.append(value)
        elif tag == "DO" and not rec.doi:
            rec.doi = value.removeprefix("https://doi.org/")
        elif tag == "KW":
            rec.keywords.append(value)
        elif tag == "LA" and not rec.language:
            rec.language = value
        elif tag == "AN" and value.isdigit():
            rec.pmid = value
        elif tag in ("UR", "L2"):
            m = _PUBMED_URL.search(value)
            if m and not rec.pmid:
                rec.pmid = m.group(1)
        elif tag == "TY":
            rec.extra["ris_type"] = value
        elif tag in ("M3", "N1"):
            notes.append(value)
    if notes:
        rec.extra["notes"] = notes
    rec.nct = find_nct(" ".join([rec.abstract, *notes]))
    rec.abstract_sections = split_sections(rec.abstract)
    return rec
