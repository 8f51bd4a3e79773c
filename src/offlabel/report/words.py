"""The words a person reads: the disclaimer, verdict and certainty labels, and sentences
written from results.

appraise/ decides (a verdict label such as "not_supported", a list of abstinence rates); how
that reads in English is decided here once, for every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offlabel.appraise.results import AbsoluteEffect, ResponseRate

__all__ = ["BOTTOM_LINE", "CERTAINTY_TEXT", "DETAILS", "DISCLAIMER", "HARMS_TITLE", "HARM_KIND_TEXT",
           "NO_APPROVAL", "NO_ESTIMATE", "favours_cell", "harm_line", "verdict_cell",
           "NO_HARM", "SYSTEM_AHRQ", "SYSTEM_COCHRANE", "SYSTEM_OFFLABEL", "SYSTEM_REVIEW",
           "SOF_TITLE", "SYSTEM_TEXT", "SYSTEM_UNSTATED", "VERDICT_TEXT", "absolute_text",
           "effect_cells", "effect_line", "rates_sentence", "system_text"]

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

# The report dict's certainty_system values (appraise.results) in the words above.
SYSTEM_TEXT: dict[str, str] = {
    "GRADE (offlabel)": SYSTEM_OFFLABEL,
    "GRADE (Cochrane review)": SYSTEM_COCHRANE,
    "GRADE (review)": SYSTEM_REVIEW,
    "AHRQ strength of evidence": SYSTEM_AHRQ,
}

# offlabel's own table: one study is a row of its own, never called a pool.
SOF_TITLE = "Summary of findings (GRADE as computed by offlabel)"

BOTTOM_LINE = "Bottom line"
DETAILS = "Details"
NO_ESTIMATE = "no effect estimate could be pooled; the verdict rests on the trials' directions"
NO_APPROVAL = "none recorded for this condition"
NO_HARM = "none recorded in offlabel's evidence; read the product label"

# The harms section (appraise/harms.py): kept apart from every efficacy section, in harm words.
HARMS_TITLE = "Harms"
HARM_KIND_TEXT: dict[str, str] = {
    "boxed_warning": "Boxed warning", "label_warning": "Label or regulator warning",
    "interaction": "Interaction", "withdrawal": "Withdrawal of the drug",
    "overdose": "Overdose and poisoning", "safety_signal": "Safety signal (observational)",
    "adverse_events": "Adverse events",
}


_HARM_VERDICT = {"benefit": "less harm", "harm": "more harm"}
_HARM_FAVOURS = {"favours_drug": "less harm with the drug", "favours_control":
                 "more harm with the drug", "no_difference": "no clear difference"}


def verdict_cell(o: Mapping[str, Any]) -> str:
    """An outcome's verdict for the Summary-of-findings table; an adverse-event outcome in harm
    words (its 'benefit' is fewer harms, never efficacy)."""
    v = str(o["verdict"])
    if o.get("kind") == "adverse_events":
        v = _HARM_VERDICT.get(v, v)
    return v.replace("_", " ")


def favours_cell(pp: Mapping[str, Any]) -> str:
    """A review's pooled estimate's direction; an adverse-event pool in harm words."""
    f = str(pp["favours"])
    if pp.get("kind") == "adverse_events":
        f = _HARM_FAVOURS.get(f, f)
    return f.replace("_", " ")


def harm_line(h: Mapping[str, Any]) -> str:
    """One harm of the report dict in words, without its source (each view links that)."""
    who = f" ({', '.join(h['studies'])})" if h.get("studies") else ""
    return f"{HARM_KIND_TEXT.get(h['kind'], h['kind'])}: {h['finding']}{who}"


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


def system_text(system: str | None) -> str:
    """A certainty system as a reader sees it."""
    return SYSTEM_TEXT.get(system or "", system or SYSTEM_UNSTATED)


def effect_cells(o: Mapping[str, Any]) -> tuple[str, str, str]:
    """One Summary-of-findings row's (studies (participants), relative effect, I²): a pool of two
    or more studies with its k and I², or one study named as one study, with no I²."""
    p, one = o.get("pooled"), o.get("single_study")
    if p:
        return (f"{p['k']} ({p['n'] or '?'})",
                f"{p['measure']} {p['estimate']:.2f} ({p['ci_lb']:.2f} to {p['ci_ub']:.2f})",
                f"{p['I2']:.0f}%")
    if one:
        return (f"1 study: {one['label']} ({one['n'] or '?'})",
                f"{one['measure']} {one['estimate']:.2f} ({one['ci_lb']:.2f} to "
                f"{one['ci_ub']:.2f})", "")
    return "0", "—", ""


def pool_notes(o: Mapping[str, Any]) -> list[str]:
    """How studies entered the row's pool (issue 16, rule 2): the conversions between odds and
    risk ratios with their method, and per-protocol numbers pooled as sensitivity inputs."""
    p = o.get("pooled") or {}
    entries = p.get("entries") or []
    notes = [f"converted to enter the pool ({p['conversion_method']}): " + "; ".join(
        e["conversion"] for e in entries if e.get("converted_from"))] if any(
        e.get("converted_from") for e in entries) else []
    pp = [e.get("label") or e["study"] for e in entries if e.get("sensitivity_input")]
    one = o.get("single_study") or {}
    if one.get("sensitivity_input"):
        pp.append(one["label"])
    if pp:
        notes.append("per-protocol numbers pooled as a sensitivity input (no intention-to-treat "
                     "result): " + ", ".join(pp))
    return notes


def effect_line(o: Mapping[str, Any]) -> str:
    """The row's effect in one cell: 'RR 0.80 (0.65 to 0.97); k = 3, n = 412, I² = 10%', or
    'RR 0.80 (0.65 to 0.97); one study (Furieri 2007), n = 90'."""
    p, one = o.get("pooled"), o.get("single_study")
    studies, effect, i2 = effect_cells(o)
    if p:
        return (f"{effect}; k = {p['k']}" + (f", n = {p['n']}" if p.get("n") else "")
                + f", I² = {i2}")
    if one:
        return f"{effect}; one study ({one['label']})" + (f", n = {one['n']}" if one["n"] else "")
    return effect
