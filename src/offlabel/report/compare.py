"""Views of `offlabel compare` results."""

from __future__ import annotations

from typing import Any

from offlabel.report.markdown import CERTAINTY_TEXT, VERDICT_TEXT, _md


def _effect(e: dict[str, Any] | None) -> str:
    if not e:
        return "—"
    cert = f"; {CERTAINTY_TEXT.get(e['certainty'], e['certainty'])}" if e.get("certainty") else ""
    return (f"{e['measure']} {e['estimate']:g} ({e['ci_lb']:g} to {e['ci_ub']:g}), "
            f"{e['outcome']} [{e['origin']}{cert}]")


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
            f"{(r['evidence_verdict'] or '').replace('_', ' ')} | {CERTAINTY_TEXT[r['certainty']]} | "
            f"{_md(_effect(r['common_outcome_effect']))} | {_md(_approval(r))} | "
            f"{_md(rev['label'] + ' [' + rev['sources'][0]['label'] + ']') if rev else '—'} |")
    out.append(f"\n{res['disclaimer']}\n")
    return "\n".join(out)


def render_terminal(res: dict[str, Any], console) -> None:  # noqa: ANN001
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
                  (r["evidence_verdict"] or "").replace("_", " "), CERTAINTY_TEXT[r["certainty"]],
                  escape(_effect(r["common_outcome_effect"])), escape(_approval(r)),
                  escape(f"{rev['label']} [{rev['sources'][0]['label']}]") if rev else "—")
    console.print(t)
    console.print(f"[dim]{escape(res['disclaimer'])}[/]")
