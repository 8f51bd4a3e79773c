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

This module is persistence only: it imports the model and nothing else of ours. Classifying,
merging and reading records into an appraisal is the pipeline's work (offlabel.pipeline).

Schema changes are numbered migrations (MIGRATIONS), applied in order when a store is opened
for writing, so a store made by an older offlabel is brought up to date and never rebuilt. A
DuckDB file that is not an offlabel store is refused before anything is written to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offlabel.errors import StoreError
from offlabel.model import Blinding, Classification, Comparator, Design, Direction, Record

# When two sources give the same record key, the richer one's copy is kept.
__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SOURCE_RANK", "Run", "Store", "StoreError",
           "WriteResult", "classification_from_row", "default_path", "record_from_json",
           "record_to_json"]

SOURCE_RANK = {"pubmed": 0, "medline": 1, "europepmc": 2, "ctgov": 3, "openfda": 4}

_SCHEMA_1 = """
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

# 2: one row per (question, source) for the search that source was sent, instead of one column
# per source in `questions`, so a new source is a new row, not a schema change.
_SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS question_queries (
    question_id TEXT NOT NULL, source TEXT NOT NULL, query TEXT NOT NULL,
    updated TIMESTAMP NOT NULL,
    PRIMARY KEY (question_id, source)
);
INSERT INTO question_queries
    SELECT id, 'pubmed', pubmed_query, updated FROM questions WHERE pubmed_query IS NOT NULL
    UNION ALL
    SELECT id, 'europepmc', europepmc_query, updated FROM questions
        WHERE europepmc_query IS NOT NULL
    UNION ALL
    SELECT id, 'ctgov', ctgov_query, updated FROM questions WHERE ctgov_query IS NOT NULL
ON CONFLICT DO NOTHING;
ALTER TABLE questions DROP COLUMN pubmed_query;
ALTER TABLE questions DROP COLUMN europepmc_query;
ALTER TABLE questions DROP COLUMN ctgov_query;
"""

# Migration n brings a store from schema n-1 to n; each runs in one transaction.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_1, _SCHEMA_2)
SCHEMA_VERSION = len(MIGRATIONS)
# Written by every offlabel store since schema 1: what tells our files from someone else's.
_OUR_TABLES = {"meta", "records", "questions", "runs"}


def _store_error(path: Path, exc: Exception, what: str) -> StoreError:
    msg = " ".join(str(exc).split())
    if "lock" in msg.lower():
        pid = re.search(r"PID (\d+)", msg)
        who = f" (PID {pid.group(1)})" if pid else ""
        return StoreError(f"{path}: store is in use by another process{who}; "
                          "wait for that collect to finish")
    if "not a valid duckdb" in msg.lower() or "unable to open" in msg.lower():
        return StoreError(f"{path}: not an offlabel store (not a DuckDB database)")
    return StoreError(f"{path}: {what}: {msg}")


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
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a store file")
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no such store (run `offlabel collect` first)")
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create its folder: {exc.strerror}") from None
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise _store_error(self.path, exc, "cannot open store") from None
        try:
            version = self._schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: store schema {version} is newer than this offlabel knows "
                    f"({SCHEMA_VERSION}); upgrade offlabel")
            if version < SCHEMA_VERSION:
                if read_only:
                    self._upgrade_then_reopen(version)
                else:
                    self._migrate(version)
            if not read_only:
                self._close_interrupted_runs()
        except BaseException:
            self.con.close()
            raise

    def _schema_version(self) -> int:
        """The store's schema number; 0 for a new, empty file. StoreError for a file that is
        someone else's database, before anything is written to it."""
        import duckdb

        try:
            tables = {r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall()}
            if not tables:
                return 0
            if not _OUR_TABLES <= tables:
                shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
                raise StoreError(
                    f"{self.path}: not an offlabel store (it holds other tables: {shown}); "
                    "give --store a new file")
            row = self.con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.Error as exc:
            raise _store_error(self.path, exc, "cannot read store") from None
        if row is None or not str(row[0]).isdigit():
            raise StoreError(f"{self.path}: not an offlabel store (no schema version)")
        return int(row[0])

    def _migrate(self, version: int) -> None:
        import duckdb

        try:
            for number in range(version + 1, SCHEMA_VERSION + 1):
                with self.transaction():
                    self.con.execute(MIGRATIONS[number - 1])
                    self.con.execute(
                        "INSERT INTO meta VALUES ('schema_version', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [str(number)])
        except duckdb.Error as exc:
            raise _store_error(self.path, exc, f"cannot upgrade store to schema {number}") from None

    def _upgrade_then_reopen(self, version: int) -> None:
        """A reader met an older store: migrate it once with a short write, then read on."""
        import duckdb

        self.con.close()
        with Store(self.path):
            pass
        try:
            self.con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise _store_error(self.path, exc, "cannot open store") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; a DuckDB failure (a full disk, say) becomes a StoreError."""
        import duckdb

        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            with suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise _store_error(self.path, exc, "cannot write store") from None
        except BaseException:
            with suppress(Exception):
                self.con.execute("ROLLBACK")
            raise

    def _close_interrupted_runs(self) -> None:
        # Only one writer can hold a DuckDB file, so a 'running' row now belongs to a dead one.
        with self.transaction():
            self.con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    # --- questions and runs --------------------------------------------------------------

    def upsert_question(self, qid: str, drug: str, condition: str,
                        condition_id: str | None) -> None:
        now = _now()
        with self.transaction():
            self.con.execute(
                "INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET updated = excluded.updated",
                [qid, drug, condition, condition_id, now, now],
            )

    def set_queries(self, qid: str, queries: dict[str, str]) -> None:
        """The search each source was sent for the question, one row per source."""
        now = _now()
        with self.transaction():
            self._insert_many(
                "INSERT INTO question_queries VALUES",
                [(qid, source, query, now) for source, query in queries.items()],
                "ON CONFLICT (question_id, source) DO UPDATE SET query = excluded.query, "
                "updated = excluded.updated",
            )

    def question(self, qid: str) -> dict[str, Any] | None:
        """The question's row, with `queries` ({source: query}, in source order)."""
        row = self.con.execute(
            "SELECT id, drug, condition, condition_id, created, updated FROM questions "
            "WHERE id = ?", [qid]).fetchone()
        if row is None:
            return None
        cols = ["id", "drug", "condition", "condition_id", "created", "updated"]
        out: dict[str, Any] = dict(zip(cols, row, strict=True))
        out["queries"] = dict(self.con.execute(
            "SELECT source, query FROM question_queries WHERE question_id = ? ORDER BY source",
            [qid]).fetchall())
        return out

    def questions(self) -> list[tuple[str, str, str]]:
        """(id, drug, condition) of every question, by id."""
        return [(r[0], r[1], r[2]) for r in self.con.execute(
            "SELECT id, drug, condition FROM questions ORDER BY id").fetchall()]

    def records_by_source(self, qid: str) -> dict[str, int]:
        return dict(self.con.execute(
            "SELECT source, count(DISTINCT key) FROM question_records "
            "WHERE question_id = ? GROUP BY source ORDER BY source", [qid]).fetchall())

    def start_run(self, qid: str, *, offline: bool = False) -> int:
        row = self.con.execute("SELECT nextval('run_ids')").fetchone()
        assert row is not None
        run_id = int(row[0])
        with self.transaction():
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
        with self.transaction():
            self.con.execute(
                "UPDATE runs SET finished = ?, status = ?, counts = ?, errors = ?, designs = ? "
                "WHERE id = ?",
                [_now(), status, json.dumps(counts), json.dumps(errors), json.dumps(designs),
                 run_id],
            )

    def set_verdict(self, run_id: int, verdict: str) -> None:
        with self.transaction():
            self.con.execute("UPDATE runs SET verdict = ? WHERE id = ?", [verdict, run_id])

    def interrupt_run(self, run_id: int, counts: dict[str, Any], errors: dict[str, str]) -> None:
        """Close a run cut short (Ctrl-C, a bug) as interrupted. The interruption may have
        come between a BEGIN and its try (or in a ROLLBACK), leaving a transaction open that
        would refuse this write and keep the run 'running' to every reader: end it first."""
        import duckdb

        with suppress(duckdb.Error):
            self.con.execute("ROLLBACK")  # an error when none is open: nothing to end
        self.finish_run(run_id, "interrupted", counts, errors, {})

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
        items: Sequence[tuple[Record, Classification | None]],
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
