"""Issue 16, rule 7: efficacy apart from harms.

Constructed evidence sets whose right reading is known: a safety cohort and a poison-centre
series say nothing about whether a drug works, so adding them to a set of efficacy studies must
change no efficacy count, sentence, comparison, moderator or verdict; they appear in the
question's harms section instead, with their sources, in harm words (never "favours", "benefit"
or "effect stronger"). A drug's curated harm facts reach the questions they concern.
"""

from __future__ import annotations

import re
from typing import Any

from offlabel.appraise.applicability import applicability
from offlabel.appraise.core import appraise_condition
from offlabel.appraise.harms import efficacy_studies, harms_for, is_harm_study
from offlabel.appraise.results import Answer, ConditionAppraisal
from offlabel.model import DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.report.markdown import render as render_md
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
DRUG = DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)])
AUD = BY_ID["alcohol_use_disorder"]
EFFICACY_TAG = re.compile(r"favou?r|benefit|effect stronger|effect weaker", re.I)


def study(i: int, design: str, direction: str, *, blinding: str = "unknown",
          comparator: str = "placebo", outcomes: list[dict[str, Any]] | None = None,
          **extra: Any) -> Study:
    return Study.model_validate({
        "id": f"s{i}", "first_author": f"Author{i} AB", "year": 2000 + i,
        "conditions": ["alcohol_use_disorder"], "design": design, "blinding": blinding,
        "comparator": comparator, "n": 100, "direction": direction, "sources": [SRC],
        "outcomes": outcomes or [], **extra})


def abstinence(direction: str) -> dict[str, Any]:
    return {"name": "abstinence", "kind": "abstinence", "direction": direction}


def efficacy_set() -> list[Study]:
    """Two double-blind RCTs and three open-label or observational studies, all positive."""
    return [
        study(1, "rct", "favours_drug", blinding="double", randomised=True,
              outcomes=[abstinence("favours_drug")]),
        study(2, "rct", "favours_drug", blinding="double", randomised=True,
              outcomes=[abstinence("favours_drug")]),
        study(3, "open_label_trial", "favours_drug", comparator="none",
              outcomes=[abstinence("favours_drug")]),
        study(4, "cohort", "favours_drug", comparator="none",
              outcomes=[abstinence("favours_drug")]),
        study(5, "case_series", "favours_drug", comparator="none",
              outcomes=[abstinence("favours_drug")]),
    ]


def safety_set() -> list[Study]:
    """A cohort that found more deaths on the drug; a poison-centre series with a subgroup."""
    cohort = study(
        6, "cohort", "favours_control", comparator="active",
        title="Risk of hospitalisation and death with the drug: a cohort study",
        outcomes=[{"name": "All-cause mortality", "kind": "adverse_events",
                   "higher_is_better": False, "direction": "favours_control", "source": SRC,
                   "effect": {"type": "reported", "measure": "HR", "estimate": 2.7,
                              "ci_lb": 1.1, "ci_ub": 6.7}}])
    poison = study(
        7, "case_series", "favours_control", comparator="none",
        setting="Regional poison control centre",
        covariates={"comorbid_psychiatric_disorder": "some"},
        outcomes=[{"name": "High-severity self-poisoning", "kind": "adverse_events",
                   "higher_is_better": False, "direction": "unclear", "source": SRC,
                   "effect": {"type": "single_arm", "events": 40, "total": 100}}],
        subgroups=[{"moderator": "comorbid_psychiatric_disorder", "direction": "stronger",
                    "finding": "poisoning severity associated with psychiatric disorders",
                    "source": SRC}])
    return [cohort, poison]


def appraise(studies: list[Study], drug: DrugProfile = DRUG) -> ConditionAppraisal:
    return appraise_condition(drug, AUD, studies, {AUD.id})


def as_json(ca: ConditionAppraisal, drug: DrugProfile = DRUG) -> dict[str, Any]:
    [c] = answer_dict(Answer(drug, AUD, [ca]))["conditions"]
    return c


def test_safety_studies_are_recognised_by_their_outcomes_alone():
    eff, harm = efficacy_set(), safety_set()
    assert [is_harm_study(s) for s in eff + harm] == [False] * 5 + [True] * 2
    # A trial with an efficacy outcome and an adverse-event outcome is an efficacy study.
    mixed = study(8, "rct", "favours_drug", outcomes=[
        abstinence("favours_drug"),
        {"name": "Adverse events", "kind": "adverse_events", "direction": "favours_control"}])
    assert not is_harm_study(mixed)
    assert efficacy_studies(eff + harm + [mixed]) == eff + [mixed]


def test_adding_safety_studies_changes_no_efficacy_reading():
    alone = as_json(appraise(efficacy_set()))
    both = as_json(appraise(efficacy_set() + safety_set()))
    for key in ("verdict", "evidence_verdict", "certainty", "summary",
                "counts_by_level_and_direction", "design_agreement", "moderators",
                "why_studies_disagree", "comparisons", "outcomes"):
        assert both[key] == alone[key], key
    # The safety cohort is not an observational study "against" the drug.
    assert both["counts_by_level_and_direction"]["observational studies"]["favours_control"] == 0
    assert any("3 of 3 favour the drug" in s for s in both["design_agreement"]), \
        both["design_agreement"]
    # The poison series' subgroup is not an efficacy moderator.
    assert not any("poisoning" in m for m in both["moderators"])


def test_safety_findings_are_in_the_harms_section_with_sources_and_harm_words():
    c = as_json(appraise(efficacy_set() + safety_set()))
    harms = c["harms"]
    by_kind = {h["kind"]: h for h in harms}
    assert by_kind["safety_signal"]["studies"] == ["Author6 2006"]
    assert "HR 2.7 (1.1 to 6.7)" in by_kind["safety_signal"]["finding"]
    assert "more harm with the drug" in by_kind["safety_signal"]["finding"]
    overdose = [h for h in harms if h["kind"] == "overdose"]
    assert {h["finding"] for h in overdose} == {
        "High-severity self-poisoning: 40 of 100",
        "poisoning severity associated with psychiatric disorders"}
    for h in harms:
        assert h["source"]["where"] == "constructed for a test"
        assert not EFFICACY_TAG.search(h["finding"]), h
    assert not as_json(appraise(efficacy_set()))["harms"]


def test_an_adverse_event_outcome_is_never_read_as_favouring_the_drug():
    trial = study(9, "rct", "favours_drug", blinding="double", randomised=True, outcomes=[
        abstinence("favours_drug"),
        {"name": "Participants with an adverse event", "kind": "adverse_events",
         "higher_is_better": False, "direction": "favours_drug", "source": SRC,
         "effect": {"type": "binary", "events_drug": 10, "total_drug": 50,
                    "events_control": 25, "total_control": 50}}])
    c = as_json(appraise([trial]))
    [h] = c["harms"]
    assert h["kind"] == "adverse_events"
    assert h["finding"] == ("Participants with an adverse event: 10/50 with the drug vs 25/50 "
                            "with the comparator; less harm with the drug than with the comparator")
    assert not EFFICACY_TAG.search(h["finding"])


def test_a_harm_subgroup_carries_no_efficacy_tag_in_profile_notes():
    notes = applicability({"comorbid_psychiatric_disorder": True},
                          efficacy_set() + safety_set())
    texts = [n.text for n in notes]
    harm = [t for t in texts if "poisoning severity" in t]
    assert harm and all("effect stronger" not in t and "not an efficacy moderator" in t
                        for t in harm), texts
    # The poison series enrolled such patients but is no trial result "favouring" anything.
    assert not any("Author7" in t for t in texts if t.startswith("Profile:")), texts


def test_curated_harm_facts_reach_the_questions_they_concern():
    drug = DrugProfile.model_validate({
        "id": "testdrug", "name": "Testdrug", "sources": [SRC],
        "boxed_warning": "Abrupt withdrawal of the intrathecal form can kill.",
        "harms": [
            {"kind": "interaction", "finding": "Additive sedation with alcohol and other CNS "
             "depressants.", "sources": [{"url": "https://example.org/label", "where": "Section 7"}]},
            {"kind": "overdose", "finding": "Poison-centre series.", "studies": ["s7"],
             "conditions": ["alcohol_use_disorder"], "sources": [SRC]},
            {"kind": "withdrawal", "finding": "Spasticity only.", "conditions": ["spasticity"],
             "sources": [SRC]},
        ]})
    harms = harms_for(drug, {AUD.id}, safety_set())
    kinds = [h.kind for h in harms]
    assert kinds[:2] == ["boxed_warning", "interaction"]
    assert "withdrawal" not in kinds  # curated for spasticity only
    curated = next(h for h in harms if h.finding == "Poison-centre series.")
    assert [s.id for s in curated.studies] == ["s7"]
    spasticity = harms_for(drug, {"spasticity"}, [])
    assert [h.kind for h in spasticity] == ["boxed_warning", "interaction", "withdrawal"]
    # The profile's boxed warning has no curated source: none rather than a wrong one.
    assert harms[0].source is None


def test_the_markdown_report_shows_a_harms_section():
    ca = appraise(efficacy_set() + safety_set())
    md = render_md(answer_dict(Answer(DRUG, AUD, [ca])))
    section = md.split("### Harms", 1)[1].split("###", 1)[0]
    assert "Safety signal (observational): All-cause mortality" in section
    assert "Author6 2006" in section


def test_an_adverse_event_row_of_the_summary_of_findings_reads_as_harm_not_benefit():
    def trial(i: int) -> Study:
        return study(i, "rct", "favours_drug", blinding="double", randomised=True, outcomes=[
            {"name": "Participants with an adverse event", "kind": "adverse_events",
             "higher_is_better": False, "direction": "favours_drug", "source": SRC,
             "effect": {"type": "binary", "events_drug": 10, "total_drug": 100,
                        "events_control": 40, "total_control": 100}}])

    ca = appraise([trial(10), trial(11)])
    c = as_json(ca)
    [o] = c["outcomes"]
    assert o["kind"] == "adverse_events" and o["verdict"] == "benefit"  # JSON keeps its scale
    md = render_md(answer_dict(Answer(DRUG, AUD, [ca])))
    row = next(line for line in md.splitlines() if line.startswith("| adverse events"))
    assert "less harm" in row and "benefit" not in row, row
    pooled = next(h for h in c["harms"] if "offlabel's pool" in h["finding"])
    assert "less harm with the drug" in pooled["finding"]
    assert sorted(pooled["studies"]) == ["Author10 2010", "Author11 2011"]
