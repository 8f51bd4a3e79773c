"""Curation invariants for the bundled baclofen/alcohol trial and meta-analysis file.

The generic evidence tests check that every number has a source; these check what a reader
of this particular file relies on: effect signs agree with the direction the curator wrote,
arm sizes add up, doses are consistent, and reviews say how many studies they pooled.
"""

from __future__ import annotations

import math

import pytest

from offlabel.evidence import bundled_files, check_text
from offlabel.model import (
    BinaryEffect,
    ContinuousEffect,
    Design,
    Direction,
    ReportedEffect,
    Study,
    Tristate,
)

NAME = "offlabel/data/evidence/baclofen-alcohol-trials.yaml"
MODERATORS = {
    "dose",
    "sex",
    "risk_of_bias",
    "liver_disease",
    "comorbid_psychiatric_disorder",
    "comorbid_depression",
    "comorbid_anxiety",
    "psychotropic_comedication",
    "detoxified_before",
    "abstinence_goal",
    "heavy_drinking_severity",
    "treatment_resistant",
}


@pytest.fixture(scope="module")
def studies() -> list[Study]:
    text = dict(bundled_files()).get(NAME)
    if text is None:
        pytest.skip(f"{NAME} is not bundled")
    ev, problems = check_text(text, NAME)
    assert problems == []
    assert ev is not None
    return ev.studies


def _drug_minus_control(effect) -> float | None:
    """Point estimate on a scale where > 0 means 'higher in the drug arm'."""
    if isinstance(effect, BinaryEffect):
        return effect.events_drug / effect.total_drug - effect.events_control / effect.total_control
    if isinstance(effect, ContinuousEffect):
        return effect.mean_drug - effect.mean_control
    if isinstance(effect, ReportedEffect):
        if effect.measure in ("OR", "RR", "HR"):
            return math.log(effect.estimate)
        return effect.estimate
    return None


def test_effect_signs_agree_with_the_stated_direction(studies):
    # A sign slip (e.g. a heavy-drinking SMD stored with the wrong sign) would invert a verdict.
    for s in studies:
        for o in s.outcomes:
            if o.effect is None or o.direction not in (
                Direction.favours_drug,
                Direction.favours_control,
            ):
                continue
            diff = _drug_minus_control(o.effect)
            assert diff is not None and diff != 0, f"{s.id}: {o.name}"
            favours_drug = (diff > 0) == bool(o.higher_is_better)
            want = o.direction is Direction.favours_drug
            assert favours_drug == want, f"{s.id}: {o.name}: effect sign contradicts {o.direction}"


def test_significant_intervals_are_not_labelled_null(studies):
    for s in studies:
        for o in s.outcomes:
            e = o.effect
            if not isinstance(e, ReportedEffect) or o.direction is not Direction.no_difference:
                continue
            null = 1.0 if e.measure in ("OR", "RR", "HR") else 0.0
            assert e.ci_lb <= null <= e.ci_ub, f"{s.id}: {o.name}: CI excludes no effect"


def test_trials_are_described_consistently(studies):
    for s in studies:
        if s.design is not Design.rct:
            continue
        assert s.randomised is not False and s.n, s.id
        assert s.comparator.value != "unknown", s.id
        arm_n = [a.n for a in s.arms if a.n is not None]
        assert sum(arm_n) <= s.n, f"{s.id}: arms add up to more than n"
        doses = [a.dose_mg_per_day for a in s.arms if a.dose_mg_per_day is not None]
        if doses and s.max_dose_mg_per_day is not None:
            assert max(doses) == s.max_dose_mg_per_day, f"{s.id}: max dose disagrees with arms"
        if s.dropout_rate is not None:
            assert 0 < s.dropout_rate < 1, s.id


def test_binary_totals_fit_the_arms(studies):
    for s in studies:
        drug = [a.n for a in s.arms if a.drug and a.n]
        ctrl = [a.n for a in s.arms if not a.drug and a.n]
        for o in s.outcomes:
            if isinstance(o.effect, BinaryEffect) and len(drug) == 1 and len(ctrl) == 1:
                assert o.effect.total_drug <= drug[0], f"{s.id}: {o.name}"
                assert o.effect.total_control <= ctrl[0], f"{s.id}: {o.name}"


def test_reviews_state_their_size_and_sources(studies):
    for s in studies:
        if s.design not in (Design.meta_analysis, Design.systematic_review):
            continue
        if any(o.effect is not None for o in s.outcomes):
            assert s.k_studies, f"{s.id}: pooled effects without k_studies"
        assert s.conclusion, s.id


def test_moderators_use_the_shared_vocabulary(studies):
    for s in studies:
        for sg in s.subgroups:
            assert sg.moderator in MODERATORS, f"{s.id}: unknown moderator {sg.moderator!r}"
        for key, value in s.covariates.items():
            assert key in MODERATORS, f"{s.id}: unknown covariate {key!r}"
            assert isinstance(value, Tristate)


def test_ids_follow_author_year(studies):
    for s in studies:
        assert s.year and str(s.year) in s.id, s.id
        assert s.id == s.id.lower(), s.id
