"""The words a person reads: the disclaimer, verdict and certainty labels, and sentences
written from results.

appraise/ decides (a verdict label such as "not_supported", a list of abstinence rates); how
that reads in English is decided here once, for every format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offlabel.appraise.results import AbsoluteEffect, ResponseRate

__all__ = ["BOTTOM_LINE", "CERTAINTY_TEXT", "DETAILS", "DISCLAIMER", "NO_APPROVAL", "NO_ESTIMATE",
           "NO_HARM", "SYSTEM_AHRQ", "SYSTEM_COCHRANE", "SYSTEM_OFFLABEL", "SYSTEM_REVIEW",
           "SYSTEM_UNSTATED", "VERDICT_TEXT", "absolute_text", "rates_sentence"]

DISCLAIMER = (
    "offlabel appraises published evidence. It is not medical advice and does not recommend "
    "any treatment; decisions belong to patients and their clinicians."
)

VERDICT_TEXT: dict[str, str] = {
    "approved": "Approved use",
    "supported": "Supported by randomised evidence",
    "promising": "Promising, unproven",
    "conflicting": "Conflicting evidence",
    "not_supported": "Not supported by randomised evidence",
    "insufficient": "Insufficient evidence",
}
CERTAINTY_TEXT: dict[str | None, str] = {
    "high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low",
    None: "not rated",
}

# Whose certainty rating a reader is shown: a grade means little without its system (an AHRQ
# "low" strength of evidence is not a Cochrane GRADE "low").
SYSTEM_OFFLABEL = "GRADE as computed by offlabel"
SYSTEM_COCHRANE = "Cochrane GRADE"
SYSTEM_AHRQ = "AHRQ strength of evidence"
SYSTEM_REVIEW = "GRADE as rated by the review"
SYSTEM_UNSTATED = "rating system not stated; see the reasons below"

BOTTOM_LINE = "Bottom line"
DETAILS = "Details"
NO_ESTIMATE = "no effect estimate could be pooled; the verdict rests on the trials' directions"
NO_APPROVAL = "none recorded for this condition"
NO_HARM = "none recorded in offlabel's evidence; read the product label"


def absolute_text(a: AbsoluteEffect) -> str:
    """GRADEpro's absolute-effect line: per 1000 with control, with the drug, the difference."""
    more = "more" if a.difference_per_1000 >= 0 else "fewer"
    return (f"{a.control_per_1000:.0f} per 1000 with control; {a.drug_per_1000:.0f} per 1000 "
            f"with the drug ({abs(a.difference_per_1000):.0f} {more}, 95% CI "
            f"{a.diff_lb:+.0f} to {a.diff_ub:+.0f}); control risk: {a.basis}")


def rates_sentence(rates: list[ResponseRate]) -> str | None:
    """The pooled shares abstinent by group, read against the placebo arms."""
    if not rates:
        return None
    parts = [f"{r.rate:.0%} in {r.group} (95% CI {r.ci_lb:.0%} to {r.ci_ub:.0%}; k = {r.k}, "
             f"n = {r.n}: {', '.join(r.studies)})" for r in rates]
    return ("Share of patients abstinent (pooled logit proportions, DerSimonian-Laird): "
            + "; ".join(parts) + ". A response seen without a control group must be read against "
            "the placebo-arm figure.")
