"""Test helper: a scan folder written directly with pyarrow (the shard schema of pipeline/scan.py),
so the map can be tested without running `offlabel scan`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from offlabel.pipeline.scan import MANIFEST, SHARDS, shard_schema


def row(pmid: int, *, drugs: list[str], conditions: list[str], design: str = "rct",
        direction: str = "favours_drug", n: int | None = 100, year: int | None = 2020,
        title: str = "", deleted: bool = False, file: str = "pubmed99n0001",
        pos: int = 0) -> dict[str, Any]:
    return {
        "pmid": pmid, "file": file, "pos": pos, "deleted": deleted, "version": 1,
        "year": year, "title": title or f"Record {pmid}", "journal": "J Test",
        "design": design, "randomised": design == "rct", "blinding": "unknown",
        "comparator": "unknown", "n": n, "direction": direction, "species": None,
        "text_only": False, "publication_types": [], "mesh": [], "chemicals": [],
        "supplementary": [], "drugs": drugs, "conditions": conditions,
    }


def write_scan(out: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    """OUT/shards/<file>.parquet for each file's rows (pos filled in order) and a manifest."""
    shards = out / SHARDS
    shards.mkdir(parents=True, exist_ok=True)
    schema = shard_schema()
    manifest: dict[str, Any] = {"files": {}}
    for name, rows in files.items():
        rows = [dict(r, file=name, pos=i) for i, r in enumerate(rows)]
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, shards / f"{name}.parquet")
        manifest["files"][name] = {"records": len(rows), "shard": f"{name}.parquet"}
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return out
