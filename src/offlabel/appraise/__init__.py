"""appraise/ -> verdict: from studies to a graded, sourced answer.

`answer(base, drug, condition)` is what `offlabel ask` calls; it raises NotCovered when the
evidence base has nothing on the drug or the condition, so the CLI can say so plainly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offlabel.appraise.core import covered_conditions
from offlabel.appraise.results import Answer, ConditionAppraisal
from offlabel.errors import NotCovered
from offlabel.model import SYNTHESES, Question

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase

__all__ = ["Answer", "ConditionAppraisal", "NotCovered", "answer", "covered_conditions"]


def answer(base: EvidenceBase, drug_text: str | Question, condition_text: str | None = None,
           profile: dict[str, object] | None = None,
           unpublished: list[dict[str, Any]] | None = None) -> Answer:
    """The appraisal of a question: a resolved Question, or the drug and condition as typed
    (resolved by appraise.question.resolve_question, the one place that does it)."""
    from offlabel.appraise.core import appraise_condition
    from offlabel.appraise.question import resolve_question
    from offlabel.vocabulary import descendants

    question = (drug_text if isinstance(drug_text, Question)
                else resolve_question(base, drug_text, condition_text))
    drug = base.drugs[question.drug.id]
    studies = base.studies_for(drug.id)
    example = drug.id in base.example_drugs
    if question.condition is None:
        conds = covered_conditions(studies)
        appraisals = []
        for c in conds:
            ids = {c.id}
            subset = [s for s in studies if ids & set(s.conditions)]
            appraisals.append(appraise_condition(drug, c, subset, ids, example))
        return Answer(drug, None, appraisals, example)
    cond = question.condition
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

        primary = [s for s in subset if s.design not in SYNTHESES]
        ca.applicability = applicability(profile, primary, ca.comparisons)
    return Answer(drug, cond, [ca], example)
