"""What the user asked, resolved once into a model.Question for every face.

The drug is matched against the evidence base (names, brands, synonyms), the condition against
the vocabulary. Anything unknown raises NotCovered naming what is covered; nothing here guesses
a different question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offlabel.errors import NotCovered
from offlabel.model import Drug, Question

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase

__all__ = ["resolve_question"]


def resolve_question(base: EvidenceBase, drug_text: str, condition_text: str | None) -> Question:
    """The question the user means, or NotCovered (one line, with what is covered)."""
    from offlabel.vocabulary import known_conditions, resolve_condition

    profile = base.find_drug(drug_text)
    if profile is None:
        known = ", ".join(sorted(d.name for d in base.drugs.values()))
        raise NotCovered(f"drug '{drug_text}' is not in the evidence base (covered: {known})")
    drug = Drug(id=profile.id, name=profile.name)
    if condition_text is None:
        return Question(drug, None)
    cond = resolve_condition(condition_text)
    if cond is None:
        raise NotCovered(
            f"condition '{condition_text}' is not recognised (known: {', '.join(known_conditions())})"
        )
    return Question(drug, cond)
