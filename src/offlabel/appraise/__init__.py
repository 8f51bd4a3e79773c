"""appraise/ -> verdict: from studies to a graded, sourced answer.

`answer(base, drug, condition)` is what `offlabel ask` calls; it raises NotCovered when the
evidence base has nothing on the drug or the condition, so the CLI can say so plainly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offlabel.appraise.results import Answer, ConditionAppraisal
from offlabel.errors import NotCovered
from offlabel.model import SYNTHESES, Condition, DrugProfile, Question

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase
    from offlabel.model import Study

__all__ = ["Answer", "ConditionAppraisal", "NotCovered", "answer", "appraise_for",
           "covered_conditions"]


def covered_conditions(studies: list[Study]) -> list[Condition]:
    """The known conditions the studies name (appraise.core.covered_conditions)."""
    # Imported here: unpickling a cached Answer imports this package for its result types,
    # and must not pay for loading the whole appraisal.
    from offlabel.appraise.core import covered_conditions as covered

    return covered(studies)


def answer(base: EvidenceBase, drug_text: str | Question, condition_text: str | None = None,
           profile: dict[str, object] | None = None,
           unpublished: list[dict[str, Any]] | None = None) -> Answer:
    """The appraisal of a question: a resolved Question, or the drug and condition as typed
    (resolved by appraise.question.resolve_question, the one place that does it).

    The overview (no condition) has one row per condition the drug's studies name, and each row
    is `appraise_for` of that condition: the very computation `ask DRUG CONDITION` makes, so a
    row and the full answer never disagree (same studies: the condition and its narrower ones).
    """
    from offlabel.appraise.question import resolve_question

    question = (drug_text if isinstance(drug_text, Question)
                else resolve_question(base, drug_text, condition_text))
    drug = base.drugs[question.drug.id]
    example = drug.id in base.example_drugs
    if question.condition is None:
        conds = covered_conditions(base.studies_for(drug.id))
        return Answer(drug, None, [appraise_for(base, drug, c) for c in conds], example)
    cond = question.condition
    ca = appraise_for(base, drug, cond, profile=profile, unpublished=unpublished)
    return Answer(drug, cond, [ca], example)


def appraise_for(base: EvidenceBase, drug: DrugProfile, cond: Condition,
                 profile: dict[str, object] | None = None,
                 unpublished: list[dict[str, Any]] | None = None) -> ConditionAppraisal:
    """DRUG appraised for COND from every study of the condition or a narrower one
    (stimulant use disorder takes in cocaine and methamphetamine); NotCovered when the evidence
    base has neither a study nor an approval for it."""
    from offlabel.appraise.core import appraise_condition
    from offlabel.vocabulary import descendants

    studies = base.studies_for(drug.id)
    ids = descendants(cond.id)
    subset = [s for s in studies if ids & set(s.conditions)]
    has_approval = any(set(a.conditions) & ids for a in drug.approvals)
    if not subset and not has_approval:
        raise NotCovered(
            f"no evidence on {drug.name} for {cond.name} in the evidence base "
            f"(covered for {drug.name}: "
            f"{', '.join(c.name for c in covered_conditions(studies)) or 'nothing'})"
        )
    example = drug.id in base.example_drugs
    ca = appraise_condition(drug, cond, subset, ids, example, unpublished=len(unpublished or []))
    ca.unpublished_trials = list(unpublished or [])
    if profile:
        from offlabel.appraise.applicability import applicability

        primary = [s for s in subset if s.design not in SYNTHESES]
        ca.applicability = applicability(profile, primary, ca.comparisons)
    return ca
