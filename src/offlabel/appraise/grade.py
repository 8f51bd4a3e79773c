"""GRADE certainty for one outcome, computed from the pooled data (or the one study).

Each domain records how many levels it moved and the numbers behind that, so the report can
print a Summary-of-Findings table with reasons rather than a bare rating.

The rules are stated here once and apply to every drug alike (the same data shape gets the
same grade):

- Randomised evidence starts High, non-randomised Low.
- Imprecision counts three problems: the 95% CI includes no effect; the optimal information
  size (OIS) is not met; the effect rests on a single study. One problem rates down one level,
  two or more rate down two. A single study is always one problem because its result is
  unreplicated and inconsistency cannot be judged from it, so one study is never High.
- OIS: continuous outcomes need 400 participants in total (GRADE's rule of thumb). Binary
  outcomes need the participants of one two-arm trial powered (alpha 0.05, power 0.8) to detect
  a 25% relative risk reduction at the pooled control risk, AND at least 300 events when the
  arm counts are known (Guyatt et al., GRADE guidelines 6, J Clin Epidemiol 2011); a binary
  outcome with neither the control risk nor the events falls back to 400 participants.
- Inconsistency: I² >= 50% or studies significant in opposite directions rate down one level
  (two when I² >= 75% with opposite directions); it is not assessable for one study.
- When nothing can be pooled (narrative synthesis, core.narrative_grade): placebo-controlled
  RCTs start High; imprecision rates down one level for the missing estimate, two when the
  trials hold fewer than 400 participants or there is a single trial; inconsistency rates
  down one level when the trials' reported directions disagree (some favour the drug, others
  find no difference or favour the control); no double-blind trial rates down for risk of bias.
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
OIS_EVENTS = 300  # GRADE rule of thumb for binary outcomes (total events, both arms)
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
    events: int | None = None  # binary outcomes: events in both arms of every study, if known


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
        return Domain("inconsistency", 0, "single study: not assessable (counted under "
                      "imprecision: an unreplicated result)")
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


def _ois_problem(p: PoolInput) -> tuple[bool, str]:
    """(is the optimal information size not met, the sentence saying which rule was applied)."""
    n = p.n_total
    n_note = f"{n} participants" if n is not None else "participants unknown"
    if p.measure in RATIO_MEASURES and (p.control_risk is not None or p.events is not None):
        parts, short = [], False
        if p.control_risk is not None:
            ois = optimal_information_size(p.control_risk)
            below = n is not None and n < ois
            short = short or below
            parts.append(f"{n_note} {'<' if below else '>='} OIS {ois} (control risk "
                         f"{p.control_risk:.0%}, RRR {RRR_FOR_OIS:.0%})")
        if p.events is not None:
            few = p.events < OIS_EVENTS
            short = short or few
            parts.append(f"{p.events} events {'<' if few else '>='} {OIS_EVENTS}")
        return short, "; ".join(parts)
    below = n is not None and n < OIS_CONTINUOUS
    return below, f"{n_note} {'<' if below else '>='} OIS {OIS_CONTINUOUS} (rule of thumb)"


def _imprecision(p: PoolInput) -> Domain:
    crosses = p.ci_lb < 0 < p.ci_ub
    short, ois_note = _ois_problem(p)
    ci = f"95% CI {_fmt(p.measure, p.ci_lb)} to {_fmt(p.measure, p.ci_ub)}"
    problems = []
    if crosses:
        problems.append(f"{ci} includes no effect")
    if short:
        problems.append(ois_note)
    if p.k == 1:
        problems.append("a single study: unreplicated, and inconsistency cannot be judged")
    if problems:
        change = -2 if len(problems) >= 2 else -1
        if not crosses:
            problems.append(ci)
        if not short:
            problems.append(ois_note)
        return Domain("imprecision", change, "; ".join(problems))
    return Domain("imprecision", 0, f"{ci}; {ois_note}")


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
