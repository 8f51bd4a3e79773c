import pytest

from offlabel.vocabulary import descendants, resolve_condition, resolve_outcome

CASES = {
    "alcohol use disorder": "alcohol_use_disorder",
    "Alcoholism": "alcohol_use_disorder",
    "alcohol dependence": "alcohol_use_disorder",
    "AUD": "alcohol_use_disorder",
    "cocaine addiction": "cocaine_use_disorder",
    "Cocaine use disorder": "cocaine_use_disorder",
    "crystal meth": "methamphetamine_use_disorder",
    "methamphetamine use disorder": "methamphetamine_use_disorder",
    "stimulant use disorder": "stimulant_use_disorder",
    "opioid use disorder": "opioid_use_disorder",
    "opiate dependence": "opioid_use_disorder",
    "heroin": "opioid_use_disorder",
    "opioids": "opioid_use_disorder",
    "nicotine dependence": "nicotine_dependence",
    "smoking cessation": "nicotine_dependence",
    "cannabis use disorder": "cannabis_use_disorder",
    "marijuana dependence": "cannabis_use_disorder",
    "GHB use disorder": "ghb_use_disorder",
    "gamma-hydroxybutyrate": "ghb_use_disorder",
    "spasticity": "spasticity",
    "muscle spasticity": "spasticity",
    "alcohol withdrawal": "alcohol_withdrawal",
    "D000437": "alcohol_use_disorder",
    # MeSH entry terms of the condition's descriptor
    "ethanol abuse": "alcohol_use_disorder",
    "Alcoholic Intoxication, Chronic": "alcohol_use_disorder",
    "prescription opioid misuse": "opioid_use_disorder",
    "nicotine use disorder": "nicotine_dependence",
    "clasp-knife spasticity": "spasticity",
    # folded: accents, Unicode forms, hyphens, spacing, plurals
    "Cocaïne": "cocaine_use_disorder",
    "ＡＵＤ": "alcohol_use_disorder",
    "opioid-use disorders": "opioid_use_disorder",
    "  Alcohol   Use\tDisorder ": "alcohol_use_disorder",
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_synonyms_resolve(text):
    c = resolve_condition(text)
    assert c is not None and c.id == CASES[text]


@pytest.mark.parametrize("text", [
    "", "gout", "hair loss", "xyz",
    # a known name inside a longer text is another question, not the known one
    "alcohol dependence in patients with cirrhosis", "opioid overdose", "alcohol poisoning",
])
def test_unknown_conditions(text):
    assert resolve_condition(text) is None


def test_every_id_has_one_concept_and_matches_the_model():
    from offlabel.model import CONDITION_IDS
    from offlabel.vocabulary import BY_ID

    assert set(BY_ID) == CONDITION_IDS


def test_nearest_conditions_share_a_word_or_a_spelling():
    from offlabel.vocabulary import nearest_conditions

    assert nearest_conditions("nicotine poisoning")[0] == "nicotine dependence"
    assert nearest_conditions("alcohol use disordr")[0] == "alcohol use disorder"
    assert nearest_conditions("gout") == []


def test_stimulants_cover_cocaine_and_methamphetamine():
    d = descendants("stimulant_use_disorder")
    assert {"cocaine_use_disorder", "methamphetamine_use_disorder"} <= d
    assert "alcohol_use_disorder" not in d
    assert descendants("cocaine_use_disorder") == {"cocaine_use_disorder"}


def test_outcome_synonyms():
    assert resolve_outcome("percent days abstinent").value == "abstinence"
    assert resolve_outcome("return to heavy drinking").value == "relapse"
    assert resolve_outcome("banana") is None
