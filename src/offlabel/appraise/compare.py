"""Alternatives side by side: the same appraisal for each drug, on a common outcome.

The result is typed (results.Alternatives); report/compare.py turns it into the documented
JSON and the tables.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from offlabel.appraise import answer
from offlabel.appraise.results import (
    OFFLABEL_GRADE,
    Alternatives,
    ComparedDrug,
    ComparedEffect,
    ConditionAppraisal,
)
from offlabel.errors import NotCovered
from offlabel.model import EFFICACY_KINDS

if TYPE_CHECKING:
    from offlabel.evidence import EvidenceBase

__all__ = ["compare_drugs", "comparable_effects"]


def comparable_effects(ca: ConditionAppraisal) -> list[ComparedEffect]:
    """Efficacy effects a drug can be compared on: the latest review's pools, then ours."""
    out = []
    rev = ca.latest_review
    for pp in ca.published_pools:
        if rev is not None and pp.study.id == rev.id and pp.kind in EFFICACY_KINDS:
            out.append(ComparedEffect(pp.kind, pp.outcome, pp.measure, pp.estimate, pp.ci_lb,
                                      pp.ci_ub, pp.k, pp.certainty, pp.favours, pp.study.label,
                                      pp.source_label, pp.certainty_system))
    for o in ca.outcomes:
        if o.key.kind not in EFFICACY_KINDS or o.key.comparator == "active":
            continue
        system = OFFLABEL_GRADE if o.certainty else None
        if o.pooled is not None:
            p = o.pooled
            out.append(ComparedEffect(o.key.kind.value, o.outcome, p.measure, p.estimate, p.ci_lb,
                                      p.ci_ub, p.k, o.certainty, p.favours, None,
                                      ", ".join(p.labels), system))
        elif o.single is not None:
            s = o.single  # one study: compared as that study, never called a pool
            out.append(ComparedEffect(o.key.kind.value, o.outcome, s.measure, s.estimate, s.ci_lb,
                                      s.ci_ub, 1, o.certainty, s.favours, None, s.label, system,
                                      single_study=True))
    return out


def compare_drugs(base: EvidenceBase, condition: str, drugs: list[str]) -> Alternatives:
    """Each drug appraised for CONDITION; NotCovered when the condition is not recognised (a
    drug the evidence does not cover is a row saying so)."""
    from offlabel.appraise.question import resolve_condition_text

    cond = resolve_condition_text(condition)
    rows: list[ComparedDrug] = []
    for name in drugs:
        try:
            ans = answer(base, name, condition)
        except NotCovered as exc:
            rows.append(ComparedDrug(name, None, str(exc)))
            continue
        ca = ans.conditions[0]
        rows.append(ComparedDrug(name, ca, effects=comparable_effects(ca)))
    kinds = Counter(k for r in rows for k in {e.kind for e in r.effects})
    common = None
    if kinds:
        # The outcome most drugs report; among ties, the most important to patients.
        best = max(kinds.values())
        common = next(k.value for k in EFFICACY_KINDS if kinds.get(k.value) == best)
    for r in rows:
        pick = [e for e in r.effects if e.kind == common]
        # Prefer a published pooled estimate (more studies) over our own re-pool.
        pick.sort(key=lambda e: (not e.published, -(e.k or 0)))
        r.common_effect = pick[0] if pick else None
    return Alternatives(cond, common, rows)
