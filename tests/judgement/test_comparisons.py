"""Issue 16, rule 3: comparisons between trials, in proportion.

Constructed trial sets whose right reading is known: a contrast with one trial in a group is no
comparison (no test, no p-value, no "pooled" single trial); every contrast between trials is
labelled observational; two contrasts that split the same trials the same way are one finding,
reported once as confounded with each other; a covariate's counts are the same in every section.
"""

from __future__ import annotations

from typing import Any

from offlabel.appraise.core import appraise_condition, moderator_signals
from offlabel.appraise.results import Answer, Comparison, ConditionAppraisal
from offlabel.appraise.stratify import moderator_comparisons
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]


def rct(i: int, ev_d: int, ev_c: int, *, covariates: dict[str, str] | None = None,
        dose: float | None = None, direction: str = "favours_drug",
        comparator: str = "placebo") -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i} AB", "year": 2000 + i,
        "title": f"Trial number {i}", "conditions": ["alcohol_use_disorder"], "design": "rct",
        "randomised": True, "blinding": "double", "comparator": comparator,
        "comparator_detail": "acamprosate" if comparator == "active" else None,
        "n": 100, "direction": direction, "sources": [SRC], "max_dose_mg_per_day": dose,
        "covariates": covariates or {},
        "outcomes": [{"name": "abstinence", "kind": "abstinence", "higher_is_better": True,
                      "primary": True, "source": SRC,
                      "effect": {"type": "binary", "events_drug": ev_d, "total_drug": 50,
                                 "events_control": ev_c, "total_control": 50}}],
    })


def by_name(comps: list[Comparison]) -> dict[str, Comparison]:
    return {c.name: c for c in comps}


def as_json(ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(DRUG, COND, [ca]))["conditions"]
    return c


def test_one_trial_in_a_group_is_no_comparison_and_has_no_test():
    # One trial enrolled patients with liver disease and it looks much better than the three
    # others: the old report gave a subgroup test and called the one trial "pooled".
    trials = [rct(1, 40, 10, covariates={"liver_disease": "all"}),
              rct(2, 20, 18, direction="no_difference"), rct(3, 22, 18, direction="no_difference"),
              rct(4, 25, 15)]
    c = by_name(moderator_comparisons(trials))["liver_disease"]
    assert not c.comparable
    assert c.test is None and c.pval is None
    assert "One trial: no comparison possible" in c.sentence
    assert "p =" not in c.sentence and "QM" not in c.sentence
    assert "trials enrolling them" not in c.groups  # one trial is never a pool
    assert "one trial's SMD" in c.sentence and "Author1 AB 2001" in c.sentence
    out = next(x for x in as_json(appraise_condition(DRUG, COND, trials, {COND.id}))["comparisons"]
               if x["name"] == "liver_disease")
    assert out["comparable"] is False and out["test"] is None and out["pval"] is None


def test_two_trials_in_each_group_are_compared_and_labelled_observational():
    trials = [rct(1, 40, 10, covariates={"liver_disease": "all"}),
              rct(2, 38, 12, covariates={"liver_disease": "all"}),
              rct(3, 20, 18, direction="no_difference"), rct(4, 22, 18, direction="no_difference")]
    c = by_name(moderator_comparisons(trials))["liver_disease"]
    assert c.comparable and c.observational
    assert c.test is not None and c.test.startswith("QM") and c.pval is not None
    assert set(c.groups) == {"trials enrolling them", "other trials (excluded them or not recorded)"}
    assert "observational" in c.sentence and "confounded" in c.sentence


def test_every_between_trial_contrast_says_it_is_observational():
    trials = [rct(i, 30 + i, 15, dose=30.0 * i, covariates={"abstinence_goal": "all"} if i < 3 else {})
              for i in range(1, 7)]
    comps = moderator_comparisons(trials)
    assert {"dose", "dose_response", "abstinence_goal"} <= set(by_name(comps))
    for c in comps:
        assert c.observational and "observational" in c.sentence, c.sentence


def test_contrasts_with_the_same_trials_in_the_same_groups_are_reported_once():
    # The two trials that enrolled people with liver disease are the two that enrolled people
    # taking other psychotropic drugs: one finding, confounded, not two.
    both = {"liver_disease": "all", "psychotropic_comedication": "all"}
    trials = [rct(1, 40, 10, covariates=both), rct(2, 38, 12, covariates=both),
              rct(3, 20, 18, direction="no_difference"), rct(4, 22, 18, direction="no_difference")]
    comps = by_name(moderator_comparisons(trials))
    assert "liver_disease" in comps and "psychotropic_comedication" not in comps
    c = comps["liver_disease"]
    assert c.confounded_with == ["psychotropic_comedication"]
    assert "cannot be told apart" in c.sentence and "reported once" in c.sentence


def test_contrasts_that_share_their_effect_sizes_give_one_test():
    # Trials 1-2 enrolled detoxified patients with an abstinence goal; trial 5 (no convertible
    # effect) also enrolled detoxified patients, so the direction counts differ but the effect
    # sizes are the same split: one test, the other contrast confounded with it.
    goal = {"abstinence_goal": "all", "detoxified_before": "all"}
    t5 = rct(5, 0, 0, covariates={"detoxified_before": "all"}).model_copy(update={"outcomes": []})
    trials = [rct(1, 40, 10, covariates=goal), rct(2, 38, 12, covariates=goal),
              rct(3, 20, 18, direction="no_difference"), rct(4, 22, 18, direction="no_difference"), t5]
    comps = by_name(moderator_comparisons(trials))
    first, second = comps["abstinence_goal"], comps["detoxified_before"]
    assert first.test is not None and first.test.startswith("QM")
    assert second.test is not None and "QM" not in second.sentence and "Fisher" in second.test
    assert second.groups == {}
    assert first.confounded_with == ["detoxified_before"]
    assert second.confounded_with == ["abstinence_goal"]
    assert "same trials in the same groups" in second.sentence


def test_one_set_of_counts_for_a_covariate_in_every_section():
    # A head-to-head trial that enrolled patients with liver disease answers another question:
    # it must be counted (or not) the same way by the comparisons and the moderator notes.
    trials = [rct(1, 40, 10, covariates={"liver_disease": "all"}),
              rct(2, 38, 12, covariates={"liver_disease": "all"}, direction="no_difference"),
              rct(3, 20, 18, direction="no_difference"), rct(4, 22, 18),
              rct(5, 30, 30, covariates={"liver_disease": "all"}, comparator="active")]
    c = by_name(moderator_comparisons(trials))["liver_disease"]
    assert "1 of 2 with a reported direction" in c.sentence
    [note] = [m for m in moderator_signals(trials) if m.startswith("liver disease")]
    assert "1/2 positive among RCTs that enrolled them" in note, note


def test_design_counts_are_the_same_in_the_agreement_and_the_design_comparison():
    # An open-label RCT is on the open-label side of the design comparison; the agreement
    # sentences used to leave it out ("1 of 1" beside "2 of 2").
    open_rct = Study.model_validate({**rct(3, 40, 10).model_dump(), "blinding": "none"})
    cohort = Study.model_validate({**rct(4, 40, 10).model_dump(), "design": "cohort",
                                   "randomised": False, "outcomes": []})
    trials = [rct(1, 20, 18, direction="no_difference"), rct(2, 22, 18, direction="no_difference"),
              open_rct, cohort]
    ca = appraise_condition(DRUG, COND, trials, {COND.id})
    [design] = [c for c in ca.comparisons if c.name == "design"]
    assert "open-label, non-randomised and observational: 2 of 2" in design.sentence
    [weak] = [s for s in ca.agreement if s.startswith("Open-label")]
    assert "2 of 2 favour the drug" in weak, weak
