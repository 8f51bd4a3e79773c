"""Risk of bias per study: Cochrane RoB 2 domains for randomised trials, ROBINS-I-style
confounding/selection flags for primary studies that are not, and AMSTAR 2 / ROBIS review-level
signals for systematic reviews and meta-analyses (a review is judged on how it was done: a
primary-study tool would call every review "high" for having no control group, and a Cochrane
label is no judgement either; an uncurated signal is unclear, never low). Every judgement carries the field or phrase it came
from, so a reviewer can check it.

Curated judgements (`risk_of_bias: {domain: low|some_concerns|high}` in the evidence file) win;
otherwise judgements are derived from design fields and, where present, from text (title,
population notes, conclusion, or a record's abstract).
"""

from __future__ import annotations

import re

from offlabel.appraise.results import REVIEW_TOOL, ROB_LEVELS, Judgement, RiskOfBias, RobLevel
from offlabel.model import DESIGN_FACTS, REVIEW_SIGNALS, Blinding, Comparator, Study, designs_where

__all__ = ["LEVELS", "NRS_DOMAINS", "RCT_DOMAINS", "REVIEW_DOMAINS", "Judgement", "RiskOfBias",
           "assess"]

LEVELS = ROB_LEVELS
RCT_DOMAINS = (
    "randomisation",
    "deviations",
    "missing_outcome_data",
    "outcome_measurement",
    "selective_reporting",
)
NRS_DOMAINS = ("confounding", "selection", "outcome_measurement", "missing_outcome_data")
# AMSTAR 2 critical domains / ROBIS signalling questions a review's conduct is judged on.
REVIEW_DOMAINS = REVIEW_SIGNALS


_PHRASES = {
    "concealed": re.compile(r"allocation conceal|sealed envelope|central(ly)? randomi[sz]", re.I),
    "double_blind": re.compile(r"double[- ]blind|triple[- ]blind|masked", re.I),
    "open_label": re.compile(r"open[- ]label|unblinded|non[- ]blind", re.I),
    "itt": re.compile(r"intention[- ]to[- ]treat|\bITT\b|all randomi[sz]ed", re.I),
    "retrospective": re.compile(r"retrospective|chart review|medical records", re.I),
    "registered": re.compile(r"NCT\d{8}|ISRCTN\d+|EudraCT|registered", re.I),
}


def _text(study: Study, extra_text: str = "") -> str:
    return " ".join(x for x in (study.title, study.population, study.conclusion, extra_text) if x)


def assess(study: Study, extra_text: str = "") -> RiskOfBias:
    """Risk-of-bias judgements for one study, with the tool its design's facts name (RoB 2
    for randomised trials, ROBINS-I-style signals otherwise)."""
    text = _text(study, extra_text)
    curated = {k.replace(" ", "_").lower(): v for k, v in study.risk_of_bias.items()}
    if DESIGN_FACTS[study.design].role == "synthesis":
        return _review(study, curated)
    tool = DESIGN_FACTS[study.design].rob_tool
    if tool == "RoB 2":
        rob = RiskOfBias(study.id, tool)
        for dom in RCT_DOMAINS:
            if dom in curated:
                rob.domains.append(Judgement(dom, _level(curated[dom]), "curated risk_of_bias"))
            else:
                rob.domains.append(_rct_domain(dom, study, text))
        return rob
    rob = RiskOfBias(study.id, tool)
    for dom in NRS_DOMAINS:
        if dom in curated:
            rob.domains.append(Judgement(dom, _level(curated[dom]), "curated risk_of_bias"))
        else:
            rob.domains.append(_nrs_domain(dom, study, text))
    return rob


def _review(study: Study, curated: dict[str, str]) -> RiskOfBias:
    """A review's signals: met is low risk, not met is high, not curated is unknown (unclear).
    Whoever published it, an unread signal never counts as met."""
    rob = RiskOfBias(study.id, REVIEW_TOOL)
    for dom in REVIEW_DOMAINS:
        sig = study.review_signals.get(dom)
        if sig is not None:
            basis = f"{'met' if sig.met else 'not met'}: {sig.note or dom.replace('_', ' ')}"
            rob.domains.append(Judgement(dom, "low" if sig.met else "high",
                                         f"{basis} [{sig.source.label()}]"))
        elif dom in curated:
            rob.domains.append(Judgement(dom, _level(curated[dom]), "curated risk_of_bias"))
        else:
            rob.domains.append(Judgement(dom, "unknown", "not curated: unclear"))
    return rob


_SYNONYMS: dict[str, RobLevel] = {"some": "some_concerns", "moderate": "some_concerns",
                                   "serious": "high", "critical": "high", "unclear": "unknown"}


_UNKNOWN: RobLevel = "unknown"


def _level(value: str) -> RobLevel:
    v = value.strip().lower().replace(" ", "_")
    if v in _SYNONYMS:
        return _SYNONYMS[v]
    return next((lv for lv in ROB_LEVELS if lv == v), _UNKNOWN)


def _rct_domain(dom: str, s: Study, text: str) -> Judgement:
    if dom == "randomisation":
        if _PHRASES["concealed"].search(text):
            m = _PHRASES["concealed"].search(text)
            return Judgement(dom, "low", f"phrase '{m.group(0)}'")  # type: ignore[union-attr]
        return Judgement(dom, "some_concerns" if s.randomised else "unknown",
                         "randomised: true, concealment not reported" if s.randomised
                         else "randomisation not described")
    if dom == "deviations":
        if s.blinding is Blinding.double:
            return Judgement(dom, "low", "blinding: double (participants and personnel blinded)")
        if s.blinding in (Blinding.none, Blinding.single):
            return Judgement(dom, "high" if s.comparator is Comparator.placebo else "some_concerns",
                             f"blinding: {s.blinding.value}")
        return Judgement(dom, "unknown", "blinding not reported")
    if dom == "missing_outcome_data":
        if s.dropout_rate is not None:
            if s.dropout_rate > 0.30:
                return Judgement(dom, "high", f"dropout_rate {s.dropout_rate:.0%} > 30%")
            if s.dropout_rate > 0.15:
                level: RobLevel = "low" if _PHRASES["itt"].search(text) else "some_concerns"
                return Judgement(dom, level, f"dropout_rate {s.dropout_rate:.0%}")
            return Judgement(dom, "low", f"dropout_rate {s.dropout_rate:.0%} <= 15%")
        return Judgement(dom, "unknown", "dropout not recorded")
    if dom == "outcome_measurement":
        # Drinking and craving are self-reported: unblinded assessment is a real threat.
        if s.blinding is Blinding.double:
            return Judgement(dom, "low", "blinding: double (outcome assessors unaware)")
        if s.blinding is Blinding.none:
            return Judgement(dom, "high", "blinding: none with self-reported outcomes")
        return Judgement(dom, "some_concerns", f"blinding: {s.blinding.value}")
    # selective reporting
    if s.nct or _PHRASES["registered"].search(text):
        return Judgement(dom, "low", f"prospectively registered ({s.nct or 'registration cited'})")
    return Judgement(dom, "some_concerns", "no trial registration recorded")


def _nrs_domain(dom: str, s: Study, text: str) -> Judgement:
    uncontrolled = s.comparator in (Comparator.none, Comparator.unknown)
    if dom == "confounding":
        if s.design in _EXPERIMENTAL:
            return Judgement(dom, "low" if s.randomised else "some_concerns",
                             f"design: {s.design.value} (experimental)")
        if uncontrolled:
            return Judgement(dom, "high", f"design: {s.design.value}, no control group")
        return Judgement(dom, "high", f"design: {s.design.value}, not randomised")
    if dom == "selection":
        m = _PHRASES["retrospective"].search(text)
        if m:
            return Judgement(dom, "high", f"phrase '{m.group(0)}'")
        if s.design in _CASES:
            return Judgement(dom, "high", f"design: {s.design.value} (selected cases)")
        return Judgement(dom, "some_concerns", f"design: {s.design.value}")
    if dom == "outcome_measurement":
        if s.blinding is Blinding.double:
            return Judgement(dom, "low", "blinding: double")
        m = _PHRASES["open_label"].search(text)
        basis = f"phrase '{m.group(0)}'" if m else f"blinding: {s.blinding.value}"
        return Judgement(dom, "high" if s.design in _SUBJECTIVE_DESIGNS else "some_concerns", basis)
    if s.dropout_rate is not None:
        loss: RobLevel = "high" if s.dropout_rate > 0.30 else "low"
        return Judgement(dom, loss, f"dropout_rate {s.dropout_rate:.0%}")
    return Judgement(dom, "unknown", "loss to follow-up not recorded")


# Animal, cell and human-laboratory experiments: the investigator controls the conditions.
_EXPERIMENTAL = designs_where(lambda f: f.role == "preclinical")
# Case reports and series: cases chosen for being remarkable.
_CASES = designs_where(lambda f: f.observational and f.single_arm)
# Designs where everyone knows the treatment, so self-reported outcomes are at high risk.
_SUBJECTIVE_DESIGNS = designs_where(lambda f: f.observational or f.single_arm)
