"""ClinicalTrials.gov API v2 study JSON -> Record.

The registry's design fields go to `Record.extra` (the classifier reads them): study_type,
phases, allocation, masking, arms (type and label), intervention_model, status, has_results,
enrollment, conditions, interventions. Accepts a search response (`{"studies": [...]}`), a
single-study response (`{"protocolSection": ...}`) or a JSON list of studies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from offlabel.model import Record

from ._common import (
    OnError,
    Source,
    dig,
    json_records,
    parse_year,
    raise_error,
    source_name,
    squash,
)


def iter_ctgov(
    source: Source | str, *, name: str | None = None, on_error: OnError | None = None
) -> Iterator[Record]:
    """Yield a Record per study; each bad study (or broken JSON) is one ReaderError, raised
    (the default) or handed to `on_error` and read past."""
    yield from json_records(source, source_name(source, name), "studies", _studies, _is_study,
                            record_from_ctgov, lambda rec: rec.nct, on_error or raise_error)


def _is_study(item: object) -> bool:
    return isinstance(item, dict) and "protocolSection" in item


def _studies(doc: object) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if "studies" in doc and isinstance(doc["studies"], list):
            return doc["studies"]
        if "protocolSection" in doc:
            return [doc]
    raise ValueError("not ClinicalTrials.gov v2 JSON (no 'studies' or 'protocolSection')")


def record_from_ctgov(study: dict[str, Any]) -> Record:
    """One API v2 study object (as in `studies[]`) -> Record. ValueError if it has no NCT id."""
    if not isinstance(study, dict):
        raise ValueError(f"study is a {type(study).__name__}, not an object")
    ps = study.get("protocolSection")
    if not isinstance(ps, dict):
        raise ValueError("study has no protocolSection")
    nct = dig(ps, "identificationModule", "nctId")
    if not isinstance(nct, str) or not nct:
        raise ValueError("study has no identificationModule.nctId")
    ident = ps.get("identificationModule") or {}
    design = ps.get("designModule") or {}
    arms_mod = ps.get("armsInterventionsModule") or {}
    status = ps.get("statusModule") or {}

    rec = Record(source="ctgov", nct=nct)
    rec.title = squash(ident.get("officialTitle") or ident.get("briefTitle") or "")
    summary = squash(dig(ps, "descriptionModule", "briefSummary") or "")
    detail = squash(dig(ps, "descriptionModule", "detailedDescription") or "")
    rec.abstract = " ".join(p for p in (summary, detail) if p)
    if summary:
        rec.abstract_sections.append(("Brief Summary", summary))
    if detail:
        rec.abstract_sections.append(("Detailed Description", detail))
    rec.journal = "ClinicalTrials.gov"
    rec.year = parse_year(
        dig(status, "studyFirstPostDateStruct", "date") or dig(status, "startDateStruct", "date")
    )
    sponsor = dig(ps, "sponsorCollaboratorsModule", "leadSponsor", "name")
    if sponsor:
        rec.authors.append(sponsor)
    conditions = dig(ps, "conditionsModule", "conditions") or []
    rec.keywords = list(dig(ps, "conditionsModule", "keywords") or [])

    info = design.get("designInfo") or {}
    arm_groups = arms_mod.get("armGroups") or []
    rec.extra.update(
        study_type=design.get("studyType"),
        phases=list(design.get("phases") or []),
        allocation=info.get("allocation"),
        intervention_model=info.get("interventionModel"),
        masking=dig(info, "maskingInfo", "masking"),
        observational_model=info.get("observationalModel"),
        arms=[
            {"label": a.get("label"), "type": a.get("type")}
            for a in arm_groups
            if isinstance(a, dict)
        ],
        status=status.get("overallStatus"),
        has_results=bool(study.get("hasResults") or study.get("resultsSection")),
        enrollment=dig(design, "enrollmentInfo", "count"),
        conditions=list(conditions),
        interventions=[
            i.get("name") for i in (arms_mod.get("interventions") or []) if isinstance(i, dict)
        ],
    )
    return rec
