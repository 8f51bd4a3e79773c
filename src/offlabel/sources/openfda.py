"""openFDA drug label and Drugs@FDA: a drug's brand names, labelled uses, forms and approvals.

The label is where "approved use" comes from (indications_and_usage is free text: openFDA
has no coded indication) and where brand names for the literature query come from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import httpx

from offlabel.errors import MalformedResponse
from offlabel.sources.http import Service, make_service, parse_json

# 240 requests/minute with or without a key.
RATE = 4.0
LABEL_LIMIT = 25


def openfda_service(*, api_key: str | None = None, **kwargs: Any) -> Service:
    api_key = api_key if api_key is not None else os.environ.get("OPENFDA_API_KEY") or None
    params = {"api_key": api_key} if api_key else {}
    return make_service("openfda", rate=RATE * 0.95, params=params, **kwargs)


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    body = parse_json(response)
    if response.status_code == 404:
        # openFDA answers "no hits" with 404 NOT_FOUND: an empty result, not a failure.
        code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
        if code == "NOT_FOUND":
            return []
        raise MalformedResponse(f"HTTP 404 without NOT_FOUND error: {str(body)[:120]}")
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise MalformedResponse("expected an object with a 'results' list")
    return [r for r in body["results"] if isinstance(r, dict)]


def _quote(term: str) -> str:
    return '"' + term.replace('"', " ").strip() + '"'


def search_labels(svc: Service, drug: str, *, limit: int = LABEL_LIMIT) -> list[dict[str, Any]]:
    q = _quote(drug)
    search = f"openfda.generic_name:{q} OR openfda.brand_name:{q} OR openfda.substance_name:{q}"
    params = {"search": search, "limit": str(limit), "sort": "effective_time:desc"}
    return svc.get("drug/label.json", params, _results, accept_status=frozenset({404}))


def search_drugsfda(svc: Service, drug: str, *, limit: int = 25) -> list[dict[str, Any]]:
    q = _quote(drug)
    search = f"openfda.generic_name:{q} OR openfda.brand_name:{q} OR products.brand_name:{q}"
    params = {"search": search, "limit": str(limit)}
    return svc.get("drug/drugsfda.json", params, _results, accept_status=frozenset({404}))


@dataclass
class Approval:
    application: str
    sponsor: str | None
    brand_names: list[str]
    dosage_forms: list[str]
    routes: list[str]
    marketing_status: list[str]
    approved: str | None  # date of the original approval, YYYYMMDD


@dataclass
class DrugFacts:
    """The drug profile as openFDA has it."""

    name: str
    brand_names: list[str] = field(default_factory=list)
    generic_names: list[str] = field(default_factory=list)
    indications: list[str] = field(default_factory=list)
    dosage_forms: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    boxed_warnings: list[str] = field(default_factory=list)
    label_set_ids: list[str] = field(default_factory=list)
    latest_label: str | None = None  # effective_time of the newest label, YYYYMMDD
    approvals: list[Approval] = field(default_factory=list)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _add(out: list[str], values: list[str], *, title: bool = False) -> None:
    seen = {v.lower() for v in out}
    for v in values:
        v = " ".join(v.split())
        if title and v.isupper():
            # "OZOBAX DS" -> "Ozobax DS": short all-caps parts are suffixes (DS, XR, ODT).
            v = " ".join(w if len(w) <= 3 else w.title() for w in v.split())
        if v and v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)


def drug_facts(drug: str, labels: list[dict[str, Any]], apps: list[dict[str, Any]]) -> DrugFacts:
    facts = DrugFacts(name=drug)
    for label in labels:
        of = label.get("openfda") or {}
        _add(facts.brand_names, _texts(of.get("brand_name")), title=True)
        _add(facts.generic_names, _texts(of.get("generic_name")), title=True)
        _add(facts.routes, _texts(of.get("route")), title=True)
        _add(facts.indications, _texts(label.get("indications_and_usage")))
        _add(facts.boxed_warnings, _texts(label.get("boxed_warning")))
        _add(facts.dosage_forms, _texts(label.get("dosage_forms_and_strengths")))
        if isinstance(label.get("set_id"), str):
            _add(facts.label_set_ids, [label["set_id"]])
        when = label.get("effective_time")
        if isinstance(when, str) and (facts.latest_label is None or when > facts.latest_label):
            facts.latest_label = when
    for app in apps:
        products = [p for p in app.get("products") or [] if isinstance(p, dict)]
        brands: list[str] = []
        forms: list[str] = []
        routes: list[str] = []
        status: list[str] = []
        for p in products:
            _add(brands, _texts(p.get("brand_name")), title=True)
            _add(forms, _texts(p.get("dosage_form")), title=True)
            _add(routes, _texts(p.get("route")), title=True)
            _add(status, _texts(p.get("marketing_status")))
        original = [
            s.get("submission_status_date")
            for s in app.get("submissions") or []
            if isinstance(s, dict)
            and s.get("submission_type") == "ORIG"
            and s.get("submission_status") == "AP"
        ]
        facts.approvals.append(
            Approval(
                application=str(app.get("application_number", "")),
                sponsor=app.get("sponsor_name"),
                brand_names=brands,
                dosage_forms=forms,
                routes=routes,
                marketing_status=status,
                approved=min((d for d in original if d), default=None),
            )
        )
        _add(facts.brand_names, brands)
    # A generic product's "brand" is the drug's own name ("Baclofen", "Baclofen Tablets"):
    # the generic name already finds everything such a term would.
    generic = {g.lower() for g in facts.generic_names} | {drug.lower()}
    facts.brand_names = [
        b
        for b in facts.brand_names
        if b.lower() not in generic and not (set(b.lower().split()) & {drug.lower()})
    ]
    return facts


def fetch_drug_facts(svc: Service, drug: str) -> DrugFacts:
    return drug_facts(drug, search_labels(svc, drug), search_drugsfda(svc, drug))


# Synonyms shorter than this are not trusted to name a labelled use inside free text
# ("alcohol" appears in warnings of many labels; "alcohol dependence" does not).
_MIN_INDICATION_TERM = 8


def labelled_conditions(text: str) -> list[str]:
    """Vocabulary condition ids named in a label's indications text (whole words only).

    Sentence by sentence; a narrower condition wins when the sentence also carries the words
    that set it apart ("withdrawal symptoms of acute alcoholism" is alcohol withdrawal, not
    alcohol use disorder).
    """
    import re

    from offlabel.vocabulary import CONDITIONS, normalise

    found: list[str] = []
    for sentence in re.split(r"(?<=[.;:])\s+", text):
        padded = f" {normalise(sentence)} "
        words = set(padded.split())
        if words & {"not", "no", "nor", "without"}:
            continue  # "not indicated for ...", "has not been established in ..."
        for cond in CONDITIONS:
            terms = {normalise(t) for t in (cond.name, *cond.synonyms)}
            if not any(len(t) >= _MIN_INDICATION_TERM and f" {t} " in padded for t in terms):
                continue
            chosen = cond.id
            for other in CONDITIONS:
                # narrower: a child, or a sibling about the same substance (alcohol_withdrawal
                # next to alcohol_use_disorder)
                related = other.parent == cond.id or (
                    other.id != cond.id and other.id.split("_")[0] == cond.id.split("_")[0]
                )
                own = set(other.id.split("_")) - set(cond.id.split("_"))
                if related and own and own <= words:
                    chosen = other.id
            if chosen not in found:
                found.append(chosen)
    return found


def drug_profile(facts: DrugFacts) -> Any:
    """The openFDA facts as the model's DrugProfile: one US approval per labelled indication.

    Only labelled (approved) uses are listed; anything else is by definition off-label.
    """
    from offlabel.model import Approval as ApprovalModel
    from offlabel.model import DrugProfile, Source

    set_id = facts.label_set_ids[0] if facts.label_set_ids else None
    label_url = (
        f"https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={set_id}"
        if set_id
        else "https://open.fda.gov/apis/drug/label/"
    )
    years = [
        int(a.approved[:4]) for a in facts.approvals if a.approved and a.approved[:4].isdigit()
    ]
    first_year = min(years) if years else None
    forms: list[str] = []
    for a in facts.approvals:
        _add(forms, a.dosage_forms)
    approvals = []
    for text in facts.indications:
        short = " ".join(text.split())
        approvals.append(
            ApprovalModel(
                region="US",
                agency="FDA",
                indication=short[:500],
                conditions=labelled_conditions(short),
                status="approved",
                year=first_year,
                forms=forms,
                note="year of the drug's first US approval (Drugs@FDA), not of this indication"
                if first_year
                else None,
                sources=[
                    Source(
                        url=label_url, where="FDA label, Indications and usage", quote=short[:300]
                    )
                ],
            )
        )
    slug = "".join(ch if ch.isalnum() else "_" for ch in facts.name.lower()).strip("_") or "drug"
    return DrugProfile(
        id=slug,
        name=facts.name,
        synonyms=[g for g in facts.generic_names if g.lower() != facts.name.lower()],
        brand_names=facts.brand_names,
        forms=forms or facts.dosage_forms[:5],
        boxed_warning=" ".join(facts.boxed_warnings[0].split())[:1000]
        if facts.boxed_warnings
        else None,
        approvals=approvals,
        sources=[Source(url=label_url, where="openFDA drug label and Drugs@FDA")],
    )
