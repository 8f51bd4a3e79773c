"""Reading a study's direction: intention-to-treat first, and a surrogate win is not a win.

Both rules apply everywhere: to the machine reading of an abstract (classify.direction) and to
every curated study bundled with offlabel (appraise.direction)."""

from __future__ import annotations

import pytest

from offlabel.appraise.direction import check_direction, expected_direction, per_protocol_numbers
from offlabel.classify.direction import finding_direction
from offlabel.evidence import bundled_files, check_text
from offlabel.model import BinaryEffect, Design, Direction, Outcome, OutcomeKind, Source, Study


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


# --- the curated evidence ------------------------------------------------------------------

SRC = Source(pmid="1", where="Abstract, Results")


def _outcome(name: str, kind: OutcomeKind, direction: Direction, note: str | None = None,
             effect: BinaryEffect | None = None) -> Outcome:
    return Outcome(name=name, kind=kind, direction=direction, note=note, effect=effect,
                   higher_is_better=False if effect else None, source=SRC)


def _study(direction: Direction, *outcomes: Outcome) -> Study:
    return Study(id="trial2020", conditions=["alcohol_use_disorder"], design=Design.rct,
                 direction=direction, outcomes=list(outcomes), sources=[SRC])


CRAVING_WIN = _outcome("Craving (OCDS)", OutcomeKind.craving, Direction.favours_drug)
RETENTION_WIN = _outcome("Retention", OutcomeKind.retention, Direction.favours_drug)
LAB_WIN = _outcome("GGT", OutcomeKind.other, Direction.favours_drug)
DRINKING_NULL = _outcome("Heavy drinking days", OutcomeKind.heavy_drinking,
                         Direction.no_difference)


@pytest.mark.parametrize("wins", [(CRAVING_WIN,), (RETENTION_WIN, LAB_WIN)])
def test_a_surrogate_only_win_with_a_null_use_outcome_must_read_mixed(wins):
    study = _study(Direction.favours_drug, *wins, DRINKING_NULL)
    flag = check_direction(study)
    assert flag is not None and flag.expected is Direction.mixed
    assert expected_direction(study) is Direction.mixed
    assert "Heavy drinking days" in str(flag) and "trial2020" in str(flag)
    # the corrected reading passes, and so does a null one: the rule never promotes
    assert check_direction(_study(Direction.mixed, *wins, DRINKING_NULL)) is None
    assert check_direction(_study(Direction.no_difference, *wins, DRINKING_NULL)) is None


def test_a_win_on_an_efficacy_kind_outcome_allows_favours_drug():
    abstinence = _outcome("Abstinence", OutcomeKind.abstinence, Direction.favours_drug)
    assert check_direction(_study(Direction.favours_drug, CRAVING_WIN, abstinence,
                                  DRINKING_NULL)) is None


def test_no_use_outcome_recorded_leaves_the_curated_reading():
    assert check_direction(_study(Direction.favours_drug, CRAVING_WIN)) is None
    assert check_direction(_study(Direction.favours_drug)) is None


def test_a_per_protocol_win_does_not_count_when_intention_to_treat_is_null():
    pp = _outcome("Relapse, per protocol", OutcomeKind.relapse, Direction.favours_drug)
    itt = _outcome("Relapse, intention to treat", OutcomeKind.relapse, Direction.no_difference)
    flag = check_direction(_study(Direction.favours_drug, pp, itt))
    assert flag is not None and flag.expected is Direction.mixed
    # without an intention-to-treat result the completers' win is all there is
    assert check_direction(_study(Direction.favours_drug, pp)) is None


def test_per_protocol_numbers_are_listed_and_retention_is_not():
    table = BinaryEffect(type="binary", events_drug=2, total_drug=13, events_control=35,
                         total_control=70)
    pp = _outcome("Relapse, completers", OutcomeKind.relapse, Direction.favours_drug,
                  effect=table)
    done = _outcome("Completed the trial (completers)", OutcomeKind.retention,
                    Direction.unclear, effect=table)
    itt = _outcome("Relapse, intention to treat", OutcomeKind.relapse, Direction.favours_drug)
    flags = per_protocol_numbers([_study(Direction.favours_drug, pp, done, itt)])
    assert [(f.outcome, f.itt_recorded) for f in flags] == [("Relapse, completers", True)]


@pytest.fixture(scope="module")
def bundled() -> list[tuple[str, Study]]:
    out = []
    for name, text in bundled_files():
        parsed, problems = check_text(text, name)
        assert parsed is not None, problems
        out.extend((name, s) for s in parsed.studies)
    assert len(out) > 100
    return out


def test_every_bundled_study_direction_agrees_with_its_outcomes(bundled):
    flags = [f"{name}: {flag}" for name, s in bundled if (flag := check_direction(s))]
    assert not flags, "\n".join(flags)


def test_the_rule_reads_the_bundled_studies_it_was_written_for(bundled):
    """roberts1996 (break points down, FR1 cocaine intake unchanged) is the bundled surrogate-only
    win: it reads mixed. Had it been left favours_drug, the check would flag it."""
    by_id = {s.id: s for _, s in bundled}
    roberts = by_id["roberts1996"]
    assert roberts.direction is Direction.mixed
    assert check_direction(roberts.model_copy(update={"direction": Direction.favours_drug}))


def test_bundled_per_protocol_numbers_say_they_are_a_sensitivity_analysis(bundled):
    """Where a study records an intention-to-treat result too, its per-protocol numbers carry a
    note saying they are a sensitivity analysis (intention to treat first)."""
    studies = {s.id: s for _, s in bundled}
    flagged = per_protocol_numbers(studies.values())
    assert flagged  # Beurmanjer 2018 (GHB) at least
    missing = []
    for f in flagged:
        if not f.itt_recorded:
            continue
        outcome = next(o for o in studies[f.study_id].outcomes if o.name == f.outcome)
        if not (outcome.note and "sensitivity" in outcome.note):
            missing.append(str(f))
    assert not missing, "\n".join(missing)


def test_a_section_named_methods_and_findings_is_read_for_results():
    """PLoS Medicine labels its results "Methods and findings": a null use outcome there counts."""
    sections = [
        ("BACKGROUND", "Drug X may help people with cocaine dependence."),
        ("METHODS AND FINDINGS", "We randomised 70 adults. Cocaine craving was significantly "
         "lower with drug X. Cocaine-positive urine tests did not differ from placebo."),
        ("CONCLUSIONS", "Drug X reduced cocaine craving."),
    ]
    text = " ".join(f"{label}: {body}" for label, body in sections)
    assert finding_direction(text, sections)[0] is Direction.mixed
