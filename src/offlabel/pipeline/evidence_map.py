"""The evidence map of a scan: which conditions a drug was studied in, which drugs a condition.

`offlabel scan` reads MEDLINE into Parquet shards (pipeline/scan.py); this module answers the
questions a repurposing search starts with, before anyone appraises anything: for a drug, each
condition with its records counted by design and by direction, the best design reached, the
randomised trials and their participants, the years, the largest trials and the reviews; the
same for a condition across drugs, or for one pair. It is a map of what was studied, machine-
classified and never appraised: no verdict comes out of here.

Speed. The scan's `pairs` view applies the supersession rule (a window over every row) at each
query, which costs seconds on a full baseline. So the first map of a scan materialises the
current pairs once into a DuckDB file beside the shards (OUT/map.duckdb), sorted by drug and by
condition so that DuckDB's zone maps skip all but a few row groups, with the distinct names and
their match keys; the file is keyed by the manifest and the shards' sizes and times and rebuilt
when the scan changes. A map is then a handful of aggregate queries over a few row groups.

Names. A user's word is matched as the rest of offlabel matches names (model.name_key): case,
accents, plurals and punctuation folded; a bundled drug's brand names and synonyms reach its
generic; a known condition's synonyms and MeSH entry terms reach each other.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from offlabel.errors import NotCovered, StoreError
from offlabel.model import (
    DESIGN_FACTS,
    LEVEL_ORDER,
    RANDOMISED,
    SYNTHESES,
    Design,
    Direction,
    name_key,
)

if TYPE_CHECKING:
    import duckdb

    from offlabel.evidence import EvidenceBase

__all__ = ["EVIDENCE_MAP_LABEL", "EvidenceMap", "MapRow", "StudyRef", "condition_map",
           "drug_map", "map_dict", "pair_map"]

EVIDENCE_MAP_LABEL = ("Evidence map only (machine-classified from MEDLINE; not appraised): "
                      "no verdict")

MapKind = Literal["drug", "condition", "pair"]

# Bumped when the cached aggregate's tables change, so an old file is rebuilt, not misread.
_CACHE_FORMAT = "4"
_CACHE_FILE = "map.duckdb"
_TOP = 5  # largest trials and newest reviews listed per row
# From the design table: the reviews listed per row are the syntheses, the trials counted and
# listed are the randomised designs.
_REVIEWS = tuple(sorted(d.value for d in SYNTHESES))
_RANDOMISED = tuple(sorted(d.value for d in RANDOMISED))


@dataclass(frozen=True)
class StudyRef:
    """One record of the scan, as a map row lists it (a large trial, a review)."""

    pmid: int
    year: int | None
    design: str
    n: int | None
    direction: str
    title: str


@dataclass(frozen=True)
class MapRow:
    """One drug x condition of the map: what was studied, counted, never judged."""

    drug: str
    condition: str
    records: int
    by_design: dict[str, int]
    by_direction: dict[str, int]
    by_year: dict[int, int]
    best_design: str | None  # the design of the highest evidence level reached
    best_level: str | None  # that level (model.LEVEL_ORDER)
    rcts: int
    rct_participants: int  # sum of the trials' n where reported
    top_rcts: list[StudyRef] = field(default_factory=list)
    reviews: list[StudyRef] = field(default_factory=list)

    @property
    def ask_command(self) -> str:
        return f"offlabel ask {shlex.quote(self.drug)} {_dq(self.condition)}"


@dataclass(frozen=True)
class EvidenceMap:
    """The map for one drug (rows: conditions), one condition (rows: drugs) or one pair."""

    kind: MapKind
    drug: str | None  # as the user typed it
    condition: str | None
    matched_drugs: list[str]  # the scan's names the words matched
    matched_conditions: list[str]
    rows: list[MapRow]
    rows_total: int  # rows before the limit
    records: int  # distinct current records behind the rows shown
    scan: str


def _dq(text: str) -> str:
    """A shell argument in double quotes, as the README writes conditions."""
    if all(ch.isalnum() or ch in " -_.,'()" for ch in text):
        return f'"{text}"'
    return shlex.quote(text)


# --- the per-scan aggregate --------------------------------------------------------------------

def _scan_key(out: Path) -> str:
    """What the aggregate was built from: the manifest and every shard's name, size and time."""
    from offlabel.pipeline.scan import MANIFEST, SHARDS

    h = hashlib.sha256(_CACHE_FORMAT.encode())
    manifest = out / MANIFEST
    if manifest.is_file():
        h.update(manifest.read_bytes())
    for p in sorted((out / SHARDS).glob("*.parquet")):
        st = p.stat()
        h.update(f"\0{p.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


# The aggregate: names numbered once (integer keys group and sort far faster than strings);
# one row per drug x condition with everything a map row shows (a count column per design and
# per direction, the years, the largest trials and newest reviews), in two sort orders so that
# DuckDB skips the row groups whose min/max exclude the name asked for; each name's record ids
# for the distinct count of a whole map; the listed studies' details by PMID.
_BUILD = """
CREATE TEMP TABLE _p AS SELECT DISTINCT drug, condition, pmid, year, design, direction, n
    FROM pairs;
CREATE TABLE {db}.drug_names AS
    SELECT name, (row_number() OVER (ORDER BY name))::INTEGER AS id, records FROM (
        SELECT drug AS name, count(DISTINCT pmid) AS records FROM _p GROUP BY drug);
CREATE TABLE {db}.condition_names AS
    SELECT name, (row_number() OVER (ORDER BY name))::INTEGER AS id, records FROM (
        SELECT condition AS name, count(DISTINCT pmid) AS records FROM _p GROUP BY condition);
CREATE TEMP TABLE _pi AS
    SELECT dn.id AS d, cn.id AS c, pmid, year, design, direction, n FROM _p
    JOIN {db}.drug_names dn ON _p.drug = dn.name
    JOIN {db}.condition_names cn ON _p.condition = cn.name;
DROP TABLE _p;
CREATE TABLE {db}.drug_ids AS SELECT DISTINCT d, pmid FROM _pi ORDER BY d;
CREATE TABLE {db}.condition_ids AS SELECT DISTINCT c, pmid FROM _pi ORDER BY c;
CREATE TEMP TABLE _facts AS
    SELECT d, c, count(*) AS records, {counts},
           coalesce(sum(n) FILTER (WHERE design IN {randomised}), 0) AS rct_participants,
           list(year) FILTER (WHERE year IS NOT NULL) AS years
    FROM _pi GROUP BY d, c;
CREATE TEMP TABLE _top AS
    SELECT d, c, list(pmid ORDER BY n DESC NULLS LAST, year DESC NULLS LAST, pmid) AS top_rcts
    FROM (SELECT d, c, pmid, n, year FROM _pi WHERE design IN {randomised}
          QUALIFY row_number() OVER (PARTITION BY d, c
                                     ORDER BY n DESC NULLS LAST, year DESC NULLS LAST, pmid)
                  <= {top})
    GROUP BY d, c;
CREATE TEMP TABLE _reviews AS
    SELECT d, c, list(pmid ORDER BY year DESC NULLS LAST, pmid) AS reviews
    FROM (SELECT d, c, pmid, year FROM _pi WHERE design IN {reviews}
          QUALIFY row_number() OVER (PARTITION BY d, c ORDER BY year DESC NULLS LAST, pmid)
                  <= {top})
    GROUP BY d, c;
CREATE TABLE {db}.facts_by_drug AS
    SELECT dn.name AS drug, cn.name AS condition, f.*,
           coalesce(t.top_rcts, []) AS top_rcts, coalesce(r.reviews, []) AS reviews
    FROM _facts f
    JOIN {db}.drug_names dn ON dn.id = f.d JOIN {db}.condition_names cn ON cn.id = f.c
    LEFT JOIN _top t USING (d, c) LEFT JOIN _reviews r USING (d, c)
    ORDER BY f.d, f.records DESC;
CREATE TABLE {db}.facts_by_condition AS SELECT * FROM {db}.facts_by_drug ORDER BY c, records DESC;
CREATE TABLE {db}.studies AS
    SELECT pmid, year, design, n, direction, title FROM current
    WHERE pmid IN (SELECT unnest(top_rcts || reviews) FROM {db}.facts_by_drug) ORDER BY pmid;
DROP TABLE _facts;
DROP TABLE _top;
DROP TABLE _reviews;
DROP TABLE _pi;
"""


def _count_columns() -> str:
    """One count column per design and per direction ("design:rct", "direction:favours_drug")."""
    cols = [f"count(*) FILTER (WHERE design = '{d.value}') AS \"design:{d.value}\""
            for d in Design]
    cols += [f"count(*) FILTER (WHERE direction = '{x.value}') AS \"direction:{x.value}\""
             for x in Direction]
    return ", ".join(cols)


def _fill(con: duckdb.DuckDBPyConnection, db: str, key: str) -> None:
    """The aggregate tables in the attached database DB, from the scan views of CON."""
    import pyarrow as pa

    con.execute(_BUILD.format(db=db, top=_TOP, reviews=_sql_list(_REVIEWS),
                              randomised=_sql_list(_RANDOMISED), counts=_count_columns()))
    for kind in ("drug", "condition"):
        names = [r[0] for r in con.execute(f"SELECT name FROM {db}.{kind}_names").fetchall()]
        keys = pa.table({"name": pa.array(names, pa.string()),
                         "key": pa.array([name_key(n) for n in names], pa.string())})
        con.register("_keys", keys)
        con.execute(f"CREATE TABLE {db}.{kind}_keys AS SELECT k.key, k.name, n.id, n.records "
                    f"FROM _keys k JOIN {db}.{kind}_names n USING (name) ORDER BY k.key")
        con.unregister("_keys")
    con.execute(f"CREATE TABLE {db}.meta (key VARCHAR)")
    con.execute(f"INSERT INTO {db}.meta VALUES (?)", [key])


def _build(out: Path, target: str, key: str) -> None:
    """Materialise the scan's current pairs into the DuckDB file TARGET."""
    from offlabel.pipeline.scan import open_scan

    con = open_scan(out)
    # A full baseline's pairs outgrow memory: DuckDB spills its working tables beside the
    # target file instead of failing.
    spill = Path(target).parent / f".{Path(target).name}.spill"
    try:
        con.execute(f"SET temp_directory = '{_sql_str(str(spill))}'")
        con.execute(f"ATTACH '{_sql_str(target)}' AS agg")
        _fill(con, "agg", key)
        con.execute("DETACH agg")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{_sql_str(v)}'" for v in values) + ")"


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _attach_cached(con: duckdb.DuckDBPyConnection, path: Path, key: str) -> bool:
    """Attach PATH as `m` when it holds the aggregate of this very scan."""
    import duckdb

    if not path.is_file():
        return False
    try:
        con.execute(f"ATTACH '{_sql_str(str(path))}' AS m (READ_ONLY)")
    except duckdb.Error:
        return False
    try:
        row = con.execute("SELECT key FROM m.meta").fetchone()
    except duckdb.Error:
        row = None
    if row is not None and row[0] == key:
        return True
    con.execute("DETACH m")
    return False


def _places(out: Path, key: str) -> list[Path]:
    """Where the aggregate may live: beside the shards, else in offlabel's cache folder."""
    from offlabel import cache

    places = [out / _CACHE_FILE]
    folder = cache.cache_dir()
    if folder is not None:
        places.append(folder / f"map-{key[:32]}.duckdb")
    return places


def _write_aggregate(out: Path, key: str) -> Path | None:
    """Build the aggregate file; None when no place to write it is found."""
    for path in _places(out, key):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            _build(out, str(tmp), key)
            os.replace(tmp, path)  # readers see the old file or the new one, never half of one
            return path
        except OSError:
            tmp.unlink(missing_ok=True)
    return None


# One connection per scan and process, reused while the scan is unchanged: attaching the
# aggregate and checking its key costs more than a map's queries. Callers get a cursor of it
# (DuckDB connections are not shared between threads; cursors are).
_OPEN: dict[str, tuple[str, duckdb.DuckDBPyConnection]] = {}
_OPEN_LOCK = threading.Lock()


def connect_map(out: Path) -> duckdb.DuckDBPyConnection:
    """A cursor over the scan's aggregate (attached as `m`, read-only), built first when
    missing or stale (in memory when no folder can hold it). Close it when done."""
    out = Path(out)
    if not out.is_dir():
        raise StoreError(f"{out}: not a scan folder (run `offlabel scan FILES --out DIR` first)")
    key = _scan_key(out)
    where = str(out.resolve())
    with _OPEN_LOCK:
        known = _OPEN.get(where)
        if known is not None and known[0] == key:
            return known[1].cursor()
        if known is not None:
            known[1].close()
            del _OPEN[where]
        con = _open(out, key)
        _OPEN[where] = (key, con)
        return con.cursor()


def _open(out: Path, key: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        for path in _places(out, key):
            if _attach_cached(con, path, key):
                return con
        built = _write_aggregate(out, key)
        if built is not None and _attach_cached(con, built, key):
            return con
    except BaseException:
        con.close()
        raise
    con.close()
    return _in_memory(out, key)


def _in_memory(out: Path, key: str) -> duckdb.DuckDBPyConnection:
    from offlabel.pipeline.scan import open_scan

    con = open_scan(out)
    con.execute("ATTACH ':memory:' AS m")
    _fill(con, "m", key)
    return con


# --- names -------------------------------------------------------------------------------------

def _drug_keys(text: str, base: EvidenceBase | None) -> set[str]:
    keys = {name_key(text)}
    if base is not None:
        d = base.find_drug(text)
        if d is not None:
            keys |= {name_key(n) for n in (d.id, d.name, *d.synonyms, *d.brand_names)}
    keys.discard("")
    return keys


def _condition_keys(text: str) -> set[str]:
    from offlabel.vocabulary import MESH_ENTRY_TERMS, resolve_condition

    keys = {name_key(text)}
    c = resolve_condition(text)
    if c is not None:
        names = (c.id.replace("_", " "), c.name, *c.synonyms, *MESH_ENTRY_TERMS.get(c.id, ()))
        keys |= {name_key(n) for n in names}
    keys.discard("")
    return keys


def _match(con: duckdb.DuckDBPyConnection, kind: str, text: str,
           keys: set[str]) -> list[tuple[str, int]]:
    """The scan's (name, id) for TEXT, or NotCovered with the nearest names in the scan."""
    wanted = sorted(keys)
    rows = con.execute(
        f"SELECT name, id FROM m.{kind}_keys WHERE key IN ({', '.join('?' * len(wanted))})",
        wanted).fetchall() if wanted else []
    if rows:
        return sorted((str(n), int(i)) for n, i in rows)
    # MeSH names often add a word to the one people use ("Migraine Disorders"): the names
    # that begin with the whole of the user's words, when they are few enough to be one topic.
    # The keys are sorted, so the range reads a row group or two.
    key = name_key(text)
    prefix = con.execute(
        f"SELECT name, id FROM m.{kind}_keys WHERE key >= ? AND key < ? ORDER BY name LIMIT 6",
        [key + " ", key + "!"]).fetchall() if key else []
    if 0 < len(prefix) <= 5:
        return sorted((str(n), int(i)) for n, i in prefix)
    near = con.execute(
        f"SELECT name FROM m.{kind}_keys WHERE jaro_winkler_similarity(key, ?) >= 0.8 "
        "ORDER BY jaro_winkler_similarity(key, ?) DESC, records DESC, name LIMIT 3",
        [key, key]).fetchall()
    hint = f"; did you mean {', '.join(repr(r[0]) for r in near)}?" if near else ""
    raise NotCovered(f"{kind} '{text}' is not in the scan's records{hint}")


# --- the map -----------------------------------------------------------------------------------

def _level_rank(design: str) -> int:
    try:
        return DESIGN_FACTS[Design(design)].rank
    except ValueError:
        return len(LEVEL_ORDER)


def _rows(con: duckdb.DuckDBPyConnection, by: Literal["drug", "condition"],
          where: str, params: list[Any], limit: int | None) -> tuple[list[MapRow], int]:
    """Map rows of the pairs matching WHERE (on the ids d and c), most records first, and the
    number of rows before the limit."""
    total = con.execute(f"SELECT count(*) FROM m.facts_by_{by} WHERE {where}",
                        params).fetchone()
    lim = f"LIMIT {int(limit)}" if limit else ""
    cur = con.execute(f"SELECT * FROM m.facts_by_{by} WHERE {where} "
                      f"ORDER BY records DESC, drug, condition {lim}", params)
    names = [c[0] for c in cur.description or ()]
    facts = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    wanted = sorted({p for f in facts for p in (*f["top_rcts"], *f["reviews"])})
    studies = {r[0]: StudyRef(int(r[0]), r[1], r[2], r[3], r[4] or "", r[5] or "")
               for r in con.execute(
                   "SELECT pmid, year, design, n, direction, title FROM m.studies "
                   "WHERE pmid IN (SELECT unnest(?))", [wanted]).fetchall()} if wanted else {}
    rows = []
    for f in facts:
        by_design = _counts(f, "design:")
        best = min(by_design, key=lambda x: (_level_rank(x), x)) if by_design else None
        years: dict[int, int] = {}
        for y in f["years"] or ():
            years[int(y)] = years.get(int(y), 0) + 1
        rows.append(MapRow(
            drug=f["drug"], condition=f["condition"], records=int(f["records"]),
            by_design=by_design, by_direction=_counts(f, "direction:"),
            by_year=dict(sorted(years.items())),
            best_design=best, best_level=_level_name(best),
            rcts=sum(by_design.get(x, 0) for x in _RANDOMISED),
            rct_participants=int(f["rct_participants"] or 0),
            top_rcts=[studies[p] for p in f["top_rcts"] if p in studies],
            reviews=[studies[p] for p in f["reviews"] if p in studies]))
    return rows, int(total[0]) if total else 0


def _counts(fact: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: int(v) for k, v in sorted(fact.items())
            if k.startswith(prefix) and v}


def _level_name(design: str | None) -> str | None:
    if design is None:
        return None
    rank = _level_rank(design)
    return LEVEL_ORDER[rank] if rank < len(LEVEL_ORDER) else None


def _in(column: str, ids: Iterable[int]) -> str:
    """COLUMN IN (1, 2, ...): constants, so DuckDB prunes row groups by their min/max."""
    return f"{column} IN ({', '.join(str(int(i)) for i in ids)})"


def _distinct(con: duckdb.DuckDBPyConnection, kind: str, ids: list[int]) -> int:
    row = con.execute(f"SELECT count(DISTINCT pmid) FROM m.{kind}_ids "
                      f"WHERE {_in(kind[0], ids)}").fetchone()
    return int(row[0]) if row else 0


def drug_map(scan: Path, drug: str, *, base: EvidenceBase | None = None,
             limit: int | None = 50) -> EvidenceMap:
    """The conditions studied for DRUG in the scan, most records first."""
    con = connect_map(scan)
    try:
        matched = _match(con, "drug", drug, _drug_keys(drug, base))
        ids = [i for _, i in matched]
        rows, total = _rows(con, "drug", _in("d", ids), [], limit)
        records = _distinct(con, "drug", ids)
    finally:
        con.close()
    return EvidenceMap("drug", drug, None, [n for n, _ in matched], [], rows, total, records,
                       str(scan))


def condition_map(scan: Path, condition: str, *, limit: int | None = 50) -> EvidenceMap:
    """The drugs studied for CONDITION in the scan, most records first."""
    con = connect_map(scan)
    try:
        matched = _match(con, "condition", condition, _condition_keys(condition))
        ids = [i for _, i in matched]
        rows, total = _rows(con, "condition", _in("c", ids), [], limit)
        records = _distinct(con, "condition", ids)
    finally:
        con.close()
    return EvidenceMap("condition", None, condition, [], [n for n, _ in matched], rows, total,
                       records, str(scan))


def pair_map(scan: Path, drug: str, condition: str, *,
             base: EvidenceBase | None = None) -> EvidenceMap:
    """DRUG in CONDITION: one row (the matched names pooled), or NotCovered when the scan has
    no record of the pair."""
    con = connect_map(scan)
    try:
        drugs = _match(con, "drug", drug, _drug_keys(drug, base))
        conditions = _match(con, "condition", condition, _condition_keys(condition))
        d_ids, c_ids = [i for _, i in drugs], [i for _, i in conditions]
        rows, _ = _rows(con, "drug", f"{_in('d', d_ids)} AND {_in('c', c_ids)}", [], None)
        # A record names every pair of its drugs and conditions, so the pair's records are
        # the records of both.
        row = con.execute(
            f"SELECT count(*) FROM (SELECT pmid FROM m.drug_ids WHERE {_in('d', d_ids)} "
            f"INTERSECT SELECT pmid FROM m.condition_ids WHERE {_in('c', c_ids)})").fetchone()
        records = int(row[0]) if row else 0
    finally:
        con.close()
    if not rows:
        raise NotCovered(f"the scan has no record of {drug} in {condition}")
    return EvidenceMap("pair", drug, condition, [n for n, _ in drugs],
                       [n for n, _ in conditions], _pooled(rows, drug, condition), 1, records,
                       str(scan))


def _pooled(rows: list[MapRow], drug: str, condition: str) -> list[MapRow]:
    """Rows of several matched names (a brand and its generic, a synonym) as one row."""
    if len(rows) == 1:
        return rows

    def add(dicts: Iterable[dict[Any, int]]) -> dict[Any, int]:
        out: dict[Any, int] = {}
        for d in dicts:
            for k, v in d.items():
                out[k] = out.get(k, 0) + v
        return dict(sorted(out.items()))

    # A record indexed under two matched names counts once per name here; the pair's record
    # total (EvidenceMap.records) is the distinct count.
    by_design = add(r.by_design for r in rows)
    best = min(by_design, key=lambda x: (_level_rank(x), x)) if by_design else None
    trials = {s.pmid: s for r in rows for s in r.top_rcts}
    reviews = {s.pmid: s for r in rows for s in r.reviews}
    return [MapRow(
        drug=rows[0].drug, condition=rows[0].condition, records=sum(r.records for r in rows),
        by_design=by_design, by_direction=add(r.by_direction for r in rows),
        by_year=add(r.by_year for r in rows), best_design=best,
        best_level=_level_name(best),
        rcts=sum(r.rcts for r in rows), rct_participants=sum(r.rct_participants for r in rows),
        top_rcts=sorted(trials.values(), key=lambda s: (-(s.n or 0), s.pmid))[:_TOP],
        reviews=sorted(reviews.values(), key=lambda s: (-(s.year or 0), s.pmid))[:_TOP])]


def map_dict(m: EvidenceMap) -> dict[str, Any]:
    """The map as the JSON every view renders (documented in docs/scan.md, "map"): kind
    "evidence_map", never a verdict or a certainty."""
    rows = []
    for r in m.rows:
        d = asdict(r)
        d["by_year"] = {str(y): n for y, n in sorted(r.by_year.items())}
        d["ask"] = r.ask_command
        rows.append(d)
    return {
        "kind": "evidence_map",
        "label": EVIDENCE_MAP_LABEL,
        "map": m.kind,
        "rows_are": {"drug": "conditions", "condition": "drugs", "pair": "pair"}[m.kind],
        "query": {"drug": m.drug, "condition": m.condition},
        "matched": {"drugs": m.matched_drugs, "conditions": m.matched_conditions},
        "records": m.records,
        "rows_total": m.rows_total,
        "rows": rows,
        "designs": [d.value for d in sorted(Design, key=_design_order)],
        "scan": m.scan,
    }


def _design_order(d: Design) -> tuple[int, int]:
    # Within a level, the enum lists the stronger design last (cohort after case-control).
    return DESIGN_FACTS[d].rank, -list(Design).index(d)
