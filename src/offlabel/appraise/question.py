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

__all__ = ["resolve_condition_text", "resolve_question", "split_question_text"]


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


# Words that join a drug to its condition in a typed question ("baclofen for alcohol use
# disorder", "naltrexone in AUD"); dropped between the two names.
_JOINERS = frozenset({"for", "in", "with", "against", "on", "to", "treat", "treating"})


def split_question_text(base: EvidenceBase, text: str) -> tuple[str | None, str | None]:
    """(drug text, condition text) of one free-text question, for the faces with a single box:
    "DRUG for CONDITION", "DRUG in CONDITION", "DRUG CONDITION" or "DRUG". The drug is the
    longest run of leading words that is a known drug's name, synonym or brand; the rest is the
    condition. Nothing is resolved here (resolve_question does it, with its "did you mean"):
    when no known drug leads, "X for Y" splits at the joiner, a known condition alone is
    (None, condition), and otherwise the first word is taken as the drug."""
    words = text.split()
    if not words:
        return None, None
    known = {name_key(n) for d in base.drugs.values()
             for n in (d.id, d.name, *d.synonyms, *d.brand_names)}
    cut = max((i for i in range(1, len(words) + 1) if name_key(" ".join(words[:i])) in known),
              default=0)
    if cut == 0:
        lowered = [w.casefold() for w in words]
        joiner = next((i for i, w in enumerate(lowered) if w in ("for", "in") and i > 0), None)
        if joiner is not None:
            cut = joiner
        else:
            from offlabel.vocabulary import resolve_condition

            if resolve_condition(text) is not None:
                return None, " ".join(words)
            cut = 1
    rest = words[cut:]
    while rest and (rest[0].casefold() in _JOINERS or not name_key(rest[0])):
        rest = rest[1:]
    return " ".join(words[:cut]), (" ".join(rest) or None)
