"""Issue 16, rule 5: GRADE in proportion, the same for every drug, and never without its system.

Constructed evidence sets whose right reading is known:
- one study is never High (inconsistency cannot be judged; imprecision rates it down, twice
  when the optimal information size is not met: < 400 participants for a continuous outcome,
  < 300 events or fewer participants than one trial powered for a 25% relative risk reduction
  for a binary one);
- the same single-trial shape gets the same grade whatever the drug;
- three small trials that disagree, with nothing to pool, cannot reach Moderate;
- a review's rating keeps its system (GRADE as a Cochrane review applied it, AHRQ strength of
  evidence), and when two current reviews rate the same outcome differently both are shown and
  the verdict takes the lower.
"""

from __future__ import annotations

from typing import Any

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.grade import PoolInput, grade
from offlabel.appraise.results import Answer, ConditionAppraisal
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
COND = BY_ID["alcohol_use_disorder"]
LOW_ROB = {d: "low" for d in ("randomisation", "deviations", "missing_outcome_data",
                              "outcome_measurement", "selective_reporting")}


def drug(name: str) -> DrugProfile:
    return DrugProfile(id=name.lower(), name=name, sources=[Source(**SRC)])


def binary_rct(i: int, ev_d: int, ev_c: int, n_arm: int, *, kind: str = "relapse",
               higher: bool = False) -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i} AB", "year": 2000 + i,
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": "double", "comparator": "placebo", "n": 2 * n_arm, "risk_of_bias": LOW_ROB,
        "direction": "favours_drug", "sources": [SRC],
        "outcomes": [{"name": kind, "kind": kind, "higher_is_better": higher, "primary": True,
                      "source": SRC,
                      "effect": {"type": "binary", "events_drug": ev_d, "total_drug": n_arm,
                                 "events_control": ev_c, "total_control": n_arm}}],
    })


def continuous_rct(i: int, n_arm: int, diff: float) -> Study:
    return Study.model_validate({
        "id": f"c{i}", "first_author": f"Cont{i} AB", "year": 2010 + i,
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": "double", "comparator": "placebo", "n": 2 * n_arm, "risk_of_bias": LOW_ROB,
        "direction": "favours_drug", "sources": [SRC],
        "outcomes": [{"name": "heavy drinking days", "kind": "heavy_drinking",
                      "higher_is_better": False, "primary": True, "source": SRC,
                      "effect": {"type": "continuous", "mean_drug": 10.0 - diff, "sd_drug": 5.0,
                                 "n_drug": n_arm, "mean_control": 10.0, "sd_control": 5.0,
                                 "n_control": n_arm}}],
    })


def bare_rct(i: int, n: int, direction: str) -> Study:
    """A trial that reports only its direction: nothing to pool."""
    return Study.model_validate({
        "id": f"b{i}", "first_author": f"Bare{i} AB", "year": 2015 + i,
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": "double", "comparator": "placebo", "n": n, "risk_of_bias": LOW_ROB,
        "direction": direction, "sources": [SRC]})


def review(rid: str, year: int, journal: str, note: str, *, estimate: float = 0.85,
           network: bool = False, kind: str = "relapse") -> Study:
    return Study.model_validate({
        "id": rid, "first_author": f"{rid.capitalize()} R", "year": year, "journal": journal,
        "conditions": ["alcohol_use_disorder"], "design": "meta_analysis",
        "comparator": "placebo", "direction": "favours_drug", "sources": [SRC],
        "outcomes": [{"name": "Return to any drinking", "kind": kind, "k_studies": 8,
                      "higher_is_better": False, "direction": "favours_drug", "network": network,
                      "note": note, "source": SRC,
                      "effect": {"type": "reported", "measure": "RR", "estimate": estimate,
                                 "ci_lb": 0.75, "ci_ub": 0.95}}]})


def appraise(studies: list[Study], d: DrugProfile | None = None) -> ConditionAppraisal:
    return appraise_condition(d or drug("Testdrug"), COND, studies, {COND.id})


def as_json(ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(ca.drug, COND, [ca]))["conditions"]
    return c


def domains(ca: ConditionAppraisal) -> dict[str, int]:
    [o] = ca.outcomes
    assert o.grade is not None
    return {d.name: d.change for d in o.grade.domains}


# --- one study is never High -------------------------------------------------------------


def test_one_large_precise_trial_is_not_high():
    # 2000 patients, 900 events, a clear effect: it would be High as a pool; as one study
    # its result is unreplicated and inconsistency cannot be judged.
    ca = appraise([binary_rct(1, 300, 600, 1000)])
    [o] = ca.outcomes
    assert o.pooled is None and o.single is not None
    assert domains(ca)["imprecision"] == -1
    assert o.certainty == "moderate"
    assert ca.verdict.certainty == "moderate"


def test_one_large_continuous_trial_is_not_high():
    ca = appraise([continuous_rct(1, 400, 2.0)])
    [o] = ca.outcomes
    assert o.certainty == "moderate", o.grade.reasons() if o.grade else None


def test_one_90_patient_trial_with_a_significant_effect_is_low():
    # 45 vs 45 patients, relapse 29 vs 40: the CI excludes no effect, but 69 events are far
    # below GRADE's 300: a single small trial is rated down twice, never Moderate.
    ca = appraise([binary_rct(1, 29, 40, 45)])
    [o] = ca.outcomes
    assert o.single is not None and o.single.ci_ub < 1
    assert domains(ca)["imprecision"] == -2
    assert o.certainty == "low"
    [d] = [d for d in o.grade.domains if d.name == "imprecision"] if o.grade else []
    assert "69 events < 300" in d.reason


def test_the_same_single_trial_shape_gets_the_same_grade_for_every_drug():
    shape = [binary_rct(1, 29, 40, 45)]
    a = appraise(shape, drug("Gabapentin"))
    b = appraise(shape, drug("Nalmefene"))
    assert [o.certainty for o in a.outcomes] == [o.certainty for o in b.outcomes] == ["low"]
    assert a.verdict.certainty == b.verdict.certainty
    assert a.certainty_system == b.certainty_system == "GRADE (offlabel)"
    big = [continuous_rct(1, 400, 2.0)]
    assert ([o.certainty for o in appraise(big, drug("Gabapentin")).outcomes]
            == [o.certainty for o in appraise(big, drug("Nalmefene")).outcomes] == ["moderate"])


def test_two_large_consistent_trials_can_be_high():
    ca = appraise([continuous_rct(1, 400, 2.0), continuous_rct(2, 400, 2.2)])
    [o] = ca.outcomes
    assert o.pooled is not None and o.pooled.k == 2
    assert o.certainty == "high"


def test_events_rule_applies_to_pools_too():
    # Two trials, 600 patients, 80% control risk: the computed OIS is met, 270 events are not.
    base = dict(randomised=True, measure="RR", k=2, n_total=600, estimate=-0.3, ci_lb=-0.45,
                ci_ub=-0.15, I2=0.0, pi_lb=None, pi_ub=None, study_signs=[1, 1],
                weights=[50.0, 50.0], rob_overall=["low", "low"], control_risk=0.8)
    few = grade(PoolInput(events=270, **base))
    enough = grade(PoolInput(events=400, **base))
    assert {d.name: d.change for d in few.domains}["imprecision"] == -1
    assert {d.name: d.change for d in enough.domains}["imprecision"] == 0


# --- narrative synthesis ------------------------------------------------------------------


def test_three_small_trials_that_disagree_without_an_estimate_are_not_moderate():
    ca = appraise([bare_rct(1, 50, "favours_drug"), bare_rct(2, 60, "no_difference"),
                   bare_rct(3, 48, "no_difference")])
    assert ca.outcomes == []
    assert ca.verdict.certainty == "very_low", ca.verdict.reasons
    assert ca.certainty_system == "GRADE (offlabel)"
    text = " ".join(ca.verdict.reasons)
    assert "inconsistency -1" in text and "directions disagree" in text
    assert "imprecision -2" in text


def test_three_small_trials_that_agree_without_an_estimate_are_low():
    ca = appraise([bare_rct(i, 50, "favours_drug") for i in (1, 2, 3)])
    assert ca.verdict.certainty == "low"
    assert "inconsistency" not in " ".join(ca.verdict.reasons)


def test_large_agreeing_trials_without_an_estimate_are_moderate():
    ca = appraise([bare_rct(i, 200, "favours_drug") for i in (1, 2, 3)])
    assert ca.verdict.certainty == "moderate"


# --- a rating keeps its system; disagreeing reviews ----------------------------------------


COCHRANE = ("Cochrane Database Syst Rev", "GRADE: moderate-certainty evidence.")
AHRQ = ("JAMA", "8 trials, 995 participants; strength of evidence low.")


def test_a_reviews_rating_keeps_its_system():
    ca = appraise([review("cochrane", 2023, *COCHRANE)])
    assert ca.verdict.certainty == "moderate"
    assert ca.certainty_system == "GRADE (Cochrane review)"
    c = as_json(ca)
    assert c["certainty_system"] == "GRADE (Cochrane review)"
    [pp] = c["published_pooled_estimates"]
    assert pp["certainty"] == "moderate" and pp["certainty_system"] == "GRADE (Cochrane review)"
    ahrq = appraise([review("ahrq", 2023, *AHRQ)])
    assert ahrq.certainty_system == "AHRQ strength of evidence"
    other = appraise([review("bmj", 2020, "BMJ", "moderate certainty of evidence")])
    assert other.certainty_system == "GRADE (review)"


def test_two_reviews_that_disagree_are_both_shown_and_the_verdict_takes_the_lower():
    ca = appraise([review("cochrane", 2023, *COCHRANE), review("ahrq", 2022, *AHRQ)])
    assert ca.latest_review is not None and ca.latest_review.id == "cochrane"
    assert ca.verdict.certainty == "low"
    assert ca.certainty_system == "AHRQ strength of evidence"
    ratings = {(r.origin, r.certainty, r.system, r.used) for r in ca.certainty_ratings}
    assert ratings == {("Cochrane R 2023", "moderate", "GRADE (Cochrane review)", False),
                       ("Ahrq R 2022", "low", "AHRQ strength of evidence", True)}
    assert any("Reviews disagree" in r and "takes the lower" in r for r in ca.verdict.reasons)
    c = as_json(ca)
    assert {r["certainty_system"] for r in c["certainty_ratings"]} == {
        "GRADE (Cochrane review)", "AHRQ strength of evidence"}


def test_a_superseded_or_network_rating_is_not_a_disagreement():
    old = review("old", 2010, *AHRQ)
    net = review("net", 2022, "BMJ", "low certainty of evidence", network=True)
    ca = appraise([review("cochrane", 2023, *COCHRANE), old, net])
    assert ca.verdict.certainty == "moderate"
    assert ca.certainty_system == "GRADE (Cochrane review)"
    assert [r.origin for r in ca.certainty_ratings] == ["Cochrane R 2023"]


def test_compare_names_each_drugs_certainty_system():
    from offlabel.appraise.results import Alternatives, ComparedDrug
    from offlabel.report.compare import compare_dict, render_markdown

    a = appraise([review("cochrane", 2023, *COCHRANE)], drug("Onedrug"))
    b = appraise([review("ahrq", 2023, *AHRQ)], drug("Twodrug"))
    from offlabel.appraise.compare import comparable_effects

    rows = [ComparedDrug("Onedrug", a, effects=comparable_effects(a)),
            ComparedDrug("Twodrug", b, effects=comparable_effects(b))]
    d = compare_dict(Alternatives(COND, "relapse", rows))
    assert [r["certainty_system"] for r in d["drugs"]] == [
        "GRADE (Cochrane review)", "AHRQ strength of evidence"]
    assert [r["outcomes"][0]["certainty_system"] for r in d["drugs"]] == [
        "GRADE (Cochrane review)", "AHRQ strength of evidence"]
    md = render_markdown(d)
    assert "Moderate (Cochrane GRADE)" in md and "Low (AHRQ strength of evidence)" in md
