"""Curation invariants for the bundled non-RCT baclofen/alcohol evidence file.

The generic evidence tests check that every number has a source; these check the
conventions this file promises: follow-up timepoints are separate outcomes, withdrawal
studies are tagged with the withdrawal condition, and the French approvals merge cleanly
with the drug profile kept in baclofen.yaml.
"""

from __future__ import annotations

from collections import Counter

import pytest

from offlabel.evidence import bundled_files, check_text, load_evidence
from offlabel.model import Design

NAME = "offlabel/data/evidence/baclofen-alcohol-other.yaml"


@pytest.fixture(scope="module")
def parsed():
    text = dict(bundled_files()).get(NAME)
    if text is None:
        pytest.skip(f"{NAME} is not bundled")
    ev, problems = check_text(text, NAME)
    assert problems == []
    return ev


def test_repeated_outcomes_are_split_by_timepoint(parsed):
    for study in parsed.studies:
        names = Counter(o.name for o in study.outcomes)
        for name, count in names.items():
            if count < 2:
                continue
            points = [o.timepoint for o in study.outcomes if o.name == name]
            assert None not in points, f"{study.id}: repeated outcome {name!r} lacks a timepoint"
            assert len(set(points)) == len(points), f"{study.id}: {name!r} timepoints repeat"


def test_withdrawal_outcomes_belong_to_withdrawal_studies(parsed):
    for study in parsed.studies:
        if study.purpose == "withdrawal management":
            assert "alcohol_withdrawal" in study.conditions, study.id


def test_controlled_trials_name_their_comparator(parsed):
    for study in parsed.studies:
        if study.design is Design.rct:
            assert study.comparator.value not in ("unknown", "none"), study.id
            assert study.n is None or sum(a.n or 0 for a in study.arms) <= study.n, study.id


def test_french_approvals_merge_without_duplicates():
    base = load_evidence()
    drug = base.drugs.get("baclofen")
    assert drug is not None
    france = [a for a in drug.approvals if a.region == "France"]
    keys = [(a.status, a.indication) for a in france]
    assert len(keys) == len(set(keys))
    assert {a.status for a in france} >= {"temporary_authorisation", "approved"}
    for a in france:
        assert a.sources, a.indication
