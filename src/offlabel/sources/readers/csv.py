"""CSV with a documented header, one record per row.

Columns (header row required, names case-insensitive, order free; only `title` is required):

    pmid, doi, nct, pmcid, title, abstract, journal, year, authors, publication_types,
    mesh, chemicals, keywords, language

List columns (authors, publication_types, mesh, chemicals, keywords) are '; '-separated. Other
columns are kept in `Record.extra`. A bad value (a non-numeric PMID or year) makes the row a bad
record: a ReaderError naming the line and column.
"""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterator

from offlabel.model import Record

from ._common import (
    OnError,
    ReaderError,
    Source,
    raise_error,
    read_text,
    record_label,
    source_name,
    split_sections,
    squash,
)

COLUMNS = (
    "pmid",
    "doi",
    "nct",
    "pmcid",
    "title",
    "abstract",
    "journal",
    "year",
    "authors",
    "publication_types",
    "mesh",
    "chemicals",
    "keywords",
    "language",
)
_LISTS = {"authors", "publication_types", "mesh", "chemicals", "keywords"}


def iter_csv(
    source: Source | str, *, name: str | None = None, on_error: OnError | None = None
) -> Iterator[Record]:
    """Yield a Record per row. Each bad row is one ReaderError, raised (the default) or
    handed to `on_error`, after which reading resumes at the next row. A file without a
    usable header has no records: one ReaderError."""
    report = on_error or raise_error
    file = source_name(source, name)
    try:
        text = read_text(source, file)
    except ReaderError as exc:
        report(exc)
        return
    reader = _csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except _csv.Error as exc:
        report(ReaderError(file, f"bad CSV header: {exc}", line=1))
        return
    cols = [h.strip().lower() for h in header]
    if "title" not in cols:
        report(ReaderError(file, f"CSV header has no 'title' column (got {header[:6]})", line=1))
        return
    count = 0
    last: str | None = None
    while True:
        start = reader.line_num + 1  # a quoted value may run over several lines
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            report(ReaderError(file, f"malformed CSV: {exc}", record=record_label(count, last),
                               line=start))
            count += 1
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(cols):
            report(ReaderError(file, f"row has {len(row)} fields, header has {len(cols)}",
                               record=record_label(count, last), line=start))
            count += 1
            continue
        try:
            rec = _record(dict(zip(cols, row, strict=True)))
        except ValueError as exc:
            report(ReaderError(file, str(exc), record=record_label(count, last), line=start))
            count += 1
            continue
        count += 1
        last = f"PMID {rec.pmid}" if rec.pmid else rec.doi or last
        yield rec


def _record(row: dict[str, str]) -> Record:
    """The Record of one row; ValueError naming the column of a value that cannot be read."""
    rec = Record(source="csv")
    for col, raw in row.items():
        value = raw.strip()
        if not value:
            continue
        if col in _LISTS:
            setattr(rec, col, [v.strip() for v in value.split(";") if v.strip()])
        elif col == "pmid":
            if not value.isdigit():
                raise ValueError(f"column pmid: not a PMID {value!r}")
            rec.pmid = value
        elif col == "year":
            if not (value.isdigit() and len(value) == 4):
                raise ValueError(f"column year: not a year {value!r}")
            rec.year = int(value)
        elif col in ("title", "abstract"):
            setattr(rec, col, squash(value))
        elif col in COLUMNS:
            setattr(rec, col, value)
        else:
            rec.extra[col] = value
    rec.abstract_sections = split_sections(rec.abstract)
    return rec
