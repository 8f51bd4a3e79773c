"""Issue 16, rule 2: every study that measured the outcome enters.

Constructed trial sets whose right reading is known: a trial that reported its binary outcome as
an odds ratio enters the risk-ratio pool by the Zhang & Yu conversion (and risk-ratio trials enter
an odds-ratio pool when most trials report odds ratios); intention-to-treat numbers come before
per-protocol ones, and per-protocol numbers enter only as a marked sensitivity input; trials that
measured the outcome without numbers are listed and counted in GRADE's publication-bias domain.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.effects import CONVERSION_METHOD, or_to_rr, rr_to_or
from offlabel.appraise.results import Answer, ConditionAppraisal, OutcomeAppraisal
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.report.words import pool_notes
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]


def binary(ev_d: int, ev_c: int, n: int = 50) -> dict[str, Any]:
    return {"type": "binary", "events_drug": ev_d, "total_drug": n, "events_control": ev_c,
            "total_control": n}


def odds_ratio(est: float, lb: float, ub: float) -> dict[str, Any]:
    return {"type": "reported", "measure": "OR", "estimate": est, "ci_lb": lb, "ci_ub": ub,
            "n_drug": 150, "n_control": 150}


def outcome(effect: dict[str, Any] | None, name: str = "abstinence",
            note: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": "abstinence", "higher_is_better": True, "primary": True,
            "source": SRC, "effect": effect, "note": note,
            "direction": "favours_drug" if effect else "no_difference"}


def rct(i: int, *outcomes: dict[str, Any], direction: str = "favours_drug") -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i} AB", "year": 2000 + i,
        "title": f"Trial number {i}", "conditions": ["alcohol_use_disorder"], "design": "rct",
        "randomised": True, "blinding": "double", "comparator": "placebo", "n": 100,
        "direction": direction, "sources": [SRC], "outcomes": list(outcomes),
    })


def appraise(trials: list[Study]) -> ConditionAppraisal:
    return appraise_condition(DRUG, COND, trials, {COND.id})


def abstinence(ca: ConditionAppraisal) -> list[OutcomeAppraisal]:
    return [o for o in ca.outcomes if o.key.kind.value == "abstinence"]


def as_json(ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(DRUG, COND, [ca]))["conditions"]
    return c


def test_zhang_yu_conversion_and_its_inverse():
    # OR 1.20 at a 10.5% control risk is RR 1.175; the inverse brings it back.
    assert or_to_rr(1.2, 0.105) == pytest.approx(1.2 / (1 - 0.105 + 0.105 * 1.2))
    assert or_to_rr(1.2, 0.105) == pytest.approx(1.1753, abs=1e-4)
    assert rr_to_or(or_to_rr(3.0, 0.3), 0.3) == pytest.approx(3.0)
    assert or_to_rr(1.0, 0.4) == 1.0  # no effect stays no effect


def test_an_odds_ratio_trial_enters_the_risk_ratio_pool():
    # Two trials with arm counts and one (the largest) that reported only an odds ratio: before
    # rule 2 the odds-ratio trial sat alone in a group of its own and the pool had k = 2.
    trials = [rct(1, outcome(binary(30, 15))), rct(2, outcome(binary(28, 14))),
              rct(3, outcome(odds_ratio(1.2, 0.58, 2.5)), direction="no_difference")]
    [o] = abstinence(appraise(trials))
    assert o.key.measure == "RR"
    assert o.pooled is not None and o.pooled.k == 3
    p0 = 29 / 100  # pooled control arms of the two other trials
    i = o.pooled.study_ids.index("t3")
    assert o.pooled.converted_from[i] == "OR"
    assert math.exp(o.pooled.yi[i]) == pytest.approx(or_to_rr(1.2, p0))
    entry = as_json(appraise(trials))["outcomes"][0]["pooled"]
    [converted] = [e for e in entry["entries"] if e["converted_from"]]
    assert converted["study"] == "t3" and converted["converted_from"] == "OR"
    assert "29.0%" in converted["conversion"]
    assert entry["conversion_method"] == CONVERSION_METHOD
    # The report names the method and the converted study.
    [note] = pool_notes(as_json(appraise(trials))["outcomes"][0])
    assert "Zhang & Yu 1998" in note and "Author3 2003: reported OR 1.2" in note


def test_risk_ratio_trials_enter_an_odds_ratio_pool_when_most_report_odds_ratios():
    trials = [rct(1, outcome(odds_ratio(2.0, 1.1, 3.6))), rct(2, outcome(odds_ratio(1.8, 1.0, 3.2))),
              rct(3, outcome(binary(30, 15)))]
    [o] = abstinence(appraise(trials))
    assert o.key.measure == "OR" and o.pooled is not None and o.pooled.k == 3
    i = o.pooled.study_ids.index("t3")
    # With arm counts the odds ratio is computed directly: (30/20) / (15/35).
    assert math.exp(o.pooled.yi[i]) == pytest.approx((30 / 20) / (15 / 35))
    assert o.pooled.converted_from[i] == "RR"


def test_intention_to_treat_first_and_per_protocol_only_as_a_sensitivity_input():
    # t1 reports both: its ITT result must be pooled, not its larger completers-only effect.
    # t3 reports only a per-protocol result: it enters, labelled a sensitivity input.
    trials = [rct(1, {**outcome(binary(35, 5, 40), name="abstinence among completers"),
                      "primary": True},
                  {**outcome(binary(20, 15), name="abstinence (intention to treat)"),
                   "primary": False}),
              rct(2, outcome(binary(22, 15))),
              rct(3, outcome(binary(30, 10, 40), name="abstinence, per-protocol analysis"))]
    ca = appraise(trials)
    [o] = abstinence(ca)
    chosen = {e.study.id: e for e in o.effects}
    assert chosen["t1"].outcome.name == "abstinence (intention to treat)"
    assert not chosen["t1"].per_protocol
    assert chosen["t3"].per_protocol
    assert o.pooled is not None
    entries = {e["study"]: e for e in as_json(ca)["outcomes"][0]["pooled"]["entries"]}
    assert entries["t3"]["sensitivity_input"] is True
    assert entries["t1"]["sensitivity_input"] is False
    assert any("sensitivity input" in n and "Author3 2003" in n for n in pool_notes(as_json(ca)["outcomes"][0]))


def test_trials_without_usable_numbers_are_listed_and_count_as_missing_results():
    trials = [rct(1, outcome(binary(30, 15))), rct(2, outcome(binary(28, 14))),
              rct(3, outcome(None), direction="no_difference")]
    ca = appraise(trials)
    [o] = abstinence(ca)
    assert o.measured_without_numbers == ["Author3 2003"]
    assert as_json(ca)["outcomes"][0]["measured_without_numbers"] == ["Author3 2003"]
    assert o.grade is not None
    pub = next(d for d in o.grade.domains if d.name == "publication bias")
    assert "1 trial(s) measured this outcome without usable numbers" in pub.reason


def test_a_prevention_trial_is_not_pooled_with_treatment_trials():
    # Two trials treat withdrawal once it has begun; one prevents it in people at risk. The
    # group key used to ignore the outcome's name for ratios and pooled all three.
    trials = [rct(1, outcome(binary(30, 15))), rct(2, outcome(binary(28, 14))),
              rct(3, outcome(binary(10, 12), name="Prevention: progression to severe abstinence"),
                  direction="no_difference")]
    groups = abstinence(appraise(trials))
    assert len(groups) == 2
    treat = next(o for o in groups if not o.key.prevention)
    prevent = next(o for o in groups if o.key.prevention)
    assert treat.pooled is not None and treat.pooled.k == 2
    assert prevent.pooled is None and prevent.single is not None
    assert prevent.outcome.startswith("prevention of abstinence")


def test_a_single_study_on_per_protocol_numbers_is_marked_a_sensitivity_input():
    trials = [rct(1, outcome(binary(30, 10, 40), name="abstinence, per-protocol analysis"))]
    ca = appraise(trials)
    [o] = abstinence(ca)
    assert o.single is not None and o.single.per_protocol
    row = as_json(ca)["outcomes"][0]
    assert row["single_study"]["sensitivity_input"] is True
    assert any("sensitivity input" in n and "Author1 2001" in n for n in pool_notes(row))


def test_the_study_s_own_control_risk_is_used_when_its_passage_gives_it():
    own = {**odds_ratio(1.2, 0.58, 2.5), "control_risk": 0.105}
    trials = [rct(1, outcome(binary(30, 15))), rct(2, outcome(binary(28, 14))),
              rct(3, outcome(own), direction="no_difference")]
    [o] = abstinence(appraise(trials))
    assert o.pooled is not None and o.pooled.k == 3
    i = o.pooled.study_ids.index("t3")
    assert math.exp(o.pooled.yi[i]) == pytest.approx(or_to_rr(1.2, 0.105))
    assert math.exp(o.pooled.yi[i]) != pytest.approx(or_to_rr(1.2, 29 / 100))
    [converted] = [e for e in as_json(appraise(trials))["outcomes"][0]["pooled"]["entries"]
                   if e["converted_from"]]
    assert "10.5% (the study's own control arm" in converted["conversion"]
