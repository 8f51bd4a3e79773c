"""`offlabel scan`: MEDLINE baseline and update files into Parquet shards, read through DuckDB.

A repurposing question starts before anyone knows which drug to ask about, so the whole of
MEDLINE is read once into a table of classified records (one Parquet shard per input file) that
`offlabel map` then queries in milliseconds. The scan is resumable: a shard appears whole (written
aside, then renamed) and the manifest says which inputs are done, by checksum, so a scan killed
at any moment and rerun gives exactly what an uninterrupted one gives.

    OUT/shards/<input name>.parquet   one per input file (schema: SHARD_SCHEMA)
    OUT/manifest.json                 per input: sha256, size, records, deleted, status, digest

`open_scan(OUT)` is how anything reads a scan: DuckDB views `records`, `current` (update files
applied: the latest version of each PMID, deletions removed) and `pairs` (drug x condition).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from offlabel.errors import StoreError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

__all__ = ["MANIFEST", "SHARDS", "open_scan", "shard_schema"]

SHARDS = "shards"
MANIFEST = "manifest.json"


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
