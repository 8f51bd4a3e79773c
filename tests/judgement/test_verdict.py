"""Issue 16, rule 8: the verdict with its conditions.

Constructed evidence whose right reading is known: the verdict names the conditions of an
approval (line of therapy, maximum dose) and how many of the trials behind it used more than that
dose; animal and laboratory studies are reported apart and never count as the "weaker designs"
that suggest a benefit in a human verdict.
"""

from __future__ import annotations

from typing import Any

from offlabel.appraise.core import appraise_condition
from offlabel.appraise.results import Answer, ConditionAppraisal
from offlabel.model import Approval, DrugProfile, Source, Study
from offlabel.report.data import answer_dict
from offlabel.vocabulary import BY_ID

SRC = {"pmid": "1", "where": "constructed for a test"}
COND = BY_ID["alcohol_use_disorder"]


def drug(*approvals: Approval) -> DrugProfile:
    return DrugProfile(id="testdrug", name="Testdrug", sources=[Source(**SRC)],
                       approvals=list(approvals))


def approval(**kw: Any) -> Approval:
    return Approval.model_validate({"region": "France", "agency": "ANSM", "year": 2018,
                                    "indication": "alcohol dependence", "status": "approved",
                                    "conditions": ["alcohol_use_disorder"], "sources": [SRC], **kw})


def study(i: int, design: str, *, direction: str = "favours_drug", dose: float | None = None,
          blinding: str = "double") -> Study:
    randomised = design == "rct"
    return Study.model_validate({
        "id": f"s{i}", "first_author": f"Author{i} AB", "year": 2000 + i, "title": f"Study {i}",
        "conditions": ["alcohol_use_disorder"], "design": design, "randomised": randomised,
        "blinding": blinding if randomised else "none",
        "comparator": "placebo" if randomised else "none",
        "species": "rat" if design == "animal" else "human",
        "n": 60, "direction": direction, "max_dose_mg_per_day": dose, "sources": [SRC],
    })


def appraise(d: DrugProfile, studies: list[Study]) -> ConditionAppraisal:
    return appraise_condition(d, COND, studies, {COND.id})


def as_json(d: DrugProfile, ca: ConditionAppraisal) -> dict[str, Any]:
    [c] = answer_dict(Answer(d, COND, [ca]))["conditions"]
    return c


def test_two_rat_studies_are_not_weaker_designs_of_a_human_verdict():
    # One small positive trial and two positive rat studies: the old verdict read "weaker designs
    # (2 of 2 positive) suggest a benefit".
    d = drug()
    ca = appraise(d, [study(1, "rct"), study(2, "animal"), study(3, "animal")])
    s = ca.verdict.summary
    assert "weaker designs" not in s, s
    assert "Animal and laboratory studies, reported apart and not counted" in s
    assert "2 of 2 favour the drug" in s


def test_animal_studies_alone_do_not_make_a_human_use_promising():
    d = drug()
    ca = appraise(d, [study(1, "animal"), study(2, "animal"), study(3, "in_vitro")])
    assert ca.verdict.label == "insufficient", ca.verdict
    assert "reported apart" in ca.verdict.summary


def test_human_weaker_designs_still_count():
    d = drug()
    ca = appraise(d, [study(1, "open_label_trial"), study(2, "cohort")])
    assert ca.verdict.label == "promising"
    assert "Only weaker designs" in ca.verdict.summary


def test_verdict_names_the_approval_conditions_and_the_trials_above_its_dose():
    d = drug(approval(line_of_therapy="after failure of other treatments", max_dose_mg_per_day=80))
    trials = [study(1, "rct", dose=60), study(2, "rct", dose=120), study(3, "rct", dose=180),
              study(4, "rct"), study(5, "rct", direction="no_difference", dose=300),
              study(6, "rct", dose=270, blinding="none")]
    ca = appraise(d, trials)
    s = ca.verdict.summary
    assert "Conditions of approval: France approval (ANSM, 2018): after failure of other " \
           "treatments; at most 80 mg/day." in s, s
    # Only the positive double-blind trials are read: the null trial and the open one are not.
    assert "2 of the 4 positive double-blind trials used more than 80 mg/day " \
           "(Author3 AB 2003, Author2 AB 2002); dose not recorded for 1." in s, s
    [c] = as_json(d, ca)["approval_conditions"]
    assert c["max_dose_mg_per_day"] == 80 and c["line_of_therapy"].startswith("after failure")
    assert c["trials_kind"] == "positive double-blind trials" and len(c["trials"]) == 4
    assert sorted(c["above_max"]) == ["Author2 AB 2002", "Author3 AB 2003"]
    assert c["dose_unknown"] == ["Author4 AB 2004"]


def test_no_conditions_sentence_without_structured_conditions_or_approval():
    plain = drug(approval())  # an approval with no curated conditions
    refused = drug(approval(status="not_approved", max_dose_mg_per_day=80))
    for d in (plain, refused):
        ca = appraise(d, [study(1, "rct", dose=120), study(2, "rct", dose=120)])
        assert "Conditions of approval" not in ca.verdict.summary
        assert ca.approval_conditions == []


def test_bottom_line_says_how_many_supporting_trials_exceed_the_approved_dose():
    from offlabel.report.bottomline import bottom_line

    d = drug(approval(line_of_therapy="after failure of other treatments", max_dose_mg_per_day=80))
    ca = appraise(d, [study(1, "rct", dose=60), study(2, "rct", dose=120), study(3, "rct", dose=180)])
    bl = bottom_line(answer_dict(Answer(d, COND, [ca])))
    [line] = bl.conditions
    [approved] = line.approved
    assert approved.endswith("2 of the 3 positive double-blind trials used more than 80 mg/day"), approved
