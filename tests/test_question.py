"""A question is answered only as asked: whole names resolve, anything else is not covered.

Two lists: questions that merely contain a known name (a complication, a poisoning, an
overdose, a negation) must exit 2 with a "did you mean"; synonyms, MeSH entry terms and folded
spellings must answer their concept. Both run through the CLI (typer's CliRunner) and through
appraise.question.resolve_question, the one function every face calls.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from offlabel.appraise import answer
from offlabel.appraise.question import resolve_question
from offlabel.cli import app
from offlabel.errors import NotCovered
from offlabel.evidence import load_evidence

# Each of these once printed another question's full report (issue 13).
MISREAD = [
    "fetal alcohol syndrome", "alcohol poisoning", "not alcohol use disorder",
    "opioid-induced constipation", "opioid overdose", "cocaine overdose", "nicotine poisoning",
    # and more of the same kind
    "alcohol-induced liver disease", "alcoholic hepatitis", "alcoholic cirrhosis",
    "cocaine intoxication", "smoking-related cancer", "heroin overdose",
    "neonatal opioid withdrawal syndrome", "cannabis hyperemesis syndrome",
    "alcohol use disorder in pregnancy", "no alcohol", "opioid use disorder prevention",
    "spasticity after stroke", "methamphetamine psychosis", "GHB overdose",
    "alcohol dependence in patients with cirrhosis",
]

# (what was typed, the condition id it must answer)
SYNONYMS = [
    ("alcoholism", "alcohol_use_disorder"), ("AUD", "alcohol_use_disorder"),
    ("alcohol dependence", "alcohol_use_disorder"),
    ("crystal meth", "methamphetamine_use_disorder"), ("heroin", "opioid_use_disorder"),
    ("opiate dependence", "opioid_use_disorder"), ("smoking", "nicotine_dependence"),
    ("marijuana", "cannabis_use_disorder"), ("GHB", "ghb_use_disorder"),
    ("D000437", "alcohol_use_disorder"),
    # and more: plurals, spacing, hyphens, case, accents, Unicode forms, MeSH entry terms
    ("AUDs", "alcohol_use_disorder"), ("Alcohol  Use  Disorders", "alcohol_use_disorder"),
    ("opioid use disorders", "opioid_use_disorder"),
    ("Opioid-use disorder", "opioid_use_disorder"),
    ("ALCOHOL-USE-DISORDER", "alcohol_use_disorder"),
    ("Cocaïne", "cocaine_use_disorder"), ("ＡＵＤ", "alcohol_use_disorder"),
    ("ethanol abuse", "alcohol_use_disorder"),
    ("prescription opioid misuse", "opioid_use_disorder"),
    ("nicotine use disorder", "nicotine_dependence"),
    ("clasp-knife spasticity", "spasticity"), ("Muscle Spasticity", "spasticity"),
    ("gamma hydroxybutyrate", "ghb_use_disorder"),
    ("opiate withdrawal", "opioid_withdrawal"), ("delirium tremens", "alcohol_withdrawal"),
]

# Drug names as typed: (text, drug id)
DRUGS = [("Lioresal", "baclofen"), ("BACLOFEN", "baclofen"), ("baclofène", "baclofen"),
         ("  Baclofen ", "baclofen")]
NOT_DRUGS = ["baclofen-like", "not baclofen", "baclofn"]


@pytest.fixture(scope="module")
def base():
    return load_evidence()


@pytest.mark.parametrize("text", MISREAD)
def test_a_question_containing_a_known_name_is_not_answered_as_it(base, text):
    with pytest.raises(NotCovered, match="did you mean"):
        resolve_question(base, "baclofen", text)


@pytest.mark.parametrize(("text", "cid"), SYNONYMS)
def test_a_whole_name_answers_its_concept(base, text, cid):
    q = resolve_question(base, "baclofen", text)
    assert q.condition is not None and q.condition.id == cid


@pytest.mark.parametrize(("text", "did"), DRUGS)
def test_drug_names_fold(base, text, did):
    assert resolve_question(base, text, None).drug.id == did


@pytest.mark.parametrize("text", NOT_DRUGS)
def test_a_drug_that_is_not_a_whole_name_is_not_covered(base, text):
    with pytest.raises(NotCovered, match="did you mean 'Baclofen'"):
        resolve_question(base, text, None)


def _cli(*args: str):
    return CliRunner().invoke(app, ["ask", *args, "--format", "json"])


@pytest.mark.parametrize("text", MISREAD)
def test_cli_exits_2_with_a_suggestion(text):
    r = _cli("baclofen", text)
    assert r.exit_code == 2, r.output
    assert "did you mean" in r.output
    assert len([line for line in r.output.splitlines() if line.strip()]) == 1


@pytest.mark.parametrize(("text", "cid"), SYNONYMS)
def test_cli_answers_the_synonym(text, cid):
    r = _cli("baclofen", text)  # baclofen's evidence covers every condition of the vocabulary
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["conditions"][0]["condition_id"] == cid


@pytest.mark.parametrize(("text", "did"), DRUGS)
def test_cli_drug_names(text, did):
    r = _cli(text, "AUD")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["drug"]["id"] == did


def test_compare_refuses_a_misread_condition_with_a_suggestion():
    r = CliRunner().invoke(app, ["compare", "opioid overdose", "baclofen", "naltrexone"])
    assert r.exit_code == 2
    assert "did you mean 'opioid use disorder'" in r.output


def test_overview_rows_agree_with_the_full_answer(base):
    """One question, one answer: for every covered drug and every condition in its overview,
    the overview row and `ask DRUG CONDITION` give the same verdict, certainty and studies."""
    checked = 0
    for drug in base.drugs.values():
        overview = answer(base, drug.id)
        for row in overview.conditions:
            full = answer(base, drug.id, row.condition.id.replace("_", " ")).conditions[0]
            assert row.condition.id == full.condition.id
            assert (row.verdict.label, row.verdict.certainty) == (
                full.verdict.label, full.verdict.certainty), (drug.id, row.condition.id)
            assert [s.study.id for s in row.studies] == [s.study.id for s in full.studies], (
                drug.id, row.condition.id)
            checked += 1
    assert checked >= 15


def test_the_stimulant_row_takes_in_cocaine_and_methamphetamine(base):
    """The row that once disagreed (3 studies in the overview, 17 in the answer)."""
    row = next(c for c in answer(base, "baclofen").conditions
               if c.condition.id == "stimulant_use_disorder")
    conds = {cid for s in row.studies for cid in s.study.conditions}
    assert {"cocaine_use_disorder", "methamphetamine_use_disorder"} & conds
