"""`export`: collected records for reference managers (RIS), spreadsheets (CSV) or scripts (JSON)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from offlabel.errors import UsageError
from offlabel.model import Classification, Record
from offlabel.pipeline.records import question_records
from offlabel.store import Store, default_path

__all__ = ["EXPORT_FORMATS", "export_text"]


EXPORT_FORMATS = ("ris", "csv", "json")


def export_text(store_path: Path | None, drug: str | None, condition: str | None, fmt: str) -> str:
    """The question's records (every record when drug and condition are None) as RIS, CSV or
    JSON. UsageError for an unknown format or half a question; StoreError for the store."""
    from offlabel.query import resolve

    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if (drug is None) != (condition is None):
        raise UsageError("give both DRUG and CONDITION, or neither")
    path = store_path or default_path()
    rows: list[tuple[Record, Classification | None]]
    if drug is not None and condition is not None:
        rows = list(question_records(path, drug, resolve(condition)))
    else:
        with Store(path, read_only=True) as s:
            rows = s.all_records()
    if fmt == "ris":
        return "".join(_ris(r) for r, _c in rows)
    if fmt == "csv":
        return _csv(rows)
    return _json(rows)


_RIS_DB = {
    "pubmed": "PubMed",
    "europepmc": "Europe PMC",
    "ctgov": "ClinicalTrials.gov",
    "openfda": "openFDA",
}


def _ris(r: Record) -> str:
    kind = "JOUR" if r.source in ("pubmed", "europepmc", "medline") else "GEN"
    lines = [("TY", kind), ("TI", r.title)]
    lines += [("AU", a) for a in r.authors]
    if r.year:
        lines.append(("PY", str(r.year)))
    if r.journal:
        lines.append(("T2", r.journal))
    if r.abstract:
        lines.append(("AB", " ".join(r.abstract.split())))
    if r.doi:
        lines.append(("DO", r.doi))
    if r.pmid:
        lines.append(("AN", r.pmid))
        lines.append(("UR", f"https://pubmed.ncbi.nlm.nih.gov/{r.pmid}/"))
    elif r.nct:
        lines.append(("AN", r.nct))
        lines.append(("UR", f"https://clinicaltrials.gov/study/{r.nct}"))
    lines += [("KW", k) for k in r.publication_types]
    lines.append(("DB", _RIS_DB.get(r.source, r.source)))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines if value) + "ER  - \n\n"


def _csv(rows: list[tuple[Record, Classification | None]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "key",
            "source",
            "pmid",
            "doi",
            "nct",
            "year",
            "title",
            "journal",
            "authors",
            "publication_types",
            "design",
            "randomised",
        ]
    )
    for r, c in rows:
        w.writerow(
            [
                r.key,
                r.source,
                r.pmid or "",
                r.doi or "",
                r.nct or "",
                r.year or "",
                r.title,
                r.journal or "",
                "; ".join(r.authors),
                "; ".join(r.publication_types),
                c.design.value if c else "",
                "" if c is None or c.randomised is None else str(c.randomised).lower(),
            ]
        )
    return buf.getvalue()


def _json(rows: list[tuple[Record, Classification | None]]) -> str:
    import json

    out = []
    for r, c in rows:
        item: dict[str, Any] = {"key": r.key, "record": dataclasses.asdict(r)}
        item["classification"] = dataclasses.asdict(c) if c is not None else None
        out.append(item)
    return json.dumps(out, indent=2, default=str) + "\n"
