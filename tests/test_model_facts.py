"""The model's tables of facts: one row per design, one home for outcome kinds and measures.

A design label without a row in DESIGN_FACTS fails here, so a new label can never fall
silently into "other" in some stage; and the stages are checked not to list designs again.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from offlabel import model
from offlabel.model import (
    CERTAINTY_ORDER,
    DESIGN_FACTS,
    EFFICACY_KINDS,
    EVIDENCE_LEVEL,
    LEVEL_ORDER,
    RATIO_MEASURES,
    SURROGATE_KINDS,
    Certainty,
    Design,
    OutcomeKind,
    ReportedEffect,
    designs_where,
    importance,
)

SRC = Path(model.__file__).parent


def test_every_design_has_exactly_one_row():
    missing = set(Design) - set(DESIGN_FACTS)
    assert not missing, f"designs without a row in model.DESIGN_FACTS: {sorted(missing)}"
    assert set(DESIGN_FACTS) == set(Design)


def test_the_table_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        DESIGN_FACTS[Design.other] = DESIGN_FACTS[Design.rct]  # type: ignore[index]
    with pytest.raises(AttributeError):
        DESIGN_FACTS[Design.rct].weaker = True  # type: ignore[misc]


@pytest.mark.parametrize("design", list(Design))
def test_each_row_is_consistent(design: Design):
    f = DESIGN_FACTS[design]
    assert f.level in LEVEL_ORDER and f.rank == LEVEL_ORDER.index(f.level)
    assert f.role in typing.get_args(model.DesignRole)
    assert f.rob_tool in typing.get_args(model.RobTool)
    # Randomised by definition means a control arm, and RoB 2 is the tool for it.
    if f.randomised is True:
        assert f.controlled and f.rob_tool == "RoB 2"
    else:
        assert f.rob_tool != "RoB 2"
    # A "weaker design" is a primary clinical study that is never randomised.
    assert f.weaker == (f.role == "primary" and f.randomised is False)
    # Only clinical studies can be controlled, single-arm, observational or enrolling.
    if f.controlled or f.single_arm or f.observational or f.enrols_population:
        assert f.role == "primary"
    assert not (f.controlled and f.single_arm)
    if f.role != "primary":
        assert f.randomised is None


def test_every_level_is_some_designs_level():
    assert set(LEVEL_ORDER) == {f.level for f in DESIGN_FACTS.values()}
    assert len(set(LEVEL_ORDER)) == len(LEVEL_ORDER)


def test_evaluation_labels_are_the_evaluation_sets_labels():
    from offlabel.classify.evaluate import DERIVED_LABEL, LABEL_ORDER

    assert {f.evaluation_label for f in DESIGN_FACTS.values()} == set(LABEL_ORDER)
    assert all(DERIVED_LABEL[d] == f.evaluation_label for d, f in DESIGN_FACTS.items())


def test_old_names_are_derived_from_the_table():
    assert {d: f.level for d, f in DESIGN_FACTS.items()} == dict(EVIDENCE_LEVEL)
    assert model.PRIMARY_CLINICAL == designs_where(lambda f: f.role == "primary")
    assert model.SYNTHESES == designs_where(lambda f: f.role == "synthesis")
    assert model.PRECLINICAL == designs_where(lambda f: f.role == "preclinical")
    assert model.RANDOMISED == designs_where(lambda f: f.randomised is True)
    assert model.CONTROLLED == designs_where(lambda f: f.controlled)
    assert model.WEAKER_DESIGNS == designs_where(lambda f: f.weaker)
    # and the table says what the stages used to list
    assert {Design.systematic_review, Design.meta_analysis} <= model.SYNTHESES
    assert {Design.animal, Design.in_vitro, Design.human_laboratory} <= model.PRECLINICAL
    assert Design.rct in model.RANDOMISED and Design.rct not in model.WEAKER_DESIGNS
    assert {Design.rct, Design.nonrandomized_controlled_trial} <= model.CONTROLLED
    assert Design.open_label_trial in model.WEAKER_DESIGNS


def test_a_design_randomised_by_definition_cannot_be_recorded_unrandomised():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="design rct but randomised: false"):
        model.Study.model_validate({"id": "x", "conditions": ["alcohol_use_disorder"],
                                    "design": "rct",
                                    "randomised": False, "sources": [{"pmid": "1",
                                                                      "where": "abstract"}]})


def test_outcome_kinds_have_one_home():
    assert set(EFFICACY_KINDS) <= set(OutcomeKind)
    assert len(set(EFFICACY_KINDS)) == len(EFFICACY_KINDS)
    assert not set(EFFICACY_KINDS) & SURROGATE_KINDS
    assert [importance(k) for k in EFFICACY_KINDS] == list(range(len(EFFICACY_KINDS)))
    assert importance("relapse") == 0  # reports and reviews hand kinds over as text
    assert importance(OutcomeKind.craving) == importance("other") == len(EFFICACY_KINDS)


def test_ratio_measures_are_reportable_measures():
    measures = typing.get_args(ReportedEffect.model_fields["measure"].annotation)
    assert RATIO_MEASURES <= set(measures)
    assert set(CERTAINTY_ORDER) == set(typing.get_args(Certainty))


def _code(path: Path) -> str:
    # Comments and docstrings may name designs; code may not.
    text = re.sub(r'"""[\s\S]*?"""', "", path.read_text(encoding="utf-8"))
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


# Where a stage still names a design member in code, and why it is not a fact about the design.
ALLOWED_DESIGN_NAMES = {
    # latest_review: between a review and a meta-analysis of the same year, prefer the review.
    ("appraise/core.py", "systematic_review"),
}


@pytest.mark.parametrize("package", ["appraise", "report"])
def test_stages_read_the_table_instead_of_listing_designs(package: str):
    found = set()
    for path in sorted((SRC / package).rglob("*.py")):
        rel = str(path.relative_to(SRC))
        code = _code(path)
        for name in re.findall(r"\bDesign\.(\w+)", code):
            found.add((rel, name))
        # "other" and "regulatory" are also an outcome kind and a design role: not checked.
        for value in (d.value for d in Design if d.value not in ("other", "regulatory")):
            if re.search(rf"[\"']{value}[\"']", code):
                found.add((rel, value))
    assert found <= ALLOWED_DESIGN_NAMES, sorted(found - ALLOWED_DESIGN_NAMES)


def test_ratio_measures_and_kinds_are_not_restated():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC))
        if rel == "model.py" or rel.startswith("synthesis/"):  # synthesis has metafor's own list
            continue
        code = _code(path)
        if re.search(r"""\(\s*["']RR["'],\s*["']OR["'],\s*["']HR["']""", code):
            offenders.append(f"{rel}: ratio measures")
        if re.search(r"""["']relapse["'],\s*["']abstinence["']""", code):
            offenders.append(f"{rel}: efficacy outcome order")
        if re.search(r"OutcomeKind\.craving,\s*OutcomeKind\.retention", code):
            offenders.append(f"{rel}: surrogate kinds")
    assert not offenders, offenders
