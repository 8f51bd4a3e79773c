"""A curated study's overall direction, checked against its own outcomes.

A study's `direction` is what the appraisal counts ("3 of 5 RCTs favour the drug"), so a
`favours_drug` that rests on a surrogate while the use outcome was null would count an
unproven drug as a working one. The rule, applied to every study, never to one:

- Only `favours_drug` is checked: the rule stops a surrogate win from passing as a win; it
  never promotes a study.
- A study may read `favours_drug` when at least one of its efficacy-kind outcomes
  (model.EFFICACY_KINDS: relapse, abstinence, heavy drinking, consumption, positive urine tests,
  withdrawal, spasticity score) favours the drug.
- When every outcome that favours the drug is of another kind (a surrogate: craving, retention;
  a laboratory or behavioural measure: `other`; fewer adverse events) and at least one
  efficacy-kind outcome reads `no_difference` or `favours_control`, the study reads `mixed`.
- Intention to treat first: an efficacy win recorded as per-protocol or among completers does
  not count as the study's efficacy win when the study also records an intention-to-treat
  outcome of the same kind; it is a sensitivity analysis (and counts as an "other" win above).
- A study that records no efficacy-kind outcome with a direction (a case report of craving, an
  animal or laboratory measure) is left as curated: nothing it reports says the use outcome
  was null, and its design already tells the reader how far such a finding goes.

`per_protocol_numbers` lists outcomes whose numbers are per-protocol or completers-only, so a
curator can see where an intention-to-treat result should replace them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from offlabel.model import EFFICACY_KINDS, Direction, Outcome, OutcomeKind, Study

__all__ = ["DirectionFlag", "PerProtocolFlag", "check_direction", "check_directions",
           "expected_direction", "per_protocol_numbers"]

_PER_PROTOCOL = re.compile(
    r"per[- ]protocol|\bcompleters?\b|\bpp\b|among (?:those|patients|participants) who "
    r"completed|patients? completed follow-up", re.I)
_ITT = re.compile(r"intention[- ]to[- ]treat|intent[- ]to[- ]treat|\bitt\b", re.I)
_NULL_OR_WORSE = (Direction.no_difference, Direction.favours_control)


@dataclass(frozen=True)
class DirectionFlag:
    """A curated study whose direction its outcomes do not allow."""

    study_id: str
    recorded: Direction
    expected: Direction
    reason: str

    def __str__(self) -> str:
        return (f"study {self.study_id}: direction {self.recorded.value}, its outcomes read "
                f"{self.expected.value} ({self.reason})")


@dataclass(frozen=True)
class PerProtocolFlag:
    """An outcome whose numbers are per-protocol or completers-only."""

    study_id: str
    outcome: str
    itt_recorded: bool  # the study records an intention-to-treat result too

    def __str__(self) -> str:
        itt = ("an intention-to-treat result is recorded too" if self.itt_recorded
               else "no intention-to-treat result recorded")
        return f"study {self.study_id}: outcome {self.outcome!r} is per-protocol; {itt}"


def _text(o: Outcome) -> str:
    src = o.source
    return " ".join(filter(None, (o.name, o.note, src.where if src else None,
                                  src.quote if src else None)))


def _per_protocol(o: Outcome) -> bool:
    return bool(_PER_PROTOCOL.search(_text(o))) and not _ITT.search(o.name)


def _itt(o: Outcome) -> bool:
    return bool(_ITT.search(o.name) or (o.note and _ITT.search(o.note)))


def _efficacy_wins(study: Study) -> list[Outcome]:
    itt_kinds = {o.kind for o in study.outcomes if _itt(o)}
    return [o for o in study.outcomes
            if o.kind in EFFICACY_KINDS and o.direction is Direction.favours_drug
            and not (_per_protocol(o) and o.kind in itt_kinds)]


def check_direction(study: Study) -> DirectionFlag | None:
    """The flag for a study its outcomes contradict (the rule in the module docstring)."""
    if study.direction is not Direction.favours_drug:
        return None
    if _efficacy_wins(study):
        return None
    wins = [o for o in study.outcomes if o.direction is Direction.favours_drug]
    nulls = [o for o in study.outcomes
             if o.kind in EFFICACY_KINDS and o.direction in _NULL_OR_WORSE]
    if not (wins and nulls):
        return None
    won = "; ".join(f"{o.name} ({o.kind.value})" for o in wins)
    null = "; ".join(f"{o.name} ({o.kind.value}, {o.direction.value})" for o in nulls)
    return DirectionFlag(study.id, study.direction, Direction.mixed,
                         f"only non-use outcomes favour the drug: {won}; use outcome: {null}")


def expected_direction(study: Study) -> Direction:
    """The direction the rule allows: the curated one unless its outcomes contradict it."""
    flag = check_direction(study)
    return study.direction if flag is None else flag.expected


def check_directions(studies: Iterable[Study]) -> list[DirectionFlag]:
    return [f for s in studies if (f := check_direction(s)) is not None]


def per_protocol_numbers(studies: Iterable[Study]) -> list[PerProtocolFlag]:
    """Outcomes with numbers (an effect) that are per-protocol or completers-only. Retention
    is left out: the number of completers is that outcome, not a per-protocol analysis."""
    out: list[PerProtocolFlag] = []
    for s in studies:
        itt = any(_itt(o) for o in s.outcomes) or bool(
            s.population and _ITT.search(s.population))
        out.extend(PerProtocolFlag(s.id, o.name, itt)
                   for o in s.outcomes
                   if o.effect is not None and o.kind is not OutcomeKind.retention
                   and _per_protocol(o))
    return out
