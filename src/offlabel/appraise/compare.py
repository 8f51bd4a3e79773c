"""Alternatives side by side: the same appraisal for each drug, on a common outcome."""

from __future__ import annotations

from collections import Counter
from typing import Any

from offlabel.appraise import NotCovered, answer

# Preferred common outcomes, most patient-important first.
COMMON_ORDER = ("relapse", "abstinence", "heavy_drinking", "consumption", "positive_urine_tests",
                "withdrawal", "spasticity_score")


def _effects(ca) -> list[dict[str, Any]]:  # noqa: ANN001
    """Efficacy effects a drug can be compared on: the latest review's pools, then ours."""
    out = []
    rev = ca.latest_review
    for pp in ca.published_pools:
        if rev is not None and pp.study.id == rev.id and pp.kind in COMMON_ORDER:
            out.append({"kind": pp.kind, "outcome": pp.outcome, "measure": pp.measure,
                        "estimate": pp.estimate, "ci_lb": pp.ci_lb, "ci_ub": pp.ci_ub,
                        "k": pp.k, "certainty": pp.certainty, "favours": pp.favours.value,
                        "origin": f"{pp.study.label} (published pooled estimate)",
                        "source": pp.source_label})
    for o in ca.outcomes:
        if o.pooled is None or o.key.kind.value not in COMMON_ORDER or o.key.comparator == "active":
            continue
        p = o.pooled
        out.append({"kind": o.key.kind.value, "outcome": o.outcome, "measure": p.measure,
                    "estimate": round(p.estimate, 4), "ci_lb": round(p.ci_lb, 4),
                    "ci_ub": round(p.ci_ub, 4), "k": p.k, "certainty": o.certainty,
                    "favours": p.favours.value, "origin": "offlabel pool of trials",
                    "source": ", ".join(p.labels)})
    return out


def compare_drugs(base, condition: str, drugs: list[str]) -> dict[str, Any]:  # noqa: ANN001
    from offlabel.appraise.core import DISCLAIMER
    from offlabel.report.data import condition_dict
    from offlabel.vocabulary import resolve_condition

    cond = resolve_condition(condition)
    if cond is None:
        raise NotCovered(f"condition '{condition}' is not recognised")
    rows: list[dict[str, Any]] = []
    for name in drugs:
        try:
            ans = answer(base, name, condition)
        except NotCovered as exc:
            rows.append({"drug": name, "verdict": None, "certainty": None, "covered": False,
                         "note": str(exc), "outcomes": [], "approval": {}})
            continue
        ca = ans.conditions[0]
        cd = condition_dict(ca)
        approval = {a.region: {"status": a.status, "year": a.year, "indication": a.indication,
                               "source": a.sources[0].label()} for a in ca.approvals}
        rows.append({
            "drug": ans.drug.name, "drug_id": ans.drug.id, "covered": True,
            "verdict": ca.verdict.label, "evidence_verdict": ca.verdict.evidence,
            "certainty": ca.verdict.certainty, "summary": ca.verdict.summary,
            "approval": approval, "latest_review": cd["latest_review"],
            "studies_by_level": {lv: sum(c.values()) for lv, c in ca.direction_counts.items()},
            "outcomes": _effects(ca),
        })
    kinds = Counter(k for r in rows for k in {e["kind"] for e in r["outcomes"]})
    common = None
    if kinds:
        best = max(kinds.values())
        common = next(k for k in COMMON_ORDER if kinds.get(k) == best)
    for r in rows:
        pick = [e for e in r["outcomes"] if e["kind"] == common]
        # Prefer a published pooled estimate (more studies) over our own re-pool.
        pick.sort(key=lambda e: ("published" not in e["origin"], -(e["k"] or 0)))
        r["common_outcome_effect"] = pick[0] if pick else None
    return {"condition": cond.name, "condition_id": cond.id, "common_outcome": common,
            "disclaimer": DISCLAIMER, "drugs": rows}
