"""Efficacy apart from harms (issue 16, rule 7): which studies speak to harm only, and each
question's harms section.

A safety cohort that found more deaths on the drug, or a poison-centre series, says nothing
about whether the drug works; counted with the efficacy findings it reads as a "negative
trial", and its subgroup ("poisoning more severe with psychiatric illness") reads as an
efficacy moderator ("effect stronger"), the opposite of its safety message. The rules, applied
to every study, never to one:

- A study is a safety study when every outcome it records is a harm (kind `adverse_events`).
  Its direction is about harm: it never enters agreement counts, direction counts, design or
  moderator comparisons, or the verdict's counts (`efficacy_studies`); its subgroups are harm
  findings, never efficacy moderators (`is_harm_subgroup`).
- A study with an efficacy-kind outcome keeps its curated (efficacy) direction; its adverse-event
  outcomes are shown in the harms section, never as efficacy.
- Each question gets a harms section (`harms_for`): the drug's curated harm facts (boxed warning
  and label warnings, interactions, withdrawal, overdose; model.HarmFact) that concern it, then
  every adverse-event outcome of its studies (regulatory notices, overdose and poisoning data,
  safety signals from observational studies, adverse-event results and review pools) and the
  subgroups of its safety studies, each with its source. A finding is worded as harm ("more
  harm with the drug than with the comparator"), never "favours" or "benefit".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from offlabel.appraise.results import Harm, OutcomeAppraisal
from offlabel.model import (
    DESIGN_FACTS,
    SYNTHESES,
    BinaryEffect,
    Direction,
    DrugProfile,
    HarmKind,
    Outcome,
    OutcomeKind,
    ReportedEffect,
    SingleArmEffect,
    Study,
    Subgroup,
)

__all__ = ["HARM_ORDER", "efficacy_studies", "harm_words", "harms_for", "is_harm_study",
           "is_harm_subgroup"]

# The order a harms section lists its kinds: what the label says first, then the data.
HARM_ORDER: tuple[HarmKind, ...] = ("boxed_warning", "label_warning", "interaction",
                                    "withdrawal", "overdose", "safety_signal", "adverse_events")

_OVERDOSE = re.compile(r"poison|overdos", re.I)


def is_harm_study(study: Study) -> bool:
    """A safety study: it records outcomes and every one of them is a harm."""
    return bool(study.outcomes) and all(o.kind is OutcomeKind.adverse_events
                                        for o in study.outcomes)


def efficacy_studies(studies: Iterable[Study]) -> list[Study]:
    """The studies whose direction is an efficacy finding (safety studies left out)."""
    return [s for s in studies if not is_harm_study(s)]


def is_harm_subgroup(study: Study, subgroup: Subgroup) -> bool:
    """A subgroup of a safety study is a harm finding, never an efficacy moderator."""
    return subgroup in study.subgroups and is_harm_study(study)


def harm_words(direction: Direction) -> str | None:
    """A harm outcome's direction in harm words ('favours' would read as efficacy)."""
    return {
        Direction.favours_control: "more harm with the drug than with the comparator",
        Direction.favours_drug: "less harm with the drug than with the comparator",
        Direction.no_difference: "no clear difference from the comparator",
    }.get(direction)


def _effect_text(o: Outcome) -> str | None:
    e = o.effect
    if isinstance(e, ReportedEffect):
        return f"{e.measure} {e.estimate:g} ({e.ci_lb:g} to {e.ci_ub:g})"
    if isinstance(e, BinaryEffect):
        return (f"{e.events_drug}/{e.total_drug} with the drug vs "
                f"{e.events_control}/{e.total_control} with the comparator")
    if isinstance(e, SingleArmEffect):
        if e.events is not None and e.total:
            return f"{e.events} of {e.total}"
        if e.events is not None:
            return f"{e.events} patients"
        return e.description
    return None


def _study_kind(study: Study, text: str) -> HarmKind:
    if DESIGN_FACTS[study.design].role == "regulatory":
        return "label_warning"  # a regulator's safety action
    if _OVERDOSE.search(text):
        return "overdose"
    if is_harm_study(study) and DESIGN_FACTS[study.design].role == "primary":
        return "safety_signal"  # a cohort, a case series or a trial about harm alone
    return "adverse_events"


def _outcome_harm(study: Study, o: Outcome) -> Harm:
    text = " ".join(x for x in (o.name, o.note, study.title, study.setting) if x)
    parts = [o.name]
    if (eff := _effect_text(o)) is not None:
        parts.append(eff)
    # A regulator's action compares nothing: its direction is no "more harm than a comparator".
    regulatory = DESIGN_FACTS[study.design].role == "regulatory"
    if not regulatory and (words := harm_words(o.direction)) is not None:
        parts.append(words)
    finding = ": ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if parts[2:] else "")
    if o.note:
        finding += f" ({o.note.rstrip('.')})"
    return Harm(_study_kind(study, text), finding, [study], o.source or study.sources[0])


def _pool_harm(o: OutcomeAppraisal) -> Harm | None:
    """offlabel's own pool of an adverse-event outcome (2+ studies; one study is listed as its
    own outcome already)."""
    p = o.pooled
    if p is None:
        return None
    words = harm_words(p.favours)
    return Harm("adverse_events",
                f"{o.outcome}, offlabel's pool: {p.text()}" + (f"; {words}" if words else ""),
                [e.study for e in o.effects if e.study.id in p.study_ids])


def harms_for(drug: DrugProfile, condition_ids: set[str], studies: Sequence[Study],
              outcomes: Sequence[OutcomeAppraisal] = ()) -> list[Harm]:
    """The harms section of one question (the rules in the module docstring)."""
    by_id = {s.id: s for s in studies}
    out: list[Harm] = []
    for h in drug.harms:
        if h.conditions and not set(h.conditions) & condition_ids:
            continue
        out.append(Harm(h.kind, h.finding, [by_id[i] for i in h.studies if i in by_id],
                        h.sources[0]))
    if drug.boxed_warning and not any(h.kind == "boxed_warning" for h in drug.harms):
        # The profile's sources are not the label's: no source rather than a wrong one. A
        # boxed warning curated as a harm with its conditions is shown where it applies only.
        out.append(Harm("boxed_warning", drug.boxed_warning))
    for s in studies:
        for o in s.outcomes:
            if o.kind is OutcomeKind.adverse_events:
                out.append(_outcome_harm(s, o))
        if is_harm_study(s):
            text = " ".join(x for x in (s.title, s.setting, *(o.name for o in s.outcomes)) if x)
            kind = _study_kind(s, text)
            out.extend(Harm(kind, sg.finding, [s], sg.source) for sg in s.subgroups)
    for oa in outcomes:
        if oa.key.kind is OutcomeKind.adverse_events and (h2 := _pool_harm(oa)) is not None:
            out.append(h2)
    # Reviews' pools read after the primary data they summarise, within each kind.
    out.sort(key=lambda h: (HARM_ORDER.index(h.kind),
                            any(s.design in SYNTHESES for s in h.studies)))
    return out
