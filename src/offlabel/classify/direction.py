"""Direction of the main finding, read from the abstract's conclusion. A best-effort signal.

It looks at the conclusion (the labelled CONCLUSION(S)/INTERPRETATION section, else the last
two sentences) for the usual phrasings of a null result, of benefit and of harm. It does not
know which arm is "the drug", which outcome is primary, or whether a fall in the outcome is
good; treat it as a hint for a reviewer, never as an extracted result.

Two rules then read the rest of the abstract, because a conclusion can oversell a trial:

- Intention-to-treat first. When the abstract reports both an intention-to-treat and a
  per-protocol (completers) result, the direction follows the intention-to-treat one:
  randomisation protects only the analysis of everyone randomised, and completers are a
  self-selected subset. The per-protocol sentence is kept in the evidence as a sensitivity
  note, never as the finding.
- A surrogate win is not a win. When the abstract's positive findings are all about outcomes
  other than use (craving, retention, a lab value, mood) while a use outcome (relapse,
  abstinence, drinking, consumption, urine tests, withdrawal, spasticity) is reported null or
  worse, the direction is `mixed`, not `favours_drug`: the same rule appraise.direction applies
  to curated studies through model.EFFICACY_KINDS.
"""

from __future__ import annotations

import re
from collections.abc import Set

from offlabel.model import Direction

from ._fastre import fast
from .cues import split_sentences

_CONCLUSION_LABELS = re.compile(r"conclusion|interpretation|implication|summary|discussion")
# Sections that say what was planned or already known, not what this study found (a label
# that also names results, PLoS Medicine's "Methods and findings", is read).
_NOT_FINDINGS = re.compile(
    r"background|introduction|objective|aim|purpose|rationale|context|method|design|setting|"
    r"participant|intervention|measure|trial registration|funding"
)
_FINDINGS = re.compile(r"result|finding|conclusion|interpretation|outcome")

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

# --- intention-to-treat vs per-protocol --------------------------------------------------
_ITT = fast(
    r"\bintention[- ]to[- ]treat\b|\bintent[- ]to[- ]treat\b|\bitt\b|"
    r"\ball randomi[sz]ed (?:patients|participants|subjects)\b"
)
_PER_PROTOCOL = fast(
    r"\bper[- ]protocol\b|\bcompleters?\b|\bpp (?:analys[ie]s|population|set|sample)\b|"
    r"\bon[- ]treatment analys[ie]s\b|"
    r"\bamong (?:those|patients|participants|subjects) who completed\b"
)
# One sentence often sets the two analyses against each other ("no difference by ITT, but
# fewer relapses among completers"): each side is read on its own.
_CLAUSE_BREAK = re.compile(r";|,? \b(?:but|whereas|while|although)\b ")

# --- outcome families ------------------------------------------------------------------
# What the patient and the regulator count as the drug working (model.EFFICACY_KINDS).
_USE = fast(
    r"\brelaps\w*|\blapses?\b|\babstinen\w*|\babstain\w*|\bheavy[- ]drinking\b|"
    r"\bbinge drinking\b|\bdrinks (?:per|a|each)\b|\bdrinking days?\b|\bdays of drinking\b|"
    r"\b(?:alcohol|ethanol|drug|cocaine|methamphetamine|amphetamine|opioid|heroin|cannabis|"
    r"marijuana|tobacco|nicotine|ghb|substance) (?:intake|consumption|use)\b|"
    r"\bconsumption\b|\bdrinking\b|\bpositive urines?\b|\burine (?:samples?|tests?|screens?|"
    r"toxicology|drug screens?)\b|\b(?:drug|cocaine)[- ]free urines?\b|\bwithdrawal "
    r"(?:symptoms?|severity|syndrome|scores?)\b|\bciwa\w*|\bspasticity\b|\bashworth\b|"
    r"\bcigarettes? (?:per|a) day\b|\bquit rates?\b|\bsmoking cessation\b"
)
# Phrases that hold a use word but are not a use outcome: craving scales, the name of the
# disorder ("craving fell in alcohol use disorder"), and the intake controls of animal work.
_NOT_USE = re.compile(
    r"obsessive[- ]compulsive drinking scale|penn alcohol craving scale|desire to drink|"
    r"drinking urges?|urges? to drink|\buse disorders?\b|drinking water|"
    r"(?:water|food|sucrose|saccharin|oxygen|energy|caloric) (?:intake|consumption|drinking)"
)
# Comparisons that are not findings ("groups did not differ at baseline").
_NOT_A_RESULT = fast(r"\bbaseline\b|\bat (?:entry|inclusion|randomi[sz]ation)\b|demographic")


def _read(low: str, words: Set[str] | None) -> Direction | None:
    """The cue a sentence (lower-cased) carries; None when it carries none.

    A null result outranks harm, and benefit counts before it only with a "but"."""
    # `words` (tokens of the whole abstract) lets absent phrases be skipped unscanned; and
    # each table is only searched when its answer can still matter.
    if null := _NULL.search(low, words=words):
        benefit = _BENEFIT.search(low, words=words) if "but" in low else None
        if benefit and benefit.start() < null.start():
            return Direction.mixed
        return Direction.no_difference
    if _HARM.search(low, words=words):
        return Direction.favours_control
    if _BENEFIT.search(low, words=words):
        return Direction.favours_drug
    return None


def _conclusion(abstract: str, sections: list[tuple[str, str]] | None) -> list[str]:
    conclusion = ""
    for label, text in sections or []:
        if _CONCLUSION_LABELS.search(label.lower()):
            conclusion = text
    if conclusion:
        return split_sentences(conclusion)
    # the last two sentences; splitting only the tail keeps this cheap
    return split_sentences(abstract.strip()[-600:])[-2:]


def _finding_sentences(abstract: str, sections: list[tuple[str, str]] | None) -> list[str]:
    """The sentences that can report this study's results (not its background or methods)."""
    if sections:
        text = " ".join(
            t
            for label, t in sections
            if _FINDINGS.search(label.lower()) or not _NOT_FINDINGS.search(label.lower())
        )
        if text.strip():
            return split_sentences(text)
    sentences = split_sentences(abstract)
    return sentences[1:] if len(sentences) > 2 else sentences  # the opening motivates


def _clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_BREAK.split(sentence) if c.strip()]


def _combine(found: list[tuple[Direction, str]]) -> tuple[Direction, str] | None:
    """One direction from several readings: `mixed` when they disagree."""
    if not found:
        return None
    first = found[0][0]
    if all(d is first for d, _ in found):
        return first, found[0][1]
    return Direction.mixed, " ".join(dict.fromkeys(s for _, s in found))


def _itt_reading(
    sentences: list[str], words: Set[str] | None
) -> tuple[tuple[Direction, str] | None, tuple[Direction, str] | None]:
    """(intention-to-treat reading, per-protocol reading) of the finding sentences; a clause
    that names both analyses ("both ITT and per-protocol analyses ...") counts for neither."""
    itt: list[tuple[Direction, str]] = []
    pp: list[tuple[Direction, str]] = []
    for sentence in sentences:
        low_sentence = sentence.lower()
        if not (
            _ITT.search(low_sentence, words=words)
            or _PER_PROTOCOL.search(low_sentence, words=words)
        ):
            continue
        for clause in _clauses(low_sentence):
            is_itt = _ITT.search(clause, words=words) is not None
            is_pp = _PER_PROTOCOL.search(clause, words=words) is not None
            if is_itt == is_pp:
                continue
            found = _read(clause, words)
            if found is not None:
                (itt if is_itt else pp).append((found, sentence.strip()))
    return _combine(itt), _combine(pp)


def _surrogate_only(
    sentences: list[str], words: Set[str] | None, itt_given: bool
) -> tuple[str, str] | None:
    """(a win that is not about use, a use outcome read null or worse) when no finding
    sentence reports a win on use; None otherwise. With `itt_given`, per-protocol clauses are
    left out: a completers-only win on use is not a win either."""
    other_win: str | None = None
    use_null: str | None = None
    for sentence in sentences:
        for clause in _clauses(sentence.lower()):
            if _NOT_A_RESULT.search(clause, words=words):
                continue
            if (
                itt_given
                and _PER_PROTOCOL.search(clause, words=words)
                and not _ITT.search(clause, words=words)
            ):
                continue
            found = _read(clause, words)
            if found is None:
                continue
            about_use = _USE.search(_NOT_USE.sub(" ", clause), words=words) is not None
            if found is Direction.favours_drug:
                if about_use:
                    return None
                other_win = other_win or sentence.strip()
            elif about_use and found in (Direction.no_difference, Direction.favours_control):
                use_null = use_null or sentence.strip()
    if other_win and use_null:
        return other_win, use_null
    return None


def finding_direction(
    abstract: str,
    sections: list[tuple[str, str]] | None = None,
    words: Set[str] | None = None,
    low: str | None = None,
) -> tuple[Direction, str | None]:
    """(direction, sentence it came from). `unclear` with the sentence read when no cue fires.
    `low`: the abstract lower-cased, when the caller has it already."""
    sentences = _conclusion(abstract, sections)
    best: tuple[Direction, str] | None = None
    for sentence in sentences:
        found = _read(sentence.lower(), words)
        if found is None:
            continue
        if best is None:
            best = (found, sentence.strip())
        elif best[0] is not found:
            best = (Direction.mixed, f"{best[1]} {sentence.strip()}")
            break
    if low is None:
        low = abstract.lower()
    findings: list[str] | None = None
    both = bool(_ITT.search(low, words=words) and _PER_PROTOCOL.search(low, words=words))
    if both:
        findings = _finding_sentences(abstract, sections)
        itt, pp = _itt_reading(findings, words)
        if itt is not None and (best is None or best[0] is not itt[0]):
            note = f" [per-protocol, a sensitivity analysis only: {pp[1]}]" if pp else ""
            best = (itt[0], f"intention to treat: {itt[1]}{note}")
    if (
        best is not None
        and best[0] is Direction.favours_drug
        and _USE.could_match(words if words is not None else frozenset(re.findall(r"\w+", low)))
    ):
        if findings is None:
            findings = _finding_sentences(abstract, sections)
        surrogate = _surrogate_only(findings, words, both)
        if surrogate is not None:
            won, null = surrogate
            return (
                Direction.mixed,
                f"only a surrogate or secondary outcome improved: {won} Use outcome: {null}",
            )
    if best is None:
        last = sentences[-1].strip() if sentences and sentences[-1].strip() else None
        return Direction.unclear, last
    return best
