"""`collect`: gather one question's evidence from the live sources into the store.

openFDA (drug profile, brand names), PubMed, ClinicalTrials.gov and Europe PMC, page by page,
each page one transaction with its records' design classifications, so a kill at any point
leaves whole pages and a rerun resumes. An error of one source does not stop the others.
Progress is reported through a small protocol so each face draws it its own way.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from offlabel.errors import MalformedResponse, SourceError, StoreError, UsageError
from offlabel.pipeline.records import classify_record, registered_unpublished
from offlabel.store import Run, Store, default_path

if TYPE_CHECKING:
    from offlabel.model import Classification, Record
    from offlabel.query import Queries
    from offlabel.sources.http import Service

__all__ = ["SOURCES", "SOURCE_LABEL", "CollectResult", "ProgressSink", "SourceOutcome",
           "run_collect"]

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
    previous_run: Run | None
    unpublished: int = 0
    notes: list[str] = field(default_factory=list)


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

    if not drug.strip() or not condition.strip():
        raise UsageError("DRUG and CONDITION must not be empty")
    progress = progress or _NoProgress()
    cond = resolve(condition)
    try:
        build_queries(drug, cond)  # before anything is written: a question with no search terms
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    qid = question_id(drug, cond)
    path = store_path or default_path()
    outcomes = {s: SourceOutcome(s) for s in sources}
    classify: Callable[[Record], Classification] = classify_record
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
            store.set_queries(qid, {
                "pubmed": queries.pubmed,
                "europepmc": queries.europepmc,
                "ctgov": f"cond={queries.ctgov_condition}; intr={queries.ctgov_intervention}",
            })
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
                    step(_Run(store, qid, run_id, queries, progress, opts, classify, max_records),
                         outcome)
                    progress.done(name, f"{outcome.fetched} fetched, {outcome.linked} new")
                except SourceError as exc:
                    outcome.error = str(exc)
                    progress.done(name, "failed")
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
                store.interrupt_run(
                    run_id,
                    {s: dataclasses.asdict(o) for s, o in outcomes.items()},
                    {s: o.error for s, o in outcomes.items() if o.error},
                )
            raise

    try:
        unpublished = len(registered_unpublished(path, drug, cond))
    except StoreError as exc:  # reporting only; the collected data is already safe
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


@dataclass(frozen=True)
class _Run:
    """What every source's step works with: the store, the question and its run, the searches,
    the progress display, the HTTP options, the classifier and the per-source limit."""

    store: Store
    qid: str
    run_id: int
    queries: Queries
    progress: ProgressSink
    opts: dict[str, Any]
    classify: Callable[[Record], Classification]
    limit: int | None


def _collect_openfda(
    store: Store,
    qid: str,
    run_id: int,
    drug: str,
    outcome: SourceOutcome,
    progress: ProgressSink,
    opts: dict[str, Any],
) -> list[str]:
    from offlabel.sources.openfda import fetch_drug_facts, openfda_service

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
    items: Sequence[tuple[Record, Classification | None]],
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


def _collect_pubmed(run: _Run, outcome: SourceOutcome) -> None:
    store, qid, run_id, queries = run.store, run.qid, run.run_id, run.queries
    progress, opts, classify, limit = run.progress, run.opts, run.classify, run.limit
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
            items = [(r, classify(r)) for r in records]
            _store_page(store, qid, run_id, "pubmed", items, outcome, progress)


def _collect_ctgov(run: _Run, outcome: SourceOutcome) -> None:
    store, qid, run_id, queries = run.store, run.qid, run.run_id, run.queries
    progress, opts, classify, limit = run.progress, run.opts, run.classify, run.limit
    from offlabel.sources.ctgov import ctgov_service, search_studies, trial_facts
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
                items.append((record, classify(record)))
                trials.append(dataclasses.asdict(facts))
            _store_page(store, qid, run_id, "ctgov", items, outcome, progress, trials)


def _collect_europepmc(run: _Run, outcome: SourceOutcome) -> None:
    store, qid, run_id, queries = run.store, run.qid, run.run_id, run.queries
    progress, opts, classify, limit = run.progress, run.opts, run.classify, run.limit
    from offlabel.sources.europepmc import europepmc_service, search
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
                items.append((record, classify(record)))
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
