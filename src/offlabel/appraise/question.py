"""What the user asked, resolved once into a model.Question for every face.

The drug is matched against the evidence base (names, brands, synonyms), the condition against
the vocabulary, each only as a whole name (model.name_key folds case, accents, hyphens, spacing,
plurals and Unicode forms). Anything else raises NotCovered with the nearest known names ("did
you mean ..."): a question that merely contains a known name ("opioid overdose", "not alcohol
use disorder") is another question, and nothing here answers it as the one it contains.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from offlabel.errors import NotCovered
from offlabel.model import Condition, Drug, Question, name_key

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase

__all__ = ["resolve_condition_text", "resolve_question"]


def resolve_question(base: EvidenceBase, drug_text: str, condition_text: str | None) -> Question:
    """The question the user means, or NotCovered (one line, with the nearest known names)."""
    profile = base.find_drug(drug_text)
    if profile is None:
        names = {name_key(n): d.name for d in base.drugs.values()
                 for n in (d.name, *d.synonyms, *d.brand_names)}
        near = difflib.get_close_matches(name_key(drug_text), list(names), n=6, cutoff=0.6)
        suggestions = list(dict.fromkeys(names[k] for k in near))[:3]
        known = ", ".join(sorted(d.name for d in base.drugs.values()))
        raise NotCovered(f"drug '{drug_text}' is not in the evidence base"
                         f"{_did_you_mean(suggestions)} (covered: {known})")
    drug = Drug(id=profile.id, name=profile.name)
    if condition_text is None:
        return Question(drug, None)
    return Question(drug, resolve_condition_text(condition_text))


def resolve_condition_text(condition_text: str) -> Condition:
    """The vocabulary's condition whose whole name CONDITION_TEXT is, or NotCovered naming the
    nearest ones; for the faces that need a condition without a drug (compare, --store)."""
    from offlabel.vocabulary import known_conditions, nearest_conditions, resolve_condition

    cond = resolve_condition(condition_text)
    if cond is None:
        near = nearest_conditions(condition_text)
        known = "" if near else f" (known: {', '.join(known_conditions())})"
        raise NotCovered(f"condition '{condition_text}' is not a condition offlabel covers"
                         f"{_did_you_mean(near)}{known}")
    return cond


def _did_you_mean(names: list[str]) -> str:
    if not names:
        return ""
    return "; did you mean " + " or ".join(f"'{n}'" for n in names) + "?"
