"""A question's collected records, read from the store and made ready for an appraisal.

The store keeps what sources returned, one row per record key; the pipeline decides what that
means: one paper found under several keys is one study (merged), every record carries a design
classification, a completed registered trial with nothing published is a publication-bias
signal, and openFDA's labelled uses are the drug's US approvals.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from offlabel.errors import StoreError
from offlabel.model import Classification, Condition, Design, DrugProfile, Record
from offlabel.query import question_id
from offlabel.store import SOURCE_RANK, Store

__all__ = [
    "classify_record",
    "collected_drug_profile",
    "has_question",
    "merge_pairs",
    "question_info",
    "question_records",
    "record_verdict",
    "registered_unpublished",
]

_NCT = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)


def classify_record(record: Record) -> Classification:
    """The design classification for a record: a drug label is a regulatory document."""
    if record.source == "openfda":
        return Classification(design=Design.regulatory, evidence={"design": "openFDA drug label"})
    from offlabel.classify import classify

    return classify(record)


def has_question(path: Path, drug: str, condition: Condition) -> bool:
    """Whether anything was ever collected for the question (False for a missing store)."""
    if not path.exists():
        return False
    with Store(path, read_only=True) as store:
        return store.question(question_id(drug, condition)) is not None


def question_records(
    path: Path, drug: str, condition: Condition, *, merge: bool = True
) -> list[tuple[Record, Classification]]:
    """Every record collected for (drug, condition), with its design classification.

    Records classified at collect time keep that classification; any without one are classified
    now. Record.extra["found_by"] lists the sources that returned each record. StoreError when
    the question was never collected.

    With merge (the default) one paper found under different keys (PubMed by PMID, Europe PMC
    by DOI only, or the same title and year) comes back once, as the richest source's copy
    completed by the others, and a registry entry joins the first paper that carries its NCT id.
    """
    qid = question_id(drug, condition)
    with Store(path, read_only=True) as store:
        if store.question(qid) is None:
            raise StoreError(
                f"{path}: nothing collected for {drug} / {condition.name} "
                f'(run `offlabel collect {drug} "{condition.name}" --store {path}`)'
            )
        rows = store.question_records(qid)
    pairs = []
    for record, classification, sources, _run in rows:
        record.extra["found_by"] = sources
        pairs.append((record, classification or classify_record(record)))
    return merge_pairs(pairs) if merge else pairs


def merge_pairs(pairs: list[tuple[Record, Classification]]) -> list[tuple[Record, Classification]]:
    from offlabel.sources.readers import merge_records

    # Richest source first: its copy and its classification are the ones kept.
    pairs = sorted(pairs, key=lambda p: (SOURCE_RANK.get(p[0].source, 9), p[0].key))
    by_key: dict[str, Classification] = {}
    for record, classification in pairs:
        record.extra["store_key"] = record.key
        by_key.setdefault(record.key, classification)
    merged = merge_records(r for r, _c in pairs)
    out = []
    for record in merged:
        found_by: list[str] = []
        for value in (record.extra.get("found_by"), record.extra.get("merged_from")):
            for src in value if isinstance(value, list) else []:
                if src not in found_by:
                    found_by.append(src)
        record.extra["found_by"] = sorted(found_by)
        out.append((record, by_key[str(record.extra["store_key"])]))
    out.sort(key=lambda p: (-(p[0].year or 0), p[0].key))
    return out


def question_info(path: Path, drug: str, condition: Condition) -> dict[str, Any]:
    """What a report shows about the search: question (with its queries by source), runs
    (oldest first), records_by_source ({source: n}) and drug (the openFDA facts or None)."""
    import dataclasses

    qid = question_id(drug, condition)
    with Store(path, read_only=True) as store:
        question = store.question(qid)
        if question is None:
            raise StoreError(f"{path}: nothing collected for {drug} / {condition.name}")
        runs = [dataclasses.asdict(r) for r in store.runs(qid)]
        by_source = store.records_by_source(qid)
        profile = store.drug(question["drug"])
    return {"question": question, "runs": runs, "records_by_source": by_source, "drug": profile}


def collected_drug_profile(path: Path, drug: str) -> DrugProfile | None:
    """The collected openFDA profile as a DrugProfile (labelled uses as US approvals), or None
    when openFDA was never reached for this drug."""
    from offlabel.sources.openfda import Approval, DrugFacts, drug_profile

    if not path.exists():
        return None
    with Store(path, read_only=True) as store:
        data = store.drug(drug)
    if data is None:
        return None
    data["approvals"] = [Approval(**a) for a in data.get("approvals") or []]
    profile: DrugProfile = drug_profile(DrugFacts(**data))
    return profile


def record_verdict(path: Path, drug: str, condition: Condition, verdict: str) -> str | None:
    """Note the verdict `ask --store` reached on the question's latest run.

    Returns the verdict noted on an earlier run when it differs (the "changed verdict" of a
    living update), else None. Needs write access: StoreError while a collect is running.
    """
    qid = question_id(drug, condition)
    with Store(path) as store:
        runs = [r for r in store.runs(qid) if r.status in ("complete", "partial")]
        if not runs:
            return None
        earlier = [r.verdict for r in runs[:-1] if r.verdict]
        store.set_verdict(runs[-1].id, verdict)
    if earlier and earlier[-1] != verdict:
        return earlier[-1]
    return None


def registered_unpublished(path: Path, drug: str, condition: Condition) -> list[dict[str, Any]]:
    """Completed registered trials with no results posted and no publication linked.

    A trial counts as published when the registry links a RESULT/DERIVED reference, or when a
    collected paper for the question carries its NCT id (PubMed's DataBank/secondary id, or the
    id written in the abstract).
    """
    qid = question_id(drug, condition)
    with Store(path, read_only=True) as store:
        rows = store.question_records(qid)
        trial_keys = [r.nct for r, _c, _s, _run in rows if r.source == "ctgov" and r.nct]
        facts = store.trials(trial_keys)
    cited: set[str] = set()
    for record, _c, _s, _run in rows:
        if record.source == "ctgov":
            continue
        if record.nct:
            cited.add(record.nct.upper())
        text = f"{record.title} {record.abstract} {' '.join(map(str, record.extra.values()))}"
        cited.update(m.upper() for m in _NCT.findall(text))
    out = []
    for nct in sorted(set(trial_keys)):
        t = facts.get(nct)
        if t is None or (t.get("status") or "").upper() != "COMPLETED":
            continue
        if t.get("has_results") is True or t.get("result_pmids") or nct.upper() in cited:
            continue
        out.append(
            {
                "nct": nct,
                "title": t.get("title"),
                "status": t.get("status"),
                "completion_date": t.get("completion_date"),
                "enrollment": t.get("enrollment"),
                "sponsor": t.get("sponsor"),
                "has_results": t.get("has_results"),  # None: the registry did not say
                "url": f"https://clinicaltrials.gov/study/{nct}",
            }
        )
    return out
