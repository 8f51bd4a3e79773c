"""Turn curated outcome effects into (yi, vi) on a common scale, grouped for pooling.

Only controlled comparisons are pooled, and only like with like: the same outcome kind, the same
effect measure, the same sense of "better", and the same kind of comparator (placebo-controlled
trials are never pooled with head-to-head trials).
"""

from __future__ import annotations

import math

from offlabel.appraise.results import GroupKey, StudyEffect
from offlabel.model import (
    CONTROLLED,
    RATIO_MEASURES,
    BinaryEffect,
    ContinuousEffect,
    Outcome,
    ReportedEffect,
    Study,
)

__all__ = ["CONTROLLED", "RATIO_MEASURES", "GroupKey", "StudyEffect", "back_transform",
           "favours", "study_effect"]


def study_effect(study: Study, outcome: Outcome) -> StudyEffect | None:
    """The outcome's effect as (yi, vi), or None when it is not a pool-able comparison."""
    from offlabel.synthesis import escalc, from_ci

    eff = outcome.effect
    n: int | None
    if eff is None or study.design not in CONTROLLED:
        return None
    if isinstance(eff, BinaryEffect):
        yi, vi = escalc(
            "RR",
            ai=[eff.events_drug], n1i=[eff.total_drug],
            ci=[eff.events_control], n2i=[eff.total_control],
        )
        n = eff.total_drug + eff.total_control
        measure = "RR"
    elif isinstance(eff, ContinuousEffect):
        yi, vi = escalc(
            "SMD",
            m1i=[eff.mean_drug], sd1i=[eff.sd_drug], n1i=[eff.n_drug],
            m2i=[eff.mean_control], sd2i=[eff.sd_control], n2i=[eff.n_control],
        )
        n = eff.n_drug + eff.n_control
        measure = "SMD"
    elif isinstance(eff, ReportedEffect):
        measure = eff.measure
        yi, vi = from_ci(measure, eff.estimate, eff.ci_lb, eff.ci_ub, level=eff.ci_level)
        n = (eff.n_drug or 0) + (eff.n_control or 0) or study.n
    else:
        return None
    y, v = float(yi[0]), float(vi[0])  # one study in, one value out
    if not (v > 0) or y != y:
        return None
    return StudyEffect(study, outcome, measure, y, v, n)


def favours(measure: str, estimate_scale_value: float, higher_is_better: bool) -> int:
    """+1 when a value on the analysis scale favours the drug, -1 the control, 0 neither."""
    if estimate_scale_value == 0:
        return 0
    drug_higher = estimate_scale_value > 0  # log ratios and differences: > 0 means drug higher
    return 1 if drug_higher == higher_is_better else -1


def back_transform(measure: str, value: float) -> float:
    return math.exp(value) if measure in RATIO_MEASURES else value
