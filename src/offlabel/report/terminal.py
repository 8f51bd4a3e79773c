"""Terminal view (rich) of the report dict: the bottom line first, then the details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from offlabel.report.bottomline import (
    OVERVIEW_HEAD,
    BottomLine,
    bottom_line,
    certainty_words,
    estimate_words,
    verdict_words,
)
from offlabel.report.data import k_label
from offlabel.report.names import label_of, relabeller
from offlabel.report.words import (
    BOTTOM_LINE,
    CERTAINTY_TEXT,
    DETAILS,
    HARMS_TITLE,
    NO_APPROVAL,
    NO_ESTIMATE,
    NO_HARM,
    SOF_TITLE,
    SYSTEM_OFFLABEL,
    VERDICT_TEXT,
    effect_cells,
    favours_cell,
    harm_line,
    pool_notes,
    verdict_cell,
)

__all__ = ["VERDICT_STYLE", "render", "render_bottom_line"]

VERDICT_STYLE = {
    "approved": "bold green", "supported": "green", "promising": "yellow",
    "conflicting": "yellow", "not_supported": "red", "insufficient": "dim",
}


def _src(s: dict[str, Any]) -> str:
    return str(s["label"]) + (" (secondary source)" if s.get("verified") == "secondary" else "")


def render_bottom_line(bl: BottomLine, console: Console) -> None:
    """The answer in under 30 lines at 80 columns: question, verdict, certainty and its system,
    the estimates it rests on, approval conditions, the main harm, the disclaimer."""
    console.rule(f"[bold]{BOTTOM_LINE}[/]", align="left")
    console.print(f"[bold]{escape(bl.question)}[/]")
    if bl.example:
        console.print("[bold red]EXAMPLE DATA: this drug's evidence file is a made-up example.[/]")
    if bl.overview:
        console.print(f"{OVERVIEW_HEAD}:")
        for line in bl.conditions:
            style = VERDICT_STYLE[line.verdict]
            console.print(f"• {escape(line.condition)}: [{style}]{VERDICT_TEXT[line.verdict]}[/]; "
                          f"{escape(certainty_words(line, SYSTEM_OFFLABEL))}")
    for line in [] if bl.overview else bl.conditions:
        style = VERDICT_STYLE[line.verdict]
        console.print(f"[bold]Verdict:[/] [{style}]{escape(verdict_words(line))}[/]; certainty "
                      f"[bold]{escape(certainty_words(line))}[/]")
        if line.estimates:
            more = f" (+{line.more_estimates} more below)" if line.more_estimates else ""
            console.print(f"[bold]Key estimates[/]{more}:")
            for e in line.estimates:
                console.print(f"  • {escape(estimate_words(e, line))}")
        else:
            console.print(f"[bold]Key estimates:[/] {NO_ESTIMATE}. {escape(line.summary)}")
        if line.approved:
            for a in line.approved:
                console.print(f"[bold]Approved:[/] {escape(a)}")
            if line.other_approvals:
                console.print(f"  [dim]also:[/] {escape('; '.join(line.other_approvals))}")
        elif line.other_approvals:
            console.print(f"[bold]Approval:[/] {escape('; '.join(line.other_approvals))}")
        else:
            console.print(f"[bold]Approval:[/] {NO_APPROVAL}")
    console.print(f"[bold red]Main harm:[/] {escape(bl.harm or NO_HARM)}")
    console.print(f"[dim]{escape(bl.disclaimer)}[/]")


def render(d: dict[str, Any], console: Console | None = None, brief: bool = False) -> None:
    console = console or Console()
    render_bottom_line(bottom_line(d), console)
    if brief:
        return
    overview = d["question"]["condition"] is None
    drug = d["drug"]
    name = relabeller(s for c in d["conditions"] for s in c["studies"])
    console.rule(f"[bold]{DETAILS}[/]", align="left")
    head = f"[bold]{escape(drug['name'])}[/]"
    if drug.get("brand_names"):
        head += f"  ({escape(', '.join(drug['brand_names']))})"
    console.print(head)
    for label, key in (("Class", "drug_class"), ("Mechanism", "mechanism")):
        if drug.get(key):
            console.print(f"[dim]{label}:[/] {escape(drug[key])}")
    if drug.get("forms"):
        console.print(f"[dim]Forms:[/] {escape(', '.join(drug['forms']))}")
    if drug.get("boxed_warning"):
        console.print(f"[bold red]Boxed warning:[/] {escape(drug['boxed_warning'])}")
    if drug["approvals"]:
        t = Table(title="Regulatory status", show_lines=False)
        for col in ("Region", "Indication", "Status", "Year", "Source"):
            t.add_column(col)
        for a in drug["approvals"]:
            t.add_row(escape(a["region"]), escape(a["indication"]), a["status"].replace("_", " "),
                      str(a["year"] or ""), escape(_src(a["sources"][0])))
        console.print(t)
    for c in d["conditions"]:
        _condition(console, c, brief=overview, name=name)
    console.print(f"\n[dim]{escape(d['disclaimer'])}[/]")


def _condition(console: Console, c: dict[str, Any], brief: bool,
               name: Callable[[str], str]) -> None:
    style = VERDICT_STYLE[c["verdict"]]
    console.rule(f"[bold]{escape(c['condition'])}[/]")
    console.print(f"[{style}]{VERDICT_TEXT[c['verdict']]}[/] — certainty "
                  f"[bold]{CERTAINTY_TEXT[c['certainty']]}[/]. {escape(name(c['summary']))}")
    counts = c["counts_by_level_and_direction"]
    if counts:
        t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for col in ("Evidence level", "n", "+", "=", "-", "±", "?"):
            t.add_column(col, justify="left" if col == "Evidence level" else "right")
        for lv, cnt in counts.items():
            t.add_row(lv, str(sum(cnt.values())), str(cnt["favours_drug"]), str(cnt["no_difference"]),
                      str(cnt["favours_control"]), str(cnt["mixed"]), str(cnt["unclear"]))
        console.print(t)
        console.print("[dim]+ favours drug, = no difference, - favours control, ± mixed, ? unclear[/]")
    for s in c["design_agreement"]:
        console.print(f"• {escape(name(s))}")
    reasons = c["reasons"][:4] if brief else c["reasons"]
    for r in reasons:
        console.print(f"  [dim]-[/] {escape(name(r))}")
    if brief:
        return
    if c["outcomes"]:
        t = Table(title=SOF_TITLE, show_lines=False)
        for col in ("#", "Outcome", "Studies (n)", "Relative effect (95% CI)", "I²", "Certainty", "Verdict"):
            t.add_column(col)
        for i, o in enumerate(c["outcomes"], 1):
            studies, eff, i2 = effect_cells(o)  # one study: its own row, no I²
            t.add_row(str(i), escape(o["outcome"]), escape(studies), eff,
                      i2, CERTAINTY_TEXT[o["certainty"]], verdict_cell(o))
        console.print(t)
        for i, o in enumerate(c["outcomes"], 1):
            if o.get("absolute_effect"):
                console.print(f"  [dim]#{i} anticipated absolute effects:[/] "
                              f"{escape(name(o['absolute_effect']['text']))}")
            for note in pool_notes(o):
                console.print(f"  [dim]#{i} pool:[/] {escape(name(note))}")
            for g in (o["grade"]["domains"] if o["grade"] else []):
                if g["change"]:
                    console.print(f"  [dim]#{i} {g['domain']} {g['change']:+d}:[/] {escape(name(g['reason']))}")
    if c.get("harms"):
        console.print(f"[bold red]{HARMS_TITLE}[/] [dim](kept apart from the efficacy findings "
                      "above; each with its source)[/]")
        for h in c["harms"]:
            src = f" [{_src(h['source'])}]" if h.get("source") else ""
            console.print(f"  • {escape(name(harm_line(h)) + src)}")
    if c.get("registered_unpublished"):
        console.print(f"[bold]Registered trials without results[/] ({len(c['registered_unpublished'])}; "
                      "completed, no results posted, no linked publication)")
        for t in c["registered_unpublished"]:
            console.print(f"  • {t['nct']}: {escape(t['title'] or '')}")
    if c.get("applicability"):
        console.print("[bold]Applicability to the patient profile[/] [dim](evidence notes, not advice)[/]")
        for n in c["applicability"]:
            console.print(f"  • {escape(name(n['text']))}")
    _review_findings(console, c)
    if c.get("why_studies_disagree"):
        console.print("[bold]Why studies disagree[/]")
        for x in c["why_studies_disagree"]:
            console.print(f"  • {escape(name(x))}")
    if c.get("published_pooled_estimates"):
        t = Table(title="Pooled estimates as published by systematic reviews", show_lines=False)
        for col in ("Review", "Outcome", "Estimate (95% CI)", "Studies", "Favours", "Source"):
            t.add_column(col)
        for pp in c["published_pooled_estimates"]:
            t.add_row(escape(name(pp["label"])), escape(pp["outcome"]),
                      f"{pp['measure']} {pp['estimate']:g} ({pp['ci_lb']:g} to {pp['ci_ub']:g})",
                      k_label(pp), favours_cell(pp), escape(pp["source"]))
        console.print(t)
        for pp in c["published_pooled_estimates"]:
            for cav in pp.get("caveats", []):
                console.print(f"  [dim]{escape(pp['outcome'])}:[/] {escape(cav)}")
    if c["moderators"]:
        console.print("[bold]Moderators reported[/]")
        for m in c["moderators"]:
            console.print(f"  • {escape(name(m))}")
    # One line per study rather than an 8-column table: at 80 columns a table cuts names to
    # "Addolo…", and a study's name is how a reader finds it.
    console.print("[bold]Studies[/] [dim](design, blinding, comparator, n: direction; risk of "
                  "bias; source)[/]")
    for s in c["studies"]:
        console.print(f"  • [bold]{escape(label_of(s))}[/]: {escape(_study_facts(s))}")


def _review_findings(console: Console, c: dict[str, Any]) -> None:
    """What the reviews found (issue 16 rule 4), ahead of offlabel's own comparisons; the
    reviews' conclusions stay in the JSON (the latest review's is printed with the verdict)."""
    shown = [f for f in c.get("review_findings", []) if f["kind"] != "conclusion"]
    if not shown:
        return
    console.print("[bold]Review findings[/] [dim](subgroups, sensitivity analyses and "
                  "certainty as the reviews reported them)[/]")
    for f in shown:
        console.print(f"  • {escape(f['review'])} ({f['kind']}): {escape(f['finding'])} "
                      f"[dim]\\[{escape(f['source'])}][/]")
        if f["offlabel"]:
            console.print(f"    [dim]offlabel's own comparison:[/] {escape(f['offlabel'])} "
                          f"[dim]{escape(f['why_differ'] or '')}[/]")
    for cav in dict.fromkeys(f["caveat"] for f in shown if f["caveat"]):
        console.print(f"  [bold]Caveat on head-to-head rows:[/] {escape(cav)}")


def _study_facts(s: dict[str, Any]) -> str:
    parts = [s["design"].replace("_", " ")]
    if s["blinding"] != "unknown":
        parts.append("open" if s["blinding"] == "none" else f"{s['blinding']}-blind")
    if s["comparator"] not in ("unknown", "none"):
        parts.append(f"vs {s['comparator'].replace('_', ' ')}")
    n = f"n = {s['n']}" if s["n"] is not None else "n = ?"
    src = f" [{_src(s['sources'][0])}]" if s["sources"] else ""
    return (f"{', '.join(parts)}, {n}: {s['direction'].replace('_', ' ')}; risk of bias "
            f"{s['risk_of_bias']['overall'].replace('_', ' ')}{src}")
