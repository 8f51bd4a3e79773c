"""GRADE and verdicts on constructed evidence sets where the right rating is known."""

from __future__ import annotations

import pytest

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.grade import PoolInput, grade, optimal_information_size
from offlabel.model import DrugProfile, Source, Study
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]
LOW_ROB = {d: "low" for d in ("randomisation", "deviations", "missing_outcome_data",
                              "outcome_measurement", "selective_reporting")}


def rct(i: int, ev_d: int, ev_c: int, n_arm: int, *, rob=LOW_ROB, direction="favours_drug",
        blinding="double") -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i}", "year": 2000 + i,
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": blinding, "comparator": "placebo", "n": 2 * n_arm, "risk_of_bias": rob,
        "direction": direction, "sources": [SRC],
        "outcomes": [{"name": "relapse", "kind": "relapse", "higher_is_better": False,
                      "primary": True, "source": SRC,
                      "effect": {"type": "binary", "events_drug": ev_d, "total_drug": n_arm,
                                 "events_control": ev_c, "total_control": n_arm}}],
    })


def other(i: int, design: str, direction="favours_drug", species="human") -> Study:
    return Study.model_validate({
        "id": f"o{i}", "first_author": f"Other{i}", "year": 1990 + i,
        "conditions": ["alcohol_use_disorder"], "design": design, "species": species,
        "direction": direction, "sources": [SRC]})


def appraise(studies):
    return appraise_condition(DRUG, COND, studies, {COND.id})


def relapse(ca):
    [o] = [o for o in ca.outcomes if o.key.kind.value == "relapse"]
    return o


def domains(o):
    return {d.name: d.change for d in o.grade.domains}


def test_three_large_consistent_low_rob_rcts_are_high():
    ca = appraise([rct(1, 300, 400, 1000), rct(2, 290, 400, 1000), rct(3, 310, 400, 1000)])
    o = relapse(ca)
    assert o.certainty == "high", o.grade.reasons()
    assert o.verdict == "benefit"
    assert o.pooled.I2 < 25
    assert ca.verdict.label == "supported" and ca.verdict.certainty == "high"


def test_heterogeneous_opposite_directions_downgraded_for_inconsistency():
    ca = appraise([rct(1, 200, 400, 1000), rct(2, 600, 400, 1000, direction="favours_control"),
                   rct(3, 300, 400, 1000)])
    o = relapse(ca)
    assert o.pooled.I2 > 85
    assert domains(o)["inconsistency"] <= -1
    assert o.certainty in ("low", "very_low", "moderate")
    assert o.certainty != "high"


def test_small_imprecise_trial_downgraded_twice():
    o = relapse(appraise([rct(1, 10, 12, 30)]))
    assert domains(o)["imprecision"] == -2
    assert o.certainty == "low"


def test_high_risk_of_bias_weight_downgrades():
    open_rob = dict(LOW_ROB, deviations="high", outcome_measurement="high")
    ca = appraise([rct(i, 300, 400, 1000, rob=open_rob, blinding="none") for i in (1, 2, 3)])
    o = relapse(ca)
    assert domains(o)["risk of bias"] == -1
    assert o.certainty == "moderate"


def test_only_case_reports_is_very_low():
    ca = appraise([other(i, "case_report") for i in range(4)])
    assert ca.outcomes == []
    assert ca.verdict.certainty == "very_low"
    assert ca.verdict.label == "promising"
    assert any("risk of bias" in r for r in ca.verdict.reasons)


def test_only_animal_studies_is_very_low_and_indirect():
    ca = appraise([other(i, "animal", species="rat") for i in range(3)])
    assert ca.verdict.certainty == "very_low"
    assert any("indirectness" in r and "rat" in r for r in ca.verdict.reasons)


def test_positive_weak_designs_with_null_blinded_rcts_is_called_out():
    studies = [rct(i, 400, 400, 500, direction="no_difference") for i in (1, 2, 3)]
    studies += [other(10 + i, d) for i, d in enumerate(["open_label_trial", "cohort", "case_series", "cohort"])]
    ca = appraise(studies)
    assert ca.verdict.label == "not_supported"
    text = " ".join(ca.agreement)
    assert "concentrated in weaker designs" in text
    [design] = [c for c in ca.comparisons if c.name == "design"]
    assert "0/3 vs 4/4" in design.sentence


def test_egger_only_from_ten_studies():
    base = dict(randomised=True, measure="RR", n_total=5000, estimate=-0.3, ci_lb=-0.4, ci_ub=-0.2,
                I2=0.0, pi_lb=None, pi_ub=None)
    g = grade(PoolInput(k=9, study_signs=[1] * 9, weights=[1] * 9, rob_overall=["low"] * 9,
                        egger_p=0.01, **base))
    assert {d.name: d.change for d in g.domains}["publication bias"] == 0
    g = grade(PoolInput(k=12, study_signs=[1] * 12, weights=[1] * 12, rob_overall=["low"] * 12,
                        egger_p=0.01, **base))
    assert {d.name: d.change for d in g.domains}["publication bias"] == -1


@pytest.mark.parametrize("risk,expected", [(0.5, 0.2), (0.2, 0.05)])
def test_ois_grows_as_control_risk_falls(risk, expected):
    assert optimal_information_size(risk) < optimal_information_size(expected)


def test_anticipated_absolute_effects():
    from offlabel.appraise.core import absolute_effect

    a = absolute_effect("RR", 0.5, 0.25, 1.0, 0.4, "test")
    assert (a.control_per_1000, a.drug_per_1000, a.difference_per_1000) == (400, 200, -200)
    assert (a.diff_lb, a.diff_ub) == (-300, 0)
    o = absolute_effect("OR", 2.0, 1.0, 4.0, 0.5, "test")
    assert o.drug_per_1000 == pytest.approx(1000 * 2 / 3)
    assert absolute_effect("SMD", 0.3, 0.1, 0.5, 0.4, "test") is None


def test_sof_rows_carry_absolute_effects():
    o = relapse(appraise([rct(1, 300, 400, 1000), rct(2, 290, 400, 1000)]))
    assert o.absolute is not None
    assert o.absolute.control_per_1000 == pytest.approx(400)
    assert o.absolute.difference_per_1000 < 0
