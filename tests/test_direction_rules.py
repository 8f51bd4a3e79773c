"""Reading a study's direction: intention-to-treat first, and a surrogate win is not a win.

Both rules apply everywhere: to the machine reading of an abstract (classify.direction) and to
every curated study bundled with offlabel (appraise.direction)."""

from __future__ import annotations

import pytest

from offlabel.classify.direction import finding_direction
from offlabel.model import Direction


def _abstract(results: str, conclusion: str) -> tuple[str, list[tuple[str, str]]]:
    sections = [
        ("BACKGROUND", "Drug X may help people with alcohol dependence."),
        ("METHODS", "We randomised 120 alcohol-dependent adults to drug X or placebo for 12 weeks."),
        ("RESULTS", results),
        ("CONCLUSIONS", conclusion),
    ]
    return " ".join(f"{label}: {text}" for label, text in sections), sections


def _read(results: str, conclusion: str, labelled: bool = True) -> tuple[Direction, str | None]:
    text, sections = _abstract(results, conclusion)
    return finding_direction(text, sections if labelled else None)


# --- intention to treat over per protocol ------------------------------------------------

ITT_NULL_PP_WIN = (
    "In the intention-to-treat analysis, the proportion abstinent did not differ between drug X "
    "and placebo (30% vs 28%, p = 0.74). In the per-protocol analysis, drug X significantly "
    "increased abstinence (52% vs 31%, p = 0.02).",
    "Drug X was effective in patients who completed treatment.",
)


@pytest.mark.parametrize("labelled", [True, False])
def test_itt_result_decides_over_a_per_protocol_win(labelled):
    got, sentence = _read(*ITT_NULL_PP_WIN, labelled=labelled)
    assert got is Direction.no_difference
    assert sentence is not None and sentence.startswith("intention to treat:")
    # the per-protocol result stays in the evidence, labelled as a sensitivity analysis
    assert "per-protocol, a sensitivity analysis only" in sentence and "52% vs 31%" in sentence


def test_itt_and_completers_in_one_sentence_are_read_apart():
    got, _ = _read(
        "Relapse did not differ by intention to treat (p = 0.41), but among completers drug X "
        "significantly reduced relapse.",
        "Drug X reduced relapse.",
    )
    assert got is Direction.no_difference


def test_itt_win_over_a_completers_null():
    got, sentence = _read(
        "By intention to treat, drug X significantly reduced relapse (25% vs 45%, p = 0.01). "
        "Among completers, relapse did not differ significantly (p = 0.09).",
        "Relapse did not differ among completers.",
    )
    assert got is Direction.favours_drug and sentence is not None
    assert "25% vs 45%" in sentence


def test_itt_alone_changes_nothing():
    """Only an abstract that gives both analyses has a per-protocol result to set aside."""
    results = ("All analyses were by intention to treat. The proportion abstinent did not differ "
               "(30% vs 28%).")
    conclusion = "Drug X reduced relapse."
    assert _read(results, conclusion) == (Direction.favours_drug, conclusion)


def test_both_analyses_agreeing_keep_the_conclusion_sentence():
    conclusion = "Drug X significantly reduced relapse."
    got = _read(
        "Drug X significantly reduced relapse in the intention-to-treat analysis (p = 0.01); the "
        "per-protocol analysis gave the same result.",
        conclusion,
    )
    assert got == (Direction.favours_drug, conclusion)


# --- a surrogate win is not a win ---------------------------------------------------------

@pytest.mark.parametrize(
    ("results", "conclusion"),
    [
        (  # craving and retention improved, drinking did not
            "Drug X significantly reduced craving scores compared with placebo (p = 0.01), and "
            "retention was significantly higher. The percentage of heavy drinking days did not "
            "differ between groups.",
            "Drug X reduced craving in alcohol-dependent patients.",
        ),
        (  # a lab value improved, abstinence did not
            "Serum gamma-glutamyl transferase fell significantly more with drug X. Abstinence "
            "rates were similar in the two groups.",
            "Drug X improved liver function tests.",
        ),
        (  # the disorder's name holds a use word; it is no use outcome
            "Craving (Obsessive Compulsive Drinking Scale) was significantly reduced in patients "
            "with alcohol use disorder. Drug X did not reduce alcohol consumption.",
            "Drug X is a promising option for alcohol use disorder.",
        ),
        (  # cocaine: urine tests are the use outcome
            "Cocaine craving was significantly lower with drug X. The proportion of "
            "cocaine-positive urine samples was not significantly different from placebo.",
            "Drug X reduced cocaine craving.",
        ),
    ],
)
def test_surrogate_only_win_with_null_use_outcome_reads_mixed(results, conclusion):
    # a second sentence without a cue, so that an unlabelled abstract's last two sentences
    # (what the conclusion reading sees) hold only the surrogate win
    conclusion += " Adverse events were mild."
    for labelled in (True, False):
        got, sentence = _read(results, conclusion, labelled=labelled)
        assert got is Direction.mixed, (labelled, sentence)
        assert sentence is not None and sentence.startswith("only a surrogate"), sentence


def test_a_win_on_use_keeps_favours_drug():
    conclusion = "Drug X reduced craving and heavy drinking."
    got = _read(
        "Drug X significantly reduced craving. Drug X significantly reduced heavy drinking days "
        "(p = 0.003). Retention did not differ.",
        conclusion,
    )
    assert got == (Direction.favours_drug, conclusion)


def test_a_surrogate_win_with_no_use_outcome_reported_is_left_alone():
    """Nothing says the use outcome was null: the rule needs a null use result to read."""
    conclusion = "Drug X reduced craving."
    got = _read("Craving scores fell significantly with drug X (p = 0.02).", conclusion)
    assert got == (Direction.favours_drug, conclusion)


def test_a_baseline_comparison_is_no_null_result():
    conclusion = "Drug X reduced craving."
    got = _read(
        "Groups did not differ in drinking at baseline. Craving fell significantly with drug X.",
        conclusion,
    )
    assert got == (Direction.favours_drug, conclusion)


def test_itt_null_with_a_per_protocol_use_win_is_not_rescued():
    """ITT first also inside the surrogate rule: a completers-only win on use does not count."""
    got, _ = _read(
        "In the intention-to-treat analysis drug X significantly reduced craving. Abstinence "
        "did not differ (p = 0.5). In the per-protocol analysis drug X significantly increased "
        "abstinence.",
        "Drug X reduced craving.",
    )
    assert got is Direction.mixed
