"""The bottom line of a report: what a reader needs first, read off the report dict.

A clinician asking "can this drug be used for this condition?" wants the answer before the
evidence behind it: the verdict, how certain it is and by whose rating, the few estimates it
rests on (with how many studies and participants), the conditions of any approval, and the main
harm. Every view (terminal, Markdown, HTML) prints this block first and `ask --brief` prints
only it; building it once here keeps the views from disagreeing about what comes first.

The report dict does not say in a field which estimates decided the verdict; the appraisal
writes each graded claim as a reason ("<outcome> (<origin>): <verdict>, <estimate>; certainty
<level>") and names the one the certainty follows. Those sentences are matched against the
dict's own estimates (never parsed for numbers), and when none match the estimates are chosen
from the dict's structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from offlabel.model import EFFICACY_KINDS
from offlabel.report.data import k_label
from offlabel.report.names import legacy_label, relabeller
from offlabel.report.words import (
    CERTAINTY_TEXT,
    SYSTEM_AHRQ,
    SYSTEM_COCHRANE,
    SYSTEM_OFFLABEL,
    SYSTEM_REVIEW,
    SYSTEM_TEXT,
    SYSTEM_UNSTATED,
    VERDICT_TEXT,
)

__all__ = ["MAX_ESTIMATES", "OVERVIEW_HEAD", "BottomLine", "ConditionLine", "Estimate", "bottom_line",
           "certainty_words", "estimate_words", "system_words", "verdict_words"]

MAX_ESTIMATES = 3
# An overview has one line per condition: the usual system is named once, in this heading.
OVERVIEW_HEAD = f"By condition: verdict; certainty ({SYSTEM_OFFLABEL} unless named)"
_EFFICACY = {k.value for k in EFFICACY_KINDS}
_OFFLABEL_ORIGIN = "offlabel pool of RCTs"
_LEAD = "Certainty follows the most important outcome with a benefit:"
# "...; certainty moderate" with, in newer reports, its system: "(GRADE (Cochrane review))".
_CERT_SUFFIX = re.compile(
    r"; certainty (high|moderate|low|very[ _]low|not rated)(?: \((.*)\))?\.?\s*$")
_RANK = {"high": 3, "moderate": 2, "low": 1, "very_low": 0}
_HARM_CHARS = 300
# How the appraisal's reasons name a one-study claim (older and newer wording).
_ONE_STUDY_ORIGINS = ("one RCT", "one study", "single study")


@dataclass(frozen=True)
class Estimate:
    """One estimate the verdict rests on."""

    outcome: str
    effect: str  # "RR 0.87 (0.77 to 0.99)"
    k: str  # "12", "17 (review total)", "?"
    n: int | None
    origin: str  # the review's display label, or "offlabel pool" / "one study: <label>"
    certainty: str | None
    system: str | None  # the rating's system, when it is not the verdict's own


@dataclass(frozen=True)
class ConditionLine:
    condition: str
    verdict: str
    evidence_verdict: str
    certainty: str | None
    system: str  # whose rating the certainty is: words.SYSTEM_*, or a curated name
    system_origin: str | None  # the review that rated it (display label)
    summary: str
    # Other ratings of the same outcome the verdict did not take ("Moderate (Cochrane GRADE,
    # Agabio 2023)"): two reviews that disagree are both shown.
    other_ratings: list[str] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    more_estimates: int = 0
    approved: list[str] = field(default_factory=list)  # "France 2018 (ANSM): <indication>"
    other_approvals: list[str] = field(default_factory=list)  # "US: not approved"


@dataclass(frozen=True)
class BottomLine:
    question: str
    overview: bool
    example: bool
    conditions: list[ConditionLine]
    harm: str | None  # the most serious harm of the question ("Boxed warning: ..." first)
    disclaimer: str


def _review_system(study: Mapping[str, Any] | None) -> str:
    """The certainty system of a review's rating, from what its record carries."""
    if study is None:
        return SYSTEM_REVIEW
    if "cochrane" in (study.get("journal") or "").lower() or (study.get("doi") or "").startswith(
            "10.1002/14651858"):
        return SYSTEM_COCHRANE
    texts = [study.get("title"), study.get("conclusion")]
    for src in [*study.get("sources", []), *(o.get("source") or {} for o in study.get("outcomes", []))]:
        texts += [src.get("where"), src.get("quote")]
    blob = " ".join(t for t in texts if t).lower()
    if "ahrq" in blob or "strength of evidence" in blob or "agency for healthcare research" in blob:
        return SYSTEM_AHRQ
    return SYSTEM_REVIEW


def system_words(raw: str | None) -> str | None:
    """A rating system as the bottom line names it (the JSON's names mapped to the words')."""
    if raw is None:
        return None
    return SYSTEM_TEXT.get(raw, raw)


def _effect(measure: str, est: float, lb: float, ub: float) -> str:
    return f"{measure} {est:.2f} ({lb:.2f} to {ub:.2f})"


@dataclass
class _Claim:
    outcome: str
    origin: str  # as the appraisal's reasons name it (legacy label, "offlabel pool of RCTs")
    shown: str  # as the bottom line names it ("Agabio 2023", "offlabel pool")
    effect: str
    k: str
    n: int | None
    certainty: str | None
    system: str | None  # display words
    favours_drug: bool
    review: bool

    def estimate(self) -> Estimate:
        return Estimate(self.outcome, self.effect, self.k, self.n, self.shown, self.certainty,
                        self.system)


def _candidates(c: Mapping[str, Any], by_label: Mapping[str, Mapping[str, Any]],
                name: Callable[[str], str]) -> list[_Claim]:
    """Every estimate the dict carries, named as the appraisal's reasons name them."""
    out: list[_Claim] = []
    for pp in c.get("published_pooled_estimates", []):
        out.append(_Claim(
            pp["outcome"], pp["label"], name(pp["label"]),
            _effect(pp["measure"], pp["estimate"], pp["ci_lb"], pp["ci_ub"]), k_label(pp),
            pp.get("n"), pp.get("certainty"),
            system_words(pp.get("certainty_system")) or _review_system(by_label.get(pp["label"])),
            pp["favours"] == "favours_drug", True))
    for o in c.get("outcomes", []):
        p, one = o.get("pooled"), o.get("single_study")
        system = system_words(o.get("certainty_system")) or SYSTEM_OFFLABEL
        if p:
            out.append(_Claim(o["outcome"], _OFFLABEL_ORIGIN, "offlabel pool",
                              _effect(p["measure"], p["estimate"], p["ci_lb"], p["ci_ub"]),
                              str(p["k"]), p.get("n"), o.get("certainty"), system,
                              o["verdict"] == "benefit", False))
        elif one:
            label = name(str(one.get("label") or one.get("study") or ""))
            for origin in _ONE_STUDY_ORIGINS:
                out.append(_Claim(o["outcome"], origin, f"one study: {label}",
                                  _effect(one["measure"], one["estimate"], one["ci_lb"],
                                          one["ci_ub"]),
                                  "1", one.get("n"), o.get("certainty"), system,
                                  o["verdict"] == "benefit", False))
    return out


def _claims(c: Mapping[str, Any], cands: list[_Claim]) -> list[_Claim]:
    """The graded claims the appraisal listed as reasons ("<outcome> (<origin>): ..."), matched
    to the dict's estimates; the reason's certainty and system fill what the dict lacks."""
    out: list[_Claim] = []
    for r in c.get("reasons", []):
        for cl in cands:
            if r.startswith(f"{cl.outcome} ({cl.origin}):") and cl not in out:
                m = _CERT_SUFFIX.search(r)
                if m and cl.certainty is None and m.group(1) != "not rated":
                    cl.certainty = m.group(1).replace(" ", "_")
                if m and m.group(2):
                    cl.system = system_words(m.group(2))
                out.append(cl)
                break
    return out


def _fallback(c: Mapping[str, Any], cands: list[_Claim]) -> list[_Claim]:
    """When no reason names a claim: offlabel's pools, then the latest review's efficacy
    estimates, then single studies, each on an efficacy outcome against placebo or usual care."""
    efficacy = {o["outcome"] for o in c.get("outcomes", [])
                if o["kind"] in _EFFICACY and o["comparator"] != "active"}
    latest = (c.get("latest_review") or {}).get("label")
    pools = [cl for cl in cands if cl.origin == _OFFLABEL_ORIGIN and cl.outcome in efficacy]
    review = [cl for cl in cands if cl.review and cl.origin == latest and any(
        pp["outcome"] == cl.outcome and pp["kind"] in _EFFICACY
        for pp in c.get("published_pooled_estimates", []))]
    single = [cl for cl in cands if cl.origin == _ONE_STUDY_ORIGINS[0] and cl.outcome in efficacy]
    return pools + review + single


def _lead(c: Mapping[str, Any], claims: list[_Claim]) -> _Claim | None:
    for r in c.get("reasons", []):
        if r.startswith(_LEAD):
            for cl in claims:
                if f" {cl.outcome} ({cl.origin})" in r:
                    return cl
    # Conflicting / not supported: the certainty is that of the best-rated claim.
    return next((cl for cl in claims if cl.certainty == c.get("certainty")), None)


def _system(c: Mapping[str, Any], claims: list[_Claim], cands: list[_Claim],
            lead: _Claim | None, name: Callable[[str], str]) -> tuple[str, str | None]:
    """Whose rating the verdict's certainty is, and the review that gave it (if one did)."""
    used = next((r for r in c.get("certainty_ratings") or [] if r.get("used")), None)
    if used is not None and used.get("certainty") == c.get("certainty"):
        system = system_words(used.get("certainty_system")) or SYSTEM_OFFLABEL
        review = system != SYSTEM_OFFLABEL and used.get("origin")
        return system, name(str(used["origin"])) if review else None
    cert = c.get("certainty")
    stated = system_words(c.get("certainty_system"))
    rated = [cl for cl in ([lead] if lead else []) + claims + cands
             if cl.certainty == cert and (stated is None or cl.system == stated)]
    if rated:
        best = rated[0]
        return best.system or SYSTEM_OFFLABEL, best.shown if best.review else None
    if stated:
        return stated, None
    if not claims:  # nothing graded was pooled: offlabel's narrative GRADE
        return SYSTEM_OFFLABEL, None
    return SYSTEM_UNSTATED, None


def _approvals(c: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    approved, other = [], []
    for a in c.get("approvals", []):
        when = f" {a['year']}" if a.get("year") else ""
        if a["status"] == "approved":
            agency = f" ({a['agency']})" if a.get("agency") else ""
            line = f"{a['region']}{when}{agency}: {a['indication']}"
            # Issue 16 rule 8: whether the trials behind the verdict stayed within its dose.
            for ac in c.get("approval_conditions", []):
                if (ac["region"], ac["year"]) == (a["region"], a.get("year")) and ac["trials"] \
                        and ac["max_dose_mg_per_day"] is not None:
                    line += (f"; {len(ac['above_max'])} of the {len(ac['trials'])} "
                             f"{ac['trials_kind']} used more than "
                             f"{ac['max_dose_mg_per_day']:g} mg/day")
            approved.append(line)
        else:
            other.append(f"{a['region']}{when}: {a['status'].replace('_', ' ')}")
    return approved, other


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    m = re.search(r"(?<=[a-z0-9)])\.\s", text[40:])
    if m:
        text = text[: 40 + m.start() + 1]
    if len(text) > _HARM_CHARS:
        text = text[:_HARM_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


# The bottom line names one harm: what can kill or send someone to hospital comes before a
# dosing note (the harms section keeps its own order: the label first, then the data).
_MAIN_HARM_ORDER = ("boxed_warning", "withdrawal", "overdose", "safety_signal", "label_warning",
                    "interaction", "adverse_events")


def _harm(d: Mapping[str, Any], name: Callable[[str], str]) -> str | None:
    """The first harm of the question's own harms (boxed warnings sort first there), else the
    drug's boxed warning when the report covers every use of the drug (the overview).

    A boxed warning that concerns one use only (baclofen's is for the intrathecal pump, used for
    spasticity) is not the main harm of another use: the harms section of a question lists the
    harms that concern it (appraise/harms.py), so the bottom line reads them first."""
    for c in d["conditions"][:1] if len(d["conditions"]) == 1 else ():
        found = [h for h in c.get("harms") or [] if h.get("finding")]
        if found:
            h = min(found, key=lambda h: _MAIN_HARM_ORDER.index(h["kind"])
                    if h.get("kind") in _MAIN_HARM_ORDER else len(_MAIN_HARM_ORDER))
            prefix = "Boxed warning: " if h.get("kind") == "boxed_warning" else ""
            return prefix + _first_sentence(name(str(h["finding"])))
    if d["drug"].get("boxed_warning"):
        return "Boxed warning: " + _first_sentence(d["drug"]["boxed_warning"])
    for c in d["conditions"]:
        for h in c.get("harms") or []:
            if h.get("finding"):
                return _first_sentence(name(str(h["finding"])))
    for c in d["conditions"]:
        for pp in c.get("published_pooled_estimates", []):
            if pp["kind"] == "adverse_events":
                return (f"{pp['outcome']} ({name(pp['label'])}): "
                        f"{_effect(pp['measure'], pp['estimate'], pp['ci_lb'], pp['ci_ub'])}, "
                        + ("k not recorded" if k_label(pp) == "?" else f"k = {k_label(pp)}"))
    return None


def _evidence_summary(summary: str) -> str:
    """The summary's evidence part: the verdict line already says the use is approved."""
    m = re.match(r"Approved for .*?Evidence appraisal: [a-z ]+ — (.)", summary)
    return m.group(1).upper() + summary[m.end():] if m else summary


def _condition(c: Mapping[str, Any], name: Callable[[str], str]) -> ConditionLine:
    by_label: dict[str, Mapping[str, Any]] = {}
    for st in c.get("studies", []):
        by_label.setdefault(legacy_label(st), st)
    cands = _candidates(c, by_label, name)
    claims = _claims(c, cands)
    lead = _lead(c, claims)
    system, origin = _system(c, claims, cands, lead, name)
    others = [f"{CERTAINTY_TEXT[r['certainty']]} ({system_words(r.get('certainty_system'))}"
              + (f", {name(str(r['origin']))})" if r.get("origin") else ")")
              for r in c.get("certainty_ratings") or []
              if not r.get("used") and r.get("certainty") in CERTAINTY_TEXT]
    if claims:
        rest = [cl for cl in claims if cl is not lead]
        # Benefits first, then the best-rated: the estimates that carry the verdict.
        rest.sort(key=lambda cl: (not cl.favours_drug, -_RANK.get(cl.certainty or "", -1)))
        chosen = ([lead] if lead else []) + rest
    else:
        chosen = _fallback(c, cands)
    approved, other = _approvals(c)
    return ConditionLine(
        condition=c["condition"], verdict=c["verdict"],
        evidence_verdict=c.get("evidence_verdict", c["verdict"]), certainty=c.get("certainty"),
        system=system, system_origin=origin, other_ratings=others, summary=name(_evidence_summary(c.get("summary") or "")),
        estimates=[cl.estimate() for cl in chosen[:MAX_ESTIMATES]],
        more_estimates=max(0, len(chosen) - MAX_ESTIMATES),
        approved=approved, other_approvals=other)


def bottom_line(d: Mapping[str, Any]) -> BottomLine:
    """The bottom line of a report dict (report.data.answer_dict)."""
    studies = [s for c in d["conditions"] for s in c.get("studies", [])]
    name = relabeller(studies)
    return BottomLine(
        question=d["question"]["text"], overview=d["question"]["condition"] is None,
        example=bool(d.get("example_data")),
        conditions=[_condition(c, name) for c in d["conditions"]],
        harm=_harm(d, name), disclaimer=d["disclaimer"])


def certainty_words(line: ConditionLine, said: str | None = None) -> str:
    """'Moderate (Cochrane GRADE, Agabio 2023)': a certainty with its system, unless the system
    is `said` already (an overview names offlabel's GRADE once, above its lines)."""
    text = CERTAINTY_TEXT[line.certainty]
    if line.certainty is None or line.system == said:
        return text
    who = f", {line.system_origin}" if line.system_origin else ""
    text = f"{text} ({line.system}{who})"
    if line.other_ratings and said is None:
        text += "; also rated " + "; ".join(line.other_ratings)
    return text


def estimate_words(e: Estimate, line: ConditionLine) -> str:
    """'Relapse: RR 0.87 (0.77 to 0.99); k = 12, n not recorded; Agabio 2023, certainty
    Moderate' (the rating's system named when it is not the verdict's)."""
    n = f"n = {e.n}" if e.n else "n not recorded"
    cert = ""
    if e.certainty:
        system = e.system or SYSTEM_OFFLABEL
        cert = f", certainty {CERTAINTY_TEXT[e.certainty]}" + (
            f" ({system})" if system != line.system else "")
    k = "k not recorded" if e.k == "?" else f"k = {e.k}"
    return f"{e.outcome}: {e.effect}; {k}, {n}; {e.origin}{cert}"


def verdict_words(line: ConditionLine) -> str:
    """'Approved use (evidence alone: Supported by randomised evidence)'."""
    text = VERDICT_TEXT[line.verdict]
    if line.evidence_verdict != line.verdict:
        text += f" (evidence alone: {VERDICT_TEXT[line.evidence_verdict]})"
    return text
