"""Conditions and outcomes matched through synonyms, keyed by MeSH descriptors.

People type "alcoholism", "AUD", "heroin addiction" or "crystal meth"; the evidence files use
condition ids. Matching is on normalised text: lower-case, punctuation folded, so the table
below is the whole vocabulary.
"""

from __future__ import annotations

import re

from offlabel.model import Condition, OutcomeKind

__all__ = ["BY_ID", "CONDITIONS", "OUTCOME_SYNONYMS", "descendants", "known_conditions",
           "normalise", "resolve_condition", "resolve_outcome"]

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "alcohol_use_disorder",
        "alcohol use disorder",
        mesh_id="D000437",  # Alcoholism
        synonyms=(
            "alcohol use disorder", "aud", "alcohol dependence", "alcoholism", "alcohol addiction",
            "alcohol abuse", "alcohol", "alcohol-related disorders", "problem drinking",
            "heavy drinking", "alcohol dependent", "alcohol misuse",
        ),
        parent="substance_use_disorder",
        related=("alcohol_withdrawal",),
    ),
    Condition(
        "alcohol_withdrawal",
        "alcohol withdrawal syndrome",
        mesh_id="D000430",  # Alcohol Withdrawal Delirium (closest descriptor)
        synonyms=(
            "alcohol withdrawal", "alcohol withdrawal syndrome", "aws", "delirium tremens",
            "alcohol detoxification", "alcohol detox",
        ),
        # A separate question (withdrawal management), not a subtype of the disorder.
        parent=None,
    ),
    Condition(
        "stimulant_use_disorder",
        "stimulant use disorder",
        mesh_id="D019969",  # Amphetamine-Related Disorders; cocaine listed separately below
        synonyms=(
            "stimulant use disorder", "stimulant dependence", "stimulant addiction",
            "stimulant abuse", "psychostimulant use disorder", "stimulants",
            "amphetamine use disorder", "amphetamine dependence", "amphetamine addiction",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "cocaine_use_disorder",
        "cocaine use disorder",
        mesh_id="D019970",  # Cocaine-Related Disorders
        synonyms=(
            "cocaine use disorder", "cocaine dependence", "cocaine addiction", "cocaine abuse",
            "cocaine", "crack cocaine", "crack", "cocaine-related disorders",
        ),
        parent="stimulant_use_disorder",
    ),
    Condition(
        "methamphetamine_use_disorder",
        "methamphetamine use disorder",
        mesh_id="D019969",
        synonyms=(
            "methamphetamine use disorder", "methamphetamine dependence",
            "methamphetamine addiction", "methamphetamine abuse", "methamphetamine", "meth",
            "crystal meth", "metamfetamine", "ice",
        ),
        parent="stimulant_use_disorder",
    ),
    Condition(
        "opioid_use_disorder",
        "opioid use disorder",
        mesh_id="D009293",  # Opioid-Related Disorders
        synonyms=(
            "opioid use disorder", "oud", "opioid dependence", "opioid addiction", "opioid abuse",
            "opiate use disorder", "opiate dependence", "opiate addiction", "opiate abuse",
            "opioids", "opiates", "opioid", "opiate", "heroin", "heroin addiction",
            "heroin dependence", "narcotic addiction",
        ),
        parent="substance_use_disorder",
        related=("opioid_withdrawal",),
    ),
    Condition(
        "opioid_withdrawal",
        "opioid withdrawal",
        mesh_id="D013375",  # Substance Withdrawal Syndrome
        synonyms=(
            "opioid withdrawal", "opiate withdrawal", "opioid detoxification",
            "opiate detoxification", "heroin withdrawal",
        ),
        parent=None,
    ),
    Condition(
        "nicotine_dependence",
        "nicotine dependence",
        mesh_id="D014029",  # Tobacco Use Disorder
        synonyms=(
            "nicotine dependence", "nicotine addiction", "tobacco use disorder",
            "tobacco dependence", "smoking", "smoking cessation", "nicotine", "tobacco",
            "cigarette smoking",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "cannabis_use_disorder",
        "cannabis use disorder",
        mesh_id="D002189",  # Marijuana Abuse
        synonyms=(
            "cannabis use disorder", "cannabis dependence", "cannabis addiction", "cannabis",
            "marijuana", "marijuana abuse", "marijuana dependence", "cannabis withdrawal",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "ghb_use_disorder",
        "GHB use disorder",
        mesh_id="D012978",  # Sodium Oxybate (no disorder descriptor exists for GHB)
        synonyms=(
            "ghb use disorder", "ghb", "ghb dependence", "ghb addiction", "ghb withdrawal",
            "gamma-hydroxybutyrate", "gamma hydroxybutyrate", "gamma-hydroxybutyric acid",
            "gbl", "sodium oxybate abuse",
        ),
        parent="substance_use_disorder",
    ),
    Condition(
        "spasticity",
        "spasticity",
        mesh_id="D009128",  # Muscle Spasticity
        synonyms=(
            "spasticity", "muscle spasticity", "spasm", "muscle spasm", "muscle spasms",
            "spasticity in multiple sclerosis", "ms spasticity", "spinal cord injury spasticity",
            "muscle rigidity", "clonus",
        ),
    ),
)

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


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9+]+", " ", text)
    return " ".join(text.split())


_INDEX: dict[str, str] = {}
for _c in CONDITIONS:
    for _term in (_c.id.replace("_", " "), _c.name, *_c.synonyms):
        _INDEX.setdefault(normalise(_term), _c.id)


def resolve_condition(text: str) -> Condition | None:
    """The condition a user means, or None when it is not in the vocabulary."""
    key = normalise(text)
    if not key:
        return None
    if key in _INDEX:
        return BY_ID[_INDEX[key]]
    if key.upper() in {c.mesh_id for c in CONDITIONS if c.mesh_id}:
        return next(c for c in CONDITIONS if c.mesh_id == key.upper())
    # "baclofen for alcohol dependence in cirrhosis": accept the longest known phrase inside.
    best: tuple[int, str] | None = None
    padded = f" {key} "
    for term, cid in _INDEX.items():
        if len(term) > 3 and f" {term} " in padded and (best is None or len(term) > best[0]):
            best = (len(term), cid)
    return BY_ID[best[1]] if best else None


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
