"""Views of `offlabel compare` results: the documented JSON (docs/json.md) and the tables.

`compare_dict` turns appraise.compare's typed result into the JSON shape; the Markdown and
terminal tables render that dict, as every report view does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from offlabel.appraise.results import Alternatives, ComparedDrug, ComparedEffect
from offlabel.report.data import latest_review_dict
from offlabel.report.markdown import _md
from offlabel.report.words import CERTAINTY_TEXT, DISCLAIMER, VERDICT_TEXT, system_text

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["compare_dict", "render_markdown", "render_terminal"]


def _effect_dict(e: ComparedEffect) -> dict[str, Any]:
    # Our own pools are rounded for print; a review's figures are shown as it published them.
    def num(x: float) -> float:
        return x if e.published else round(x, 4)

    return {"kind": e.kind, "outcome": e.outcome, "measure": e.measure,
            "estimate": num(e.estimate), "ci_lb": num(e.ci_lb), "ci_ub": num(e.ci_ub),
            "k": e.k, "certainty": e.certainty, "certainty_system": e.certainty_system,
            "favours": e.favours.value,
            "origin": (f"{e.review} (published pooled estimate)" if e.published
                       else f"one trial ({e.source})" if e.single_study
                       else "offlabel pool of trials"),
            "source": e.source}


def _drug_dict(r: ComparedDrug) -> dict[str, Any]:
    ca = r.appraisal
    if ca is None:
        return {"drug": r.asked, "verdict": None, "certainty": None, "covered": False,
                "note": r.not_covered, "outcomes": [], "approval": {},
                "common_outcome_effect": None}
    approval = {a.region: {"status": a.status, "year": a.year, "indication": a.indication,
                           "source": a.sources[0].label()} for a in ca.approvals}
    return {
        "drug": ca.drug.name, "drug_id": ca.drug.id, "covered": True,
        "verdict": ca.verdict.label, "evidence_verdict": ca.verdict.evidence,
        "certainty": ca.verdict.certainty, "certainty_system": ca.certainty_system,
        "summary": ca.verdict.summary,
        "approval": approval, "latest_review": latest_review_dict(ca.latest_review),
        "studies_by_level": {lv: sum(c.values()) for lv, c in ca.direction_counts.items()},
        "outcomes": [_effect_dict(e) for e in r.effects],
        "common_outcome_effect": _effect_dict(r.common_effect) if r.common_effect else None,
        # Review findings that qualify this drug's rows (benefit only in open-label trials:
        # its head-to-head results), with their sources (appraise/reviews.py).
        "caveats": [{"review": f.review, "finding": f.finding, "source": f.source,
                     "caveat": f.caveat} for f in ca.review_findings if f.caveat],
    }


def compare_dict(result: Alternatives) -> dict[str, Any]:
    """The JSON of `offlabel compare` (docs/json.md)."""
    return {"condition": result.condition.name, "condition_id": result.condition.id,
            "common_outcome": result.common_outcome, "disclaimer": DISCLAIMER,
            "drugs": [_drug_dict(r) for r in result.drugs]}


def _effect(e: dict[str, Any] | None) -> str:
    if not e:
        return "—"
    cert = (f"; {CERTAINTY_TEXT.get(e['certainty'], e['certainty'])}"
            + (f", {system_text(e['certainty_system'])}" if e.get("certainty_system") else "")
            if e.get("certainty") else "")
    return (f"{e['measure']} {e['estimate']:.2f} ({e['ci_lb']:.2f} to {e['ci_ub']:.2f}), "
            f"{e['outcome']} [{e['origin']}{cert}]")


def _certainty(r: dict[str, Any]) -> str:
    # A rating is never shown without its system: AHRQ's "low" is not Cochrane's GRADE "low".
    text = CERTAINTY_TEXT[r["certainty"]]
    return f"{text} ({system_text(r['certainty_system'])})" if r.get("certainty_system") else text


def _approval(r: dict[str, Any]) -> str:
    return "; ".join(f"{reg}: {a['status'].replace('_', ' ')}" + (f" {a['year']}" if a["year"] else "")
                     for reg, a in r["approval"].items()) or "—"


def render_markdown(res: dict[str, Any]) -> str:
    out = [f"# Alternatives for {_md(res['condition'])}\n", f"> {res['disclaimer']}\n",
           f"Common outcome: **{(res['common_outcome'] or 'none').replace('_', ' ')}**\n",
           "| Drug | Verdict | Evidence verdict | Certainty | Effect on common outcome | Approval | Latest review |",
           "|---|---|---|---|---|---|---|"]
    for r in res["drugs"]:
        if not r["covered"]:
            out.append(f"| {_md(r['drug'])} | not covered | | | | | {_md(r['note'])} |")
            continue
        rev = r["latest_review"]
        out.append(
            f"| {_md(r['drug'])} | {VERDICT_TEXT[r['verdict']]} | "
            f"{(r['evidence_verdict'] or '').replace('_', ' ')} | {_md(_certainty(r))} | "
            f"{_md(_effect(r['common_outcome_effect']))} | {_md(_approval(r))} | "
            f"{_md(rev['label'] + ' [' + rev['sources'][0]['label'] + ']') if rev else '—'} |")
    out.extend(f"\n- **{_md(r['drug'])}**: {_md(c['caveat'])}. {_md(c['finding'])} "
               f"[{_md(c['source'])}]" for r in res["drugs"] for c in r.get("caveats", []))
    out.append(f"\n{res['disclaimer']}\n")
    return "\n".join(out)


def render_terminal(res: dict[str, Any], console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=f"Alternatives for {escape(res['condition'])} — common outcome: "
                    f"{(res['common_outcome'] or 'none').replace('_', ' ')}", show_lines=True)
    for col in ("Drug", "Verdict", "Evidence", "Certainty", "Effect on common outcome", "Approval",
                "Latest review"):
        t.add_column(col)
    for r in res["drugs"]:
        if not r["covered"]:
            t.add_row(escape(r["drug"]), "not covered", "", "", "", "", escape(r["note"]))
            continue
        rev = r["latest_review"]
        t.add_row(escape(r["drug"]), VERDICT_TEXT[r["verdict"]],
                  (r["evidence_verdict"] or "").replace("_", " "), escape(_certainty(r)),
                  escape(_effect(r["common_outcome_effect"])), escape(_approval(r)),
                  escape(f"{rev['label']} [{rev['sources'][0]['label']}]") if rev else "—")
    console.print(t)
    for r in res["drugs"]:
        for c in r.get("caveats", []):
            console.print(f"[bold]{escape(r['drug'])}:[/] {escape(c['caveat'])}. "
                          f"{escape(c['finding'])} [dim]\\[{escape(c['source'])}][/]")
    console.print(f"[dim]{escape(res['disclaimer'])}[/]")
