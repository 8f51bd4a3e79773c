"""Curation invariants for baclofen.yaml: the drug profile, spasticity and non-alcohol SUDs.

The generic evidence tests check the schema and that numbers carry sources; these check
what this file promises on top: the regulatory picture a verdict leans on, coverage of every
substance it claims, internal arithmetic (arm sizes, event totals, dose caps), and that the
alcohol trials stay in their own files so nothing is counted twice.
"""

from __future__ import annotations

import pytest

from offlabel.evidence import bundled_files, check_text
from offlabel.model import BinaryEffect, Design, EvidenceFile, SingleArmEffect

NAME = "offlabel/data/evidence/baclofen.yaml"

COVERED = {
    "spasticity",
    "cocaine_use_disorder",
    "methamphetamine_use_disorder",
    "opioid_use_disorder",
    "opioid_withdrawal",
    "nicotine_dependence",
    "cannabis_use_disorder",
    "ghb_use_disorder",
}


@pytest.fixture(scope="module")
def parsed() -> EvidenceFile:
    text = dict(bundled_files()).get(NAME)
    if text is None:
        pytest.skip(f"{NAME} is not bundled")
    ev, problems = check_text(text, NAME)
    assert problems == []
    assert ev is not None
    return ev


def test_regulatory_status_is_complete(parsed):
    approvals = {(a.region, a.status, tuple(a.conditions)) for a in parsed.drug.approvals}
    assert ("US", "approved", ("spasticity",)) in approvals
    assert ("US", "not_approved", ("alcohol_use_disorder",)) in approvals
    assert ("France", "temporary_authorisation", ("alcohol_use_disorder",)) in approvals
    assert ("France", "approved", ("alcohol_use_disorder",)) in approvals
    us_spasticity = [
        a for a in parsed.drug.approvals if a.region == "US" and a.status == "approved"
    ]
    assert all(a.year for a in us_spasticity)
    assert "intrathecal" in (parsed.drug.boxed_warning or "").lower()


def test_every_claimed_condition_has_evidence(parsed):
    seen = {c for s in parsed.studies for c in s.conditions}
    assert COVERED <= seen, COVERED - seen
    # The alcohol evidence lives in sibling files; tagging it here would double-count trials.
    assert "alcohol_use_disorder" not in seen


def test_spasticity_has_controlled_and_synthesised_evidence(parsed):
    designs = {s.design for s in parsed.studies if "spasticity" in s.conditions}
    assert Design.rct in designs
    assert designs & {Design.systematic_review, Design.meta_analysis}


def test_arm_sizes_and_event_totals_fit_the_study(parsed):
    for s in parsed.studies:
        arm_n = [a.n for a in s.arms if a.n is not None]
        if s.design is Design.rct and s.n is not None and arm_n:
            assert sum(arm_n) <= s.n, s.id
        for o in s.outcomes:
            e = o.effect
            if isinstance(e, BinaryEffect) and s.n is not None:
                assert e.total_drug + e.total_control <= s.n, (s.id, o.name)
            if isinstance(e, SingleArmEffect) and e.total is not None and s.n is not None:
                assert e.total <= s.n, (s.id, o.name)


def test_doses_do_not_exceed_the_stated_maximum(parsed):
    for s in parsed.studies:
        doses = [a.dose_mg_per_day for a in s.arms if a.drug == "baclofen" and a.dose_mg_per_day]
        if doses and s.max_dose_mg_per_day is not None:
            assert max(doses) <= s.max_dose_mg_per_day, s.id


def test_animal_studies_name_a_species(parsed):
    for s in parsed.studies:
        if s.design is Design.animal:
            assert s.species != "human", s.id
        else:
            assert s.species == "human", s.id
