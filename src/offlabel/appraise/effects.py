"""Turn curated outcome effects into (yi, vi) on a common scale, grouped for pooling.

Only controlled comparisons are pooled, and only like with like: the same outcome kind, the same
effect measure, the same sense of "better", and the same kind of comparator (placebo-controlled
trials are never pooled with head-to-head trials).

Every study that measured the outcome enters (issue 16, rule 2): a binary outcome reported as an
odds ratio joins the risk-ratio pool of the same comparison and outcome (or the other way round,
when most studies report odds ratios) by a documented conversion, never left out for its scale.
Per-protocol or completers-only numbers are marked, so a pool takes them only as a sensitivity
input, when the study has no intention-to-treat result of that kind.
"""

from __future__ import annotations

import math
from dataclasses import replace

from offlabel.appraise.direction import per_protocol_numbers
from offlabel.appraise.results import GroupKey, StudyEffect, study_label
from offlabel.model import (
    CONTROLLED,
    RATIO_MEASURES,
    BinaryEffect,
    ContinuousEffect,
    Outcome,
    ReportedEffect,
    Study,
)

__all__ = ["CONTROLLED", "CONVERSION_METHOD", "RATIO_MEASURES", "GroupKey", "StudyEffect",
           "back_transform", "control_risk", "favours", "merge_binary_scales", "or_to_rr", "rr_to_or",
           "study_effect"]

CONVERSION_METHOD = (
    "odds ratio to risk ratio by Zhang & Yu 1998 (JAMA): RR = OR / (1 - p0 + p0 x OR) applied "
    "to the estimate and both CI limits, p0 the control risk; with arm counts the ratio is "
    "computed directly")


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
    pp = any(f.outcome == outcome.name for f in per_protocol_numbers([study]))
    return StudyEffect(study, outcome, measure, y, v, n, per_protocol=pp)


def or_to_rr(odds_ratio: float, p0: float) -> float:
    """Zhang & Yu 1998: the risk ratio an odds ratio implies at control risk p0."""
    return odds_ratio / (1 - p0 + p0 * odds_ratio)


def rr_to_or(risk_ratio: float, p0: float) -> float:
    """The inverse of or_to_rr; defined only while the drug-arm risk (RR x p0) stays below 1."""
    return risk_ratio * (1 - p0) / (1 - risk_ratio * p0)


def control_risk(effects: list[StudyEffect]) -> float | None:
    """The pooled control-arm risk of the studies with arm counts (None without any)."""
    ev = tot = 0
    for e in effects:
        if isinstance(e.outcome.effect, BinaryEffect):
            ev += e.outcome.effect.events_control
            tot += e.outcome.effect.total_control
    return ev / tot if tot else None


def _convert(e: StudyEffect, to: str, p0: float | None) -> StudyEffect | None:
    """e on the other binary scale: from arm counts directly, else from the reported ratio and
    its CI by Zhang & Yu at the study's own control risk when its effect records one, else at p0
    (the pooled control risk of the other studies in the pool); None when neither."""
    from offlabel.synthesis import escalc, from_ci

    eff = e.outcome.effect
    if isinstance(eff, BinaryEffect):
        yi, vi = escalc(to, ai=[eff.events_drug], n1i=[eff.total_drug],
                        ci=[eff.events_control], n2i=[eff.total_control])
        how = f"{study_label(e.study)}: {to} computed from the arm counts"
    elif isinstance(eff, ReportedEffect) and (eff.control_risk or p0) is not None:
        own = eff.control_risk is not None
        p0 = eff.control_risk if own else p0
        assert p0 is not None
        if not 0 < p0 < 1:
            return None
        f = or_to_rr if to == "RR" else rr_to_or
        if to == "OR" and eff.ci_ub * p0 >= 1:
            return None
        basis = ("the study's own control arm" if own
                 else "pooled control arms of the other studies")
        est, lb, ub = (f(x, p0) for x in (eff.estimate, eff.ci_lb, eff.ci_ub))
        yi, vi = from_ci(to, est, lb, ub, level=eff.ci_level)
        how = (f"{study_label(e.study)}: reported {eff.measure} {eff.estimate:g} ({eff.ci_lb:g} to {eff.ci_ub:g}) "
               f"converted to {to} {est:.2f} ({lb:.2f} to {ub:.2f}) at control risk "
               f"{p0:.1%} ({basis}; Zhang & Yu 1998)")
    else:
        return None
    y, v = float(yi[0]), float(vi[0])
    if not (v > 0) or y != y:
        return None
    return replace(e, measure=to, yi=y, vi=v, converted_from=e.measure, conversion=how)


def merge_binary_scales(groups: dict[GroupKey, list[StudyEffect]]
                        ) -> dict[GroupKey, list[StudyEffect]]:
    """Groups with OR and RR pools of the same outcome and comparison merged into one, on the
    scale most of its studies report (RR on a tie); a study that cannot be converted (a
    reported ratio with no control risk to convert at) keeps its own group."""
    out = dict(groups)
    for key in list(groups):
        rr_key = replace(key, measure="RR")
        if key.measure != "OR" or rr_key not in groups:
            continue
        n_or = len({e.study.id for e in groups[key]})
        n_rr = len({e.study.id for e in groups[rr_key]})
        to, src, dst = ("OR", rr_key, key) if n_or > n_rr else ("RR", key, rr_key)
        p0 = control_risk(out[dst])
        moved: list[StudyEffect] = []
        kept: list[StudyEffect] = []
        for e in out[src]:
            c = _convert(e, to, p0)
            if c is None:
                kept.append(e)
            else:
                moved.append(c)
        out[dst] = out[dst] + moved
        if kept:
            out[src] = kept
        else:
            del out[src]
    return out


def favours(measure: str, estimate_scale_value: float, higher_is_better: bool) -> int:
    """+1 when a value on the analysis scale favours the drug, -1 the control, 0 neither."""
    if estimate_scale_value == 0:
        return 0
    drug_higher = estimate_scale_value > 0  # log ratios and differences: > 0 means drug higher
    return 1 if drug_higher == higher_is_better else -1


def back_transform(measure: str, value: float) -> float:
    return math.exp(value) if measure in RATIO_MEASURES else value
