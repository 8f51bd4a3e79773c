"""ClinicalTrials.gov API v2: every study for a condition and an intervention, via pageToken.

Besides the raw study (for the record reader), trial_facts() pulls out what the appraisal
needs from the registry itself: design, status, dates, enrolment, whether results are posted
and which publications the registry links.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from offlabel.errors import MalformedResponse
from offlabel.sources.http import Service, make_service, parse_json
from offlabel.sources.readers import dig

# No published ceiling; robots.txt asks crawlers for one request a second.
RATE = 1.0
PAGE_SIZE = 100


def ctgov_service(**kwargs: Any) -> Service:
    return make_service("ctgov", rate=RATE, **kwargs)


@dataclass
class StudyPage:
    studies: list[dict[str, Any]]
    total: int | None  # only the first page carries totalCount
    next_token: str | None


def parse_page(body: Any) -> StudyPage:
    if not isinstance(body, dict) or not isinstance(body.get("studies", []), list):
        raise MalformedResponse("expected an object with a 'studies' list")
    studies = body.get("studies", [])
    for i, study in enumerate(studies):
        if not isinstance(study, dict) or not isinstance(study.get("protocolSection"), dict):
            raise MalformedResponse(f"study {i} has no protocolSection")
    total = body.get("totalCount")
    return StudyPage(
        studies=studies,
        total=int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
        next_token=body.get("nextPageToken") or None,
    )


def search_studies(
    svc: Service,
    *,
    condition: str | None = None,
    intervention: str | None = None,
    term: str | None = None,
    page_size: int = PAGE_SIZE,
    limit: int | None = None,
) -> Iterator[StudyPage]:
    """Yield pages until the registry stops sending nextPageToken (or limit studies are seen)."""
    params: dict[str, str] = {"format": "json", "pageSize": str(page_size), "countTotal": "true"}
    if condition:
        params["query.cond"] = condition
    if intervention:
        params["query.intr"] = intervention
    if term:
        params["query.term"] = term
    seen_tokens: set[str] = set()
    token: str | None = None
    seen = 0
    while True:
        page = svc.get(
            "studies", {**params, "pageToken": token}, lambda r: parse_page(parse_json(r))
        )
        if limit is not None and seen + len(page.studies) > limit:
            page.studies = page.studies[: limit - seen]
            page.next_token = None
        seen += len(page.studies)
        yield page
        token = page.next_token
        # A repeated token would loop forever; an empty page means the listing is done.
        if not token or token in seen_tokens or not page.studies:
            return
        seen_tokens.add(token)


def get_study(svc: Service, nct: str) -> dict[str, Any]:
    def parse(r: Any) -> dict[str, Any]:
        body = parse_json(r)
        if not isinstance(body, dict) or "protocolSection" not in body:
            raise MalformedResponse("expected a study with a protocolSection")
        return body

    return svc.get(f"studies/{nct}", {"format": "json"}, parse)


@dataclass
class TrialFacts:
    nct: str
    title: str
    status: str | None = None
    study_type: str | None = None
    phases: list[str] = field(default_factory=list)
    allocation: str | None = None
    masking: str | None = None
    arm_types: list[str] = field(default_factory=list)
    enrollment: int | None = None
    start_date: str | None = None
    completion_date: str | None = None
    has_results: bool | None = None  # None: the response did not say (a fields= projection)
    sponsor: str | None = None
    conditions: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    reference_pmids: list[str] = field(default_factory=list)  # publications the registry links
    result_pmids: list[str] = field(default_factory=list)  # of those, typed RESULT

    @property
    def url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct}"


def trial_facts(study: dict[str, Any]) -> TrialFacts:
    """The registry facts of one v2 study (missing modules give None/empty, never an error)."""
    p = study.get("protocolSection") or {}
    nct = dig(p, "identificationModule", "nctId")
    if not nct:
        raise MalformedResponse("study without identificationModule.nctId")
    refs = dig(p, "referencesModule", "references") or []
    pmids = [str(r["pmid"]) for r in refs if isinstance(r, dict) and r.get("pmid")]
    result_pmids = [
        str(r["pmid"])
        for r in refs
        if isinstance(r, dict) and r.get("pmid") and r.get("type") in ("RESULT", "DERIVED")
    ]
    enrollment = dig(p, "designModule", "enrollmentInfo", "count")
    has_results = study.get("hasResults")
    if has_results is None and "resultsSection" in study:
        has_results = True
    return TrialFacts(
        nct=str(nct),
        title=dig(p, "identificationModule", "officialTitle")
        or dig(p, "identificationModule", "briefTitle")
        or "",
        status=dig(p, "statusModule", "overallStatus"),
        study_type=dig(p, "designModule", "studyType"),
        phases=list(dig(p, "designModule", "phases") or []),
        allocation=dig(p, "designModule", "designInfo", "allocation"),
        masking=dig(p, "designModule", "designInfo", "maskingInfo", "masking"),
        arm_types=[
            a.get("type", "")
            for a in dig(p, "armsInterventionsModule", "armGroups") or []
            if isinstance(a, dict)
        ],
        enrollment=int(enrollment) if isinstance(enrollment, int | float) else None,
        start_date=dig(p, "statusModule", "startDateStruct", "date"),
        completion_date=dig(p, "statusModule", "completionDateStruct", "date")
        or dig(p, "statusModule", "primaryCompletionDateStruct", "date"),
        has_results=bool(has_results) if has_results is not None else None,
        sponsor=dig(p, "sponsorCollaboratorsModule", "leadSponsor", "name"),
        conditions=list(dig(p, "conditionsModule", "conditions") or []),
        interventions=[
            i.get("name", "")
            for i in dig(p, "armsInterventionsModule", "interventions") or []
            if isinstance(i, dict)
        ],
        reference_pmids=pmids,
        result_pmids=result_pmids,
    )
