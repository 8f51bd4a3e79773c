"""RIS (EndNote, Zotero, Mendeley, PubMed's citation manager export).

`TY  - JOUR` opens a record and `ER  -` closes it. A record left open at the end of the file is a
truncated export: the reader raises ReaderError for it rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from offlabel.model import Record

from ._common import (
    ReaderError,
    Source,
    find_nct,
    parse_year,
    read_text,
    source_name,
    split_sections,
    squash,
)

# the standard is "XX  - value"; some tools write one space before the dash
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: ?(.*))?$")
_PUBMED_URL = re.compile(r"pubmed(?:\.ncbi\.nlm\.nih\.gov/|/)(\d+)")


def iter_ris(source: Source | str, *, name: str | None = None) -> Iterator[Record]:
    file = source_name(source, name)
    text = read_text(source, file)
    fields: list[tuple[str, str]] | None = None
    start_line = 0
    count = 0
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
            raise ReaderError(
                file,
                f"not a RIS 'XX  - value' line: {line[:40]!r}",
                record=f"record {count + 1}",
                line=lineno,
            )
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag == "TY":
            if fields is not None:
                raise ReaderError(
                    file,
                    "TY before the previous record's ER",
                    record=f"record {count + 1}",
                    line=lineno,
                )
            fields, start_line = [("TY", value)], lineno
        elif tag == "ER":
            if fields is None:
                raise ReaderError(file, "ER without TY", record=f"record {count + 1}", line=lineno)
            count += 1
            yield _record(fields)
            fields = None
        elif fields is None:
            raise ReaderError(
                file,
                f"tag {tag} outside a record (no TY)",
                record=f"record {count + 1}",
                line=lineno,
            )
        else:
            fields.append((tag, value))
    if fields is not None:
        raise ReaderError(
            file,
            "truncated: record has no ER line",
            record=f"record {count + 1}",
            line=start_line,
        )


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
