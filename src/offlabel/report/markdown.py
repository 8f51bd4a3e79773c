"""Markdown view of the report dict (report.data.answer_dict): the bottom line first, then the
details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offlabel.report.bottomline import (
    OVERVIEW_HEAD,
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
    SYSTEM_OFFLABEL,
    VERDICT_TEXT,
    effect_cells,
    effect_line,
    favours_cell,
    harm_line,
    pool_notes,
    verdict_cell,
)

# VERDICT_TEXT and CERTAINTY_TEXT live in report/words.py; imported here by older callers.
__all__ = ["CERTAINTY_TEXT", "VERDICT_TEXT", "render", "render_bottom_line"]


def _md(text: Any) -> str:
    """Neutralise Markdown/HTML control characters in untrusted text."""
    s = "" if text is None else str(text)
    for ch in ("\\", "|", "<", ">", "*", "_", "`", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ")


def _src(s: dict[str, Any]) -> str:
    text = f"[{_md(s['label'])}]({s['url']})" if s.get("url") else _md(s["label"])
    return text + (" (secondary source)" if s.get("verified") == "secondary" else "")


def _bottom_line(d: dict[str, Any]) -> list[str]:
    """The answer in under 30 lines at 80 columns (terminal.render_bottom_line's twin)."""
    bl = bottom_line(d)
    out = [f"# {_md(bl.question)}\n", f"## {BOTTOM_LINE}\n"]
    if bl.example:
        out.append("> **EXAMPLE DATA**: this drug's evidence file is a made-up example.\n")
    if bl.overview:
        out.append(f"{OVERVIEW_HEAD}:\n")
        out.extend(f"- {_md(line.condition)}: **{VERDICT_TEXT[line.verdict]}**; "
                   f"{_md(certainty_words(line, SYSTEM_OFFLABEL))}" for line in bl.conditions)
        out.append("")
    for line in [] if bl.overview else bl.conditions:
        out.append(f"**Verdict: {_md(verdict_words(line))}**; certainty "
                   f"**{_md(certainty_words(line))}**\n")
        if line.estimates:
            more = f" (+{line.more_estimates} more below)" if line.more_estimates else ""
            out.append(f"Key estimates{more}:")
            out.extend(f"- {_md(estimate_words(e, line))}" for e in line.estimates)
            out.append("")
        else:
            out.append(f"Key estimates: {NO_ESTIMATE}. {_md(line.summary)}\n")
        if line.approved:
            out.extend(f"**Approved:** {_md(a)}  " for a in line.approved)
            if line.other_approvals:
                out.append(f"Also: {_md('; '.join(line.other_approvals))}  ")
        else:
            out.append(f"**Approval:** {_md('; '.join(line.other_approvals) or NO_APPROVAL)}  ")
    out.append(f"**Main harm:** {_md(bl.harm or NO_HARM)}\n")
    out.append(f"> {_md(bl.disclaimer)}\n")
    return out


def render_bottom_line(d: dict[str, Any]) -> str:
    """The bottom line alone (`ask --brief --format md`)."""
    return "\n".join(_bottom_line(d))


def render(d: dict[str, Any], overview: bool | None = None) -> str:
    overview = d["question"]["condition"] is None if overview is None else overview
    out = _bottom_line(d)
    name = relabeller(s for c in d["conditions"] for s in c["studies"])
    drug = d["drug"]
    out.append(f"## {DETAILS}: {_md(drug['name'])}\n")
    if drug.get("brand_names"):
        out.append(f"Brand names: {_md(', '.join(drug['brand_names']))}  ")
    if drug.get("drug_class"):
        out.append(f"Class: {_md(drug['drug_class'])}  ")
    if drug.get("forms"):
        out.append(f"Forms: {_md(', '.join(drug['forms']))}  ")
    if drug.get("mechanism"):
        out.append(f"\n{_md(drug['mechanism'])}\n")
    if drug.get("boxed_warning"):
        out.append(f"\n**Boxed warning:** {_md(drug['boxed_warning'])}\n")
    if drug["approvals"]:
        out.append("\n| Region | Indication | Status | Year | Source |\n|---|---|---|---|---|")
        for a in drug["approvals"]:
            out.append(f"| {_md(a['region'])} | {_md(a['indication'])} | {a['status'].replace('_', ' ')} "
                       f"| {a['year'] or ''} | {'; '.join(_src(s) for s in a['sources'])} |")
        out.append("")
    for c in d["conditions"]:
        out.extend(_condition(c, brief=overview, name=name))
    out.append(f"\n---\n{d['disclaimer']}\n")
    return "\n".join(out)


def _condition(c: dict[str, Any], brief: bool, name: Callable[[str], str]) -> list[str]:
    out = [f"\n## {_md(c['condition']).capitalize()}\n"]
    out.append(f"**Verdict: {VERDICT_TEXT[c['verdict']]}** — certainty "
               f"{CERTAINTY_TEXT[c['certainty']]}. {_md(name(c['summary']))}\n")
    counts = c["counts_by_level_and_direction"]
    if counts:
        out.append("| Evidence level | Studies | Favour drug | No difference | Favour control | Mixed | Unclear |")
        out.append("|---|---|---|---|---|---|---|")
        for lv, cnt in counts.items():
            out.append(f"| {lv} | {sum(cnt.values())} | {cnt['favours_drug']} | {cnt['no_difference']} "
                       f"| {cnt['favours_control']} | {cnt['mixed']} | {cnt['unclear']} |")
        out.append("")
    for s in c["design_agreement"]:
        out.append(f"- {_md(name(s))}")
    out.append("")
    if c["reasons"]:
        out.append("**Why:**\n")
        out.extend(f"- {_md(name(r))}" for r in c["reasons"][: 4 if brief else None])
        out.append("")
    if brief:
        return out
    if c["outcomes"]:
        out.append("### Summary of findings\n")
        out.append("| Outcome | Studies (participants) | Relative effect (95% CI) | Anticipated absolute effects | Certainty | Verdict | Comments |")
        out.append("|---|---|---|---|---|---|---|")
        for o in c["outcomes"]:
            studies, _eff, _i2 = effect_cells(o)  # one study: its own row, no I²
            comments = "; ".join(
                [f"{g['domain']} {g['change']:+d}: {name(g['reason'])}"
                 for g in (o["grade"]["domains"] if o["grade"] else []) if g["change"]]
                + [name(n) for n in pool_notes(o)]
            )
            ab = o.get("absolute_effect")
            out.append(f"| {_md(o['outcome'])} | {_md(studies)} | {_md(effect_line(o))} | "
                       f"{_md(name(ab['text'])) if ab else '—'} | "
                       f"{CERTAINTY_TEXT[o['certainty']]} | {verdict_cell(o)} | {_md(comments)} |")
        out.append("")
    if c.get("harms"):
        out.append(f"### {HARMS_TITLE}\n")
        out.append("Kept apart from the efficacy findings above; each with its source.\n")
        out.extend(f"- {_md(name(harm_line(h)))}" + (f" [{_src(h['source'])}]" if h.get("source") else "")
                   for h in c["harms"])
        out.append("")
    if c.get("registered_unpublished"):
        out.append(f"### Registered trials without results ({len(c['registered_unpublished'])})\n")
        out.append("Completed on ClinicalTrials.gov, no results posted, no linked publication: "
                   "a publication-bias signal.\n")
        out.extend(f"- {t['nct']}: {_md(t['title'])} (completed {t['completion_date'] or '?'}, "
                   f"n = {t['enrollment'] or '?'})" for t in c["registered_unpublished"])
        out.append("")
    if c.get("applicability"):
        out.append("### Applicability to the patient profile (evidence notes, not advice)\n")
        out.extend(f"- {_md(name(n['text']))}" for n in c["applicability"])
        out.append("")
    out.extend(_review_findings(c))
    if c.get("why_studies_disagree"):
        out.append("### Why studies disagree\n")
        out.extend(f"- {_md(name(x))}" for x in c["why_studies_disagree"])
        out.append("")
    if c.get("published_pooled_estimates"):
        out.append("### Pooled estimates as published by systematic reviews\n")
        out.append("| Review | Outcome | Estimate (95% CI) | Studies | Favours | Source |")
        out.append("|---|---|---|---|---|---|")
        for pp in c["published_pooled_estimates"]:
            out.append(f"| {_md(name(pp['label']))} | {_md(pp['outcome'])} | {pp['measure']} {pp['estimate']:g} "
                       f"({pp['ci_lb']:g} to {pp['ci_ub']:g}) | {k_label(pp)} | "
                       f"{favours_cell(pp)} | {_md(pp['source'])} |")
        out.append("")
        out.extend(f"- {_md(pp['outcome'])}: {_md(cav)}"
                   for pp in c["published_pooled_estimates"] for cav in pp.get("caveats", []))
    if c["moderators"]:
        out.append("### Moderators reported\n")
        out.extend(f"- {_md(name(m))}" for m in c["moderators"])
        out.append("")
    out.append("### Studies\n")
    out.append("| Study | Design | Blinding | Comparator | n | Direction | Risk of bias | Source |")
    out.append("|---|---|---|---|---|---|---|---|")
    for s in c["studies"]:
        out.append(
            f"| {_md(label_of(s))} | {s['design'].replace('_', ' ')} | {s['blinding']} | {s['comparator']} "
            f"| {s['n'] if s['n'] is not None else '?'} | {s['direction'].replace('_', ' ')} "
            f"| {s['risk_of_bias']['overall'].replace('_', ' ')} | {'; '.join(_src(x) for x in s['sources'][:2])} |"
        )
    out.append("")
    return out


def _review_findings(c: dict[str, Any]) -> list[str]:
    """What the reviews found (issue 16 rule 4), ahead of offlabel's own comparisons."""
    shown = [f for f in c.get("review_findings", []) if f["kind"] != "conclusion"]
    if not shown:
        return []
    out = ["### Review findings\n",
           "Subgroups, sensitivity analyses and certainty as the systematic reviews reported "
           "them.\n"]
    for f in shown:
        out.append(f"- **{_md(f['review'])}** ({f['kind']}): {_md(f['finding'])} "
                   f"[{_md(f['source'])}]")
        if f["offlabel"]:
            out.append(f"  - offlabel's own comparison: {_md(f['offlabel'])} "
                       f"{_md(f['why_differ'] or '')}")
    out.extend(f"- **Caveat on head-to-head rows:** {_md(cav)}"
               for cav in dict.fromkeys(f["caveat"] for f in shown if f["caveat"]))
    out.append("")
    return out
