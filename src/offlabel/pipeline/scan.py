"""`offlabel scan`: MEDLINE baseline and update files into Parquet shards, read through DuckDB.

A repurposing question starts before anyone knows which drug to ask about, so the whole of
MEDLINE is read once into a table of classified records (one Parquet shard per input file) that
`offlabel map` then queries in milliseconds. The scan is resumable: a shard appears whole (written
aside, then renamed) and the manifest says which inputs are done, by checksum, so a scan killed
at any moment and rerun gives exactly what an uninterrupted one gives.

    OUT/shards/<input name>.parquet   one per input file (schema: shard_schema())
    OUT/manifest.json                 per input: sha256, size, records, deleted, status, digest
    OUT/mesh-trees.json               the descriptor table of `--mesh`, when given

One Dask task per input file (a LocalCluster of N single-threaded worker processes, or the
user's cluster): a task gets the file's path, the output folder and the MeSH table's path, shares
nothing with the others, writes its shard and returns a small FileResult; the driver alone writes
the manifest, after each finished file.

`open_scan(OUT)` is how anything reads a scan: DuckDB views `records`, `current` (update files
applied: the latest version of each PMID, deletions removed) and `pairs` (drug x condition).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from offlabel.errors import ReaderError, StoreError, UsageError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from offlabel.model import Record

__all__ = [
    "MANIFEST",
    "MESH_TABLE",
    "SHARDS",
    "FileResult",
    "ScanResult",
    "ScanSink",
    "open_scan",
    "scan",
    "scan_digest",
    "scan_file",
    "scan_inputs",
    "shard_schema",
]

SHARDS = "shards"
MANIFEST = "manifest.json"
MESH_TABLE = "mesh-trees.json"


def shard_schema() -> pa.Schema:
    """The columns of a shard, one row per PubmedArticle or deleted PMID (the contract with
    `offlabel map`: change it only together with its readers)."""
    import pyarrow as pa

    text = pa.string()
    return pa.schema([
        ("pmid", pa.int64()),
        ("file", text),
        ("pos", pa.int32()),
        ("deleted", pa.bool_()),
        ("version", pa.int32()),
        ("year", pa.int16()),
        ("title", text),
        ("journal", text),
        ("design", text),
        ("randomised", pa.bool_()),
        ("blinding", text),
        ("comparator", text),
        ("n", pa.int32()),
        ("direction", text),
        ("species", text),
        ("text_only", pa.bool_()),
        ("publication_types", pa.list_(text)),
        ("mesh", pa.list_(pa.struct([
            ("ui", text), ("name", text), ("major", pa.bool_()),
            ("qualifiers", pa.list_(text)), ("trees", pa.list_(text)),
        ]))),
        ("chemicals", pa.list_(pa.struct([("ui", text), ("name", text), ("registry", text)]))),
        ("supplementary", pa.list_(pa.struct([("ui", text), ("name", text), ("type", text)]))),
        ("drugs", pa.list_(text)),
        ("conditions", pa.list_(text)),
    ])


# The supersession rule: files sort by name (baseline, then updates, zero-padded), so for each
# PMID the row of the greatest (file, pos) is its latest word; if that word is a deletion, the
# PMID is gone.
_CURRENT = """
CREATE VIEW current AS
SELECT * EXCLUDE (_rank) FROM (
    SELECT *, row_number() OVER (PARTITION BY pmid ORDER BY file DESC, pos DESC) AS _rank
    FROM records
) WHERE _rank = 1 AND NOT deleted
"""

# Two unnests in one SELECT would be zipped, not crossed: one level at a time.
_PAIRS = """
CREATE VIEW pairs AS
SELECT pmid, year, design, direction, n, randomised, blinding, title, drug,
       unnest(conditions) AS condition
FROM (
    SELECT pmid, year, design, direction, n, randomised, blinding, title, conditions,
           unnest(drugs) AS drug
    FROM current
)
"""


def open_scan(out: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection over the scan in `out`, with the views `records` (every
    shard row), `current` (the latest version of each PMID, deletions removed) and `pairs`
    (current records, one row per drug x condition)."""
    import duckdb

    out = Path(out)
    shards = out / SHARDS
    if not (out / MANIFEST).is_file() and not shards.is_dir():
        raise StoreError(f"{out}: not a scan folder (no {MANIFEST}, no {SHARDS}/); "
                         "run `offlabel scan FILES --out DIR` first")
    con = duckdb.connect(":memory:")
    try:
        if any(shards.glob("*.parquet")):
            pattern = str(shards / "*.parquet").replace("'", "''")
            con.execute(
                f"CREATE VIEW records AS SELECT * FROM read_parquet('{pattern}', union_by_name=true)"
            )
        else:  # a scan with no shard yet: the same columns, no rows
            con.register("_no_records", shard_schema().empty_table())
            con.execute("CREATE VIEW records AS SELECT * FROM _no_records")
        con.execute(_CURRENT)
        con.execute(_PAIRS)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"{shards}: cannot read the shards: {str(exc).splitlines()[0]}") from None
    return con


# --- the inputs ---------------------------------------------------------------------------

_SUFFIXES = (".xml.gz", ".xml")
CONNECT_TIMEOUT = "10s"  # how long to try reaching --scheduler


def shard_stem(name: str) -> str:
    """The shard's name for an input file: its name without .xml / .xml.gz."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def scan_inputs(items: Iterable[Path]) -> list[Path]:
    """The input files: each file named, and every *.xml / *.xml.gz under each folder (its
    subfolders too: a mirror of NLM's site keeps baseline/ and updatefiles/ apart), sorted by
    name (the order MEDLINE's baseline and update files supersede each other in)."""
    found: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            found.extend(p for p in item.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
        elif not item.exists():
            raise UsageError(f"{item}: no such file or folder")
        elif not item.name.endswith(_SUFFIXES):
            raise UsageError(f"{item}: not a MEDLINE XML file (.xml or .xml.gz)")
        else:
            found.append(item)
    by_stem: dict[str, Path] = {}
    for path in found:
        other = by_stem.setdefault(shard_stem(path.name), path)
        if other != path and other.resolve() != path.resolve():
            raise UsageError(f"{path} and {other} would write the same shard "
                             f"({shard_stem(path.name)}.parquet): scan them into different folders")
    return sorted(by_stem.values(), key=lambda p: p.name)


def file_sha256(path: Path) -> tuple[str, int]:
    """sha256 of the file's bytes (hex) and its size."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


_DIGEST_FILES = ("classify/*.py", "data/classify/*", "sources/readers/pubmed_xml.py",
                 "sources/readers/_common.py", "pipeline/scan.py", "model.py")


def scan_digest(mesh_sha256: str | None = None) -> str:
    """What a shard's content depends on besides its input: offlabel's version, the source of
    the reader, the classifier (and its learned text model) and this module, and the MeSH
    table. A shard made under another digest is made again."""
    import offlabel

    root = Path(offlabel.__file__).parent
    h = hashlib.sha256(f"offlabel {offlabel.__version__}\n".encode())
    for pattern in _DIGEST_FILES:
        for path in sorted(root.glob(pattern)):
            h.update(path.relative_to(root).as_posix().encode() + b"\n" + path.read_bytes())
    h.update(f"\nmesh {mesh_sha256 or '-'}".encode())
    return h.hexdigest()[:16]


# --- one input file: a Dask task ------------------------------------------------------------

Status = Literal["done", "partial"]


@dataclass
class FileResult:
    """What a task hands back (small and picklable) and what the manifest keeps of it."""

    file: str  # the input's name
    sha256: str
    size: int
    records: int  # rows written: articles and deleted PMIDs
    deleted: int
    shard: str
    status: Status  # partial: the input broke off or had bad records; a rerun retries it
    digest: str
    offlabel: str
    problem: str | None = None  # the first fault, one line (file, record, what)
    problems: int = 0
    seconds: float = field(default=0.0, compare=False)


def scan_file(path: str, out: str, mesh_table: str | None, digest: str) -> FileResult:
    """Read one input file into its shard: the Dask task. Shares nothing with other tasks.

    The shard is written aside (`<name>.parquet.<pid>.tmp`) and renamed over the old one, so a
    reader sees the old shard or the new one, never half of one."""
    import pyarrow.parquet as pq

    from offlabel import __version__
    from offlabel.sources.readers import iter_pubmed_xml

    start = time.perf_counter()
    src = Path(path)
    try:
        sha, size = file_sha256(src)
    except OSError as exc:
        raise ReaderError(src.name, f"cannot read: {exc.strerror or exc}") from None
    trees = _trees(mesh_table) if mesh_table else {}
    faults: list[ReaderError] = []
    columns = _Columns(src.name, trees)
    # The cyclic GC off while reading and building the table: the per-record objects
    # (elements, Records, their classifications) are freed by reference counting, while the
    # column lists grow by millions of objects that the oldest generation would otherwise walk
    # again and again (0.8 s of a 30,000-record file's 12-15 s). The collector is back on, as
    # it was, before the shard is written.
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for rec in iter_pubmed_xml(src, name=src.name, on_error=faults.append, lean=True):
            columns.add(rec)
        table = columns.table()
    finally:
        if gc_was_on:
            gc.enable()
    stem = shard_stem(src.name)
    shards = Path(out) / SHARDS
    shards.mkdir(parents=True, exist_ok=True)
    tmp = shards / f"{stem}.parquet.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, shards / f"{stem}.parquet")
    finally:
        tmp.unlink(missing_ok=True)
    return FileResult(
        file=src.name, sha256=sha, size=size, records=columns.rows, deleted=columns.deleted,
        shard=f"{stem}.parquet", status="partial" if faults else "done", digest=digest,
        offlabel=__version__, problem=str(faults[0]) if faults else None, problems=len(faults),
        seconds=time.perf_counter() - start,
    )


_TREES: dict[tuple[str, int, int], dict[str, tuple[str, ...]]] = {}


def _trees(mesh_table: str) -> dict[str, tuple[str, ...]]:
    """The MeSH table's tree numbers by descriptor UI, read once per worker process."""
    st = os.stat(mesh_table)
    key = (mesh_table, st.st_mtime_ns, st.st_size)
    table = _TREES.get(key)
    if table is None:
        with open(mesh_table, encoding="utf-8") as f:
            data = json.load(f)
        table = {ui: tuple(t) for ui, t in data["trees"].items()}
        _TREES.clear()
        _TREES[key] = table
    return table


class _Columns:
    """A shard's columns as Python lists, turned into one Arrow table at the end (appending to
    lists costs a fraction of building Arrow rows one by one). Nested lists are kept flat with
    their offsets, as Arrow stores them."""

    def __init__(self, file: str, trees: dict[str, tuple[str, ...]]) -> None:
        from offlabel.classify.design import classify
        from offlabel.classify.topics import record_topics

        self.classify = classify
        self.topics = record_topics
        self.file = file
        self.trees = trees
        self.rows = 0
        self.deleted = 0
        self.scalars: list[tuple[Any, ...]] = []  # one tuple per row, in _SCALARS' order
        self.pt = _Lists(1)
        self.mesh = _Lists(3)  # ui, name, major; qualifiers and trees are lists of their own
        self.mesh_quals = _Lists(1)
        self.mesh_trees = _Lists(1)
        self.chems = _Lists(3)
        self.supps = _Lists(3)
        self.drugs = _Lists(1)
        self.conditions = _Lists(1)

    def add(self, rec: Record) -> None:
        # Per record of a 30,000-record file this runs 30,000 times: a row's scalars are one
        # tuple (split into columns once, at the end), the lists and their append methods are
        # fetched into locals once, and a row's end is written inline
        # (`offsets.append(len(values))`, what _Lists.close does) rather than by a method call.
        # The chemical and supplementary columns (a handful of items a record, often none) go
        # through _Lists.add.
        pos = self.rows
        self.rows += 1
        if rec.deleted:
            self.deleted += 1
            self.scalars.append((int(rec.pmid or 0), pos, True, rec.version, *_UNCLASSIFIED))
            for lists in (self.pt, self.mesh, self.chems, self.supps, self.drugs, self.conditions):
                lists.close()
            return
        text_only = not rec.publication_types and not rec.mesh
        c = self.classify(rec, text_only=text_only)
        self.scalars.append((
            int(rec.pmid or 0), pos, False, rec.version, rec.year, rec.title, rec.journal,
            c.design.value, c.randomised, c.blinding.value, c.comparator.value, c.n,
            c.direction.value, c.species, text_only,
        ))
        pt = self.pt
        pt_values = pt.values[0]
        pt_values.extend(rec.publication_types)
        pt.offsets.append(len(pt_values))
        trees = self.trees
        mesh = self.mesh
        m_ui, m_name, m_major = mesh.values
        quals, tree_numbers = self.mesh_quals.values[0], self.mesh_trees.values[0]
        quals_end, trees_end = self.mesh_quals.offsets.append, self.mesh_trees.offsets.append
        for term in rec.mesh_terms:
            m_ui.append(term.ui)
            m_name.append(term.name)
            m_major.append(term.major)
            quals.extend(term.qualifiers)
            quals_end(len(quals))
            if trees:
                tree_numbers.extend(trees.get(term.ui, ()))
            trees_end(len(tree_numbers))
        mesh.offsets.append(len(m_ui))
        self.chems.add(rec.substances, _SUBSTANCE_FIELDS)
        self.supps.add(rec.concepts, _CONCEPT_FIELDS)
        drugs, conditions = self.topics(rec, trees)
        d_values = self.drugs.values[0]
        d_values.extend(drugs)
        self.drugs.offsets.append(len(d_values))
        k_values = self.conditions.values[0]
        k_values.extend(conditions)
        self.conditions.offsets.append(len(k_values))

    def table(self) -> pa.Table:
        import pyarrow as pa

        schema = shard_schema()
        text = pa.string()
        arrays: dict[str, pa.Array] = {}
        columns = zip(*self.scalars, strict=True) if self.scalars else [()] * len(_SCALARS)
        for col, values in zip(_SCALARS, columns, strict=True):
            arrays[col] = pa.array(values, type=schema.field(col).type)
        arrays["file"] = pa.array([self.file] * self.rows, type=text)
        arrays["publication_types"] = self.pt.array([text])
        mesh_type = schema.field("mesh").type.value_type
        quals = self.mesh_quals.array([text])
        trees = self.mesh_trees.array([text])
        m_ui, m_name, m_major = self.mesh.values
        mesh_items = pa.StructArray.from_arrays(
            [pa.array(m_ui, text), pa.array(m_name, text), pa.array(m_major, pa.bool_()), quals,
             trees],
            fields=list(mesh_type),
        )
        arrays["mesh"] = pa.ListArray.from_arrays(self.mesh.offset_array(), mesh_items)
        for col, lists in (("chemicals", self.chems), ("supplementary", self.supps)):
            item_type = schema.field(col).type.value_type
            items = pa.StructArray.from_arrays(
                [pa.array(v, text) for v in lists.values], fields=list(item_type)
            )
            arrays[col] = pa.ListArray.from_arrays(lists.offset_array(), items)
        arrays["drugs"] = self.drugs.array([text])
        arrays["conditions"] = self.conditions.array([text])
        return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)


# The struct fields of the chemicals and supplementary columns, in the schema's order
_SUBSTANCE_FIELDS = attrgetter("ui", "name", "registry")
_CONCEPT_FIELDS = attrgetter("ui", "name", "type")
_SCALARS = ("pmid", "pos", "deleted", "version", "year", "title", "journal", "design",
            "randomised", "blinding", "comparator", "n", "direction", "species", "text_only")
_UNCLASSIFIED = (None,) * len(_SCALARS[4:])  # a deleted PMID's year ... text_only


class _Lists:
    """A list column kept flat: the values of every row (one list per struct field) and where
    each row ends."""

    def __init__(self, fields: int) -> None:
        self.values: list[list[Any]] = [[] for _ in range(fields)]
        self.offsets = [0]

    def close(self) -> None:
        """End the current row (its values were appended to `values`)."""
        self.offsets.append(len(self.values[0]))

    def add(self, items: Iterable[Any], fields: Callable[[Any], tuple[Any, ...]]) -> None:
        """A row of structs: each item's fields (in the struct's order) appended, then closed."""
        for item in items:
            for values, value in zip(self.values, fields(item), strict=True):
                values.append(value)
        self.close()

    def offset_array(self) -> pa.Array:
        import pyarrow as pa

        return pa.array(self.offsets, type=pa.int32())

    def array(self, types: Sequence[pa.DataType]) -> pa.Array:
        import pyarrow as pa

        return pa.ListArray.from_arrays(self.offset_array(), pa.array(self.values[0], types[0]))


# --- the driver -------------------------------------------------------------------------------


class ScanSink(Protocol):
    """What the driver tells a face as the scan goes (the CLI draws a progress bar from it)."""

    def start(self, files: int, skipped: int, todo_bytes: int) -> None:
        """`files` inputs, `skipped` of them already done; `todo_bytes` to read."""

    def finished(self, result: FileResult) -> None:
        """A file's shard is written and the manifest updated."""


class _Quiet:
    def start(self, files: int, skipped: int, todo_bytes: int) -> None:
        pass

    def finished(self, result: FileResult) -> None:
        pass


@dataclass
class ScanResult:
    out: Path
    files: int
    skipped: int
    processed: list[FileResult]
    seconds: float

    @property
    def records(self) -> int:
        return sum(r.records for r in self.processed)

    @property
    def partial(self) -> list[FileResult]:
        return [r for r in self.processed if r.status == "partial"]


def scan(
    inputs: Sequence[Path],
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    mesh: Path | None = None,
    sink: ScanSink | None = None,
) -> ScanResult:
    """Scan `inputs` (files, see scan_inputs) into `out`: one Dask task per file not already
    done (same sha256, same digest, shard present). The manifest is rewritten (whole) after
    each finished file, so an interruption loses at most the files in flight.

    Ctrl-C (KeyboardInterrupt) cancels what is queued and closes the cluster; the shards and
    manifest on disk stay whole."""
    sink = sink or _Quiet()
    began = time.perf_counter()
    out = Path(out)
    shards = out / SHARDS
    shards.mkdir(parents=True, exist_ok=True)
    for stale in shards.glob("*.tmp"):  # left by an interrupted scan
        stale.unlink(missing_ok=True)
    mesh_table, mesh_sha = _mesh_table(Path(mesh), out) if mesh else (None, None)
    digest = scan_digest(mesh_sha)
    manifest = read_manifest(out)
    todo = [p for p in inputs if not _finished(p, manifest.get(p.name), digest, shards)]
    sink.start(len(inputs), len(inputs) - len(todo), sum(p.stat().st_size for p in todo))
    processed: list[FileResult] = []
    if todo:
        for result in _run(todo, out, mesh_table, digest, workers, scheduler):
            entry = asdict(result)
            del entry["file"], entry["seconds"]
            manifest[result.file] = entry
            _write_manifest(out, manifest)
            processed.append(result)
            sink.finished(result)
    return ScanResult(out, len(inputs), len(inputs) - len(todo), processed,
                      time.perf_counter() - began)


def _finished(path: Path, entry: dict[str, Any] | None, digest: str, shards: Path) -> bool:
    if entry is None or entry.get("status") != "done" or entry.get("digest") != digest:
        return False
    if not (shards / str(entry.get("shard"))).is_file():
        return False
    try:
        if path.stat().st_size != entry.get("size"):
            return False
        return file_sha256(path)[0] == entry.get("sha256")
    except OSError:
        return False


def _run(todo: list[Path], out: Path, mesh_table: str | None, digest: str,
         workers: int | None, scheduler: str | None) -> Iterator[FileResult]:
    """Each file's result as its task finishes, on a LocalCluster (or the given scheduler)."""
    import logging

    import distributed

    dask: Any = distributed  # untyped
    cluster: Any = None
    client: Any
    if scheduler:
        try:
            client = dask.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"--scheduler {scheduler}: cannot connect: {exc}") from None
    else:
        n = workers or os.cpu_count() or 1
        # CRITICAL: a worker's heartbeat racing the scheduler's close logs an ERROR with a
        # traceback; a task's own failure reaches the driver through its future anyway
        cluster = _local_cluster(dask, n, logging.CRITICAL)
        client = dask.Client(cluster)
    futures: list[Any] = []
    try:
        futures = [
            client.submit(scan_file, str(p.resolve()), str(out.resolve()), mesh_table, digest,
                          pure=False, key=f"offlabel-scan-{p.name}-{time.time_ns()}")
            for p in todo
        ]
        for future in dask.as_completed(futures):
            yield future.result()
    finally:
        if futures:
            client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


def _local_cluster(dask: Any, workers: int, log_level: int) -> Any:
    """A LocalCluster of `workers` single-threaded processes that ignore Ctrl-C.

    A terminal sends SIGINT to the whole process group: the driver alone should act on it
    (cancel, close the cluster, exit 130), not every worker with a traceback of its own. An
    ignored signal stays ignored in a spawned process (a handler would not), so SIGINT is
    ignored until the worker processes exist, while the cluster starts in a thread; then the
    driver's handler is back, and a Ctrl-C while the workers finish starting closes them."""
    import multiprocessing
    import signal
    import threading

    from dask import config as dask_config

    def start() -> Any:
        # ":0": the scheduler's HTTP server on a free port (None still tries 8787, and warns
        # when another cluster holds it). No statistical profiler in the workers: it samples
        # the task's stack 100 times a second for a dashboard nobody opens (a 30,000-record
        # file: 17.9 -> 16.8 CPU s in the worker process; the nannies pass config on).
        # And glibc's malloc as in a plain process: Dask starts workers with
        # MALLOC_TRIM_THRESHOLD_=65536 (to hand memory back from long-lived workers), which
        # also pins the mmap threshold at 128 KiB, so every block of XML read (a few hundred
        # KB, copied a few times) was a fresh mmap: about 170,000 page faults and 0.6 s of
        # kernel time per 30,000-record file, against 2,000 and 0.1 s with these. A scan
        # holds one block and one file's columns at a time, so its memory stays flat anyway.
        # Last, fewer housekeeping wake-ups: the event loop's tick (20 ms, which only
        # watches for a blocked loop), the dashboard's system monitor and the memory monitor
        # each want the GIL or a core the workers are using; with these the driver's
        # process (scheduler, nannies) used 1.6-1.9 CPU s instead of 2.6-3.0 over a
        # 4-file, 2-worker scan of about 27 s.
        environ = "distributed.nanny.pre-spawn-environ"
        with dask_config.set({"distributed.worker.profile.enabled": False,
                              f"{environ}.MALLOC_MMAP_THRESHOLD_": 1 << 25,
                              f"{environ}.MALLOC_TRIM_THRESHOLD_": 1 << 27,
                              "distributed.admin.tick.interval": "1s",
                              "distributed.admin.system-monitor.interval": "2s",
                              "distributed.worker.memory.monitor-interval": "1s"}):
            return dask.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=":0", silence_logs=log_level)

    if threading.current_thread() is not threading.main_thread():  # cannot touch signals
        return start()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["cluster"] = start()
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc

    before = len(multiprocessing.active_children())
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    thread = threading.Thread(target=run, name="offlabel-scan-cluster", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while (thread.is_alive() and time.monotonic() < deadline
               and len(multiprocessing.active_children()) < before + workers):
            time.sleep(0.02)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        thread.join()
        if "cluster" in box:
            box["cluster"].close()
        raise
    if "error" in box:
        raise box["error"]
    return box["cluster"]


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The manifest's entries by input name ({} before the first finished file)."""
    path = Path(out) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{path}: not a scan manifest ({exc}); remove it to scan afresh") from None
    return files


def _write_manifest(out: Path, files: dict[str, dict[str, Any]]) -> None:
    from offlabel import __version__

    _write_json(out / MANIFEST, {"format": 1, "offlabel": __version__, "files": files})


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _mesh_table(mesh: Path, out: Path) -> tuple[str, str]:
    """The descriptor file's tree numbers as OUT/mesh-trees.json (read by every task), made
    once per descriptor file; its path and the descriptor file's sha256."""
    from offlabel.sources.readers.mesh import iter_mesh_descriptors

    try:
        sha, _ = file_sha256(mesh)
    except OSError as exc:
        raise UsageError(f"--mesh {mesh}: {exc.strerror or exc}") from None
    table = out / MESH_TABLE
    try:
        if json.loads(table.read_text(encoding="utf-8")).get("sha256") == sha:
            return str(table.resolve()), sha
    except (OSError, ValueError, AttributeError):
        pass
    trees = {d.ui: list(d.trees) for d in iter_mesh_descriptors(mesh)}
    _write_json(table, {"source": mesh.name, "sha256": sha, "trees": trees})
    return str(table.resolve()), sha
