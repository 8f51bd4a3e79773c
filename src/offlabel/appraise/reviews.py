"""What systematic reviews found beyond their headline pool: subgroups, sensitivity analyses,
certainty ratings and conclusions, each with its source.

A review's subgroup analysis compares trials inside its own pooled set, usually more trials than
offlabel can convert; offlabel's across-trial comparisons (stratify.py) are thinner and
confounded. So the review's findings are shown first, and where offlabel's own comparison on the
same question exists both are shown with the reason they may differ. A review finding that the
benefit is confined to open-label trials also qualifies the rows that rest on such trials.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from offlabel.appraise.results import (
    AHRQ_SOE,
    Comparison,
    PublishedPool,
    ReviewFinding,
    study_label,
)
from offlabel.model import SYNTHESES, Study, Subgroup

__all__ = ["OPEN_LABEL_CAVEAT", "SENSITIVITY_TOPICS", "WHY_DIFFER", "head_to_head",
           "review_findings", "row_caveats"]

# Moderators that restrict a review's pool by trial quality: sensitivity analyses, not subgroups.
SENSITIVITY_TOPICS = frozenset({
    "risk_of_bias", "low_risk_of_bias", "study_quality", "per_protocol", "attrition",
    "imputation", "allocation_concealment",
})
# offlabel's comparison (stratify.py) that asks the same question as a review's moderator.
_SAME_QUESTION = {"blinding": "design"}

WHY_DIFFER = ("the review compares subgroups of its own pooled trials (more trials, its outcome "
              "definitions and risk-of-bias judgements); offlabel compares the few bundled trials "
              "with usable numbers across trials, confounded by dose, population and outcome")

OPEN_LABEL_CAVEAT = ("benefit seen only in open-label trials, none in blinded ones ({review}): "
                     "results resting on open-label trials, including head-to-head comparisons "
                     "with other drugs, may overstate the effect")

_KIND_ORDER = {"subgroup": 0, "sensitivity": 1, "certainty": 2, "conclusion": 3}


def _disagrees(direction: str, c: Comparison) -> bool | None:
    """Whether offlabel's comparison points against the review's subgroup finding. The first
    group of a two-group comparison holds the trials with the characteristic."""
    if len(c.groups) != 2 or min(p.k for p in c.groups.values()) < 1:
        return None  # offlabel made no comparison to set against the review's
    if direction == "no_difference":
        return None if c.pval is None else c.pval < 0.05
    if direction not in ("stronger", "weaker"):
        return None
    with_it, without = list(c.groups.values())
    stronger = with_it.estimate > without.estimate
    return stronger != (direction == "stronger")


def _subgroup(review: Study, sg: Subgroup, by_name: dict[str, Comparison]) -> ReviewFinding:
    kind: Literal["subgroup", "sensitivity"] = (
        "sensitivity" if sg.moderator in SENSITIVITY_TOPICS else "subgroup")
    f = ReviewFinding(study_label(review), review.id, review.year, kind, sg.finding, sg.source.label(),
                      topic=sg.moderator, direction=sg.direction)
    c = by_name.get(_SAME_QUESTION.get(sg.moderator, sg.moderator))
    if c is not None:
        f.offlabel = c.sentence
        f.disagrees = _disagrees(sg.direction, c)
        f.why_differ = ("They point different ways: " if f.disagrees else "They may differ: ") \
            + WHY_DIFFER + "."
    if sg.moderator == "blinding" and sg.direction == "weaker":
        f.caveat = OPEN_LABEL_CAVEAT.format(review=study_label(review))
    return f


def review_findings(studies: Sequence[Study], pools: Sequence[PublishedPool],
                    comparisons: Sequence[Comparison] = ()) -> list[ReviewFinding]:
    """Every curated subgroup, sensitivity analysis, certainty rating and conclusion of the
    reviews among `studies`: subgroups and sensitivity analyses first, newest review first."""
    by_name = {c.name: c for c in comparisons}
    out: list[ReviewFinding] = []
    for s in studies:
        if s.design not in SYNTHESES:
            continue
        out.extend(_subgroup(s, sg, by_name) for sg in s.subgroups)
        for pp in pools:
            if pp.study.id == s.id and pp.certainty is not None:
                level = pp.certainty.replace("_", " ")
                text = (f"{pp.outcome}: strength of evidence {level} ({AHRQ_SOE})"
                        if pp.certainty_system == AHRQ_SOE else
                        f"{pp.outcome}: {level} certainty ({pp.certainty_system or 'GRADE'})")
                out.append(ReviewFinding(study_label(s), s.id, s.year, "certainty", text,
                                         pp.source_label, topic=pp.kind))
        if s.conclusion:
            out.append(ReviewFinding(study_label(s), s.id, s.year, "conclusion", s.conclusion.strip(),
                                     s.sources[0].label()))
    out.sort(key=lambda f: (_KIND_ORDER[f.kind], -(f.year or 0), f.review_id))
    return out


# A published estimate against another drug ("Success rate versus naltrexone"); "vs placebo"
# is not head to head.
_HEAD_TO_HEAD = re.compile(r"\b(?:versus|vs\.?)\s+(?!placebo)", re.I)


def head_to_head(outcome: str, comparator: str | None = None) -> bool:
    """Whether a row compares the drug with another drug: offlabel's active-comparator group,
    or a review's estimate named against another drug."""
    return comparator == "active" or bool(_HEAD_TO_HEAD.search(outcome))


def row_caveats(findings: Sequence[ReviewFinding]) -> list[str]:
    """The caveats review findings put on head-to-head rows (open-label-only benefit)."""
    return list(dict.fromkeys(f.caveat for f in findings if f.caveat))
