"""appraise/ -> verdict: from studies to a graded, sourced answer.

`answer(base, drug, condition)` is what `offlabel ask` calls; it raises NotCovered when the
evidence base has nothing on the drug or the condition, so the CLI can say so plainly.
"""

from __future__ import annotations

from dataclasses import dataclass

from offlabel.errors import NotCovered
from offlabel.model import Condition, DrugProfile, Study


@dataclass
class Answer:
    drug: DrugProfile
    condition: Condition | None  # None: overview of every covered condition
    conditions: list  # list[ConditionAppraisal]
    example: bool = False


def covered_conditions(studies: list[Study]) -> list[Condition]:
    from offlabel.vocabulary import BY_ID, CONDITIONS

    present = {c for s in studies for c in s.conditions}
    return [c for c in CONDITIONS if c.id in present and c.id in BY_ID]


def answer(base, drug_text: str, condition_text: str | None = None,  # noqa: ANN001
           profile: dict[str, object] | None = None,
           unpublished: list[dict] | None = None) -> Answer:
    from offlabel.appraise.core import appraise_condition
    from offlabel.vocabulary import descendants, known_conditions, resolve_condition

    drug = base.find_drug(drug_text)
    if drug is None:
        known = ", ".join(sorted(d.name for d in base.drugs.values()))
        raise NotCovered(f"drug '{drug_text}' is not in the evidence base (covered: {known})")
    studies = base.studies_for(drug.id)
    example = drug.id in base.example_drugs
    if condition_text is None:
        conds = covered_conditions(studies)
        appraisals = []
        for c in conds:
            ids = {c.id}
            subset = [s for s in studies if ids & set(s.conditions)]
            appraisals.append(appraise_condition(drug, c, subset, ids, example))
        return Answer(drug, None, appraisals, example)
    cond = resolve_condition(condition_text)
    if cond is None:
        raise NotCovered(
            f"condition '{condition_text}' is not recognised (known: {', '.join(known_conditions())})"
        )
    ids = descendants(cond.id)
    subset = [s for s in studies if ids & set(s.conditions)]
    has_approval = any(set(a.conditions) & ids for a in drug.approvals)
    if not subset and not has_approval:
        raise NotCovered(
            f"no evidence on {drug.name} for {cond.name} in the evidence base "
            f"(covered for {drug.name}: "
            f"{', '.join(c.name for c in covered_conditions(studies)) or 'nothing'})"
        )
    ca = appraise_condition(drug, cond, subset, ids, example, unpublished=len(unpublished or []))
    ca.unpublished_trials = list(unpublished or [])
    if profile:
        from offlabel.appraise.applicability import applicability

        primary = [s for s in subset if s.design.value not in ("systematic_review", "meta_analysis")]
        ca.applicability = applicability(profile, primary, ca.comparisons)
    return Answer(drug, cond, [ca], example)
