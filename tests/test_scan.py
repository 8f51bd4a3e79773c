"""`offlabel scan`: the reader's MEDLINE detail, the shard contract, supersession, reruns, --mesh.

The driver runs on one small Dask cluster started here (its address is what `--scheduler` takes),
so the cluster's start-up is paid once. Tests that repeat real records need ../shared and skip
with the reason when it is absent; the kill/rerun acceptance test is in test_scan_kill.py.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from offlabel.errors import ReaderError, StoreError, UsageError
from offlabel.pipeline.scan import (
    MANIFEST,
    open_scan,
    read_manifest,
    scan,
    scan_digest,
    scan_file,
    scan_inputs,
    shard_schema,
)
from offlabel.sources.readers import iter_pubmed_xml
from offlabel.sources.readers.mesh import read_mesh_descriptors

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLE = SHARED / "medline-sample" / "net-synergy__pubmedparser" / "data"
sys.path.insert(0, str(ROOT / "validation" / "medline"))

import synth  # noqa: E402

needs_shared = pytest.mark.skipif(
    not synth.real_articles(), reason=f"no PubmedArticle records under {SHARED} (shared data absent)"
)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One single-worker process cluster for the module: its address, as --scheduler takes it."""
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


# --- constructed records (the shapes MEDLINE uses; the MeSH UIs and tree numbers are real) -----

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n'
TAIL = b"</PubmedArticleSet>\n"


def article(pmid: int, title: str, *, version: int = 1, mesh: str = "", chemicals: str = "",
            suppl: str = "", pt: str = "Randomized Controlled Trial") -> bytes:
    pts = f"<PublicationTypeList><PublicationType>{pt}</PublicationType></PublicationTypeList>"
    return f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="{version}">{pmid}</PMID>
<Article><Journal><Title>J Test</Title><JournalIssue><PubDate><Year>2020</Year></PubDate>
</JournalIssue></Journal><ArticleTitle>{title}</ArticleTitle>
<Abstract><AbstractText>Patients were randomly assigned to treatment or placebo.</AbstractText>
</Abstract>{pts if pt else ""}</Article>
{chemicals}{suppl}{mesh}
</MedlineCitation></PubmedArticle>
""".encode()


def write(path: Path, *parts: bytes) -> Path:
    data = HEAD + b"".join(parts) + TAIL
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def deletion(*pmids: int) -> bytes:
    inner = "".join(f'<PMID Version="1">{p}</PMID>' for p in pmids)
    return f"<DeleteCitation>{inner}</DeleteCitation>\n".encode()


def rows(out: Path, view: str = "current") -> list[tuple[Any, ...]]:
    con = open_scan(out)
    try:
        return con.execute(f"SELECT * EXCLUDE (file, pos) FROM {view} ORDER BY pmid").fetchall()
    finally:
        con.close()


# --- the reader's detail ---------------------------------------------------------------------

MESH = ('<MeshHeadingList><MeshHeading><DescriptorName UI="D006973" MajorTopicYN="N">'
        'Hypertension</DescriptorName><QualifierName UI="Q000188" MajorTopicYN="Y">drug therapy'
        '</QualifierName></MeshHeading><MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">'
        "Humans</DescriptorName></MeshHeading></MeshHeadingList>")
CHEMS = ('<ChemicalList><Chemical><RegistryNumber>9Y8NXQ24VQ</RegistryNumber>'
         '<NameOfSubstance UI="D011433">Propranolol</NameOfSubstance></Chemical></ChemicalList>')
SUPPL = ('<SupplMeshList><SupplMeshName Type="Disease" UI="C562839">Mesothelioma, Malignant'
         "</SupplMeshName></SupplMeshList>")


def test_reader_detail_reads_coded_lists_versions_and_deletions(tmp_path: Path) -> None:
    data = HEAD + article(11, "A", version=2, mesh=MESH, chemicals=CHEMS, suppl=SUPPL) \
        + deletion(5, 6) + TAIL
    plain = list(iter_pubmed_xml(data))
    assert [r.pmid for r in plain] == ["11"]  # without detail: as ever, no deletions
    assert plain[0].mesh_terms == [] and plain[0].version == 1
    for source in (data, tmp_path / "x.xml"):  # bytes and path: the quick path
        if isinstance(source, Path):
            source.write_bytes(data)
        recs = list(iter_pubmed_xml(source, detail=True))
        assert [(r.pmid, r.version, r.deleted) for r in recs] == [
            ("11", 2, False), ("5", 1, True), ("6", 1, True)]
        r = recs[0]
        assert [(m.ui, m.name, m.major, m.qualifiers) for m in r.mesh_terms] == [
            ("D006973", "Hypertension", True, ("drug therapy",)), ("D006801", "Humans", False, ())]
        assert [(s.ui, s.name, s.registry) for s in r.substances] == [
            ("D011433", "Propranolol", "9Y8NXQ24VQ")]
        assert [(c.ui, c.name, c.type) for c in r.concepts] == [
            ("C562839", "Mesothelioma, Malignant", "Disease")]
        assert r.chemicals == ["Propranolol"] and r.mesh == plain[0].mesh
    # a stream goes through the streaming parse (and, with on_error, the piecewise one)
    import io

    for on_error in (None, print):
        recs = list(iter_pubmed_xml(io.BytesIO(data), detail=True, on_error=on_error))
        assert [(r.pmid, r.deleted) for r in recs] == [("11", False), ("5", True), ("6", True)]


# --- shards ----------------------------------------------------------------------------------

# The contract with `offlabel map` (issue 15), written out rather than imported; as Parquet stores
# it (a list's items are called "element" on disk).
CONTRACT = [
    ("pmid", "int64"), ("file", "string"), ("pos", "int32"), ("deleted", "bool"),
    ("version", "int32"), ("year", "int16"), ("title", "string"), ("journal", "string"),
    ("design", "string"), ("randomised", "bool"), ("blinding", "string"),
    ("comparator", "string"), ("n", "int32"), ("direction", "string"), ("species", "string"),
    ("text_only", "bool"), ("publication_types", "list<element: string>"),
    ("mesh", "list<element: struct<ui: string, name: string, major: bool, "
             "qualifiers: list<element: string>, trees: list<element: string>>>"),
    ("chemicals", "list<element: struct<ui: string, name: string, registry: string>>"),
    ("supplementary", "list<element: struct<ui: string, name: string, type: string>>"),
    ("drugs", "list<element: string>"), ("conditions", "list<element: string>"),
]


def test_shard_schema_is_exactly_the_contract(tmp_path: Path) -> None:
    src = write(tmp_path / "pubmed99n0001.xml.gz",
                article(11, "Propranolol for hypertension", mesh=MESH, chemicals=CHEMS,
                        suppl=SUPPL), deletion(7))
    result = scan_file(str(src), str(tmp_path / "out"), None, scan_digest())
    assert (result.records, result.deleted, result.status) == (2, 1, "done")
    shard = tmp_path / "out" / "shards" / "pubmed99n0001.parquet"
    schema = pq.read_schema(shard)
    assert [(f.name, str(f.type)) for f in schema] == CONTRACT
    assert schema.equals(shard_schema())
    table = pq.read_table(shard)
    row = table.slice(0, 1).to_pylist()[0]
    assert row["design"] == "rct" and row["randomised"] is True and row["text_only"] is False
    assert row["mesh"][0] == {"ui": "D006973", "name": "Hypertension", "major": True,
                              "qualifiers": ["drug therapy"], "trees": []}  # no --mesh
    assert row["chemicals"] == [{"ui": "D011433", "name": "Propranolol", "registry": "9Y8NXQ24VQ"}]
    assert row["supplementary"][0]["type"] == "Disease"
    assert "propranolol" in row["drugs"] and "hypertension" in row["conditions"]
    gone = table.slice(1, 1).to_pylist()[0]
    assert (gone["pmid"], gone["deleted"], gone["design"], gone["mesh"]) == (7, True, None, [])


def test_a_record_without_metadata_is_classified_from_its_text(tmp_path: Path) -> None:
    src = write(tmp_path / "a.xml", article(12, "A trial", pt=""))
    scan_file(str(src), str(tmp_path / "out"), None, scan_digest())
    (row,) = pq.read_table(tmp_path / "out" / "shards" / "a.parquet").to_pylist()
    assert row["text_only"] is True and row["publication_types"] == []


def test_deletion_removes_a_pmid_and_a_later_version_supersedes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    base = write(tmp_path / "pubmed99n0001.xml", article(1, "One"), article(2, "Two"),
                 article(3, "Three"))
    update = write(tmp_path / "pubmed99n0002.xml", article(2, "Two, revised", version=2),
                   deletion(3))
    later = write(tmp_path / "pubmed99n0003.xml", article(3, "Three, back"), article(1, "One'"),
                  article(1, "One, twice in a file: the later one counts"))
    digest = scan_digest()
    # written in any order: the file names decide what supersedes what
    for src in (update, base):
        scan_file(str(src), str(out), None, digest)
    current = {r[0]: r for r in rows(out)}
    assert sorted(current) == [1, 2]
    assert current[2][2] == 2 and current[2][4] == "Two, revised"  # version, title
    assert len(rows(out, "records")) == 5  # every row stays in `records`
    scan_file(str(later), str(out), None, digest)
    titles = {r[0]: r[4] for r in rows(out)}
    assert titles == {1: "One, twice in a file: the later one counts", 2: "Two, revised",
                      3: "Three, back"}


def test_pairs_cross_each_drug_with_each_condition(tmp_path: Path) -> None:
    mesh = MESH.replace("</MeshHeadingList>", '<MeshHeading><DescriptorName UI="D000437" '
                        'MajorTopicYN="N">Alcoholism</DescriptorName><QualifierName '
                        'UI="Q000188" MajorTopicYN="N">drug therapy</QualifierName></MeshHeading>'
                        "</MeshHeadingList>")
    src = write(tmp_path / "a.xml", article(9, "Propranolol", mesh=mesh, chemicals=CHEMS))
    scan_file(str(src), str(tmp_path / "out"), None, scan_digest())
    con = open_scan(tmp_path / "out")
    got = con.execute("SELECT pmid, drug, condition, design FROM pairs ORDER BY condition").fetchall()
    assert got == [(9, "propranolol", "alcoholism", "rct"), (9, "propranolol", "hypertension", "rct")]


def test_open_scan_of_an_empty_or_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a scan folder"):
        open_scan(tmp_path / "nothing")
    (tmp_path / "s" / "shards").mkdir(parents=True)
    con = open_scan(tmp_path / "s")
    assert con.execute("SELECT count(*) FROM pairs").fetchone() == (0,)
    assert [c[0] for c in con.execute("DESCRIBE current").fetchall()] == [n for n, _ in CONTRACT]


def test_inputs_folders_sorted_and_clashes_refused(tmp_path: Path) -> None:
    for name in ("b.xml.gz", "a.xml", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in scan_inputs([tmp_path])] == ["a.xml", "b.xml.gz"]
    (tmp_path / "a.xml.gz").write_bytes(b"")
    with pytest.raises(UsageError, match="same shard"):
        scan_inputs([tmp_path])
    with pytest.raises(UsageError, match="not a MEDLINE XML file"):
        scan_inputs([tmp_path / "notes.txt"])


# --- the driver: reruns, changes, damaged inputs, an existing cluster ---------------------------


def test_rerun_reads_nothing_and_a_changed_file_is_redone(tmp_path: Path, scheduler: str) -> None:
    a = write(tmp_path / "pubmed99n0001.xml", article(1, "One"), article(2, "Two"))
    b = write(tmp_path / "pubmed99n0002.xml", article(3, "Three"))
    out = tmp_path / "out"
    first = scan([a, b], out, scheduler=scheduler)
    assert sorted(r.file for r in first.processed) == [a.name, b.name]
    before = rows(out)
    again = scan([a, b], out, scheduler=scheduler)
    assert (len(again.processed), again.skipped) == (0, 2)  # nothing re-read
    assert rows(out) == before
    write(b, article(3, "Three, corrected"))
    third = scan([a, b], out, scheduler=scheduler)
    assert [r.file for r in third.processed] == [b.name]
    assert [r[4] for r in rows(out)] == ["One", "Two", "Three, corrected"]
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    assert manifest[b.name]["sha256"] == third.processed[0].sha256
    (out / "shards" / "pubmed99n0001.parquet").unlink()  # a lost shard is made again
    assert [r.file for r in scan([a, b], out, scheduler=scheduler).processed] == [a.name]


def test_truncated_file_is_partial_with_one_line_and_retried(tmp_path: Path, scheduler: str) -> None:
    whole = HEAD + article(1, "One") + article(2, "Two") + TAIL
    cut = tmp_path / "pubmed99n0001.xml.gz"
    cut.write_bytes(gzip.compress(whole[: whole.index(b"<PubmedArticle>", 100) + 200], mtime=0))
    out = tmp_path / "out"
    result = scan([cut], out, scheduler=scheduler)
    (r,) = result.partial
    assert r.records == 1 and "\n" not in (r.problem or "")
    assert r.problem is not None and r.problem.startswith(cut.name) and "record 2" in r.problem
    entry = read_manifest(out)[cut.name]
    assert entry["status"] == "partial" and entry["problem"] == r.problem
    assert [row[0] for row in rows(out)] == [1]  # the good record before the break is kept
    assert len(scan([cut], out, scheduler=scheduler).processed) == 1  # a rerun retries it
    # the CLI: one line naming it, exit 1
    res = CliRunner().invoke(_app(), ["scan", str(cut), "--out", str(out), "--scheduler", scheduler])
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("partial: ")]
    assert lines == [f"partial: {r.problem}"]


def test_cli_on_an_existing_cluster(tmp_path: Path, scheduler: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    src = write(tmp_path / "pubmed99n0001.xml", article(1, "One"), article(2, "Two"))
    out = tmp_path / "out"
    res = CliRunner().invoke(_app(), ["scan", str(tmp_path), "--out", str(out),
                                      "--scheduler", scheduler])
    assert res.exit_code == 0, res.output
    assert "1 scanned, 0 already done, 0 partial; 2 records" in res.output
    assert read_manifest(out)[src.name]["status"] == "done"
    res = CliRunner().invoke(_app(), ["scan", str(src), "--out", str(out),
                                      "--scheduler", "tcp://127.0.0.1:9"])  # nobody there
    assert "0 scanned, 1 already done" in res.output  # nothing to do: no cluster needed
    write(src, article(1, "One"))
    monkeypatch.setattr("offlabel.pipeline.scan.CONNECT_TIMEOUT", "1s")
    res = CliRunner().invoke(_app(), ["scan", str(src), "--out", str(out),
                                      "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2 and "cannot connect" in res.output
    res = CliRunner().invoke(_app(), ["scan", str(src), "--out", str(out), "--workers", "2",
                                      "--scheduler", scheduler])
    assert res.exit_code == 2 and "--workers sizes the local cluster" in res.output


def _app() -> Any:
    from offlabel.cli import app

    return app


# --- --mesh -----------------------------------------------------------------------------------

# Real MeSH descriptors and tree numbers (desc2024: huggingface.co/datasets/iu-ky/mesh-terms-tree-2024,
# from nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh/desc2024.xml; Hypertension as in
# tests/test_topics.py).
DESCRIPTORS = {
    "D000001": ("Calcimycin", ("D02.355.291.933.125", "D02.540.576.625.125", "D03.633.100.221.173",
                               "D04.345.241.654.125", "D04.345.674.625.125")),
    "D000008": ("Abdominal Neoplasms", ("C04.588.033",)),
    "D000013": ("Congenital Abnormalities", ("C16.131",)),
    "D006973": ("Hypertension", ("C14.907.489",)),
}


def descriptor_file(path: Path) -> Path:
    recs = "".join(
        f'<DescriptorRecord DescriptorClass="1"><DescriptorUI>{ui}</DescriptorUI>'
        f"<DescriptorName><String>{name}</String></DescriptorName>"
        "<PharmacologicalActionList><PharmacologicalAction><DescriptorReferredTo>"
        "<DescriptorUI>D000900</DescriptorUI><DescriptorName><String>Anti-Bacterial Agents"
        "</String></DescriptorName></DescriptorReferredTo></PharmacologicalAction>"
        "</PharmacologicalActionList>"
        f"<TreeNumberList>{''.join(f'<TreeNumber>{t}</TreeNumber>' for t in trees)}"
        "</TreeNumberList></DescriptorRecord>\n"
        for ui, (name, trees) in DESCRIPTORS.items()
    )
    data = f'<?xml version="1.0"?>\n<DescriptorRecordSet LanguageCode="eng">\n{recs}' \
           "</DescriptorRecordSet>\n"
    path.write_bytes(gzip.compress(data.encode(), mtime=0))
    return path


def test_mesh_reader(tmp_path: Path) -> None:
    got = read_mesh_descriptors(descriptor_file(tmp_path / "desc2024.xml.gz"))
    assert {ui: (d.name, d.trees) for ui, d in got.items()} == DESCRIPTORS
    (tmp_path / "x.xml").write_bytes(HEAD + TAIL)
    with pytest.raises(ReaderError, match="not a MeSH descriptor file"):
        read_mesh_descriptors(tmp_path / "x.xml")
    (tmp_path / "cut.xml").write_bytes(b"<DescriptorRecordSet><DescriptorRecord><Descr")
    with pytest.raises(ReaderError, match=r"cut\.xml.*record 1: malformed XML"):
        read_mesh_descriptors(tmp_path / "cut.xml")


def test_mesh_fills_trees_of_known_descriptors(tmp_path: Path, scheduler: str) -> None:
    mesh = ("<MeshHeadingList>" + "".join(
        f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="N">{name}</DescriptorName>'
        "</MeshHeading>" for ui, name in (("D000008", "Abdominal Neoplasms"),
                                          ("D000013", "Congenital Abnormalities"),
                                          ("D006801", "Humans")))
        + "</MeshHeadingList>")
    src = write(tmp_path / "pubmed99n0001.xml", article(1, "One", mesh=mesh))
    desc = descriptor_file(tmp_path / "desc2024.xml.gz")
    out = tmp_path / "out"
    plain = scan([src], out, scheduler=scheduler)
    assert plain.processed[0].digest == scan_digest()
    result = scan([src], out, scheduler=scheduler, mesh=desc)
    assert len(result.processed) == 1  # another MeSH table: the shard is made again
    con = open_scan(out)
    trees = dict(con.execute(
        "SELECT m.ui, m.trees FROM (SELECT unnest(mesh) AS m FROM current)").fetchall())
    assert trees == {"D000008": ["C04.588.033"], "D000013": ["C16.131"], "D006801": []}
    got = con.execute("SELECT conditions FROM current").fetchone()
    assert got is not None and sorted(got[0]) == ["abdominal neoplasms", "congenital abnormalities"]
    assert len(scan([src], out, scheduler=scheduler, mesh=desc).processed) == 0


def test_table_types_hold_for_empty_and_null_columns(tmp_path: Path) -> None:
    src = write(tmp_path / "d.xml", deletion(4, 5))
    scan_file(str(src), str(tmp_path / "out"), None, scan_digest())
    table = pq.read_table(tmp_path / "out" / "shards" / "d.parquet")
    assert table.num_rows == 2 and table.column("year").null_count == 2
    assert table.schema.field("mesh").type == shard_schema().field("mesh").type
    assert pa.compute.all(table.column("deleted")).as_py() is True


@needs_shared
def test_the_real_sample_scans_whole(tmp_path: Path) -> None:
    paths = scan_inputs([SAMPLE])
    out = tmp_path / "out"
    for p in paths:
        r = scan_file(str(p), str(out), None, scan_digest())
        assert r.status == "done" and r.records > 0
    con = open_scan(out)
    n, designs = con.execute("SELECT count(*), count(DISTINCT design) FROM current").fetchone() \
        or (0, 0)
    assert n == sum(len(list(iter_pubmed_xml(p))) for p in paths) and designs > 3


def test_a_folder_is_searched_with_its_subfolders(tmp_path: Path) -> None:
    # NLM's site keeps baseline/ and updatefiles/ apart; a mirror of it is one folder to scan
    (tmp_path / "baseline").mkdir()
    (tmp_path / "updatefiles").mkdir()
    for name in ("baseline/pubmed26n0002.xml.gz", "baseline/pubmed26n0001.xml.gz",
                 "updatefiles/pubmed26n1275.xml", "updatefiles/README.txt"):
        (tmp_path / name).write_bytes(b"")
    got = [p.name for p in scan_inputs([tmp_path])]
    assert got == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1275.xml"]


def _malloc_environ() -> tuple[str | None, str | None]:
    import os

    return os.environ.get("MALLOC_MMAP_THRESHOLD_"), os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_keep_mmap_for_large_blocks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dask's default worker environment (a 64 KiB trim threshold) pins glibc's mmap threshold
    at 128 KiB: each block of XML would be a fresh mapping. The scan's own cluster overrides it.
    (A variable already in the driver's environment wins, by Dask's rule; a nanny started by
    an earlier cluster in this process leaves Dask's default there, so it is cleared here.)"""
    import logging

    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)

    import distributed

    from offlabel.pipeline.scan import _local_cluster

    cluster = _local_cluster(distributed, 1, logging.CRITICAL)
    try:
        with distributed.Client(cluster) as client:
            mmap, trim = client.submit(_malloc_environ, pure=False).result()
    finally:
        cluster.close()
    assert int(mmap or 0) >= 1 << 24 and int(trim or 0) >= 1 << 26
