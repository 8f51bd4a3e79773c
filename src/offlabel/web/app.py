"""A local web app over offlabel: the same pipeline the CLI calls (offlabel.pipeline.Offlabel),
server-rendered with Jinja2 (autoescape on: a study title cannot inject markup), a little of
our own JavaScript, nothing from a CDN.

This module is the frame: the app, its middleware (offlabel.web.guard), its error pages
(offlabel.web.failures), the home page with the evidence matrix, the evidence-file check, the
collected records of a store, the JSON API and offline API docs. The answer and compare pages
and the report downloads are offlabel.web.answer's; the map of a scan is
offlabel.web.evidence_map's.
Binds to 127.0.0.1 by default (see `offlabel serve`).
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offlabel.errors import NotCovered, UsageError
from offlabel.pipeline import Offlabel
from offlabel.web import failures, guard

__all__ = ["create_app"]

_HERE = Path(str(importlib.resources.files("offlabel.web")))
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"
# Paths whose GET responses are answers computed from the evidence: cached in memory.
_CACHED = ("/ask", "/compare", "/api/ask", "/api/compare", "/download/")


def _cacheable(path: str) -> bool:
    return path == "/" or path.startswith(_CACHED)


def create_app(app: Offlabel | Sequence[Path] | None = None) -> FastAPI:
    """The web app over an Offlabel application (or, for short, a list of evidence paths)."""
    ol = app if isinstance(app, Offlabel) else Offlabel(evidence=list(app or []))
    ol.base()  # a broken evidence file is reported now, not on the first page
    fingerprint = ol.fingerprint()

    def cache_key(path: str) -> str | None:
        # Answers that read a store change with every collect: never kept. The home page's
        # matrix is the curated evidence's only.
        return fingerprint if ol.store is None or path == "/" else None

    web = FastAPI(
        title="offlabel",
        description="Appraises published evidence for off-label uses of drugs; not medical "
                    "advice.",
        docs_url=None, redoc_url=None,  # ours below: no CDN, no inline script
        middleware=[
            Middleware(guard.SecurityHeaders),
            Middleware(guard.HeadAsGet),
            Middleware(guard.Caps, refuse=failures.handle),
            Middleware(FreeTextQuestion),
            Middleware(guard.PageCache, paths=_cacheable, key=cache_key),
        ],
    )
    templates = _templates(ol)
    web.state.offlabel = ol
    web.state.templates = templates
    failures.install(web)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.mount("/docs-static", StaticFiles(directory=_offline_docs()), name="docs-static")
    matrix = _Memo(lambda: evidence_matrix(ol))
    # `offlabel serve` calls this in a thread at start-up: the matrix (every drug's overview)
    # and the appraisal's imports are ready before the first visitor asks.
    web.state.warm_up = matrix.get

    @web.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html.j2", {"matrix": matrix.get()})

    @web.get("/check", response_class=HTMLResponse, include_in_schema=False)
    def check_form(request: Request) -> Response:
        return templates.TemplateResponse(request, "check.html.j2", {"result": None})

    @web.post("/check", response_class=HTMLResponse, include_in_schema=False)
    async def check_upload(request: Request) -> Response:
        name, data = await _read_upload(request)
        result = await run_in_threadpool(check_evidence, data, name)
        return templates.TemplateResponse(request, "check.html.j2", {"result": result})

    @web.get("/records", response_class=HTMLResponse, include_in_schema=False)
    def records(request: Request, drug: str = Query(..., max_length=guard.MAX_PARAM),
                condition: str = Query(..., max_length=guard.MAX_PARAM)) -> Response:
        if ol.store is None:
            raise UsageError("collected records are shown when the app is started with "
                             "`offlabel serve --store PATH`")
        return templates.TemplateResponse(request, "records.html.j2",
                                          {"view": collected_view(ol, drug, condition)})

    @web.get("/api/ask", tags=["answers"])
    def api_ask(drug: str = Query(..., max_length=guard.MAX_PARAM),
                condition: str | None = Query(None, max_length=guard.MAX_PARAM)) -> JSONResponse:
        """The whole report of DRUG for CONDITION (docs/json.md); the overview without one."""
        from offlabel.report.data import answer_dict

        # A page view reads the store; it never writes to it.
        return JSONResponse(answer_dict(ol.ask(drug, condition or None, record=False).answer))

    @web.get("/api/compare", tags=["answers"])
    def api_compare(condition: str = Query(..., max_length=guard.MAX_PARAM),
                    drug: list[str] = Query([], max_length=guard.MAX_COMPARE)) -> JSONResponse:
        """DRUGs compared for CONDITION (every drug in the evidence when none is given)."""
        drugs = drug or sorted(d.name for d in ol.base().drugs.values())
        return JSONResponse(ol.compare(condition, drugs))

    @web.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "docs.html.j2", {"kind": "swagger"})

    @web.get("/redoc", response_class=HTMLResponse, include_in_schema=False)
    def redoc(request: Request) -> Response:
        return templates.TemplateResponse(request, "docs.html.j2", {"kind": "redoc"})

    from offlabel.web import answer, evidence_map

    web.include_router(answer.router)  # /ask, /compare, /download/{fmt}
    web.include_router(evidence_map.router)  # /map, /api/map
    return web


class _Memo:
    """One value computed once, on first use, by one thread (the others wait)."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.value: Any = None
        self.lock = threading.Lock()

    def get(self) -> Any:
        with self.lock:
            if self.value is None:
                self.value = self.make()
            return self.value


def _templates(ol: Offlabel) -> Jinja2Templates:
    # Our own environment: Starlette's default autoescapes only names ending in .html, and
    # ours end in .html.j2. Autoescape is on for every template, whatever its name.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals["question_options"] = question_options(ol)
    env.globals["has_store"] = ol.store is not None
    env.globals["has_scan"] = getattr(ol, "scan", None) is not None
    return Jinja2Templates(env=env)


def _offline_docs() -> Path:
    """Swagger UI's and ReDoc's bundles as fastapi-offline vendors them."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


# --- the question box ---------------------------------------------------------------------


def question_options(ol: Offlabel) -> list[str]:
    """What the question box offers as one types: every covered question ("Baclofen for
    alcohol use disorder"), then the drugs with their brands, then the conditions with their
    synonyms (model.CONDITIONS)."""
    from offlabel.appraise import covered_conditions
    from offlabel.model import CONDITIONS

    base = ol.base()
    out: list[str] = []
    drugs = sorted(base.drugs.values(), key=lambda d: d.name.casefold())
    for d in drugs:
        out += [f"{d.name} for {c.name}" for c in covered_conditions(base.studies_for(d.id))]
    for d in drugs:
        out += [d.name, *d.brand_names]
    for c in CONDITIONS:
        out += [c.name, *c.synonyms]
    return list(dict.fromkeys(x for x in out if x))


class FreeTextQuestion:
    """`/ask?q=baclofen for alcohol use disorder` (the question box) answered by a 303 to
    `/ask?drug=baclofen&condition=alcohol use disorder` (a condition alone goes to its
    comparison); a drug or condition that is not covered gets the error page with its
    "did you mean" links straight away."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/ask":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        params = request.query_params
        if "q" not in params or "drug" in params:
            await self.app(scope, receive, send)
            return
        ol: Offlabel = scope["app"].state.offlabel
        try:
            target = resolve_free_text(ol, params["q"])
        except NotCovered as exc:
            drug, condition = _split(ol, params["q"])
            response = failures.error_response(
                request, 404, failures.message_for(exc),
                failures.suggest(ol, "/ask", [drug] if drug else [], condition, exc),
                failures.title_for(exc, 404))
        except UsageError as exc:
            response = await failures.handle(request, exc)
        else:
            response = RedirectResponse(target, status_code=303)
        await response(scope, receive, send)


def _split(ol: Offlabel, text: str) -> tuple[str | None, str | None]:
    from offlabel.appraise.question import split_question_text

    return split_question_text(ol.base(), text)


def resolve_free_text(ol: Offlabel, text: str) -> str:
    """Where a typed question is answered: its /ask (or /compare) address. NotCovered (with
    the nearest names) when the drug or the condition is not known."""
    from offlabel.appraise.question import resolve_condition_text, resolve_question

    drug, condition = _split(ol, text)
    if drug is None and condition is None:
        raise UsageError("type a question, e.g. 'baclofen for alcohol use disorder'")
    if drug is None:
        cond = resolve_condition_text(condition or "")
        return "/compare?" + urlencode({"condition": cond.name})
    question = resolve_question(ol.base(), drug, condition)
    pairs = [("drug", question.drug.id)]
    if question.condition is not None:
        pairs.append(("condition", question.condition.name))
    return "/ask?" + urlencode(pairs)


# --- the home page's evidence matrix ---------------------------------------------------------


# A cell's words; the legend and the answer page give VERDICT_TEXT's whole phrase.
_CELL_WORDS = {"approved": "Approved", "supported": "Supported", "promising": "Promising",
               "conflicting": "Conflicting", "not_supported": "Not supported",
               "insufficient": "Insufficient"}


@dataclass(frozen=True)
class MatrixCell:
    drug: str
    condition: str
    verdict: str
    verdict_text: str
    verdict_words: str
    certainty: str | None
    certainty_text: str
    href: str


@dataclass(frozen=True)
class Matrix:
    drugs: list[tuple[str, str]]  # (id, name), columns
    conditions: list[str]  # names, rows
    cells: dict[tuple[str, str], MatrixCell]  # (drug id, condition name)
    legend: list[tuple[str, str]]  # (verdict, its words)


def evidence_matrix(ol: Offlabel) -> Matrix:
    """Every covered drug x condition with its verdict and certainty: each drug's overview as
    `offlabel ask DRUG` computes it (one row per covered condition, the same appraisal as the
    full answer), from the curated evidence (a store's records belong to one question)."""
    from offlabel.report.words import CERTAINTY_TEXT, VERDICT_TEXT

    source = ol if ol.store is None else dataclasses.replace(ol, store=None)
    base = source.base()
    drugs = sorted(base.drugs.values(), key=lambda d: d.name.casefold())
    cells: dict[tuple[str, str], MatrixCell] = {}
    order: dict[str, int] = {}
    from offlabel.model import CONDITIONS

    rank = {c.name: i for i, c in enumerate(CONDITIONS)}
    for d in drugs:
        for ca in source.ask(d.id, None, record=False).answer.conditions:
            name = ca.condition.name
            order.setdefault(name, rank.get(name, len(rank)))
            label = ca.verdict.label
            certainty = ca.verdict.certainty
            cells[(d.id, name)] = MatrixCell(
                d.name, name, label, VERDICT_TEXT.get(label, label.replace("_", " ")),
                _CELL_WORDS.get(label, label.replace("_", " ")), certainty, CERTAINTY_TEXT.get(certainty, str(certainty)),
                "/ask?" + urlencode({"drug": d.id, "condition": name}))
    conditions = sorted(order, key=lambda n: order[n])
    legend = [(v, VERDICT_TEXT[v]) for v in VERDICT_TEXT]
    return Matrix([(d.id, d.name) for d in drugs], conditions, cells, legend)


# --- the evidence check ----------------------------------------------------------------------


@dataclass
class CheckResult:
    filename: str
    problems: list[str]
    drug: str | None = None
    studies: int = 0
    sources: int = 0


async def _read_upload(request: Request) -> tuple[str, bytes]:
    """The uploaded file's name and bytes, refused (413) past guard.MAX_UPLOAD before any of it
    is parsed: the body is read here with a running count, then handed to the form parser."""
    from starlette.exceptions import HTTPException

    too_large = HTTPException(413, f"the upload is larger than {guard.MAX_UPLOAD // 1024**2} MB; "
                                   f"check one evidence file at a time")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > guard.MAX_UPLOAD + 64 * 1024:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > guard.MAX_UPLOAD + 64 * 1024:  # the form's own framing on top
            raise too_large
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    async with Request(request.scope, replay).form(max_files=1, max_fields=4) as form:
        upload = form.get("evidence")
        if upload is None or isinstance(upload, str):
            raise UsageError("choose an evidence YAML file to check (form field 'evidence')")
        data = await upload.read(guard.MAX_UPLOAD + 1)
        name = Path(upload.filename or "evidence.yaml").name[:100] or "evidence.yaml"
    if len(data) > guard.MAX_UPLOAD:
        raise too_large
    return name, data


def check_evidence(data: bytes, filename: str) -> CheckResult:
    """`offlabel validate FILE` on an uploaded file's text: the same checks (schema, source
    policy unless the file is marked example, duplicate ids) and the same problem lines, with
    nothing written anywhere."""
    from offlabel.pipeline.validate import check_evidence as check

    text: str | Exception
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = exc
    checked = check([(filename, text)])
    problems = checked.problems
    ev = checked.files[0][1] if checked.files else None
    if ev is None or problems:
        return CheckResult(filename, problems)
    return CheckResult(filename, [], ev.drug.name, len(ev.studies),
                       sum(len(s.sources) for s in ev.studies) + len(ev.drug.sources))


# --- the collected records of a question (serve --store) --------------------------------------


@dataclass
class RecordRow:
    title: str
    year: int | None
    journal: str | None
    design: str
    found_by: list[str]
    links: list[tuple[str, str]]  # (label, url)
    new: bool


@dataclass
class CollectedView:
    drug: str
    condition: str
    runs: list[dict[str, Any]]
    records: list[RecordRow]
    by_source: dict[str, int]
    new: int
    verdict_change: tuple[str, str] | None
    answer_href: str


def collected_view(ol: Offlabel, drug: str, condition_text: str) -> CollectedView:
    """What `collect` stored for a question: its records with their design labels (the
    pipeline's classification, merged as `ask --store` merges them), its runs by source, and
    what the latest run added."""
    from offlabel.appraise.question import resolve_condition_text
    from offlabel.pipeline.records import question_info, question_records
    from offlabel.query import question_id
    from offlabel.store import Store

    assert ol.store is not None
    cond = resolve_condition_text(condition_text)
    if not ol.store.exists():
        raise NotCovered(f"{ol.store}: no store at this path yet (run `offlabel collect "
                         f"{drug} \"{cond.name}\" --store {ol.store}`)")
    info = question_info(ol.store, drug, cond)  # StoreError when never collected
    pairs = question_records(ol.store, drug, cond)
    with Store(ol.store, read_only=True) as store:
        first_run = {r.key: run for r, _c, _s, run in store.question_records(
            question_id(drug, cond))}
    runs = info["runs"]
    finished = [r for r in runs if r.get("finished")]
    baseline = finished[-2]["id"] if len(finished) > 1 else 0
    rows = []
    for record, classification in pairs:
        key = str(record.extra.get("store_key", record.key))
        links = []
        if record.pmid:
            links.append((f"PMID {record.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/"))
        if record.nct:
            links.append((record.nct, f"https://clinicaltrials.gov/study/{record.nct}"))
        if record.doi:
            links.append((f"doi:{record.doi}", f"https://doi.org/{record.doi}"))
        found = record.extra.get("found_by")
        rows.append(RecordRow(
            record.title or "(no title)", record.year, record.journal,
            classification.design.value.replace("_", " "),
            [str(s) for s in found] if isinstance(found, list) else [record.source], links,
            len(finished) > 1 and first_run.get(key, 0) > baseline))
    verdicts = [r["verdict"] for r in finished if r.get("verdict")]
    change = (verdicts[-2], verdicts[-1]) if len(verdicts) > 1 and verdicts[-2] != verdicts[-1] \
        else None
    return CollectedView(drug, cond.name, runs, rows, dict(info["records_by_source"]),
                         sum(r.new for r in rows), change,
                         "/ask?" + urlencode({"drug": drug, "condition": cond.name}))
