"""Issue 16, rule 1: a pool needs at least two studies of the same comparison and outcome.

Constructed evidence sets whose right reading is known: one study is reported as that study
(JSON `pooled` null, `single_study` filled, no I², never the word "pooled"); head-to-head trials
pool only against the same named active drug.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.results import Answer, ConditionAppraisal, OutcomeAppraisal
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]
LOW_ROB = {d: "low" for d in ("randomisation", "deviations", "missing_outcome_data",
                              "outcome_measurement", "selective_reporting")}


def rct(i: int, ev_d: int, ev_c: int, n_arm: int, *, comparator: str = "placebo",
        detail: str | None = None, author: str | None = "Author{i} AB") -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": author.format(i=i) if author else None,
        "year": 2000 + i, "title": f"Trial number {i}",
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": "double", "comparator": comparator, "comparator_detail": detail,
        "n": 2 * n_arm, "risk_of_bias": LOW_ROB, "direction": "favours_drug", "sources": [SRC],
        "outcomes": [{"name": "abstinence", "kind": "abstinence", "higher_is_better": True,
                      "primary": True, "source": SRC,
                      "effect": {"type": "binary", "events_drug": ev_d, "total_drug": n_arm,
                                 "events_control": ev_c, "total_control": n_arm}}],
    })


def appraise(studies: list[Study]) -> ConditionAppraisal:
    return appraise_condition(DRUG, COND, studies, {COND.id})


def as_json(ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(DRUG, COND, [ca]))["conditions"]
    return c


def only(ca: ConditionAppraisal) -> OutcomeAppraisal:
    [o] = ca.outcomes
    return o


def test_one_study_is_one_study_not_a_pool():
    ca = appraise([rct(1, 30, 15, 60)])
    o = only(ca)
    assert o.pooled is None
    assert o.single is not None and o.k == 1
    assert o.single.label == "Author1 2001"
    assert o.single.estimate == pytest.approx(2.0, rel=1e-6)
    [out] = as_json(ca)["outcomes"]
    assert out["pooled"] is None
    single = out["single_study"]
    assert single["study"] == "t1" and single["label"] == "Author1 2001"
    assert single["measure"] == "RR" and single["n"] == 120
    assert single["estimate"] == 2.0 and single["ci_lb"] < 2.0 < single["ci_ub"]
    assert "I2" not in json.dumps(single)


def test_no_sentence_about_one_study_calls_it_pooled_or_gives_an_i2():
    ca = appraise([rct(1, 30, 15, 60)])
    c = as_json(ca)
    about = [r for r in c["reasons"] if "abstinence" in r]
    assert about, c["reasons"]
    for r in about:
        assert "pool" not in r.lower() and "I²" not in r, r
    assert "one study, Author1 2001" in " ".join(about)
    o = only(ca)
    assert o.grade is not None
    for d in o.grade.domains:
        assert "I²" not in d.reason and "pool" not in d.reason.lower(), d


def test_two_studies_pool_with_heterogeneity():
    ca = appraise([rct(1, 30, 15, 60), rct(2, 40, 20, 80)])
    o = only(ca)
    assert o.single is None
    assert o.pooled is not None and o.pooled.k == 2 and o.pooled.method == "DL"
    [out] = as_json(ca)["outcomes"]
    assert out["single_study"] is None and out["pooled"]["k"] == 2


def test_one_randomised_and_one_nonrandomised_trial_are_never_a_pool():
    nrs = Study.model_validate({**rct(2, 40, 20, 80).model_dump(exclude_none=True),
                                "design": "nonrandomized_controlled_trial", "randomised": False})
    ca = appraise([rct(1, 30, 15, 60), nrs])
    o = only(ca)
    # The randomised trial leads; the non-randomised one is not pooled with it, and neither
    # design on its own makes a "pool" in by_design.
    assert o.pooled is None and o.single is not None and o.single.study.id == "t1"
    assert o.by_design == {}


def test_active_comparator_groups_never_mix_drugs():
    studies = [
        rct(1, 30, 25, 60, comparator="active", detail="acamprosate"),
        rct(2, 35, 30, 60, comparator="active", detail="acamprosate (alternate allocation)"),
        rct(3, 20, 30, 50, comparator="active", detail="topiramate 200 mg/day"),
        rct(4, 20, 18, 50, comparator="active", detail=None),
        rct(5, 22, 19, 50, comparator="active", detail=None),
    ]
    ca = appraise(studies)
    by_drug = {o.key.active_drug: o for o in ca.outcomes}
    assert set(by_drug) == {"acamprosate", "topiramate", "unnamed: t4", "unnamed: t5"}
    acam = by_drug["acamprosate"]
    assert acam.pooled is not None and acam.pooled.k == 2
    assert sorted(acam.pooled.study_ids) == ["t1", "t2"]
    assert acam.outcome == "abstinence (RR, vs acamprosate)"
    topi = by_drug["topiramate"]
    assert topi.pooled is None and topi.single is not None and topi.single.study.id == "t3"
    # Two trials against unnamed active comparators may not be the same drug: never pooled.
    assert by_drug["unnamed: t4"].pooled is None and by_drug["unnamed: t5"].pooled is None
    assert by_drug["unnamed: t4"].outcome == "abstinence (RR, vs an unnamed active comparator)"
    outs = {o["comparator_drug"]: o for o in as_json(ca)["outcomes"]}
    assert outs["acamprosate"]["comparator"] == "active"
    assert outs["acamprosate"]["pooled"]["studies"] == acam.pooled.study_ids


def test_placebo_and_active_comparators_are_separate_groups():
    ca = appraise([rct(1, 30, 15, 60), rct(2, 30, 25, 60, comparator="active",
                                           detail="naltrexone 50 mg")])
    assert {(o.key.comparator, o.key.active_drug, o.k) for o in ca.outcomes} == {
        ("placebo", None, 1), ("active", "naltrexone", 1)}


def test_a_study_without_an_author_is_named_by_its_title():
    ca = appraise([rct(1, 30, 15, 60, author=None)])
    assert only(ca).single.label == "Trial number 1 2001"


def test_reports_never_call_one_study_a_pool():
    """The Summary-of-findings rows and the verdict's reasons for the outcome (the across-trial
    comparisons under "Why studies disagree" are another rule's, issue 16 rule 3)."""
    from rich.console import Console

    from offlabel.report import markdown, terminal

    ca = appraise([rct(1, 30, 15, 60)])
    d = answer_dict(Answer(DRUG, COND, [ca]))
    md = markdown.render(d)
    console = Console(record=True, width=200)
    terminal.render(d, console)
    for text in (md, console.export_text()):
        about = [ln for ln in text.splitlines()
                 if "abstinence (RR" in ln or "Summary of findings" in ln or "#1 " in ln]
        assert any("1 study: Author1 2001 (120)" in ln and "RR 2.00" in ln for ln in about), about
        for ln in about:
            assert "pool" not in ln.lower() and "I²" not in ln, ln
