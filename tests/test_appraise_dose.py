"""GRADE's dose-response upgrade on constructed non-randomised evidence.

Six non-randomised controlled trials of relapse, large and at low risk of bias, so no GRADE
domain is downgraded; the relapse risk on the drug falls as the maximum daily dose rises. The
body starts at low certainty (non-randomised) and the dose gradient raises it one level.
"""

from __future__ import annotations

import pytest

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.grade import PoolInput, grade
from offlabel.appraise.results import OutcomeAppraisal
from offlabel.appraise.stratify import dose_gradient
from offlabel.model import DrugProfile, Source, Study
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]
NRS_LOW = {d: "low" for d in ("confounding", "selection", "outcome_measurement",
                              "missing_outcome_data")}
RCT_LOW = {d: "low" for d in ("randomisation", "deviations", "missing_outcome_data",
                              "outcome_measurement", "selective_reporting")}
N_ARM = 1000
CONTROL_EVENTS = 400
# Drug-arm relapses at 10, 20, ... 60 mg/day: log RR falls steadily with the dose.
GRADIENT = [(10, 335), (20, 323), (30, 311), (40, 300), (50, 289), (60, 278)]


def trial(i: int, dose: float, events: int, *, design: str = "nonrandomized_controlled_trial",
          rob: dict[str, str] = NRS_LOW) -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i}", "year": 2000 + i,
        "conditions": ["alcohol_use_disorder"], "design": design,
        "randomised": design == "rct", "blinding": "double", "comparator": "placebo",
        "n": 2 * N_ARM, "max_dose_mg_per_day": dose, "risk_of_bias": rob,
        "direction": "favours_drug", "sources": [SRC],
        "outcomes": [{"name": "relapse", "kind": "relapse", "higher_is_better": False,
                      "primary": True, "source": SRC,
                      "effect": {"type": "binary", "events_drug": events, "total_drug": N_ARM,
                                 "events_control": CONTROL_EVENTS,
                                 "total_control": N_ARM}}],
    })


def relapse(studies: list[Study]) -> OutcomeAppraisal:
    ca = appraise_condition(DRUG, COND, studies, {COND.id})
    [o] = [o for o in ca.outcomes if o.key.kind.value == "relapse"]
    return o


def changes(o: OutcomeAppraisal) -> dict[str, int]:
    assert o.grade is not None
    return {d.name: d.change for d in o.grade.domains}


def test_dose_gradient_upgrades_non_randomised_evidence_without_downgrades():
    o = relapse([trial(i, d, ev) for i, (d, ev) in enumerate(GRADIENT)])
    assert o.grade.start == "low"
    downgrades = {k: v for k, v in changes(o).items() if v < 0}
    assert downgrades == {}, o.grade.reasons()
    assert changes(o).get("dose-response") == 1, o.grade.reasons()
    assert "large effect" not in changes(o)  # the upgrade is the gradient's alone
    assert o.certainty == "moderate"
    reason = next(d.reason for d in o.grade.domains if d.name == "dose-response")
    assert "k = 6" in reason and "per 10 mg/day" in reason


def test_no_gradient_no_upgrade():
    # The same trials with doses unrelated to the effect: certainty stays low.
    doses = [30, 60, 10, 50, 20, 40]
    o = relapse([trial(i, doses[i], ev) for i, (_d, ev) in enumerate(GRADIENT)])
    assert "dose-response" not in changes(o)
    assert o.certainty == "low"


def test_gradient_back_towards_no_effect_is_not_a_gradient():
    # Higher doses, smaller effect: not the gradient GRADE means.
    doses = [d for d, _ev in reversed(GRADIENT)]
    o = relapse([trial(i, doses[i], ev) for i, (_d, ev) in enumerate(GRADIENT)])
    assert "dose-response" not in changes(o)


def test_randomised_evidence_is_never_upgraded_for_a_gradient():
    o = relapse([trial(i, d, ev, design="rct", rob=RCT_LOW) for i, (d, ev) in enumerate(GRADIENT)])
    assert o.grade.start == "high"
    assert "dose-response" not in changes(o)


def test_a_downgrade_blocks_the_upgrade():
    rob = {**NRS_LOW, "confounding": "high"}
    o = relapse([trial(i, d, ev, rob=rob) for i, (d, ev) in enumerate(GRADIENT)])
    assert changes(o)["risk of bias"] == -1
    assert "dose-response" not in changes(o)


def test_too_few_dosed_studies_give_no_gradient():
    o = relapse([trial(i, d, ev) for i, (d, ev) in enumerate(GRADIENT[:4])])
    assert "dose-response" not in changes(o)


@pytest.mark.parametrize("randomised, upgraded", [(False, True), (True, False)])
def test_grade_applies_the_dose_response_reason_only_to_non_randomised(randomised, upgraded):
    p = PoolInput(randomised=randomised, measure="RR", k=6, n_total=12000, estimate=-0.3,
                  ci_lb=-0.35, ci_ub=-0.25, I2=10.0, pi_lb=None, pi_ub=None,
                  study_signs=[1] * 6, weights=[100 / 6] * 6, rob_overall=["low"] * 6,
                  control_risk=0.4, dose_response="a gradient")
    assert ("dose-response" in {d.name for d in grade(p).domains}) is upgraded


def test_dose_gradient_needs_two_doses():
    from offlabel.appraise.effects import study_effect

    studies = [trial(i, 30, ev) for i, (_d, ev) in enumerate(GRADIENT)]
    effects = [e for s in studies if (e := study_effect(s, s.outcomes[0])) is not None]
    assert dose_gradient(effects, -0.3) is None
