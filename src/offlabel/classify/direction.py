"""Direction of the main finding, read from the abstract's conclusion. A best-effort signal.

It looks at the conclusion (the labelled CONCLUSION(S)/INTERPRETATION section, else the last
two sentences) for the usual phrasings of a null result, of benefit and of harm. It does not
know which arm is "the drug", which outcome is primary, or whether a fall in the outcome is
good; treat it as a hint for a reviewer, never as an extracted result.
"""

from __future__ import annotations

import re
from collections.abc import Set

from offlabel.model import Direction

from ._fastre import fast
from .cues import split_sentences

_CONCLUSION_LABELS = re.compile(r"conclusion|interpretation|implication|summary|discussion", re.I)

_NULL = fast(
    r"\bno (?:statistically )?(?:significant|meaningful|clinically (?:relevant|important)|"
    r"major|apparent|clear|additional|further|overall|detectable|demonstrable)? ?"
    r"(?:difference|effect|benefit|improvement|advantage|reduction|change|association)s?\b|"
    r"\b(?:did|does|do|was|were) not (?:significantly |substantially )?(?:improve|reduce|"
    r"differ|change|alter|affect|prevent|decrease|increase|lower|prolong|show|result|lead|"
    r"superior|better|more effective|associated)\w*|"
    r"\bno better than\b|\b(?:similar|comparable|equivalent|equally effective|non-?inferior)\b|"
    r"\bfailed to\b|\bnot (?:statistically )?significant\w*|\bineffective\b"
)
_HARM = fast(
    r"\b(?:increased|higher|greater|excess) (?:\w+ ){0,2}(?:mortality|risk of death|harm|"
    r"adverse|toxicity|deaths)\b|\b(?:worse|inferior|harmful|detrimental)\b|"
    r"\bplacebo was (?:superior|more effective|better)\b|\bstopped early (?:for|because of) harm"
)
_BENEFIT = fast(
    r"\bsignificant(?:ly)? (?:\w+ ){0,2}(?:improv|reduc|decreas|increas|better|greater|lower|"
    r"higher|more|less|benefit|prolong|effective)\w*|\b(?:effective|efficacious|beneficial|"
    r"superior|improved|improves|reduced|reduces|prevented|prevents|safe and effective)\b|"
    r"\b(?:is|was|may be|appears to be|seems to be) (?:a |an )?(?:\w+ ){0,2}(?:useful|valuable|"
    r"promising|effective|option|alternative)\b"
)


def finding_direction(
    abstract: str,
    sections: list[tuple[str, str]] | None = None,
    words: Set[str] | None = None,
) -> tuple[Direction, str | None]:
    """(direction, sentence it came from). `unclear` with the sentence read when no cue fires."""
    conclusion = ""
    for label, text in sections or []:
        if _CONCLUSION_LABELS.search(label):
            conclusion = text
    if conclusion:
        sentences = split_sentences(conclusion)
    else:  # the last two sentences; splitting only the tail keeps this cheap
        sentences = split_sentences(abstract.strip()[-600:])[-2:]
    best: tuple[Direction, str] | None = None
    for sentence in sentences:
        low = sentence.lower()
        # `words` (tokens of the whole abstract) lets absent phrases be skipped unscanned; and
        # each table is only searched when its answer can still matter:
        # a null result outranks harm, and benefit counts before it only with a "but".
        if null := _NULL.search(low, words=words):
            benefit = _BENEFIT.search(low, words=words) if "but" in low else None
            if benefit and benefit.start() < null.start():
                found = Direction.mixed
            else:
                found = Direction.no_difference
        elif _HARM.search(low, words=words):
            found = Direction.favours_control
        elif _BENEFIT.search(low, words=words):
            found = Direction.favours_drug
        else:
            continue
        if best is None:
            best = (found, sentence.strip())
        elif best[0] is not found:
            return Direction.mixed, f"{best[1]} {sentence.strip()}"
    if best is None:
        last = sentences[-1].strip() if sentences and sentences[-1].strip() else None
        return Direction.unclear, last
    return best
