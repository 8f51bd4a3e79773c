"""Curation invariants for the bundled evidence on the alternatives to baclofen for AUD.

`offlabel compare` lines these drugs up on shared outcomes, so beyond schema validity the
files must agree with themselves: effect signs match the stated direction, a "no difference"
ratio has a CI that crosses the null, regulatory status matches what the files claim, and
every drug offers at least one pooled relapse or abstinence estimate to compare on.
"""

from __future__ import annotations

import math

import pytest

from offlabel.evidence import bundled_files, check_text, load_evidence
from offlabel.model import (
    SYNTHESES,
    BinaryEffect,
    Direction,
    EvidenceFile,
    OutcomeKind,
    ReportedEffect,
)

PREFIX = "offlabel/data/evidence/"
FILES = {
    "naltrexone": "naltrexone.yaml",
    "acamprosate": "acamprosate.yaml",
    "disulfiram": "disulfiram.yaml",
    "topiramate": "topiramate.yaml",
    "gabapentin": "gabapentin.yaml",
    "nalmefene": "nalmefene.yaml",
    "baclofen": "baclofen-vs-alternatives.yaml",
}
# US status for alcohol use disorder that each profile must state (baclofen's lives elsewhere).
US_AUD_STATUS = {
    "naltrexone": "approved",
    "acamprosate": "approved",
    "disulfiram": "approved",
    "topiramate": "not_approved",
    "gabapentin": "not_approved",
    "nalmefene": "not_approved",
}


@pytest.fixture(scope="module")
def files() -> dict[str, EvidenceFile]:
    bundled = dict(bundled_files())
    out = {}
    for drug, fname in FILES.items():
        name = PREFIX + fname
        if name not in bundled:
            pytest.skip(f"{name} is not bundled")
        ev, problems = check_text(bundled[name], name)
        assert problems == [], problems
        assert ev is not None
        assert ev.drug.id == drug
        assert not ev.example
        out[drug] = ev
    return out


def _drug_minus_control(effect) -> float | None:
    """Point estimate on a scale where > 0 means 'higher in the drug arm'."""
    if isinstance(effect, BinaryEffect):
        return effect.events_drug / effect.total_drug - effect.events_control / effect.total_control
    if isinstance(effect, ReportedEffect):
        if effect.measure in ("OR", "RR", "HR"):
            return math.log(effect.estimate)
        return effect.estimate
    return None


def _outcomes(files):
    for drug, ev in files.items():
        for s in ev.studies:
            for o in s.outcomes:
                yield drug, s, o


def test_effect_signs_agree_with_the_stated_direction(files):
    for drug, s, o in _outcomes(files):
        if o.effect is None or o.direction not in (
            Direction.favours_drug,
            Direction.favours_control,
        ):
            continue
        diff = _drug_minus_control(o.effect)
        assert diff is not None and diff != 0, f"{drug}/{s.id}: {o.name}"
        favours_drug = (diff > 0) == bool(o.higher_is_better)
        assert favours_drug == (o.direction is Direction.favours_drug), (
            f"{drug}/{s.id}: {o.name}: effect sign contradicts {o.direction}"
        )


def test_reported_intervals_agree_with_significance_claims(files):
    # "no_difference" with a CI excluding the null (or "favours_*" with one including it) is a
    # transcription slip: the compare table would show a verdict the numbers do not support.
    for drug, s, o in _outcomes(files):
        e = o.effect
        if not isinstance(e, ReportedEffect):
            continue
        null = 1.0 if e.measure in ("OR", "RR", "HR") else 0.0
        crosses = e.ci_lb <= null <= e.ci_ub
        if o.direction is Direction.no_difference:
            assert crosses, f"{drug}/{s.id}: {o.name}: CI excludes the null but says no_difference"
        elif o.direction in (Direction.favours_drug, Direction.favours_control):
            assert not crosses, (
                f"{drug}/{s.id}: {o.name}: CI crosses the null but claims {o.direction}"
            )


def test_every_drug_has_pooled_evidence_on_a_common_outcome(files):
    # compare needs, per drug, a synthesis speaking to relapse or abstinence (consumption for
    # nalmefene, whose trials and licence target reduced drinking), and at least one pooled
    # estimate with a CI. Topiramate's relapse/abstinence rows are "insufficient" in the reviews
    # read, so the numeric requirement is on any outcome, not on relapse specifically.
    for drug, ev in files.items():
        kinds = (
            (OutcomeKind.consumption, OutcomeKind.heavy_drinking)
            if drug == "nalmefene"
            else (OutcomeKind.relapse, OutcomeKind.abstinence)
        )
        syntheses = [s for s in ev.studies if s.design in SYNTHESES]
        common = [o for s in syntheses for o in s.outcomes if o.kind in kinds]
        assert common, f"{drug}: no pooled outcome of kind {[k.value for k in kinds]}"
        numeric = [o for s in syntheses for o in s.outcomes if isinstance(o.effect, ReportedEffect)]
        assert numeric, f"{drug}: no pooled estimate with a CI"


def test_relapse_outcomes_are_lower_is_better_and_abstinence_higher(files):
    for drug, s, o in _outcomes(files):
        if o.kind is OutcomeKind.relapse:
            assert o.higher_is_better is False, f"{drug}/{s.id}: {o.name}"
        if o.kind is OutcomeKind.abstinence:
            assert o.higher_is_better is True, f"{drug}/{s.id}: {o.name}"


def test_us_alcohol_status_is_stated_and_sourced(files):
    for drug, want in US_AUD_STATUS.items():
        profile = files[drug].drug
        aud = [
            a
            for a in profile.approvals
            if a.region == "US" and "alcohol_use_disorder" in a.conditions
        ]
        assert aud, f"{drug}: no US approval entry for alcohol use disorder"
        assert {a.status for a in aud} == {want}, f"{drug}: {[a.status for a in aud]}"
        approved = [a for a in aud if a.status == "approved"]
        assert all(a.year for a in approved), f"{drug}: approved without a year"


def test_arm_sizes_do_not_exceed_enrolment(files):
    for drug, ev in files.items():
        for s in ev.studies:
            sized = [a.n for a in s.arms if a.n is not None]
            if sized and s.n is not None:
                assert sum(sized) <= s.n, f"{drug}/{s.id}: arms {sized} exceed n={s.n}"


def test_binary_totals_match_the_arms(files):
    for drug, s, o in _outcomes(files):
        if not isinstance(o.effect, BinaryEffect) or not s.arms:
            continue
        drug_arms = {a.n for a in s.arms if a.drug == s.drug or (a.drug == drug and s.drug is None)}
        assert o.effect.total_drug in drug_arms, f"{drug}/{s.id}: {o.name}"


def test_shared_reviews_agree_on_identifiers(files):
    # One review is split across drug files (same title, id suffix per drug); its PMID, DOI and
    # year must match everywhere, or compare would treat one review as two different ones.
    seen: dict[str, tuple] = {}
    for ev in files.values():
        for s in ev.studies:
            if s.design not in SYNTHESES or not s.title:
                continue
            ident = (s.pmid, s.doi, s.year, s.first_author)
            if s.title in seen:
                assert seen[s.title] == ident, f"{s.id} disagrees with another file on {s.title!r}"
            seen[s.title] = ident
    assert len(seen) >= 8


def test_whole_bundle_still_loads(files):
    base = load_evidence()
    for drug in FILES:
        assert base.studies_for(drug), drug
