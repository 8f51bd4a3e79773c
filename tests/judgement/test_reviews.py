"""Issue 16, rules 4 and 6: review findings first, and reviews appraised as reviews.

Constructed evidence whose right reading is known: a review's subgroup, sensitivity analysis,
certainty rating and conclusion reach the report with their sources, ahead of offlabel's own
comparisons, and beside them when offlabel compared the same thing; a review that found benefit
only in open-label trials puts a caveat on the drug's head-to-head rows; a review's risk of bias
comes from review-level signals (AMSTAR 2 / ROBIS), where an unread signal is unclear, never low,
and a Cochrane label alone decides nothing.
"""

from __future__ import annotations

from typing import Any

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.results import (
    REVIEW_TOOL,
    Answer,
    Comparison,
    ConditionAppraisal,
    StratumPool,
)
from offlabel.appraise.reviews import review_findings
from offlabel.appraise.rob import assess
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.report.markdown import render as render_md
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
REVIEW_SRC = {"pmid": "2", "where": "Abstract, Results (constructed)"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
COND = BY_ID["alcohol_use_disorder"]


def review(*, journal: str = "Some Journal", signals: dict[str, bool] | None = None,
           subgroups: list[dict[str, Any]] | None = None,
           outcomes: list[dict[str, Any]] | None = None) -> Study:
    return Study.model_validate({
        "id": "rev1", "first_author": "Reviewer AB", "year": 2022, "title": "A review",
        "journal": journal, "conditions": ["alcohol_use_disorder"], "design": "meta_analysis",
        "k_studies": 10, "direction": "favours_drug", "sources": [REVIEW_SRC],
        "conclusion": "The drug helps detoxified patients.",
        "review_signals": {k: {"met": v, "source": REVIEW_SRC} for k, v in (signals or {}).items()},
        "subgroups": subgroups or [], "outcomes": outcomes or [],
    })


def rct(i: int, ev_d: int, *, detox: str | None = None, blinding: str = "double",
        comparator: str = "placebo") -> Study:
    return Study.model_validate({
        "id": f"t{i}", "first_author": f"Author{i} AB", "year": 2000 + i,
        "conditions": ["alcohol_use_disorder"], "design": "rct", "randomised": True,
        "blinding": blinding, "comparator": comparator,
        "comparator_detail": "acamprosate" if comparator == "active" else None,
        "n": 100, "direction": "favours_drug", "sources": [SRC],
        "covariates": {"detoxified_before": detox} if detox else {},
        "outcomes": [{"name": "abstinence", "kind": "abstinence", "higher_is_better": True,
                      "primary": True, "source": SRC,
                      "effect": {"type": "binary", "events_drug": ev_d, "total_drug": 50,
                                 "events_control": 15, "total_control": 50}}],
    })


DETOX = {"moderator": "detoxified_before", "direction": "stronger", "source": REVIEW_SRC,
         "finding": "Benefit mainly among participants detoxified before treatment."}
LOW_ROB = {"moderator": "risk_of_bias", "direction": "weaker", "source": REVIEW_SRC,
           "finding": "Restricted to low risk-of-bias trials: no effect."}
BLINDING = {"moderator": "blinding", "direction": "weaker", "source": REVIEW_SRC,
            "finding": "Blinded trials showed no effect; only open-label trials did."}
RATED = {"name": "Relapse", "kind": "relapse", "higher_is_better": False, "direction":
         "favours_drug", "certainty": "moderate", "source": REVIEW_SRC,
         "effect": {"type": "reported", "measure": "RR", "estimate": 0.87, "ci_lb": 0.77,
                    "ci_ub": 0.99}}


def as_json(ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(DRUG, COND, [ca]))["conditions"]
    return c


# --- rule 6 -------------------------------------------------------------------------------


def test_a_review_is_appraised_by_review_signals_not_a_primary_study_tool():
    rob = assess(review())
    assert rob.tool == REVIEW_TOOL
    assert [d.domain for d in rob.domains] == [
        "protocol", "comprehensive_search", "risk_of_bias_assessed", "appropriate_synthesis",
        "publication_bias_assessed"]
    # ROBINS-I read "no control group" and called every review high; nothing is known here.
    assert "confounding" not in {d.domain for d in rob.domains}
    assert rob.overall == "unknown"


def test_unread_signals_are_unclear_never_low_even_for_a_cochrane_review():
    four_met = {k: True for k in ("protocol", "comprehensive_search", "risk_of_bias_assessed",
                                  "appropriate_synthesis")}
    rob = assess(review(journal="Cochrane Database Syst Rev", signals=four_met))
    assert rob.overall == "unknown"  # publication bias not read: unclear, not low
    assert assess(review(journal="Cochrane Database Syst Rev")).overall == "unknown"


def test_all_signals_met_is_low_and_one_not_met_is_high():
    all_met = {k: True for k in ("protocol", "comprehensive_search", "risk_of_bias_assessed",
                                 "appropriate_synthesis", "publication_bias_assessed")}
    assert assess(review(signals=all_met)).overall == "low"
    rob = assess(review(signals={**all_met, "protocol": False}))
    assert rob.overall == "high"
    assert any(d.domain == "protocol" and d.level == "high" and "PMID 2" in d.basis
               for d in rob.domains)


# --- rule 4 -------------------------------------------------------------------------------


def test_review_subgroups_sensitivity_certainty_and_conclusion_reach_the_json_with_sources():
    rev = review(subgroups=[DETOX, LOW_ROB], outcomes=[RATED])
    trials = [rct(1, 30), rct(2, 28), rct(3, 25)]
    c = as_json(appraise_condition(DRUG, COND, [rev, *trials], {COND.id}))
    kinds = [f["kind"] for f in c["review_findings"]]
    assert kinds == ["subgroup", "sensitivity", "certainty", "conclusion"]
    for f in c["review_findings"]:
        assert f["review"] == "Reviewer 2022" and f["source"] == "PMID 2"
    assert "moderate certainty (GRADE (review))" in c["review_findings"][2]["finding"]


def test_review_findings_come_before_offlabels_own_comparisons_in_the_report():
    rev = review(subgroups=[DETOX])
    trials = [rct(1, 30, detox="all"), rct(2, 28, detox="all"), rct(3, 25), rct(4, 24)]
    ans = Answer(DRUG, COND, [appraise_condition(DRUG, COND, [rev, *trials], {COND.id})])
    md = render_md(answer_dict(ans))
    assert "### Review findings" in md and "### Why studies disagree" in md
    assert md.index("### Review findings") < md.index("### Why studies disagree")
    assert "Benefit mainly among participants detoxified" in md


def _comparison(with_it: float, without: float) -> Comparison:
    return Comparison("detoxified_before", "offlabel's detox sentence", groups={
        "trials enrolling them": StratumPool("enrolled", 2, with_it, with_it - .3, with_it + .3, []),
        "other trials": StratumPool("other", 2, without, without - .3, without + .3, [])})


def test_a_disagreeing_offlabel_comparison_is_shown_beside_the_review_with_the_reason():
    rev = review(subgroups=[DETOX])
    # The review: stronger among detoxified. offlabel's thin comparison: weaker among them.
    [f, *_] = review_findings([rev], [], [_comparison(0.2, 0.7)])
    assert f.offlabel == "offlabel's detox sentence"
    assert f.disagrees is True
    assert f.why_differ is not None and f.why_differ.startswith("They point different ways")
    assert "confounded" in f.why_differ
    [g, *_] = review_findings([rev], [], [_comparison(0.7, 0.2)])
    assert g.disagrees is False


def test_benefit_only_in_open_label_trials_puts_a_caveat_on_head_to_head_rows():
    h2h = {**RATED, "name": "Success rate versus naltrexone", "kind": "abstinence",
           "higher_is_better": True, "certainty": None,
           "effect": {"type": "reported", "measure": "SMD", "estimate": 0.7, "ci_lb": 0.4,
                      "ci_ub": 1.0}}
    vs_placebo = {**h2h, "name": "Success rate (drug vs placebo)"}
    rev = review(subgroups=[BLINDING], outcomes=[h2h, vs_placebo])
    trials = [rct(1, 30, blinding="none", comparator="active"),
              rct(2, 29, blinding="none", comparator="active"), rct(3, 20), rct(4, 21)]
    c = as_json(appraise_condition(DRUG, COND, [rev, *trials], {COND.id}))
    pools = {p["outcome"]: p for p in c["published_pooled_estimates"]}
    assert any("only in open-label trials" in x for x in pools["Success rate versus naltrexone"]["caveats"])
    assert pools["Success rate (drug vs placebo)"]["caveats"] == []
    for o in c["outcomes"]:
        assert bool(o["caveats"]) == (o["comparator"] == "active")
    md = render_md(answer_dict(Answer(DRUG, COND, [appraise_condition(
        DRUG, COND, [rev, *trials], {COND.id})])))
    assert "Caveat on head-to-head rows" in md


def test_without_the_blinding_finding_no_row_carries_a_caveat():
    rev = review(subgroups=[DETOX])
    trials = [rct(1, 30, comparator="active"), rct(2, 29, comparator="active")]
    c = as_json(appraise_condition(DRUG, COND, [rev, *trials], {COND.id}))
    assert all(not o["caveats"] for o in c["outcomes"])


def test_compare_carries_the_open_label_caveat_with_its_source():
    from offlabel.appraise.results import Alternatives, ComparedDrug
    from offlabel.report.compare import compare_dict

    rev = review(subgroups=[BLINDING])
    ca = appraise_condition(DRUG, COND, [rev, rct(1, 30), rct(2, 29)], {COND.id})
    [d] = compare_dict(Alternatives(COND, None, [ComparedDrug("testdrug", ca)]))["drugs"]
    [c] = d["caveats"]
    assert "only in open-label trials" in c["caveat"] and c["source"] == "PMID 2"
    plain = appraise_condition(DRUG, COND, [review(subgroups=[DETOX]), rct(1, 30)], {COND.id})
    [e] = compare_dict(Alternatives(COND, None, [ComparedDrug("testdrug", plain)]))["drugs"]
    assert e["caveats"] == []
