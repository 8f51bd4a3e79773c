"""The report as plain data: the documented JSON shape (docs/json.md) that every view renders.

Keeping one dict as the single source means the terminal, Markdown, HTML and JSON outputs can
never disagree about a number.
"""

from __future__ import annotations

import math
from typing import Any

from offlabel.appraise.effects import CONVERSION_METHOD
from offlabel.appraise.results import (
    OFFLABEL_GRADE,
    Answer,
    ConditionAppraisal,
    Harm,
    OutcomeAppraisal,
    Pooled,
    ReviewFinding,
    SingleStudy,
    StudyView,
)
from offlabel.appraise.reviews import head_to_head, row_caveats
from offlabel.model import RATIO_MEASURES, Source, Study
from offlabel.report.names import study_label
from offlabel.report.words import DISCLAIMER, absolute_text, rates_sentence

__all__ = ["SCHEMA_VERSION", "answer_dict", "condition_dict", "harm_dict", "k_label",
           "latest_review_dict",
           "outcome_dict", "pooled_dict", "review_finding_dict", "single_study_dict", "source_dict", "study_dict"]

SCHEMA_VERSION = 1


def _safe_url(url: str | None) -> str | None:
    # Only web links: a 'javascript:' URL in an evidence file must not become a live link.
    return url if url and url.lower().startswith(("https://", "http://")) else None


def source_dict(s: Source) -> dict[str, Any]:
    out = {"label": s.label(), "pmid": s.pmid, "doi": s.doi, "nct": s.nct, "url": _safe_url(s.link()),
           "read_at": _safe_url(s.read_at or s.url),
           "where": s.where, "quote": s.quote}
    if s.verified == "secondary":
        out["verified"] = "secondary"
    return out


def _num(x: float | None, nd: int = 4) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), nd)


def study_dict(view: StudyView) -> dict[str, Any]:
    s: Study = view.study
    return {
        "id": s.id,
        # The name the reports print ("Addolorato 2007"): never the id (report/names.py).
        "label": study_label(s.first_author, s.year, s.title, s.journal),
        "first_author": s.first_author,
        "year": s.year,
        "title": s.title,
        "journal": s.journal,
        "pmid": s.pmid,
        "doi": s.doi,
        "nct": s.nct,
        "design": s.design.value,
        "evidence_level": view.level,
        "randomised": s.randomised,
        "blinding": s.blinding.value,
        "comparator": s.comparator.value,
        "comparator_detail": s.comparator_detail,
        "species": s.species,
        "n": s.n,
        "k_studies": s.k_studies,
        "conditions": s.conditions,
        "max_dose_mg_per_day": s.max_dose_mg_per_day,
        "duration_weeks": s.duration_weeks,
        "population": s.population,
        "covariates": {k: v.value for k, v in s.covariates.items()},
        "direction": s.direction.value,
        "conclusion": s.conclusion,
        "risk_of_bias": {
            "tool": view.rob.tool,
            "overall": view.rob.overall,
            "domains": [{"domain": d.domain, "level": d.level, "basis": d.basis}
                        for d in view.rob.domains],
        },
        "outcomes": [
            {"name": o.name, "kind": o.kind.value, "timepoint": o.timepoint,
             "direction": o.direction.value,
             "effect": o.effect.model_dump() if o.effect else None,
             # Curated for review outcomes only; null is unknown (docs/json.md).
             "k_studies": o.k_studies,
             "source": source_dict(o.source) if o.source else None}
            for o in s.outcomes
        ],
        "sources": [source_dict(x) for x in s.sources],
    }


def pooled_dict(p: Pooled | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "measure": p.measure, "method": p.method, "k": p.k, "n": p.n,
        "estimate": _num(p.estimate), "ci_lb": _num(p.ci_lb), "ci_ub": _num(p.ci_ub),
        "pval": _num(p.pval, 6), "tau2": _num(p.tau2, 6), "I2": _num(p.I2, 2),
        "QE": _num(p.QE), "QEp": _num(p.QEp, 6), "pi_lb": _num(p.pi_lb), "pi_ub": _num(p.pi_ub),
        "favours": p.favours.value, "studies": p.study_ids,
        "weights_pct": [_num(w, 2) for w in p.weights],
        "scale": "ratio" if p.measure in RATIO_MEASURES else "difference",
        # Rule 2 (issue 16): every study that measured the outcome enters; a study converted
        # from another binary scale, or pooled on per-protocol numbers, says so here.
        "entries": [
            {"study": sid, "label": lb, "converted_from": cf, "conversion": cv,
             "sensitivity_input": pp}
            for sid, lb, cf, cv, pp in zip(p.study_ids, p.names or p.labels,
                                           p.converted_from or [None] * p.k,
                                           p.conversions or [None] * p.k,
                                           p.per_protocol or [False] * p.k, strict=True)
        ],
        "conversion_method": CONVERSION_METHOD if any(p.converted_from) else None,
    }


def single_study_dict(s: SingleStudy | None) -> dict[str, Any] | None:
    """One study's effect, reported as that study: no I², no pool (docs/json.md)."""
    if s is None:
        return None
    st = s.study
    return {"study": st.id, "label": study_label(st.first_author, st.year, st.title, st.journal),
            "measure": s.measure, "estimate": _num(s.estimate), "ci_lb": _num(s.ci_lb),
            "ci_ub": _num(s.ci_ub), "n": s.n, "favours": s.favours.value,
            "scale": "ratio" if s.measure in RATIO_MEASURES else "difference",
            "sensitivity_input": s.per_protocol}


def outcome_dict(o: OutcomeAppraisal) -> dict[str, Any]:
    return {
        "outcome": o.outcome,
        "kind": o.key.kind.value,
        "measure": o.key.measure,
        "comparator": o.key.comparator,
        # The named active drug of a head-to-head group; null against placebo/usual care.
        "comparator_drug": o.key.active_drug,
        "higher_is_better": o.key.higher_is_better,
        "verdict": o.verdict,
        "certainty": o.certainty,
        "certainty_system": OFFLABEL_GRADE if o.certainty else None,
        "grade": None if o.grade is None else {
            "start": o.grade.start,
            "domains": [{"domain": d.name, "change": d.change, "reason": d.reason}
                        for d in o.grade.domains],
        },
        "pooled": pooled_dict(o.pooled),
        "single_study": single_study_dict(o.single),
        "absolute_effect": None if o.absolute is None else {
            "control_per_1000": _num(o.absolute.control_per_1000, 1),
            "drug_per_1000": _num(o.absolute.drug_per_1000, 1),
            "difference_per_1000": _num(o.absolute.difference_per_1000, 1),
            "ci_lb": _num(o.absolute.diff_lb, 1), "ci_ub": _num(o.absolute.diff_ub, 1),
            "basis": o.absolute.basis, "text": absolute_text(o.absolute),
        },
        "by_design": {k: pooled_dict(v) for k, v in o.by_design.items()},
        "timepoints": o.timepoints,
        "studies": [e.study.id for e in o.effects],
        "measured_without_numbers": o.measured_without_numbers,
    }


def harm_dict(h: Harm) -> dict[str, Any]:
    """One harm finding (docs/json.md): harm words only, never an efficacy tag."""
    return {"kind": h.kind, "finding": h.finding,
            "studies": [study_label(s.first_author, s.year, s.title, s.journal) for s in h.studies],
            "study_ids": [s.id for s in h.studies],
            "source": source_dict(h.source) if h.source else None}


def latest_review_dict(rev: Study | None) -> dict[str, Any] | None:
    if rev is None:
        return None
    return {"id": rev.id, "label": rev.label, "year": rev.year, "design": rev.design.value,
            "direction": rev.direction.value, "conclusion": rev.conclusion,
            "sources": [source_dict(x) for x in rev.sources]}


def k_label(pp: dict[str, Any]) -> str:
    """A published estimate's study count as the faces print it: a review's total or a network's
    direct comparisons must not read as the studies pooled for that outcome."""
    k, basis = pp["k_studies"], pp.get("k_basis")
    if k is None:
        return "?"
    return {"review total": f"{k} (review total)", "direct comparisons": f"{k} (direct)"}.get(
        basis or "", str(k))


def review_finding_dict(f: ReviewFinding) -> dict[str, Any]:
    return {"review": f.review, "review_id": f.review_id, "year": f.year, "kind": f.kind,
            "finding": f.finding, "source": f.source, "topic": f.topic,
            "direction": f.direction, "offlabel": f.offlabel, "disagrees": f.disagrees,
            "why_differ": f.why_differ, "caveat": f.caveat}


def condition_dict(ca: ConditionAppraisal) -> dict[str, Any]:
    findings = ca.review_findings
    caveats = row_caveats(findings)
    return {
        "condition": ca.condition.name,
        "condition_id": ca.condition.id,
        "mesh_id": ca.condition.mesh_id,
        "verdict": ca.verdict.label,
        "certainty": ca.verdict.certainty,
        "certainty_system": ca.certainty_system,
        "certainty_ratings": [
            {"origin": r.origin, "outcome": r.outcome, "kind": r.kind, "certainty": r.certainty,
             "certainty_system": r.system, "used": r.used}
            for r in ca.certainty_ratings
        ],
        "evidence_verdict": ca.verdict.evidence,
        "summary": ca.verdict.summary,
        "reasons": ca.verdict.reasons,
        "approval_conditions": [
            {"region": c.region, "agency": c.agency, "year": c.year,
             "line_of_therapy": c.line_of_therapy, "max_dose_mg_per_day": c.max_dose_mg_per_day,
             "trials_kind": c.trials_kind, "trials": c.trials, "above_max": c.above_max,
             "dose_unknown": c.dose_unknown, "text": c.text}
            for c in ca.approval_conditions
        ],
        "approvals": [
            {"region": a.region, "agency": a.agency, "indication": a.indication,
             "status": a.status, "year": a.year, "sources": [source_dict(x) for x in a.sources]}
            for a in ca.approvals
        ],
        "latest_review": latest_review_dict(ca.latest_review),
        "published_pooled_estimates": [
            {"review": pp.study.id, "label": pp.study.label, "year": pp.study.year,
             "outcome": pp.outcome, "kind": pp.kind, "measure": pp.measure,
             "estimate": pp.estimate, "ci_lb": pp.ci_lb, "ci_ub": pp.ci_ub,
             "favours": pp.favours.value, "k_studies": pp.k, "k_basis": pp.k_basis, "n": pp.n,
             "certainty": pp.certainty, "certainty_system": pp.certainty_system,
             "source": pp.source_label,
             # Review findings that qualify this row (benefit only in open-label trials).
             "caveats": caveats if head_to_head(pp.outcome) else []}
            for pp in ca.published_pools
        ],
        # Subgroups, sensitivity analyses, certainty ratings and conclusions as the reviews
        # reported them, ahead of offlabel's own comparisons (appraise/reviews.py).
        "review_findings": [review_finding_dict(f) for f in findings],
        "design_agreement": ca.agreement,
        "registered_unpublished": [
            {k: t.get(k) for k in ("nct", "title", "status", "completion_date", "enrollment", "url")}
            for t in ca.unpublished_trials
        ],
        "applicability": [{"key": n.key, "text": n.text, "studies": n.studies}
                          for n in ca.applicability],
        "why_studies_disagree": [c.sentence for c in ca.comparisons]
        + ([rs] if (rs := rates_sentence(ca.response_rates)) else []),
        "comparisons": [
            {"name": c.name, "sentence": c.sentence, "test": c.test, "pval": _num(c.pval, 6),
             "groups": {g: {"k": p.k, "smd": _num(p.estimate), "ci_lb": _num(p.ci_lb),
                            "ci_ub": _num(p.ci_ub), "studies": p.studies}
                        for g, p in c.groups.items()},
             "studies": c.studies,
             "comparable": c.comparable, "observational": c.observational,
             "confounded_with": c.confounded_with}
            for c in ca.comparisons
        ],
        "abstinence_rates": [
            {"group": r.group, "k": r.k, "n": r.n, "rate": _num(r.rate), "ci_lb": _num(r.ci_lb),
             "ci_ub": _num(r.ci_ub), "studies": r.studies} for r in ca.response_rates
        ],
        "moderators": ca.moderators,
        "harms": [harm_dict(h) for h in ca.harms],
        "counts_by_level_and_direction": ca.direction_counts,
        "outcomes": [dict(outcome_dict(o), caveats=caveats
                          if head_to_head(o.outcome, o.key.comparator) else [])
                     for o in ca.outcomes],
        "studies": [study_dict(v) for v in ca.studies],
        "related": list(ca.condition.related),
    }


def answer_dict(ans: Answer) -> dict[str, Any]:
    d = ans.drug
    return {
        "schema_version": SCHEMA_VERSION,
        "question": {
            "drug": d.name,
            "condition": ans.condition.name if ans.condition else None,
            "text": f"Can {d.name.lower()} be used for {ans.condition.name}?" if ans.condition
            else f"What is the evidence for {d.name.lower()}, condition by condition?",
        },
        "disclaimer": DISCLAIMER,
        "example_data": ans.example,
        "drug": {
            "id": d.id, "name": d.name, "synonyms": d.synonyms, "brand_names": d.brand_names,
            "drug_class": d.drug_class, "mechanism": d.mechanism, "forms": d.forms,
            "boxed_warning": d.boxed_warning,
            "approvals": [
                {"region": a.region, "agency": a.agency, "indication": a.indication,
                 "conditions": a.conditions, "status": a.status, "year": a.year,
                 "forms": a.forms, "note": a.note, "line_of_therapy": a.line_of_therapy,
                 "max_dose_mg_per_day": a.max_dose_mg_per_day,
                 "sources": [source_dict(x) for x in a.sources]}
                for a in d.approvals
            ],
            "sources": [source_dict(x) for x in d.sources],
        },
        "conditions": [condition_dict(c) for c in ans.conditions],
    }
