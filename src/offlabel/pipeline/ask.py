"""`ask`: one question answered from the evidence base, and from a store when one is given.

Both faces call this: the CLI's `offlabel ask` and the web app's answer pages. With a store, the
records `collect` gathered for the question are classified and appraised beside the curated
evidence (curated studies win on duplicates), completed registered trials with nothing
published feed the publication-bias judgement, and the verdict is noted on the latest run so
the next answer can say whether it changed (a living update).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offlabel.errors import StoreError, UsageError
from offlabel.model import Condition, DrugProfile, Source

if TYPE_CHECKING:  # a cached AskResult is unpickled without loading the appraisal
    from offlabel.appraise import Answer
    from offlabel.evidence import EvidenceBase

__all__ = ["AskResult", "ask"]


@dataclass
class AskResult:
    answer: Answer
    # One line each for the person asking (stderr in the CLI, a notice in the web app).
    notes: list[str] = field(default_factory=list)


def ask(
    base: EvidenceBase,
    drug: str,
    condition: str | None = None,
    *,
    store: Path | None = None,
    profile: dict[str, object] | None = None,
    record: bool = True,
) -> AskResult:
    """Appraise DRUG for CONDITION (the overview of every covered condition when None).

    NotCovered when the question is outside the evidence; StoreError when the store cannot be
    read (never reported as "not covered"). `record` notes the verdict in the store (the CLI
    does; a web page view does not write).
    """
    if profile and condition is None:
        raise UsageError("--profile needs a CONDITION")
    notes: list[str] = []
    unpublished: list[dict[str, Any]] = []
    cond: Condition | None = None
    collected = False
    if store is not None:
        if condition is None:
            raise UsageError("--store needs a CONDITION")
        from offlabel.appraise.question import resolve_condition_text

        cond = resolve_condition_text(condition)
        from offlabel.pipeline.records import has_question

        if has_question(store, drug, cond):
            unpublished = add_collected(base, store, drug, cond)
            collected = True
        else:
            notes.append(f"nothing collected for {drug} / {cond.name} in {store}; answering from "
                         f"the bundled evidence (run `offlabel collect {drug} \"{cond.name}\" "
                         f"--store {store}` to add records)")
    from offlabel.appraise import answer
    from offlabel.appraise.question import resolve_question

    question = resolve_question(base, drug, condition)
    ans = answer(base, question, profile=profile, unpublished=unpublished)
    if collected and record and cond is not None:
        from offlabel.pipeline.records import record_verdict

        try:
            before = record_verdict(store, drug, cond, ans.conditions[0].verdict.label)  # type: ignore[arg-type]
        except StoreError as exc:  # e.g. a collect is writing right now
            before = None
            notes.append(f"verdict not recorded in the store: {exc}")
        if before is not None:
            ans.conditions[0].verdict.reasons.insert(
                0, f"Living update: the verdict changed since the last collect "
                   f"(was {before.replace('_', ' ')}).")
    return AskResult(ans, notes)


def add_collected(base: EvidenceBase, store: Path, drug: str, condition: Condition) -> list[dict[str, Any]]:
    """Put the store's studies for (drug, condition) into the evidence base; return the
    registered-but-unpublished trials."""
    from offlabel.classify.studies import merge_collected, study_from_record
    from offlabel.pipeline.records import (
        collected_drug_profile,
        question_records,
        registered_unpublished,
    )

    rows = question_records(store, drug, condition)
    unpublished = registered_unpublished(store, drug, condition)
    profile = base.find_drug(drug)
    if profile is None:
        profile = collected_drug_profile(store, drug)  # the openFDA label collect stored
        if profile is not None:
            base.drugs[profile.id] = profile
    if profile is None:
        profile = DrugProfile(
            id=drug.strip().lower().replace(" ", "-"), name=drug.strip().capitalize(),
            sources=[Source(url="https://pubmed.ncbi.nlm.nih.gov/",
                            where=f"records collected into {store}")])
        base.drugs[profile.id] = profile
    collected = [s for r, c in rows if (s := study_from_record(r, c, profile.id, condition.id))]
    base.studies.extend(merge_collected(base.studies_for(profile.id), collected))
    return unpublished


