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
    "alcohol dependence in patients with cirrhosis": "alcohol_use_disorder",
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_synonyms_resolve(text):
    c = resolve_condition(text)
    assert c is not None and c.id == CASES[text]


@pytest.mark.parametrize("text", ["", "gout", "hair loss", "xyz"])
def test_unknown_conditions(text):
    assert resolve_condition(text) is None


def test_stimulants_cover_cocaine_and_methamphetamine():
    d = descendants("stimulant_use_disorder")
    assert {"cocaine_use_disorder", "methamphetamine_use_disorder"} <= d
    assert "alcohol_use_disorder" not in d
    assert descendants("cocaine_use_disorder") == {"cocaine_use_disorder"}


def test_outcome_synonyms():
    assert resolve_outcome("percent days abstinent").value == "abstinence"
    assert resolve_outcome("return to heavy drinking").value == "relapse"
    assert resolve_outcome("banana") is None
