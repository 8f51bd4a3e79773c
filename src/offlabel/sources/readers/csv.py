"""CSV with a documented header, one record per row.

Columns (header row required, names case-insensitive, order free; only `title` is required):

    pmid, doi, nct, pmcid, title, abstract, journal, year, authors, publication_types,
    mesh, chemicals, keywords, language

List columns (authors, publication_types, mesh, chemicals, keywords) are '; '-separated. Other
columns are kept in `Record.extra`. A bad value (a non-numeric PMID or year) raises ReaderError
naming the line and column.
"""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterator

from offlabel.model import Record

from ._common import ReaderError, Source, read_text, source_name, split_sections, squash

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


def iter_csv(source: Source | str, *, name: str | None = None) -> Iterator[Record]:
    file = source_name(source, name)
    text = read_text(source, file)
    reader = _csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except _csv.Error as exc:
        raise ReaderError(file, f"bad CSV header: {exc}", line=1) from None
    cols = [h.strip().lower() for h in header]
    if "title" not in cols:
        raise ReaderError(file, f"CSV header has no 'title' column (got {header[:6]})", line=1)
    count = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            raise ReaderError(
                file,
                f"malformed CSV: {exc}",
                record=f"record {count + 1}",
                line=reader.line_num,
            ) from None
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(cols):
            raise ReaderError(
                file,
                f"row has {len(row)} fields, header has {len(cols)}",
                record=f"record {count + 1}",
                line=reader.line_num,
            )
        count += 1
        yield _record(dict(zip(cols, row, strict=True)), file, count, reader.line_num)


def _record(row: dict[str, str], file: str, index: int, line: int) -> Record:
    rec = Record(source="csv")
    for col, raw in row.items():
        value = raw.strip()
        if not value:
            continue
        if col in _LISTS:
            setattr(rec, col, [v.strip() for v in value.split(";") if v.strip()])
        elif col == "pmid":
            if not value.isdigit():
                raise ReaderError(
                    file,
                    f"column pmid: not a PMID {value!r}",
                    record=f"record {index}",
                    line=line,
                )
            rec.pmid = value
        elif col == "year":
            if not (value.isdigit() and len(value) == 4):
                raise ReaderError(
                    file,
                    f"column year: not a year {value!r}",
                    record=f"record {index}",
                    line=line,
                )
            rec.year = int(value)
        elif col in ("title", "abstract"):
            setattr(rec, col, squash(value))
        elif col in COLUMNS:
            setattr(rec, col, value)
        else:
            rec.extra[col] = value
    rec.abstract_sections = split_sections(rec.abstract)
    return rec
