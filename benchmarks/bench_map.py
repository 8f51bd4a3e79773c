"""Benchmark: `offlabel map` on a synthetic scan of a few million records.

Shards are written directly with pyarrow in the scan's schema (pipeline/scan.py shard_schema):
30 files of 100,000 rows (3 million), realistic list columns (5-15 MeSH headings with
qualifiers, 0-6 chemicals, 0-4 drugs, 0-5 conditions drawn from Zipf-like distributions over
20,000 drug and 10,000 condition names, as in MEDLINE where a few names are very common), and an
update file that revises 1% of the PMIDs and deletes 0.5%, so the supersession rule has work.

    python benchmarks/bench_map.py [--rows 3000000] [--out DIR] [--keep]

Prints the time to build the per-scan aggregate (once per scan) and then the time of each map
query on the open connection, as a server answers them (drug map of the commonest drug, of a
mid-frequency one, condition map, pair map, an unknown name with its "did you mean"), and one
query on a fresh connection, as a new `offlabel map` process pays it; the line
`map query max ms: <x>` is the slowest query on the open connection.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from offlabel.model import Design, Direction
from offlabel.pipeline.scan import MANIFEST, SHARDS, shard_schema

DRUGS = 20_000
CONDITIONS = 10_000
PER_FILE = 100_000
DESIGN_P = {  # roughly MEDLINE's mix of the records that name a drug
    Design.other: 0.30, Design.narrative_review: 0.10, Design.animal: 0.14,
    Design.in_vitro: 0.08, Design.case_report: 0.08, Design.cohort: 0.08,
    Design.cross_sectional: 0.04, Design.case_control: 0.02, Design.rct: 0.07,
    Design.open_label_trial: 0.03, Design.nonrandomized_controlled_trial: 0.01,
    Design.systematic_review: 0.02, Design.meta_analysis: 0.015, Design.case_series: 0.01,
    Design.human_laboratory: 0.005, Design.guideline: 0.005,
}
QUALIFIERS = ["drug therapy", "therapeutic use", "adverse effects", "epidemiology", "etiology",
              "pharmacology", "metabolism", "diagnosis", "genetics", "complications"]


def _zipf(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Name indices, name i drawn with weight 1/(i + 10): the commonest drug is in about 1.3%
    of the draws, as the commonest names of MEDLINE's ChemicalList are."""
    w = 1.0 / (np.arange(n) + 10.0)
    return rng.choice(n, size, p=w / w.sum())


def _lists(rng: np.random.Generator, values: pa.Array, n_rows: int, lo: int, hi: int,
           pick: np.ndarray | None = None) -> pa.ListArray:
    lengths = rng.integers(lo, hi + 1, n_rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    idx = pick if pick is not None else rng.integers(0, len(values), int(offsets[-1]))
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(idx[:offsets[-1]])))


def shard(rng: np.random.Generator, name: str, start: int, n: int, drug_names: pa.Array,
          condition_names: pa.Array, pmids: np.ndarray | None = None,
          deleted: np.ndarray | None = None) -> pa.Table:
    designs = list(DESIGN_P)
    p = np.array(list(DESIGN_P.values()))
    design = np.array([d.value for d in designs])[rng.choice(len(designs), n, p=p / p.sum())]
    directions = np.array([d.value for d in Direction])
    drugs = _lists(rng, drug_names, n, 0, 4, _zipf(rng, DRUGS, n * 4))
    conditions = _lists(rng, condition_names, n, 0, 5, _zipf(rng, CONDITIONS, n * 5))
    # MeSH headings: names from the condition list, qualifiers from a short list.
    m_len = rng.integers(5, 16, n)
    m_total = int(m_len.sum())
    quals = _lists(rng, pa.array(QUALIFIERS), m_total, 0, 2)
    mesh_struct = pa.StructArray.from_arrays(
        [pa.array(np.char.add("D", rng.integers(1000, 99999, m_total).astype(str))),
         condition_names.take(pa.array(_zipf(rng, CONDITIONS, m_total))),
         pa.array(rng.random(m_total) < 0.3), quals,
         pa.ListArray.from_arrays(pa.array(np.zeros(m_total + 1, np.int32)), pa.array([], pa.string()))],
        names=["ui", "name", "major", "qualifiers", "trees"])
    mesh = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(m_len)]).astype(np.int32)), mesh_struct)
    c_len = rng.integers(0, 7, n)
    c_total = int(c_len.sum())
    chem_struct = pa.StructArray.from_arrays(
        [pa.array(np.char.add("D", rng.integers(1000, 99999, c_total).astype(str))),
         drug_names.take(pa.array(_zipf(rng, DRUGS, c_total))),
         pa.array(np.char.add("R", rng.integers(0, 10**6, c_total).astype(str)))],
        names=["ui", "name", "registry"])
    chems = pa.ListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(c_len)]).astype(np.int32)), chem_struct)
    empty_supp = pa.array([[]] * n, pa.list_(pa.struct([("ui", pa.string()), ("name", pa.string()),
                                                          ("type", pa.string())])))
    rand_n = rng.integers(10, 2000, n).astype(np.int32)
    cols = {
        "pmid": pa.array(pmids if pmids is not None else np.arange(start, start + n), pa.int64()),
        "file": pa.array([name] * n),
        "pos": pa.array(np.arange(n, dtype=np.int32)),
        "deleted": pa.array(deleted if deleted is not None else np.zeros(n, bool)),
        "version": pa.array(np.ones(n, np.int32)),
        "year": pa.array(rng.integers(1950, 2026, n).astype(np.int16)),
        "title": pa.array(np.char.add("Synthetic record ", np.arange(start, start + n).astype(str))),
        "journal": pa.array(["J Synth"] * n),
        "design": pa.array(design),
        "randomised": pa.array(design == "rct"),
        "blinding": pa.array(["unknown"] * n),
        "comparator": pa.array(["unknown"] * n),
        "n": pa.array(np.where(rng.random(n) < 0.7, rand_n, 0), pa.int32()),
        "direction": pa.array(directions[rng.integers(0, len(directions), n)]),
        "species": pa.array([None] * n, pa.string()),
        "text_only": pa.array(np.zeros(n, bool)),
        "publication_types": pa.array([["Journal Article"]] * n, pa.list_(pa.string())),
        "mesh": mesh, "chemicals": chems, "supplementary": empty_supp,
        "drugs": drugs, "conditions": conditions,
    }
    return pa.Table.from_pydict(cols, schema=shard_schema())


def build(out: Path, rows: int, seed: int = 15) -> None:
    rng = np.random.default_rng(seed)
    drug_names = pa.array([f"drug{i:05d}" for i in range(DRUGS)])
    condition_names = pa.array([f"condition {i:05d}" for i in range(CONDITIONS)])
    (out / SHARDS).mkdir(parents=True, exist_ok=True)
    files = max(1, rows // PER_FILE)
    for f in range(files):
        name = f"pubmed99n{f + 1:04d}"
        pq.write_table(shard(rng, name, 1 + f * PER_FILE, PER_FILE, drug_names, condition_names),
                       out / SHARDS / f"{name}.parquet")
    k = rows // 100
    pmids = rng.choice(np.arange(1, files * PER_FILE + 1), k + k // 2, replace=False)
    deleted = np.zeros(len(pmids), bool)
    deleted[k:] = True
    name = f"pubmed99n{files + 1:04d}"
    pq.write_table(shard(rng, name, 0, len(pmids), drug_names, condition_names, pmids, deleted),
                   out / SHARDS / f"{name}.parquet")
    (out / MANIFEST).write_text('{"synthetic": true}\n', encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the synthetic scan folder")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_map_"))
    from offlabel.pipeline.evidence_map import condition_map, drug_map, pair_map

    try:
        if not (out / SHARDS).is_dir():
            t = time.perf_counter()
            build(out, args.rows)
            print(f"wrote {args.rows:,} rows of shards in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        m = drug_map(out, "drug00000")
        print(f"first map (builds the aggregate): {time.perf_counter() - t:.1f} s")
        times = {}
        queries = {
            "drug map, commonest drug": lambda: drug_map(out, "drug00000"),
            "drug map, mid-frequency drug": lambda: drug_map(out, "drug00500"),
            "condition map, commonest condition": lambda: condition_map(out, "condition 00000"),
            "condition map, rare condition": lambda: condition_map(out, "condition 09000"),
            "pair map": lambda: pair_map(out, "drug00000", "condition 00001"),
        }
        for label, q in queries.items():
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                m = q()
                best = min(best, time.perf_counter() - t)
            times[label] = best * 1000
            print(f"{label}: {best * 1000:.0f} ms ({m.records:,} records, {m.rows_total:,} rows)")
        from offlabel.errors import NotCovered

        t = time.perf_counter()
        try:
            drug_map(out, "drug0000x")
        except NotCovered as exc:
            times["unknown name"] = (time.perf_counter() - t) * 1000
            print(f"unknown name: {times['unknown name']:.0f} ms ({exc})")
        from offlabel.pipeline import evidence_map

        # A fresh process (the CLI) also attaches the aggregate and checks its key first.
        for _, con in evidence_map._OPEN.values():
            con.close()
        evidence_map._OPEN.clear()
        t = time.perf_counter()
        drug_map(out, "drug00500")
        print(f"drug map on a fresh connection (attach + query): "
              f"{(time.perf_counter() - t) * 1000:.0f} ms")
        print(f"map query max ms: {max(times.values()):.0f}")
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
