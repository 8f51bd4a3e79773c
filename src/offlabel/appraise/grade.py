"""GRADE certainty for one outcome, computed from the pooled data.

Each domain records how many levels it moved and the numbers behind that, so the report can
print a Summary-of-Findings table with reasons rather than a bare rating.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

from offlabel.appraise.results import Domain, Grade
from offlabel.model import CERTAINTY_ORDER, RATIO_MEASURES

__all__ = ["LEVELS", "Domain", "Grade", "PoolInput", "grade", "optimal_information_size"]

LEVELS = CERTAINTY_ORDER

# Thresholds, stated once so the report can quote them.
I2_SERIOUS = 50.0
I2_VERY_SERIOUS = 75.0
RRR_FOR_OIS = 0.25  # relative risk reduction the optimal information size is powered for
OIS_CONTINUOUS = 400  # GRADE rule of thumb for continuous outcomes (total participants)
HIGH_ROB_WEIGHT = 0.5  # share of weight from high-risk studies that makes risk of bias serious
LARGE_EFFECT = 2.0  # RR > 2 or < 0.5 upgrades observational evidence


@dataclass
class PoolInput:
    """What GRADE needs to know about one pooled outcome."""

    randomised: bool
    measure: str
    k: int
    n_total: int | None
    estimate: float  # analysis scale
    ci_lb: float
    ci_ub: float
    I2: float | None
    pi_lb: float | None
    pi_ub: float | None
    study_signs: list[int]  # +1 favours drug / -1 favours control / 0, per study (CI-based)
    weights: list[float]  # percent
    rob_overall: list[str]  # per study: low / some_concerns / high / unknown
    indirect: list[str] = field(default_factory=list)  # reasons (animal, surrogate, population)
    control_risk: float | None = None  # for binary outcomes, pooled control event rate
    egger_p: float | None = None
    unpublished_trials: int = 0
    missing_trials: int = 0  # trials that measured the outcome but give no usable numbers
    missing_null: int = 0  # ... of which report no difference
    # Why the effect is taken to grow with the dose (stratify.dose_gradient), for bodies of
    # non-randomised evidence; an upgrade only when no domain was downgraded.
    dose_response: str | None = None


def grade(p: PoolInput) -> Grade:
    g = Grade("high" if p.randomised else "low")
    g.domains.append(_risk_of_bias(p))
    g.domains.append(_inconsistency(p))
    g.domains.append(_indirectness(p))
    g.domains.append(_imprecision(p))
    g.domains.append(_publication_bias(p))
    # GRADE upgrades (large effect, dose-response gradient) are for non-randomised evidence
    # with no reason to downgrade: they cannot offset a downgrade.
    if not p.randomised and all(d.change == 0 for d in g.domains):
        g.domains.extend(_upgrades(p))
    return g


def _risk_of_bias(p: PoolInput) -> Domain:
    total = sum(p.weights) or 1.0
    high = sum(w for w, r in zip(p.weights, p.rob_overall, strict=True) if r == "high") / total
    concerns = sum(
        w for w, r in zip(p.weights, p.rob_overall, strict=True) if r in ("some_concerns", "unknown")
    ) / total
    if high > HIGH_ROB_WEIGHT:
        return Domain("risk of bias", -1, f"{high:.0%} of the weight from high risk-of-bias studies")
    if high + concerns > 0.75 and high > 0.25:
        return Domain(
            "risk of bias", -1,
            f"{high:.0%} of the weight at high and {concerns:.0%} at unclear/some-concerns risk",
        )
    return Domain("risk of bias", 0, f"{high:.0%} of the weight from high risk-of-bias studies")


def _inconsistency(p: PoolInput) -> Domain:
    if p.k < 2 or p.I2 is None:
        return Domain("inconsistency", 0, "single study: not assessable")
    opposite = 1 in p.study_signs and -1 in p.study_signs
    pi_note = ""
    if p.pi_lb is not None and p.pi_ub is not None:
        pi_note = f", prediction interval {_fmt(p.measure, p.pi_lb)} to {_fmt(p.measure, p.pi_ub)}"
    what = f"I² = {p.I2:.0f}%{pi_note}"
    if opposite:
        what += "; studies with significant effects in opposite directions"
    if p.I2 >= I2_VERY_SERIOUS and opposite:
        return Domain("inconsistency", -2, what)
    if p.I2 >= I2_SERIOUS or opposite:
        return Domain("inconsistency", -1, what)
    return Domain("inconsistency", 0, what)


def _indirectness(p: PoolInput) -> Domain:
    if p.indirect:
        return Domain("indirectness", -1, "; ".join(p.indirect))
    return Domain("indirectness", 0, "direct: human studies of the question's population")


def optimal_information_size(control_risk: float, rrr: float = RRR_FOR_OIS) -> int:
    """Total participants for a two-arm trial to detect `rrr` at alpha 0.05, power 0.8."""
    p1 = min(max(control_risk, 1e-6), 1 - 1e-6)
    p2 = p1 * (1 - rrr)
    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.80)
    per_arm = z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2
    return int(math.ceil(2 * per_arm))


def _imprecision(p: PoolInput) -> Domain:
    crosses = p.ci_lb < 0 < p.ci_ub
    if p.measure in RATIO_MEASURES and p.control_risk is not None:
        ois = optimal_information_size(p.control_risk)
        ois_note = f"OIS {ois} (control risk {p.control_risk:.0%}, RRR {RRR_FOR_OIS:.0%})"
    else:
        ois = OIS_CONTINUOUS
        ois_note = f"OIS {ois} (rule of thumb)"
    n = p.n_total
    below = n is not None and n < ois
    ci = f"95% CI {_fmt(p.measure, p.ci_lb)} to {_fmt(p.measure, p.ci_ub)}"
    n_note = f"{n} participants" if n is not None else "participants unknown"
    single = p.k == 1 and (n is None or n < OIS_CONTINUOUS)
    problems = []
    if crosses:
        problems.append(f"{ci} includes no effect")
    if below:
        problems.append(f"{n_note} < {ois_note}")
    if single:
        # One small trial: an unreplicated result, however narrow its interval.
        problems.append(f"a single trial ({n_note})")
    if problems:
        change = -2 if len(problems) >= 2 else -1
        if not crosses:
            problems.append(ci)
        return Domain("imprecision", change, "; ".join(problems))
    return Domain("imprecision", 0, f"{ci}; {n_note} >= {ois_note}")


def _publication_bias(p: PoolInput) -> Domain:
    notes = []
    change = 0
    if p.k >= 10 and p.egger_p is not None:
        notes.append(f"Egger test p = {p.egger_p:.3f} (k = {p.k})")
        if p.egger_p < 0.10:
            change = -1
    elif p.k < 10:
        notes.append(f"funnel asymmetry not testable (k = {p.k} < 10)")
    if p.missing_trials:
        notes.append(
            f"{p.missing_trials} trial(s) measured this outcome without usable numbers "
            f"({p.missing_null} of them null)"
        )
        if p.missing_trials >= p.k and p.missing_null * 2 >= p.missing_trials:
            change = -1
    if p.unpublished_trials:
        notes.append(f"{p.unpublished_trials} completed registered trial(s) without results")
        if p.unpublished_trials >= max(2, p.k // 3):
            change = -1
    return Domain("publication bias", change, "; ".join(notes) or "no signal")


def _upgrades(p: PoolInput) -> list[Domain]:
    out = []
    if p.measure in RATIO_MEASURES:
        est = math.exp(p.estimate)
        lo, hi = math.exp(p.ci_lb), math.exp(p.ci_ub)
        if (lo > LARGE_EFFECT) or (hi < 1 / LARGE_EFFECT):
            out.append(Domain("large effect", 1, f"{p.measure} {est:.2f} ({lo:.2f} to {hi:.2f})"))
    if p.dose_response:
        out.append(Domain("dose-response", 1, p.dose_response))
    return out


def _fmt(measure: str, value: float) -> str:
    if measure in RATIO_MEASURES:
        return f"{math.exp(value):.2f}"
    return f"{value:.2f}"
