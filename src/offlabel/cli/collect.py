"""`offlabel collect`, `offlabel sources status` and `offlabel export`.

collect gathers one question's evidence from openFDA (drug profile, brand names), PubMed,
ClinicalTrials.gov and Europe PMC into the DuckDB store, batch by batch, each batch one
transaction. A second collect for the same question reports what is new since the last run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import typer

if TYPE_CHECKING:
    from offlabel.model import Classification, Record
    from offlabel.query import Queries
    from offlabel.sources.http import Service
    from offlabel.store import Store

SOURCES = ("openfda", "pubmed", "ctgov", "europepmc")
SOURCE_LABEL = {
    "openfda": "openFDA label",
    "pubmed": "PubMed",
    "ctgov": "ClinicalTrials.gov",
    "europepmc": "Europe PMC",
}


class ProgressSink(Protocol):
    def total(self, source: str, total: int | None) -> None: ...
    def advance(self, source: str, n: int) -> None: ...
    def done(self, source: str, note: str) -> None: ...


class _NoProgress:
    def total(self, source: str, total: int | None) -> None:
        pass

    def advance(self, source: str, n: int) -> None:
        pass

    def done(self, source: str, note: str) -> None:
        pass


@dataclass
class SourceOutcome:
    source: str
    found: int | None = None  # hits the source reported
    fetched: int = 0  # records read from the network or cache this run
    new: int = 0  # records the store had never seen
    linked: int = 0  # records new to this question
    requests: int = 0  # requests that reached the network (cache hits excluded)
    error: str | None = None


@dataclass
class CollectResult:
    run_id: int
    question_id: str
    drug: str
    condition: str
    status: str
    queries: Queries
    outcomes: dict[str, SourceOutcome]
    new_records: list[Record]
    designs: dict[str, int]
    previous_run: Any | None  # store.Run
    unpublished: int = 0
    notes: list[str] = field(default_factory=list)


def _classifier() -> Callable[[Record], Classification] | None:
    """The design classifier, or None while it is not installed (records get classified later)."""
    from offlabel.store import _classify_fn, classify_record

    try:
        _classify_fn()
    except ImportError:
        return None
    return classify_record


def _openfda_record(drug: str, facts: Any) -> Record:
    from offlabel.model import Record

    parts = []
    if facts.indications:
        parts.append("Indications and usage: " + " | ".join(facts.indications))
    if facts.boxed_warnings:
        parts.append("Boxed warning: " + " | ".join(facts.boxed_warnings))
    return Record(
        source="openfda",
        # A stable title (no date, no brand list) keeps the record key stable across runs.
        title=f"US FDA drug labels for {drug.lower()}",
        abstract="\n".join(parts),
        journal="openFDA drug label",
        publication_types=["Drug Label"],
        keywords=list(facts.brand_names),
        extra={
            "brand_names": facts.brand_names,
            "generic_names": facts.generic_names,
            "dosage_forms": facts.dosage_forms,
            "routes": facts.routes,
            "label_set_ids": facts.label_set_ids,
            "latest_label": facts.latest_label,
            "approvals": [dataclasses.asdict(a) for a in facts.approvals],
        },
    )


def run_collect(
    drug: str,
    condition: str,
    *,
    store_path: Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    max_records: int | None = None,
    sources: tuple[str, ...] = SOURCES,
    progress: ProgressSink | None = None,
) -> CollectResult:
    """Collect one question into the store. Errors of one source do not stop the others."""
    from offlabel.query import build_queries, question_id, resolve
    from offlabel.sources.http import SourceError
    from offlabel.store import Store, default_path

    progress = progress or _NoProgress()
    cond = resolve(condition)
    build_queries(drug, cond)  # ValueError now, before anything is written, if unsearchable
    qid = question_id(drug, cond)
    path = store_path or default_path()
    outcomes = {s: SourceOutcome(s) for s in sources}
    classify = _classifier()
    notes: list[str] = []
    opts = {"offline": offline, "refresh": refresh}

    with Store(path) as store:
        store.upsert_question(qid, drug, cond.name, cond.id)
        previous = [r for r in store.runs(qid) if r.status in ("complete", "partial")]
        run_id = store.start_run(qid, offline=offline)
        status = "interrupted"
        try:
            brand_names: list[str] = []
            if "openfda" in sources:
                brand_names = _collect_openfda(
                    store, qid, run_id, drug, outcomes["openfda"], progress, opts
                )
            if not brand_names:
                # A failed or offline openFDA call still has last time's profile to go on.
                stored = store.drug(drug) or {}
                brand_names = list(stored.get("brand_names") or [])
            queries = build_queries(drug, cond, brand_names)
            store.upsert_question(
                qid,
                drug,
                cond.name,
                cond.id,
                pubmed_query=queries.pubmed,
                europepmc_query=queries.europepmc,
                ctgov_query=f"cond={queries.ctgov_condition}; intr={queries.ctgov_intervention}",
            )
            steps = {
                "pubmed": _collect_pubmed,
                "ctgov": _collect_ctgov,
                "europepmc": _collect_europepmc,
            }
            for name, step in steps.items():
                if name not in sources:
                    continue
                outcome = outcomes[name]
                try:
                    step(
                        store, qid, run_id, queries, outcome, progress, opts, classify, max_records
                    )
                    progress.done(name, f"{outcome.fetched} fetched, {outcome.linked} new")
                except SourceError as exc:
                    outcome.error = str(exc)
                    progress.done(name, "failed")
            if classify is not None:
                _classify_missing(store, qid, classify)
            designs = _designs(store, qid)
            errors = {s: o.error for s, o in outcomes.items() if o.error}
            status = "complete" if not errors else "partial"
            if errors and all(outcomes[s].error for s in sources):
                status = "failed"
            counts = {s: dataclasses.asdict(o) for s, o in outcomes.items()}
            store.finish_run(run_id, status, counts, errors, designs)
            # New since the last run that finished: records first met in this run or in an
            # interrupted run since then (whose batches this run completed).
            baseline = previous[-1].id if previous else 0
            new_records = [
                r for r, _c, _s, first in store.question_records(qid) if first > baseline
            ]
        except BaseException:
            # Ctrl-C or a bug: close the run as interrupted; committed batches stay. If even
            # that write fails, the next open marks the run interrupted anyway.
            with contextlib.suppress(Exception):
                store.finish_run(
                    run_id,
                    "interrupted",
                    {s: dataclasses.asdict(o) for s, o in outcomes.items()},
                    {s: o.error for s, o in outcomes.items() if o.error},
                    {},
                )
            raise

    from offlabel.store import registered_unpublished

    try:
        unpublished = len(registered_unpublished(path, drug, condition))
    except Exception as exc:  # reporting only; the collected data is already safe
        unpublished = 0
        notes.append(f"registered-unpublished count unavailable: {exc}")
    return CollectResult(
        run_id=run_id,
        question_id=qid,
        drug=drug,
        condition=cond.name,
        status=status,
        queries=queries,
        outcomes=outcomes,
        new_records=new_records,
        designs=designs,
        previous_run=previous[-1] if previous else None,
        unpublished=unpublished,
        notes=notes,
    )


def _collect_openfda(
    store: Store,
    qid: str,
    run_id: int,
    drug: str,
    outcome: SourceOutcome,
    progress: ProgressSink,
    opts: dict[str, Any],
) -> list[str]:
    from offlabel.sources.http import SourceError
    from offlabel.sources.openfda import fetch_drug_facts, openfda_service
    from offlabel.store import classify_record

    svc = openfda_service(**opts)
    try:
        progress.total("openfda", 1)
        facts = fetch_drug_facts(svc, drug)
    except SourceError as exc:
        outcome.error = str(exc)
        progress.done("openfda", "failed")
        return []
    finally:
        outcome.requests = svc.requests_sent
        svc.close()
    store.put_drug(drug, dataclasses.asdict(facts))
    outcome.found = len(facts.label_set_ids)
    if facts.label_set_ids:
        record = _openfda_record(drug, facts)
        result = store.write_batch(qid, run_id, "openfda", [(record, classify_record(record))])
        outcome.fetched, outcome.new, outcome.linked = 1, result.new, result.linked
    progress.advance("openfda", 1)
    progress.done("openfda", f"{len(facts.brand_names)} brand names")
    return facts.brand_names


@contextlib.contextmanager
def _counting(svc: Service, outcome: SourceOutcome) -> Iterator[Service]:
    """Use a source's service; afterwards, finished or failed, record the requests that
    reached the network and close it."""
    try:
        yield svc
    finally:
        outcome.requests = svc.requests_sent
        svc.close()


def _store_page(
    store: Store,
    qid: str,
    run_id: int,
    source: str,
    items: list[tuple[Record, Classification | None]],
    outcome: SourceOutcome,
    progress: ProgressSink,
    trials: Iterable[dict[str, Any]] = (),
) -> None:
    """Write one page of a source as one batch (one transaction) and count it."""
    res = store.write_batch(qid, run_id, source, items, trials=trials)
    outcome.fetched += len(items)
    outcome.new += res.new
    outcome.linked += res.linked
    progress.advance(source, len(items))


def _collect_pubmed(
    store: Store,
    qid: str,
    run_id: int,
    queries: Queries,
    outcome: SourceOutcome,
    progress: ProgressSink,
    opts: dict[str, Any],
    classify: Any,
    limit: int | None,
) -> None:
    from offlabel.sources.eutils import eutils_service, fetch_batches, search_ids
    from offlabel.sources.readers import parse_pubmed_xml

    with _counting(eutils_service(**opts), outcome) as svc:
        search = search_ids(svc, queries.pubmed, limit=limit)
        outcome.found = search.count
        total = min(search.count, limit) if limit is not None else search.count
        progress.total("pubmed", total)
        # PMIDs already in the store (from an earlier, maybe interrupted, run or another
        # question) are linked rather than fetched again: that is what makes a rerun resume.
        known = store.known_keys(f"pmid:{i}" for i in search.ids)
        known_ids = {k.split(":", 1)[1] for k in known}
        if known:
            res = store.write_batch(qid, run_id, "pubmed", [], link_keys=sorted(known))
            outcome.linked += res.linked
            progress.advance("pubmed", len(known))

        def parse(body: bytes) -> list[Record]:
            return parse_pubmed_xml(body, name="PubMed EFetch response")

        for _ids, records in fetch_batches(svc, search, parse, skip=known_ids, limit=limit):
            items = [(r, classify(r) if classify else None) for r in records]
            _store_page(store, qid, run_id, "pubmed", items, outcome, progress)


def _collect_ctgov(
    store: Store,
    qid: str,
    run_id: int,
    queries: Queries,
    outcome: SourceOutcome,
    progress: ProgressSink,
    opts: dict[str, Any],
    classify: Any,
    limit: int | None,
) -> None:
    from offlabel.sources.ctgov import ctgov_service, search_studies, trial_facts
    from offlabel.sources.http import MalformedResponse, SourceError
    from offlabel.sources.readers import record_from_ctgov

    with _counting(ctgov_service(**opts), outcome) as svc:
        for page in search_studies(
            svc,
            condition=queries.ctgov_condition,
            intervention=queries.ctgov_intervention,
            limit=limit,
        ):
            if page.total is not None:
                outcome.found = page.total
                progress.total("ctgov", min(page.total, limit) if limit else page.total)
            items, trials = [], []
            for i, study in enumerate(page.studies):
                try:
                    record = record_from_ctgov(study)
                    facts = trial_facts(study)
                except (ValueError, MalformedResponse) as exc:
                    raise SourceError("ctgov", f"study {outcome.fetched + i + 1}: {exc}") from None
                items.append((record, classify(record) if classify else None))
                trials.append(dataclasses.asdict(facts))
            _store_page(store, qid, run_id, "ctgov", items, outcome, progress, trials)


def _collect_europepmc(
    store: Store,
    qid: str,
    run_id: int,
    queries: Queries,
    outcome: SourceOutcome,
    progress: ProgressSink,
    opts: dict[str, Any],
    classify: Any,
    limit: int | None,
) -> None:
    from offlabel.sources.europepmc import europepmc_service, search
    from offlabel.sources.http import SourceError
    from offlabel.sources.readers import record_from_europepmc

    with _counting(europepmc_service(**opts), outcome) as svc:
        for page in search(svc, queries.europepmc, limit=limit):
            if outcome.found is None:
                outcome.found = page.hit_count
                progress.total("europepmc", min(page.hit_count, limit) if limit else page.hit_count)
            items = []
            for i, result in enumerate(page.results):
                try:
                    record = record_from_europepmc(result)
                except ValueError as exc:
                    raise SourceError(
                        "europepmc", f"result {outcome.fetched + i + 1}: {exc}"
                    ) from None
                items.append((record, classify(record) if classify else None))
            _store_page(store, qid, run_id, "europepmc", items, outcome, progress)


def _classify_missing(store: Store, qid: str, classify: Any) -> None:
    missing = [(r.key, classify(r)) for r, c, _s, _f in store.question_records(qid) if c is None]
    if missing:
        store.put_classifications(missing)


def _designs(store: Store, qid: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for _r, c, _s, _f in store.question_records(qid):
        name = c.design.value if c is not None else "unclassified"
        out[name] = out.get(name, 0) + 1
    return dict(sorted(out.items()))


# --- presentation ----------------------------------------------------------------------


class _RichProgress:
    def __init__(self, progress: Any, sources: tuple[str, ...]) -> None:
        self.p = progress
        self.tasks = {s: progress.add_task(SOURCE_LABEL[s], total=None) for s in sources}

    def total(self, source: str, total: int | None) -> None:
        self.p.update(self.tasks[source], total=total)

    def advance(self, source: str, n: int) -> None:
        self.p.advance(self.tasks[source], n)

    def done(self, source: str, note: str) -> None:
        task = self.tasks[source]
        t = self.p.tasks[task]
        self.p.update(
            task,
            total=t.total if t.total is not None else t.completed,
            description=f"{SOURCE_LABEL[source]} [dim]({note})[/dim]",
        )


def print_summary(result: CollectResult, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{result.drug} for {result.condition}: run #{result.run_id}")
    for col in ("source", "found", "fetched", "new to store", "new to question", "requests"):
        if col == "source":
            table.add_column(col, no_wrap=True, min_width=18)
        else:
            table.add_column(col, justify="right")
    for name, o in result.outcomes.items():
        table.add_row(
            SOURCE_LABEL[name],
            "-" if o.found is None else str(o.found),
            str(o.fetched),
            str(o.new),
            str(o.linked),
            str(o.requests),
        )
    console.print(table)
    for o in result.outcomes.values():
        if o.error:
            console.print(f"[red]error[/red] {o.error}", markup=True, highlight=False)
    console.print(
        f"PubMed query: {result.queries.pubmed}", highlight=False, markup=False, soft_wrap=True
    )
    console.print(
        f"Europe PMC query: {result.queries.europepmc}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"ClinicalTrials.gov: condition={result.queries.ctgov_condition!r} "
        f"intervention={result.queries.ctgov_intervention!r}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if result.unpublished:
        console.print(
            f"{result.unpublished} completed registered trial(s) with no results posted and no "
            "linked publication (possible publication bias)."
        )
    prev = result.previous_run
    if prev is None:
        console.print(f"First collection for this question: {len(result.new_records)} records.")
    else:
        when = prev.finished or prev.started
        console.print(
            f"New since run #{prev.id} ({when:%Y-%m-%d %H:%M} UTC): "
            f"{len(result.new_records)} record(s)."
        )
        for r in result.new_records[:10]:
            ident = r.key.split(":", 1)[0].upper() + " " + r.key.split(":", 1)[1]
            console.print(f"  + {ident}: {r.title[:100]}", highlight=False, markup=False)
        if len(result.new_records) > 10:
            console.print(f"  ... and {len(result.new_records) - 10} more")
        changes = _design_changes(prev.designs, result.designs)
        if changes:
            console.print("Evidence base changed: " + "; ".join(changes))
        if prev.verdict:
            console.print(
                f"Verdict at run #{prev.id}: {prev.verdict} (rerun `offlabel ask` to "
                "see whether it changed)"
            )
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False)


def _design_changes(before: dict[str, int], after: dict[str, int]) -> list[str]:
    out = []
    for design in sorted(set(before) | set(after)):
        a, b = before.get(design, 0), after.get(design, 0)
        if a != b:
            out.append(f"{design} {a} -> {b}")
    return out


def _interrupted() -> None:
    typer.echo("interrupted: batches written so far are kept; run again to resume", err=True)
    raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    store_opt = typer.Option(
        None, "--store", help="DuckDB evidence store (default: in the user data directory)."
    )

    @app.command()
    def collect(
        drug: str = typer.Argument(..., help="Drug name, e.g. baclofen."),
        condition: str = typer.Argument(..., help='Condition, e.g. "alcohol use disorder".'),
        store: Path | None = store_opt,
        offline: bool = typer.Option(False, "--offline", help="Use only the cache and store."),
        max_records: int | None = typer.Option(
            None, "--max", min=1, help="At most N records per source."
        ),
        refresh: bool = typer.Option(
            False, "--refresh", help="Ignore cached HTTP responses (still updates the cache)."
        ),
    ) -> None:
        """Gather a question's evidence from openFDA, PubMed, ClinicalTrials.gov, Europe PMC."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from offlabel.sources.http import SourceError
        from offlabel.store import StoreError

        if not drug.strip() or not condition.strip():
            typer.echo("error: DRUG and CONDITION must not be empty", err=True)
            raise typer.Exit(2)
        console = Console(stderr=False)
        # DuckDB turns a Ctrl-C that lands inside a query into its own "interrupted" error,
        # so remember that SIGINT arrived and report it as Ctrl-C whatever was raised.
        sigint = {"seen": False}
        default_handler = signal.getsignal(signal.SIGINT)

        def _on_sigint(signum, frame):  # noqa: ANN001, ANN202
            sigint["seen"] = True
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, _on_sigint)
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=False,
                disable=not console.is_terminal and not os.environ.get("OFFLABEL_PROGRESS"),
            ) as p:
                result = run_collect(
                    drug,
                    condition,
                    store_path=store,
                    offline=offline,
                    refresh=refresh,
                    max_records=max_records,
                    progress=_RichProgress(p, SOURCES),
                )
        except KeyboardInterrupt:
            _interrupted()
        except ValueError as exc:  # a drug or condition that gives no search terms
            if sigint["seen"]:
                _interrupted()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except (StoreError, SourceError) as exc:
            if sigint["seen"]:
                _interrupted()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except Exception:
            if sigint["seen"]:
                _interrupted()
            raise
        finally:
            signal.signal(signal.SIGINT, default_handler)
        print_summary(result, console)
        if result.status != "complete":
            raise typer.Exit(1)

    sources_app = typer.Typer(help="The live sources: endpoints, keys, cache and runs.")
    app.add_typer(sources_app, name="sources")

    @sources_app.command("status")
    def status(store: Path | None = store_opt) -> None:
        """Show endpoints, API keys set, what is cached, and each question's last run."""
        from offlabel.sources.http import DEFAULT_ENDPOINTS, ENDPOINT_ENV, base_url, cache_path
        from offlabel.store import Store, StoreError, default_path

        for name in DEFAULT_ENDPOINTS:
            url = base_url(name)
            tag = "" if url == DEFAULT_ENDPOINTS[name] else f"  (from {ENDPOINT_ENV[name]})"
            typer.echo(f"{name:10} {url}{tag}")
        typer.echo(
            f"NCBI_API_KEY {'set (10 requests/s)' if os.environ.get('NCBI_API_KEY') else 'not set (3 requests/s)'}; "
            f"NCBI_EMAIL {'set' if os.environ.get('NCBI_EMAIL') else 'not set'}"
        )
        typer.echo(_cache_summary(cache_path()))
        path = store or default_path()
        if not path.exists():
            typer.echo(f"store      {path} (not created yet)")
            return
        try:
            with Store(path, read_only=True) as s:
                counts = s.counts()
                typer.echo(
                    f"store      {path}: {counts['records']} records, {counts['trials']} trials, "
                    f"{counts['questions']} questions, {counts['runs']} runs"
                )
                for q in s.con.execute(
                    "SELECT id, drug, condition FROM questions ORDER BY id"
                ).fetchall():
                    runs = s.runs(q[0])
                    last = runs[-1] if runs else None
                    n = len(s.question_keys(q[0]))
                    when = f"{(last.finished or last.started):%Y-%m-%d %H:%M} UTC" if last else "-"
                    state = last.status if last else "never run"
                    typer.echo(f"  {q[1]} / {q[2]}: {n} records; last run {when} ({state})")
        except StoreError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    @app.command()
    def export(
        drug: str | None = typer.Argument(None, help="Drug (omit to export every record)."),
        condition: str | None = typer.Argument(None, help="Condition."),
        fmt: str = typer.Option("ris", "--format", help="ris, csv or json."),
        store: Path | None = store_opt,
        output: Path | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
    ) -> None:
        """Export collected records for reference managers (RIS), spreadsheets or scripts."""
        from offlabel.store import StoreError

        if fmt not in ("ris", "csv", "json"):
            typer.echo(f"error: --format must be ris, csv or json, got {fmt!r}", err=True)
            raise typer.Exit(2)
        if (drug is None) != (condition is None):
            typer.echo("error: give both DRUG and CONDITION, or neither", err=True)
            raise typer.Exit(2)
        try:
            text = export_text(store, drug, condition, fmt)
        except StoreError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        if output:
            output.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {output}", err=True)
        else:
            typer.echo(text, nl=False)


def _cache_summary(path: Path) -> str:
    """The cache file, then one line per source: responses, how many still fresh, when fetched."""
    import sqlite3

    from offlabel.sources.http import cache_report

    if not path.exists():
        return f"cache      {path} (empty)"
    try:
        report = cache_report(path)
    except sqlite3.Error as exc:
        return f"cache      {path} (unreadable: {' '.join(str(exc).split())})"
    size = path.stat().st_size / 1e6
    total = sum(c.responses for c in report)
    lines = [f"cache      {path}: {total} responses, {size:.1f} MB"]
    for c in report:
        name = "other endpoints" if c.source == "other" else c.source
        span = ""
        if c.newest is not None and c.oldest is not None:
            fmt = "%Y-%m-%d %H:%M"
            span = f", fetched {c.oldest:{fmt}} to {c.newest:{fmt}} UTC"
            if c.oldest.strftime(fmt) == c.newest.strftime(fmt):
                span = f", fetched {c.newest:{fmt}} UTC"
        lines.append(f"  {name}: {c.responses} cached ({c.fresh} fresh){span}")
    return "\n".join(lines)


# --- export ------------------------------------------------------------------------------


def export_text(store_path: Path | None, drug: str | None, condition: str | None, fmt: str) -> str:
    from offlabel.store import Store, default_path, load_question_records

    path = store_path or default_path()
    if drug is not None and condition is not None:
        rows = load_question_records(path, drug, condition)
    else:
        with Store(path, read_only=True) as s:
            rows = [(r, c) for r, c in s.all_records()]  # type: ignore[misc]
    if fmt == "ris":
        return "".join(_ris(r) for r, _c in rows)
    if fmt == "csv":
        return _csv(rows)
    return _json(rows)


_RIS_DB = {
    "pubmed": "PubMed",
    "europepmc": "Europe PMC",
    "ctgov": "ClinicalTrials.gov",
    "openfda": "openFDA",
}


def _ris(r: Record) -> str:
    kind = "JOUR" if r.source in ("pubmed", "europepmc", "medline") else "GEN"
    lines = [("TY", kind), ("TI", r.title)]
    lines += [("AU", a) for a in r.authors]
    if r.year:
        lines.append(("PY", str(r.year)))
    if r.journal:
        lines.append(("T2", r.journal))
    if r.abstract:
        lines.append(("AB", " ".join(r.abstract.split())))
    if r.doi:
        lines.append(("DO", r.doi))
    if r.pmid:
        lines.append(("AN", r.pmid))
        lines.append(("UR", f"https://pubmed.ncbi.nlm.nih.gov/{r.pmid}/"))
    elif r.nct:
        lines.append(("AN", r.nct))
        lines.append(("UR", f"https://clinicaltrials.gov/study/{r.nct}"))
    lines += [("KW", k) for k in r.publication_types]
    lines.append(("DB", _RIS_DB.get(r.source, r.source)))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines if value) + "ER  - \n\n"


def _csv(rows: list[tuple[Record, Classification | None]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "key",
            "source",
            "pmid",
            "doi",
            "nct",
            "year",
            "title",
            "journal",
            "authors",
            "publication_types",
            "design",
            "randomised",
        ]
    )
    for r, c in rows:
        w.writerow(
            [
                r.key,
                r.source,
                r.pmid or "",
                r.doi or "",
                r.nct or "",
                r.year or "",
                r.title,
                r.journal or "",
                "; ".join(r.authors),
                "; ".join(r.publication_types),
                c.design.value if c else "",
                "" if c is None or c.randomised is None else str(c.randomised).lower(),
            ]
        )
    return buf.getvalue()


def _json(rows: list[tuple[Record, Classification | None]]) -> str:
    import json

    out = []
    for r, c in rows:
        item: dict[str, Any] = {"key": r.key, "record": dataclasses.asdict(r)}
        item["classification"] = dataclasses.asdict(c) if c is not None else None
        out.append(item)
    return json.dumps(out, indent=2, default=str) + "\n"
