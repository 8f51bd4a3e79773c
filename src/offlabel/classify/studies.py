"""Collected records become Studies: the classifier's fields, the record's identifiers as
sources. Curated evidence wins over a collected record of the same paper."""

from __future__ import annotations

import re

from offlabel.model import Classification, Record, Source, Study

_ID_SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def study_id(record: Record) -> str:
    return _ID_SAFE.sub("_", record.key)[:80]


def study_from_record(
    record: Record, c: Classification, drug_id: str, condition_id: str
) -> Study | None:
    """A Study for the appraisal, or None for a record with no identifier to cite."""
    where = (
        f"collected {record.source} record (title/abstract); design classified by "
        f"offlabel from {', '.join(sorted(c.evidence)) or 'text'}"
    )
    src = None
    if record.pmid:
        src = Source(pmid=record.pmid, where=where)
    elif record.doi:
        src = Source(doi=record.doi, where=where)
    elif record.nct:
        src = Source(nct=record.nct, where=where)
    if src is None:
        return None
    author = record.authors[0] if record.authors else None
    direction_note = c.evidence.get("direction")
    return Study(
        id=study_id(record),
        first_author=author,
        year=record.year if record.year and 1900 <= record.year <= 2100 else None,
        title=record.title or None,
        journal=record.journal,
        pmid=record.pmid,
        doi=record.doi,
        nct=record.nct,
        drug=drug_id,
        conditions=[condition_id],
        design=c.design,
        randomised=c.randomised,
        blinding=c.blinding,
        comparator=c.comparator,
        species=c.species or "human",
        n=c.n,
        direction=c.direction,
        conclusion=(
            f"Direction from the abstract (best-effort, automatic): {direction_note}"
            if direction_note
            else None
        ),
        sources=[src],
    )


def merge_collected(curated: list[Study], collected: list[Study]) -> list[Study]:
    """Collected studies not already curated (matched by PMID, DOI or NCT)."""
    seen = set()
    for s in curated:
        for v in (s.pmid, s.doi and s.doi.lower(), s.nct and s.nct.upper()):
            if v:
                seen.add(v)
    out = []
    for s in collected:
        keys = {v for v in (s.pmid, s.doi and s.doi.lower(), s.nct and s.nct.upper()) if v}
        if keys & seen:
            continue
        seen |= keys
        out.append(s)
    return out
