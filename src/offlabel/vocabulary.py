"""Conditions and outcomes matched through synonyms, keyed by MeSH descriptors.

People type "alcoholism", "AUD", "heroin addiction" or "crystal meth"; the evidence files use
condition ids. A condition matches only as a WHOLE name (its name, a curated synonym, an entry
term of its MeSH descriptor, or the descriptor's id), compared after folding case, accents,
Unicode forms, hyphens, spacing and simple plurals: "opioid overdose" or "fetal alcohol
syndrome" contain a known name but are other questions, and are not answered as it.
"""

from __future__ import annotations

import difflib
import re

from offlabel.model import CONDITIONS, Condition, OutcomeKind, name_key

__all__ = ["BY_ID", "CONDITIONS", "OUTCOME_SYNONYMS", "descendants", "known_conditions",
           "name_key", "nearest_conditions", "normalise", "resolve_condition", "resolve_outcome"]


BY_ID: dict[str, Condition] = {c.id: c for c in CONDITIONS}

OUTCOME_SYNONYMS: dict[OutcomeKind, tuple[str, ...]] = {
    OutcomeKind.relapse: ("relapse", "return to drinking", "return to heavy drinking", "lapse"),
    OutcomeKind.abstinence: (
        "abstinence", "abstinent", "percent days abstinent", "pda", "days abstinent",
        "cumulative abstinence duration",
    ),
    OutcomeKind.heavy_drinking: ("heavy drinking", "heavy drinking days", "hdd", "phdd"),
    OutcomeKind.consumption: (
        "consumption", "drinks per day", "drinks per drinking day", "alcohol intake",
        "total alcohol consumption", "use",
    ),
    OutcomeKind.craving: ("craving", "ocds", "pacs", "desire"),
    OutcomeKind.positive_urine_tests: (
        "positive urine tests", "urine toxicology", "urine drug screen", "benzoylecgonine",
    ),
    OutcomeKind.withdrawal: ("withdrawal", "withdrawal symptoms", "ciwa", "ciwa-ar"),
    OutcomeKind.retention: ("retention", "dropout", "treatment retention", "completion"),
    OutcomeKind.adverse_events: ("adverse events", "side effects", "safety", "harms"),
    OutcomeKind.spasticity_score: ("spasticity score", "ashworth", "spasm frequency"),
}


# Entry terms of each condition's MeSH descriptor that the curated synonyms lack (read on the
# MeSH browser record of the descriptor, 2023-2024; inverted headings written in reading order).
# Left out on purpose: the entry terms of a descriptor that is not the condition itself
# (D013375 Substance Withdrawal Syndrome is any withdrawal, not opioid withdrawal; D012978 is
# the drug sodium oxybate; D000430 is delirium tremens alone, already a synonym).
MESH_ENTRY_TERMS: dict[str, tuple[str, ...]] = {
    "alcohol_use_disorder": (  # D000437 Alcoholism
        "alcoholism", "alcohol abuse", "alcohol addiction", "alcohol dependence",
        "alcohol use disorder", "chronic alcoholic intoxication", "alcoholic intoxication chronic",
        "ethanol abuse",
    ),
    "opioid_use_disorder": (  # D009293 Opioid-Related Disorders
        "opioid-related disorders", "opioid addiction", "opioid dependence", "opiate abuse",
        "opiate addiction", "opiate dependence", "opioid abuse", "opioid misuse",
        "opioid use disorder", "prescription opioid abuse", "prescription opioid misuse",
    ),
    "nicotine_dependence": (  # D014029 Tobacco Use Disorder
        "tobacco use disorder", "tobacco-use disorder", "nicotine dependence",
        "nicotine addiction", "nicotine use disorder", "tobacco dependence",
    ),
    "spasticity": (  # D009128 Muscle Spasticity
        "muscle spasticity", "spastic", "clasp-knife spasticity", "clasp knife spasticity",
    ),
}


def normalise(text: str) -> str:
    """Lower-case words with punctuation folded: for finding a term inside a longer text
    (label sentences). Matching a name the user typed uses name_key."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9+]+", " ", text)
    return " ".join(text.split())


def _names(c: Condition) -> tuple[str, ...]:
    return (c.id.replace("_", " "), c.name, *c.synonyms, *MESH_ENTRY_TERMS.get(c.id, ()))


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in CONDITIONS:
        for term in _names(c):
            key = name_key(term)
            # one key, one concept: a term two conditions share would answer one of them silently
            if index.setdefault(key, c.id) != c.id:
                raise ValueError(f"vocabulary: '{term}' names both {index[key]} and {c.id}")
            index.setdefault(key.replace(" ", ""), c.id)  # "gammahydroxybutyrate", "opioiduse"
    return index


_INDEX: dict[str, str] = _index()
_BY_MESH: dict[str, str] = {}
for _c in CONDITIONS:
    if _c.mesh_id:
        _BY_MESH.setdefault(_c.mesh_id.upper(), _c.id)  # a shared descriptor: the first, broader


def resolve_condition(text: str) -> Condition | None:
    """The condition a user means, or None when the text is not the whole name of one.

    A known name inside a longer text is not a match: "not alcohol use disorder" and "opioid
    overdose" are other questions (appraise.question says which names are near)."""
    key = name_key(text)
    if not key:
        return None
    cid = _INDEX.get(key) or _INDEX.get(key.replace(" ", ""))
    if cid is None:
        cid = _BY_MESH.get(text.strip().upper())
    return BY_ID[cid] if cid else None


def nearest_conditions(text: str, limit: int = 3) -> list[str]:
    """The names of the conditions nearest to TEXT, nearest first, for a "did you mean": close
    spellings (difflib on the folded names) and conditions sharing a word with it ("nicotine
    poisoning" -> nicotine dependence)."""
    key = name_key(text)
    if not key:
        return []
    score: dict[str, float] = {}
    words = set(key.split())
    for term, cid in _INDEX.items():
        ratio = difflib.SequenceMatcher(None, key, term).ratio()
        shared = len(words & set(term.split())) / max(len(words), 1) if words else 0.0
        best = max(ratio if ratio >= 0.6 else 0.0, 0.5 + 0.4 * shared if shared else 0.0)
        if best > score.get(cid, 0.0):
            score[cid] = best
    ranked = sorted((s, cid) for cid, s in score.items() if s > 0)
    ranked.sort(key=lambda sc: (-sc[0], sc[1]))
    return [BY_ID[cid].name for _, cid in ranked[:limit]]


def descendants(condition_id: str) -> set[str]:
    """The condition and every narrower one: stimulant use disorder covers cocaine and meth."""
    out = {condition_id}
    changed = True
    while changed:
        changed = False
        for c in CONDITIONS:
            if c.parent in out and c.id not in out:
                out.add(c.id)
                changed = True
    return out


def resolve_outcome(text: str) -> OutcomeKind | None:
    key = normalise(text)
    for kind, terms in OUTCOME_SYNONYMS.items():
        if key == kind.value.replace("_", " ") or key in {normalise(t) for t in terms}:
            return kind
    return None


def known_conditions() -> list[str]:
    return [c.name for c in CONDITIONS]


