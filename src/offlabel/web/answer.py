"""The answer page, the compare page and the report downloads of the web app.

A reader wants the answer before the evidence behind it: the page opens with the bottom line
(report/bottomline.py, the block every report format opens with), then the sections a reviewer
reads, behind a sticky table of contents. Everything shown comes from the typed answer the CLI
renders (pipeline.Offlabel.ask) and its report dict (report/data.py, docs/json.md); nothing is
appraised here. The figures are inline SVG (report/svg.py), so the pages need no image files
and no script to read. Offlabel errors propagate: the app's handlers turn them into pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from offlabel.errors import NotCovered, UsageError

if TYPE_CHECKING:
    from offlabel.appraise import Answer
    from offlabel.pipeline import Offlabel

__all__ = ["DOWNLOADS", "router"]

router = APIRouter()

_MAX = 200  # characters in a text parameter (the app's caps refuse longer ones first)
DOWNLOADS = ("json", "md", "html")
_DESIGN_WORDS = {"rct": "RCT", "nonrandomized_controlled_trial": "non-randomised controlled trial",
                 "in_vitro": "in vitro", "open_label_trial": "open-label trial"}
_PMID = re.compile(r"^\d{1,9}$")
_NCT = re.compile(r"^NCT\d{8}$", re.I)


# --- request parameters -----------------------------------------------------------------


def _profile_keys() -> dict[str, tuple[str, ...]]:
    from offlabel.appraise.applicability import PROFILE_KEYS

    return PROFILE_KEYS


def profile_of(params: Mapping[str, str]) -> dict[str, object]:
    """The patient profile in the query (the keys `ask --profile` takes; empty values are
    unset), parsed by the CLI's own parser: a bad value is a ProfileError."""
    items = [f"{k}={params[k]}" for k in _profile_keys() if (params.get(k) or "").strip()]
    if not items:
        return {}
    from offlabel.appraise.applicability import parse_profile

    return parse_profile(items)


def _query(drug: str, condition: str | None, profile: Mapping[str, str] | None = None) -> str:
    pairs = [("drug", drug)] + ([("condition", condition)] if condition else [])
    pairs += [(k, v) for k, v in (profile or {}).items()]
    return urlencode(pairs)


# --- the answer page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass
class SourceEntry:
    """One source as the Sources section lists it: what it is for, and its links."""

    what: str
    label: str
    links: list[Link] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    id: str
    title: str


def source_links(s: Mapping[str, Any]) -> list[Link]:
    """Every identifier of a source dict (report/data.py source_dict) or study dict as a link:
    PubMed for a PMID, doi.org for a DOI, ClinicalTrials.gov for an NCT id, then its own web
    address (already limited to http(s) by the report dict)."""
    out: list[Link] = []
    pmid, doi, nct = (str(s.get(k) or "").strip() for k in ("pmid", "doi", "nct"))
    if _PMID.match(pmid):
        out.append(Link(f"PMID {pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    if doi:
        out.append(Link(f"doi:{doi}", "https://doi.org/" + quote(doi, safe="/:;()._-")))
    if _NCT.match(nct):
        out.append(Link(nct.upper(), f"https://clinicaltrials.gov/study/{nct.upper()}"))
    for key in ("url", "read_at"):
        url = s.get(key)
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")) and \
                url not in {x.href for x in out}:
            out.append(Link(_host(url), url))
    return out


def _host(url: str) -> str:
    m = re.match(r"https?://([^/?#]+)", url, re.I)
    return m.group(1) if m else url


def sources_of(d: Mapping[str, Any]) -> list[SourceEntry]:
    """Every source the report cites, once each, in reading order: the drug and its approvals,
    then each condition's studies, outcomes, harms and latest review."""
    out: list[SourceEntry] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()

    def add(what: str, src: Mapping[str, Any] | None) -> None:
        if not src:
            return
        links = source_links(src)
        key = (str(src.get("label") or ""), tuple(x.href for x in links))
        if key in seen or (not links and not key[0]):
            return
        seen.add(key)
        out.append(SourceEntry(what, str(src.get("label") or ""), links))

    drug = d["drug"]
    for s in drug.get("sources", []):
        add(f"{drug['name']}: drug profile", s)
    for a in drug.get("approvals", []):
        for s in a.get("sources", []):
            add(f"{a['region']} approval: {a['indication']}", s)
    from offlabel.report.names import label_of

    for c in d["conditions"]:
        for st in c.get("studies", []):
            what = f"{label_of(st)}: {(st.get('title') or '').strip()}".rstrip(": ")
            srcs = list(st.get("sources", []))
            cited = {x.href for s in srcs for x in source_links(s)}
            # the study's own PMID, DOI and registry id, where no source of it links them
            own = {k: st.get(k) for k in ("pmid", "doi", "nct")
                   if st.get(k) and not {x.href for x in source_links({k: st.get(k)})} <= cited}
            if own:
                srcs.insert(0, dict(own, label=label_of(st)))
            for s in srcs:
                add(what, s)
            for o in st.get("outcomes", []):
                add(f"{label_of(st)}: {o['name']}", o.get("source"))
        for h in c.get("harms", []):
            add(f"Harm: {h['kind'].replace('_', ' ')}", h.get("source"))
        for a in c.get("approvals", []):
            for s in a.get("sources", []):
                add(f"{a['region']} approval: {a['indication']}", s)
        for t in c.get("registered_unpublished", []):
            add(f"Registered, no results: {t.get('title') or t.get('nct')}",
                {"label": t.get("nct"), "nct": t.get("nct"), "url": t.get("url")})
    return out


@dataclass
class StudyRow:
    """One row of the studies table, with the values its filters and sorting read."""

    study: Mapping[str, Any]
    label: str
    design: str
    design_text: str
    direction: str
    year: int | None
    outcomes: list[str]
    links: list[Link]


_TABLE_LINKS = 3


def study_rows(c: Mapping[str, Any]) -> list[StudyRow]:
    from offlabel.report.names import label_of

    rows = []
    for st in c.get("studies", []):
        # the study's own identifiers, else its first source's: the rest are under Sources
        links = source_links(st) or next(
            (ls for s in st.get("sources", []) if (ls := source_links(s))), [])
        kinds = list(dict.fromkeys(o["kind"] for o in st.get("outcomes", [])))
        rows.append(StudyRow(st, label_of(st), st["design"], design_words(st["design"]),
                             st["direction"], st.get("year"), kinds, links[:_TABLE_LINKS]))
    return rows


def cap(text: str) -> str:
    """First letter up, the rest as written (Jinja's capitalize lowers 'GHB' to 'Ghb')."""
    return text[:1].upper() + text[1:]


def design_words(design: str) -> str:
    return _DESIGN_WORDS.get(design, design.replace("_", " "))


def _options(values: Iterable[str], words: Any) -> list[tuple[str, str]]:
    counts = Counter(values)
    return [(v, f"{words(v)} ({counts[v]})") for v in sorted(counts, key=lambda v: words(v))]


def forest_plots(ans: Answer) -> dict[str, Markup]:
    """'<condition index>/<outcome index>' -> the inline SVG forest plot of every outcome the
    appraisal pooled (the same outcomes the report dict shows with a `pooled` entry)."""
    from offlabel.report.svg import pooled_forest_svg

    out: dict[str, Markup] = {}
    for ci, ca in enumerate(ans.conditions):
        for oi, o in enumerate(ca.outcomes):
            if o.pooled is not None:
                title = f"{ans.drug.name}, {ca.condition.name}: {o.outcome}"
                # report/svg.py escapes every piece of text it writes: the markup is ours.
                out[f"{ci}/{oi}"] = Markup(pooled_forest_svg(  # noqa: S704
                    o.pooled, title, higher_is_better=o.key.higher_is_better))
    return out


def _sections(c: Mapping[str, Any], plots: bool, has_profile_form: bool) -> list[Section]:
    out = [Section("bottom-line", "Bottom line"), Section("summary-of-findings", "Summary of findings")]
    if plots:
        out.append(Section("forest-plots", "Forest plots"))
    out.append(Section("evidence-pyramid", "Evidence by design"))
    out.append(Section("agreement", "Agreement by design"))
    if c.get("why_studies_disagree") or c.get("moderators"):
        out.append(Section("why-disagree", "Why studies disagree"))
    if c.get("review_findings") or c.get("published_pooled_estimates"):
        out.append(Section("review-findings", "Review findings"))
    out.append(Section("harms", "Harms"))
    if has_profile_form:
        out.append(Section("applicability", "Patient profile"))
    out.append(Section("studies-section", "Studies"))
    out.append(Section("drug", "Drug and approvals"))
    out.append(Section("sources", "Sources"))
    return out


def answer_context(ol: Offlabel, drug: str, condition: str | None,
                   params: Mapping[str, str]) -> dict[str, Any]:
    """Everything the answer template shows, read off the typed answer and its report dict."""
    from offlabel.report import words
    from offlabel.report.bottomline import (
        OVERVIEW_HEAD,
        bottom_line,
        certainty_words,
        estimate_words,
        verdict_words,
    )
    from offlabel.report.data import answer_dict, k_label
    from offlabel.report.names import label_of, relabeller
    from offlabel.report.svg import DIRECTION_WORDS, pyramid_svg

    profile = profile_of(params) if condition else {}
    result = ol.ask(drug, condition, profile=profile or None, record=False)
    ans = result.answer
    d = answer_dict(ans)
    overview = d["question"]["condition"] is None
    given = {k: params[k] for k in _profile_keys() if (params.get(k) or "").strip()}
    drug_name = d["drug"]["name"]
    ctx: dict[str, Any] = {
        "d": d, "overview": overview, "bl": bottom_line(d), "notes": result.notes,
        "name": relabeller(s for c in d["conditions"] for s in c["studies"]),
        "words": words, "overview_head": OVERVIEW_HEAD, "label_of": label_of,
        "certainty_words": certainty_words, "estimate_words": estimate_words,
        "verdict_words": verdict_words, "k_label": k_label, "design_words": design_words,
        "cap": cap,
        "direction_words": DIRECTION_WORDS, "source_links": source_links,
        "sources": sources_of(d), "profile_given": given,
        "ask_href": lambda cond: "/ask?" + _query(drug_name, cond),
        "compare_href": lambda cond: "/compare?" + urlencode([("condition", cond)]),
        "downloads": [(fmt, f"/download/{fmt}?" + _query(drug_name, d["question"]["condition"],
                                                          given)) for fmt in DOWNLOADS],
        "records_href": ("/records?" + _query(drug_name, d["question"]["condition"])
                         if ol.store is not None and not overview else None),
    }
    if overview:
        ctx["sections"] = [Section("bottom-line", "Bottom line"),
                           Section("conditions", "Conditions"), Section("drug", "Drug and approvals"),
                           Section("sources", "Sources")]
        return ctx
    c = d["conditions"][0]
    plots = forest_plots(ans)
    rows = study_rows(c)
    keys = _profile_keys()
    ctx.update({
        "c": c, "plots": plots,
        "pyramid": Markup(pyramid_svg(  # noqa: S704 - report/svg.py escapes every text
            c["counts_by_level_and_direction"], title=f"{drug_name}, {c['condition']}"))
        if c["counts_by_level_and_direction"] else None,
        "rows": rows,
        "design_options": _options((r.design for r in rows), design_words),
        "direction_options": _options((r.direction for r in rows),
                                      lambda v: DIRECTION_WORDS.get(v, v.replace("_", " "))),
        "outcome_options": _options((k for r in rows for k in r.outcomes),
                                    lambda v: v.replace("_", " ")),
        "years": sorted({r.year for r in rows if r.year}),
        "profile_fields": [(k, k.removesuffix("_mg").replace("_", " ").capitalize()
                            + (" (mg/day)" if k.endswith("_mg") else ""),
                            "number" if k.endswith("_mg") else "choice", given.get(k, ""))
                           for k in keys],
        "sections": _sections(c, bool(plots), True),
    })
    return ctx


@router.get("/ask", response_class=HTMLResponse, include_in_schema=False)
def ask_page(request: Request, drug: str = Query(..., max_length=_MAX),
             condition: str | None = Query(None, max_length=_MAX)) -> Response:
    """The answer to DRUG for CONDITION; the drug's overview (every condition) without one."""
    ol: Offlabel = request.app.state.offlabel
    condition = (condition or "").strip() or None
    try:
        ctx = answer_context(ol, drug, condition, request.query_params)
    except NotCovered:
        # As `ask --scan` does: a question the curated evidence does not cover gets the scan's
        # map of the pair (labelled machine-classified there), when the server has a scan.
        if not ol.maps_uncovered(condition):
            raise
        return RedirectResponse("/map?" + urlencode({"drug": drug, "condition": condition or ""}),
                                status_code=303)
    return request.app.state.templates.TemplateResponse(request, "answer.html.j2", ctx)  # type: ignore[no-any-return]


@router.get("/download/{fmt}", include_in_schema=False)
def download(request: Request, fmt: str, drug: str = Query(..., max_length=_MAX),
             condition: str | None = Query(None, max_length=_MAX)) -> Response:
    """The report as `offlabel ask DRUG CONDITION --format FMT --out FILE` writes it (the same
    registry, the same options), as an attachment."""
    from offlabel.report.formats import get_format

    if fmt not in DOWNLOADS:
        raise UsageError(f"download format must be one of {', '.join(DOWNLOADS)}, got "
                         f"{fmt[:20]!r}")
    spec = get_format(fmt)
    ol: Offlabel = request.app.state.offlabel
    cond = (condition or "").strip() or None
    profile = profile_of(request.query_params) if cond else {}
    text, _notes = ol.report(drug, cond, fmt, profile=profile or None, width=120)
    stem = "-".join(x for x in (drug, cond) if x)
    safe = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80] or "report"
    return Response(text.encode("utf-8"), media_type=spec.media_type, headers={
        "content-disposition": f'attachment; filename="offlabel-{safe}{spec.suffix}"'})


# --- the compare page --------------------------------------------------------------------


def _all_drugs(ol: Offlabel) -> list[str]:
    """Every drug of the evidence base, by name: compare_drugs says which cover a condition."""
    return sorted((dp.name for dp in ol.base().drugs.values()), key=str.casefold)


def common_direction(result: Mapping[str, Any], ol: Offlabel) -> bool | None:
    """Whether a higher value of the comparison's common outcome is better: read off the
    drugs' estimates and what the appraisal said they favour, else off the evidence's outcomes
    of that kind (their curated `higher_is_better`); None when neither says."""
    from offlabel.model import RATIO_MEASURES

    votes: Counter[bool] = Counter()
    for r in result.get("drugs", []):
        e = r.get("common_outcome_effect")
        if not e or e.get("favours") not in ("favours_drug", "favours_control"):
            continue
        null = 1.0 if e["measure"] in RATIO_MEASURES else 0.0
        if e["estimate"] == null:
            continue
        above = e["estimate"] > null
        votes[above if e["favours"] == "favours_drug" else not above] += 1
    if not votes:
        kind = result.get("common_outcome")
        for st in ol.base().studies:
            for o in st.outcomes:
                if o.kind.value == kind and o.higher_is_better is not None:
                    votes[bool(o.higher_is_better)] += 1
    if not votes or votes[True] == votes[False]:
        return None
    return votes[True] > votes[False]


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, condition: str = Query(..., max_length=_MAX),
                 drug: list[str] = Query([])) -> Response:
    """DRUGs side by side for CONDITION: the league table and a forest plot of the outcome
    most of them report. Without a drug, every drug of the evidence that covers it."""
    from offlabel.report.svg import compare_forest_svg
    from offlabel.report.words import CERTAINTY_TEXT, VERDICT_TEXT, system_text

    ol: Offlabel = request.app.state.offlabel
    named = [x.strip() for x in drug if x.strip()]
    result = ol.compare(condition, named or _all_drugs(ol))
    if not named:  # "all drugs covering it": the others are not rows of this page
        result = dict(result, drugs=[r for r in result["drugs"] if r.get("covered")])
    svg = compare_forest_svg(result, higher_is_better=common_direction(result, ol))
    effects = [r["common_outcome_effect"] for r in result["drugs"]
               if r.get("common_outcome_effect")]
    measures = [e["measure"] for e in effects]
    # the plot shows the measure most drugs share (report/svg.py): the others are named
    shown = max(dict.fromkeys(measures), key=measures.count) if measures else None
    plotted = [r["drug"] for r in result["drugs"] if r.get("common_outcome_effect")
               and r["common_outcome_effect"]["measure"] == shown]
    ctx = {"r": result, "named": named, "forest": Markup(svg) if svg else None,  # noqa: S704
           "plotted": plotted, "verdict_text": VERDICT_TEXT, "certainty_text": CERTAINTY_TEXT,
           "system_text": system_text, "cap": cap,
           "ask_href": lambda name: "/ask?" + _query(name, result["condition"])}
    return request.app.state.templates.TemplateResponse(request, "compare.html.j2", ctx)  # type: ignore[no-any-return]
