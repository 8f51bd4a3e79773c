"""The evidence store: one DuckDB file holding what `offlabel collect` gathered.

Tables: records (one row per record key, the Record as JSON), record_sources (which sources
found it), classifications, effects, trials (registry facts), drugs (openFDA profile),
questions, question_records (which records answer which question, and in which run they
first appeared) and runs.

Consistency rule: every write that belongs together (a batch of records with their
classifications, trial facts and question links) is one transaction, so a kill at any point
leaves whole batches or nothing. A run row is written 'running' first and finished last; a
run still 'running' when the store is next opened for writing was interrupted, and is marked
so. Upserts are keyed by record key, which makes a re-run resume without duplicates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offlabel.errors import StoreError
from offlabel.model import Blinding, Classification, Comparator, Design, Direction, Record

SCHEMA_VERSION = 1

_NCT = re.compile(r"\bNCT\d{8}\b", re.IGNORECASE)

# When two sources give the same record key, the richer one's copy is kept.
SOURCE_RANK = {"pubmed": 0, "medline": 1, "europepmc": 2, "ctgov": 3, "openfda": 4}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    pmid TEXT, doi TEXT, nct TEXT, pmcid TEXT,
    title TEXT, year INTEGER, journal TEXT,
    data JSON NOT NULL,
    digest TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    updated TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS record_sources (
    key TEXT NOT NULL, source TEXT NOT NULL, first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (key, source)
);
CREATE TABLE IF NOT EXISTS classifications (
    key TEXT PRIMARY KEY,
    design TEXT NOT NULL, randomised BOOLEAN, blinding TEXT, comparator TEXT,
    species TEXT, n INTEGER, direction TEXT, evidence JSON,
    classified_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS effects (
    key TEXT NOT NULL, outcome TEXT NOT NULL, kind TEXT, data JSON NOT NULL,
    extracted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key, outcome)
);
CREATE TABLE IF NOT EXISTS trials (
    nct TEXT PRIMARY KEY, status TEXT, has_results BOOLEAN, completion_date TEXT,
    data JSON NOT NULL, updated TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS drugs (
    drug TEXT PRIMARY KEY, data JSON NOT NULL, fetched TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY, drug TEXT NOT NULL, condition TEXT NOT NULL, condition_id TEXT,
    pubmed_query TEXT, europepmc_query TEXT, ctgov_query TEXT,
    created TIMESTAMP NOT NULL, updated TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS question_records (
    question_id TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (question_id, key, source)
);
CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, question_id TEXT NOT NULL,
    started TIMESTAMP NOT NULL, finished TIMESTAMP,
    status TEXT NOT NULL, offline BOOLEAN NOT NULL DEFAULT FALSE,
    counts JSON, errors JSON, designs JSON, verdict TEXT
);
"""


def default_path() -> Path:
    override = os.environ.get("OFFLABEL_STORE")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("offlabel")) / "evidence.duckdb"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- (de)serialising the model's dataclasses ---------------------------------------------


def record_to_json(record: Record) -> str:
    return json.dumps(dataclasses.asdict(record), default=str, sort_keys=True)


def record_from_json(text: str | dict[str, Any]) -> Record:
    data = json.loads(text) if isinstance(text, str) else dict(text)
    names = {f.name for f in dataclasses.fields(Record)}
    data = {k: v for k, v in data.items() if k in names}
    data["abstract_sections"] = [tuple(s) for s in data.get("abstract_sections") or []]
    return Record(**data)


def classification_from_row(row: tuple[Any, ...]) -> Classification:
    design, randomised, blinding, comparator, species, n, direction, evidence = row
    return Classification(
        design=Design(design),
        randomised=randomised,
        blinding=Blinding(blinding or "unknown"),
        comparator=Comparator(comparator or "unknown"),
        species=species,
        n=n,
        direction=Direction(direction or "unclear"),
        evidence=json.loads(evidence) if evidence else {},
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class WriteResult:
    new: int = 0  # keys the store had never seen
    updated: int = 0  # keys whose content changed
    linked: int = 0  # new links to the question (new for this question)


@dataclass
class Run:
    id: int
    question_id: str
    started: datetime
    finished: datetime | None
    status: str
    offline: bool
    counts: dict[str, Any]
    errors: dict[str, str]
    designs: dict[str, int]
    verdict: str | None


_CLS_UPSERT = """ON CONFLICT (key) DO UPDATE SET design = excluded.design,
    randomised = excluded.randomised, blinding = excluded.blinding,
    comparator = excluded.comparator, species = excluded.species, n = excluded.n,
    direction = excluded.direction, evidence = excluded.evidence,
    classified_at = excluded.classified_at"""


def _classification_row(key: str, c: Classification, now: datetime) -> tuple[Any, ...]:
    return (
        key,
        c.design.value,
        c.randomised,
        c.blinding.value,
        c.comparator.value,
        c.species,
        c.n,
        c.direction.value,
        json.dumps(c.evidence, default=str),
        now,
    )


class Store:
    """A DuckDB connection with the evidence schema. Use as a context manager."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such store (run `offlabel collect` first)")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            msg = " ".join(str(exc).split())
            if "lock" in msg.lower():
                pid = re.search(r"PID (\d+)", msg)
                who = f" (PID {pid.group(1)})" if pid else ""
                raise StoreError(
                    f"{self.path}: store is in use by another process{who}; "
                    "wait for that collect to finish"
                ) from None
            raise StoreError(f"{self.path}: cannot open store: {msg}") from None
        if not read_only:
            self.con.execute(_SCHEMA)
            self.con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [str(SCHEMA_VERSION)],
            )
            self._close_interrupted_runs()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def _close_interrupted_runs(self) -> None:
        # Only one writer can hold a DuckDB file, so a 'running' row now belongs to a dead one.
        self.con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    # --- questions and runs --------------------------------------------------------------

    def upsert_question(
        self,
        qid: str,
        drug: str,
        condition: str,
        condition_id: str | None,
        *,
        pubmed_query: str | None = None,
        europepmc_query: str | None = None,
        ctgov_query: str | None = None,
    ) -> None:
        now = _now()
        self.con.execute(
            """
            INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                pubmed_query = COALESCE(excluded.pubmed_query, questions.pubmed_query),
                europepmc_query = COALESCE(excluded.europepmc_query, questions.europepmc_query),
                ctgov_query = COALESCE(excluded.ctgov_query, questions.ctgov_query),
                updated = excluded.updated
            """,
            [
                qid,
                drug,
                condition,
                condition_id,
                pubmed_query,
                europepmc_query,
                ctgov_query,
                now,
                now,
            ],
        )

    def question(self, qid: str) -> dict[str, Any] | None:
        row = self.con.execute(
            "SELECT id, drug, condition, condition_id, pubmed_query, europepmc_query, "
            "ctgov_query, created, updated FROM questions WHERE id = ?",
            [qid],
        ).fetchone()
        if row is None:
            return None
        cols = [
            "id",
            "drug",
            "condition",
            "condition_id",
            "pubmed_query",
            "europepmc_query",
            "ctgov_query",
            "created",
            "updated",
        ]
        return dict(zip(cols, row, strict=True))

    def start_run(self, qid: str, *, offline: bool = False) -> int:
        row = self.con.execute("SELECT nextval('run_ids')").fetchone()
        assert row is not None
        run_id = int(row[0])
        self.con.execute(
            "INSERT INTO runs (id, question_id, started, status, offline) "
            "VALUES (?, ?, ?, 'running', ?)",
            [run_id, qid, _now(), offline],
        )
        return run_id

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, Any],
        errors: dict[str, str],
        designs: dict[str, int],
    ) -> None:
        self.con.execute(
            "UPDATE runs SET finished = ?, status = ?, counts = ?, errors = ?, designs = ? "
            "WHERE id = ?",
            [_now(), status, json.dumps(counts), json.dumps(errors), json.dumps(designs), run_id],
        )

    def set_verdict(self, run_id: int, verdict: str) -> None:
        self.con.execute("UPDATE runs SET verdict = ? WHERE id = ?", [verdict, run_id])

    def runs(self, qid: str | None = None) -> list[Run]:
        sql = (
            "SELECT id, question_id, started, finished, status, offline, counts, errors, "
            "designs, verdict FROM runs"
        )
        params: list[Any] = []
        if qid is not None:
            sql += " WHERE question_id = ?"
            params.append(qid)
        out = []
        for r in self.con.execute(sql + " ORDER BY id", params).fetchall():
            out.append(
                Run(
                    id=r[0],
                    question_id=r[1],
                    started=r[2],
                    finished=r[3],
                    status=r[4],
                    offline=bool(r[5]),
                    counts=json.loads(r[6]) if r[6] else {},
                    errors=json.loads(r[7]) if r[7] else {},
                    designs=json.loads(r[8]) if r[8] else {},
                    verdict=r[9],
                )
            )
        return out

    # --- records ---------------------------------------------------------------------------

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        if not keys:
            return set()
        rows = self.con.execute(
            "SELECT key FROM records WHERE key IN (SELECT unnest(?::TEXT[]))", [keys]
        ).fetchall()
        return {r[0] for r in rows}

    def question_keys(self, qid: str, source: str | None = None) -> set[str]:
        sql = "SELECT key FROM question_records WHERE question_id = ?"
        params: list[Any] = [qid]
        if source:
            sql += " AND source = ?"
            params.append(source)
        return {r[0] for r in self.con.execute(sql, params).fetchall()}

    def write_batch(
        self,
        qid: str,
        run_id: int,
        source: str,
        items: list[tuple[Record, Classification | None]],
        *,
        trials: Iterable[dict[str, Any]] = (),
        link_keys: Iterable[str] = (),
    ) -> WriteResult:
        """Store a batch and link it to the question, all in one transaction.

        link_keys are records already in the store that this source found again for the
        question (e.g. PMIDs collected for another question): they are linked, not refetched.
        Set-based statements, not a statement per record: DuckDB pays per statement.
        """
        result = WriteResult()
        now = _now()
        batch: dict[str, tuple[Record, Classification | None, str, str]] = {}
        for record, classification in items:
            if record.key not in batch:  # a page can list one record twice
                data = record_to_json(record)
                batch[record.key] = (record, classification, data, _digest(data))
        keys = list(batch)
        all_keys = list(dict.fromkeys([*keys, *link_keys]))
        with self.transaction():
            existing = {
                k: (src, dig)
                for k, src, dig in self._select_in(
                    "SELECT key, source, digest FROM records WHERE key IN", keys
                )
            }
            rank = SOURCE_RANK.get(source, 9)
            rows, cls_rows = [], []
            for key, (record, classification, data, digest) in batch.items():
                old = existing.get(key)
                if old is not None and (rank > SOURCE_RANK.get(old[0], 9) or old[1] == digest):
                    continue  # a richer source's copy, or nothing changed
                result.new += old is None
                result.updated += old is not None
                rows.append(
                    (
                        key,
                        source,
                        record.pmid,
                        record.doi,
                        record.nct,
                        record.pmcid,
                        record.title,
                        record.year,
                        record.journal,
                        data,
                        digest,
                        now,
                        now,
                    )
                )
                if classification is not None:
                    cls_rows.append(_classification_row(key, classification, now))
            self._insert_many(
                "INSERT INTO records VALUES",
                rows,
                """ON CONFLICT (key) DO UPDATE SET
                    source = excluded.source, pmid = excluded.pmid, doi = excluded.doi,
                    nct = excluded.nct, pmcid = excluded.pmcid, title = excluded.title,
                    year = excluded.year, journal = excluded.journal,
                    data = excluded.data, digest = excluded.digest, updated = excluded.updated""",
            )
            self._insert_many("INSERT INTO classifications VALUES", cls_rows, _CLS_UPSERT)
            self._insert_many(
                "INSERT INTO record_sources VALUES",
                [(k, source, now) for k in all_keys],
                "ON CONFLICT DO NOTHING",
            )
            linked = {
                r[0]
                for r in self._select_in(
                    "SELECT DISTINCT key FROM question_records WHERE question_id = ? AND key IN",
                    all_keys,
                    [qid],
                )
            }
            result.linked = sum(1 for k in all_keys if k not in linked)
            self._insert_many(
                "INSERT INTO question_records VALUES",
                [(qid, k, source, run_id) for k in all_keys],
                "ON CONFLICT DO NOTHING",
            )
            trial_rows = {
                t["nct"]: (
                    t["nct"],
                    t.get("status"),
                    t.get("has_results"),
                    t.get("completion_date"),
                    json.dumps(t, default=str),
                    now,
                )
                for t in trials
            }
            self._insert_many(
                "INSERT INTO trials VALUES",
                list(trial_rows.values()),
                """ON CONFLICT (nct) DO UPDATE SET status = excluded.status,
                    has_results = excluded.has_results, completion_date = excluded.completion_date,
                    data = excluded.data, updated = excluded.updated""",
            )
        return result

    def _select_in(
        self, sql: str, values: list[str], params: list[Any] | None = None
    ) -> list[tuple[Any, ...]]:
        if not values:
            return []
        return self.con.execute(
            f"{sql} (SELECT unnest(?::TEXT[]))", [*(params or []), values]
        ).fetchall()

    def _insert_many(self, head: str, rows: list[tuple[Any, ...]], tail: str = "") -> None:
        """One multi-row INSERT per 500 rows (DuckDB's executemany is a statement per row)."""
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            width = len(chunk[0])
            one = "(" + ", ".join("?" * width) + ")"
            values = ", ".join([one] * len(chunk))
            flat = [v for row in chunk for v in row]
            self.con.execute(f"{head} {values} {tail}", flat)

    def put_classifications(self, items: Iterable[tuple[str, Classification]]) -> None:
        now = _now()
        rows = {key: _classification_row(key, c, now) for key, c in items}
        with self.transaction():
            self._insert_many(
                "INSERT INTO classifications VALUES", list(rows.values()), _CLS_UPSERT
            )

    def put_drug(self, drug: str, facts: dict[str, Any]) -> None:
        with self.transaction():
            self.con.execute(
                "INSERT INTO drugs VALUES (?, ?, ?) ON CONFLICT (drug) DO UPDATE SET "
                "data = excluded.data, fetched = excluded.fetched",
                [drug.lower(), json.dumps(facts, default=str), _now()],
            )

    def drug(self, drug: str) -> dict[str, Any] | None:
        row = self.con.execute("SELECT data FROM drugs WHERE drug = ?", [drug.lower()]).fetchone()
        return json.loads(row[0]) if row else None

    def question_records(
        self, qid: str
    ) -> list[tuple[Record, Classification | None, list[str], int]]:
        """(record, classification, sources that found it, first run) for a question."""
        rows = self.con.execute(
            """
            SELECT r.data, c.design, c.randomised, c.blinding, c.comparator, c.species, c.n,
                   c.direction, c.evidence, q.sources, q.first_run
            FROM (SELECT key, list(DISTINCT source ORDER BY source) AS sources,
                         min(run_id) AS first_run
                  FROM question_records WHERE question_id = ? GROUP BY key) q
            JOIN records r USING (key)
            LEFT JOIN classifications c USING (key)
            ORDER BY r.year DESC NULLS LAST, r.key
            """,
            [qid],
        ).fetchall()
        out = []
        for row in rows:
            record = record_from_json(row[0])
            c = classification_from_row(row[1:9]) if row[1] is not None else None
            out.append((record, c, list(row[9]), int(row[10])))
        return out

    def all_records(self) -> list[tuple[Record, Classification | None]]:
        rows = self.con.execute(
            """
            SELECT r.data, c.design, c.randomised, c.blinding, c.comparator, c.species, c.n,
                   c.direction, c.evidence
            FROM records r LEFT JOIN classifications c USING (key) ORDER BY r.key
            """
        ).fetchall()
        return [
            (record_from_json(r[0]), classification_from_row(r[1:9]) if r[1] else None)
            for r in rows
        ]

    def trials(self, ncts: Iterable[str]) -> dict[str, dict[str, Any]]:
        ncts = list(ncts)
        if not ncts:
            return {}
        rows = self.con.execute(
            "SELECT nct, data FROM trials WHERE nct IN (SELECT unnest(?::TEXT[]))", [ncts]
        ).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("records", "classifications", "effects", "trials", "questions", "runs"):
            row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[table] = int(row[0]) if row else 0
        return out

    def check(self) -> list[str]:
        """Integrity problems (empty when consistent): dangling links, duplicate keys."""
        problems = []
        queries = {
            "question links to missing records": (
                "SELECT count(*) FROM question_records q ANTI JOIN records r USING (key)"
            ),
            "records without a source row": (
                "SELECT count(*) FROM records r ANTI JOIN record_sources s USING (key)"
            ),
            "classifications of missing records": (
                "SELECT count(*) FROM classifications c ANTI JOIN records r USING (key)"
            ),
            "question links to unknown questions": (
                "SELECT count(*) FROM question_records q "
                "ANTI JOIN questions p ON q.question_id = p.id"
            ),
            "duplicate record keys": ("SELECT count(*) - count(DISTINCT key) FROM records"),
        }
        for label, sql in queries.items():
            row = self.con.execute(sql).fetchone()
            if row and row[0]:
                problems.append(f"{label}: {row[0]}")
        return problems


# --- the functions the appraisal calls ----------------------------------------------------


def _question_id(drug: str, condition: str) -> tuple[str, str]:
    from offlabel.query import question_id, resolve

    cond = resolve(condition)
    return question_id(drug, cond), cond.name


def load_question_records(
    store_path: str | os.PathLike[str] | None,
    drug: str,
    condition: str,
    *,
    merge: bool = True,
) -> list[tuple[Record, Classification]]:
    """Every record collected for (drug, condition), with its design classification.

    Records classified at collect time keep that classification; any without one (collected
    before a classifier existed) are classified now. Record.extra["found_by"] lists the
    sources that returned each record. StoreError when the question was never collected.

    With merge (the default) one paper found under different keys (PubMed by PMID, Europe PMC
    by DOI only, or the same title and year) comes back once, as the richest source's copy
    completed by the others (readers.merge_records), and a registry entry joins the first
    paper that carries its NCT id. registered_unpublished() reads the unmerged store.
    """
    path = Path(store_path) if store_path else default_path()
    qid, cond_name = _question_id(drug, condition)
    with Store(path, read_only=True) as store:
        if store.question(qid) is None:
            raise StoreError(
                f"{path}: nothing collected for {drug} / {cond_name} "
                f'(run `offlabel collect {drug} "{condition}" --store {path}`)'
            )
        rows = store.question_records(qid)
    pairs = []
    for record, classification, sources, _run in rows:
        record.extra["found_by"] = sources
        pairs.append((record, classification or classify_record(record)))
    return _merge_pairs(pairs) if merge else pairs


def _merge_pairs(
    pairs: list[tuple[Record, Classification]],
) -> list[tuple[Record, Classification]]:
    from offlabel.sources.readers import merge_records

    # Richest source first: its copy and its classification are the ones kept.
    pairs = sorted(pairs, key=lambda p: (SOURCE_RANK.get(p[0].source, 9), p[0].key))
    by_key = {}
    for record, classification in pairs:
        record.extra["store_key"] = record.key
        by_key.setdefault(record.key, classification)
    merged = merge_records(r for r, _c in pairs)
    out = []
    for record in merged:
        found_by: list[str] = []
        for value in (record.extra.get("found_by"), record.extra.get("merged_from")):
            for src in value if isinstance(value, list) else []:
                if src not in found_by:
                    found_by.append(src)
        record.extra["found_by"] = sorted(found_by)
        out.append((record, by_key[str(record.extra["store_key"])]))
    out.sort(key=lambda p: (-(p[0].year or 0), p[0].key))
    return out


def load_question_info(
    store_path: str | os.PathLike[str] | None, drug: str, condition: str
) -> dict[str, Any]:
    """What the report shows about the search: queries, runs, per-source counts, drug profile.

    Keys: question (id, drug, condition, pubmed_query, europepmc_query, ctgov_query, ...),
    runs (list of dicts, oldest first), records_by_source ({source: n}) and drug (the
    openFDA profile: brand_names, indications, approvals, ...; None if never fetched).
    """
    path = Path(store_path) if store_path else default_path()
    qid, cond_name = _question_id(drug, condition)
    with Store(path, read_only=True) as store:
        question = store.question(qid)
        if question is None:
            raise StoreError(f"{path}: nothing collected for {drug} / {cond_name}")
        runs = [dataclasses.asdict(r) for r in store.runs(qid)]
        by_source = dict(
            store.con.execute(
                "SELECT source, count(DISTINCT key) FROM question_records "
                "WHERE question_id = ? GROUP BY source ORDER BY source",
                [qid],
            ).fetchall()
        )
        profile = store.drug(question["drug"])
    return {"question": question, "runs": runs, "records_by_source": by_source, "drug": profile}


def load_drug_profile(store_path: str | os.PathLike[str] | None, drug: str) -> Any:
    """The collected openFDA profile as a model.DrugProfile (labelled uses as US approvals),
    or None when openFDA was never reached for this drug."""
    from offlabel.sources.openfda import Approval, DrugFacts, drug_profile

    path = Path(store_path) if store_path else default_path()
    with Store(path, read_only=True) as store:
        data = store.drug(drug)
    if data is None:
        return None
    data["approvals"] = [Approval(**a) for a in data.get("approvals") or []]
    return drug_profile(DrugFacts(**data))


def record_verdict(
    store_path: str | os.PathLike[str] | None, drug: str, condition: str, verdict: str
) -> str | None:
    """Note the verdict `ask --store` reached on the question's latest run.

    Returns the verdict noted on an earlier run when it differs (the "changed verdict" of
    a living update), else None. Needs write access: call it when no collect is running.
    """
    path = Path(store_path) if store_path else default_path()
    qid, _ = _question_id(drug, condition)
    with Store(path) as store:
        runs = [r for r in store.runs(qid) if r.status in ("complete", "partial")]
        if not runs:
            return None
        earlier = [r.verdict for r in runs[:-1] if r.verdict]
        store.set_verdict(runs[-1].id, verdict)
    if earlier and earlier[-1] != verdict:
        return earlier[-1]
    return None


def classify_record(record: Record) -> Classification:
    """The design classification for a record: registry labels are regulatory by definition."""
    if record.source == "openfda":
        return Classification(design=Design.regulatory, evidence={"design": "openFDA drug label"})
    return _classify_fn()(record)


def _classify_fn() -> Any:
    """The design classifier (ImportError while it is not installed)."""
    try:
        from offlabel.classify import classify
    except ImportError:
        from offlabel.classify.design import classify
    return classify


def registered_unpublished(
    store_path: str | os.PathLike[str] | None, drug: str, condition: str
) -> list[dict[str, Any]]:
    """Completed registered trials with no results posted and no publication linked.

    A trial counts as published when the registry links a RESULT/DERIVED reference, or when
    a collected paper for the question carries its NCT id (PubMed's DataBank/secondary id,
    or the id written in the abstract).
    """
    path = Path(store_path) if store_path else default_path()
    qid, _ = _question_id(drug, condition)
    with Store(path, read_only=True) as store:
        rows = store.question_records(qid)
        trial_keys = [r.nct for r, _c, _s, _run in rows if r.source == "ctgov" and r.nct]
        facts = store.trials(trial_keys)
    cited: set[str] = set()
    for record, _c, _s, _run in rows:
        if record.source == "ctgov":
            continue
        if record.nct:
            cited.add(record.nct.upper())
        text = f"{record.title} {record.abstract} {' '.join(map(str, record.extra.values()))}"
        cited.update(m.upper() for m in _NCT.findall(text))
    out = []
    for nct in sorted(set(trial_keys)):
        t = facts.get(nct)
        if t is None or (t.get("status") or "").upper() != "COMPLETED":
            continue
        if t.get("has_results") is True or t.get("result_pmids") or nct.upper() in cited:
            continue
        out.append(
            {
                "nct": nct,
                "title": t.get("title"),
                "status": t.get("status"),
                "completion_date": t.get("completion_date"),
                "enrollment": t.get("enrollment"),
                "sponsor": t.get("sponsor"),
                "has_results": t.get("has_results"),  # None: the registry did not say
                "url": f"https://clinicaltrials.gov/study/{nct}",
            }
        )
    return out
