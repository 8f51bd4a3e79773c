"""The synthetic MEDLINE baseline (validation/medline/synth.py) has the layout the scan tests rely on.

The generator repeats the real records of ../shared, so these tests skip (with the reason) when that
folder is absent. Its folder goes on sys.path, as the metafor runner's does.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "validation" / "medline"))

import synth  # noqa: E402

from offlabel.errors import UsageError  # noqa: E402

pytestmark = pytest.mark.skipif(
    not synth.real_articles(), reason=f"no PubmedArticle records under {synth.SHARED} (shared data absent)"
)

N = 400  # records per file: enough for a delete list and revisions, quick to build


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return synth.make_baseline(tmp_path_factory.mktemp("synth"), files=3, records_per_file=N, seed=7)


def _articles(path: Path) -> tuple[list[etree._Element], list[int]]:
    root = etree.fromstring(gzip.decompress(path.read_bytes()))
    arts = root.findall("PubmedArticle")
    deleted = [int(p.text or "") for p in root.findall("DeleteCitation/PMID")]
    return arts, deleted


def _pmid(art: etree._Element) -> int:
    return int(art.findtext("MedlineCitation/PMID") or "")


def test_layout_and_counts(baseline: list[Path]) -> None:
    assert [p.name for p in baseline] == [f"pubmed99n000{i}.xml.gz" for i in (1, 2, 3, 4)]
    for path in baseline[:3]:
        arts, _ = _articles(path)
        assert len(arts) == N, path.name
        head = gzip.decompress(path.read_bytes())[:300]
        assert head.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE PubmedArticleSet')
        assert b"\n<PubmedArticleSet>\n" in head


def test_pmids_unique_except_revised_and_deletes_point_back(baseline: list[Path]) -> None:
    seen: Counter[int] = Counter()
    for path in baseline[:2]:
        seen.update(_pmid(a) for a in _articles(path)[0])
    earlier = set(seen)
    update, deleted = _articles(baseline[2])
    update_pmids = [_pmid(a) for a in update]
    seen.update(update_pmids)
    revised = {p for p, c in seen.items() if c > 1}
    assert all(c <= 2 for c in seen.values())
    assert revised and revised <= earlier and revised <= set(update_pmids)
    # the delete list: present, of earlier PMIDs, none of them revised in the same file
    assert deleted and set(deleted) <= earlier and not set(deleted) & revised
    for art in update:
        if _pmid(art) in revised:
            assert (art.findtext("MedlineCitation/Article/ArticleTitle") or "").startswith("Revised: ")
    versions = {art.find("MedlineCitation/PMID").get("Version") for art in update
                if _pmid(art) in revised}
    assert versions == {"1", "2"}


def test_record_bytes_are_real_except_the_pmid(baseline: list[Path]) -> None:
    originals = {a.raw for a in synth.real_articles()}
    raw = gzip.decompress(baseline[0].read_bytes())
    first = synth._ARTICLE.search(raw)
    assert first is not None
    own = synth._OWN_PMID.search(first.group(0))
    assert own is not None and int(own.group(4)) >= synth.PMID_BASE
    # putting back some real PMID gives a real record byte for byte (PMID and its ArticleId)
    candidates = [a for a in synth.real_articles()
                  if synth._with_pmid(a, int(own.group(4))) == first.group(0)]
    assert candidates and candidates[0].raw in originals


def test_truncated_file_gzip_complete_xml_cut(baseline: list[Path]) -> None:
    data = baseline[3].read_bytes()
    raw = gzip.decompress(data)  # a complete gzip stream: no EOFError
    assert zlib.decompressobj(31).decompress(data)  # and zlib agrees
    assert raw.count(b"</PubmedArticle>") == N // 2
    assert not raw.rstrip().endswith(b"</PubmedArticleSet>")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)
    # the damage is at the end: every record before the cut parses
    parsed = 0
    with pytest.raises(etree.XMLSyntaxError):
        for _, elem in etree.iterparse(gzip.open(baseline[3]), tag="PubmedArticle"):
            parsed += 1
            elem.clear()
    assert parsed == N // 2


def test_deterministic_and_seed_matters(tmp_path: Path) -> None:
    def digest(paths: list[Path]) -> list[str]:
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]

    a = synth.make_baseline(tmp_path / "a", files=2, records_per_file=60, seed=3)
    b = synth.make_baseline(tmp_path / "b", files=2, records_per_file=60, seed=3)
    c = synth.make_baseline(tmp_path / "c", files=2, records_per_file=60, seed=4)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
    pmids_a = {_pmid(x) for x in _articles(a[0])[0]}
    pmids_c = {_pmid(x) for x in _articles(c[0])[0]}
    assert not pmids_a & pmids_c  # another seed, other PMIDs


def test_options_and_bad_arguments(tmp_path: Path) -> None:
    plain = synth.make_baseline(tmp_path, files=2, records_per_file=5, truncated=False, delete=False)
    assert len(plain) == 2
    assert all(not _articles(p)[1] for p in plain)
    with pytest.raises(UsageError):
        synth.make_baseline(tmp_path / "x", files=1, records_per_file=5)
    with pytest.raises(UsageError):
        synth.make_baseline(tmp_path / "y", files=2, records_per_file=0)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main([str(tmp_path), "--files", "2", "--records", "10"]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / f"pubmed99n000{i}.xml.gz") for i in (1, 2, 3)]


def test_bare_lxml_reads_the_baseline(baseline: list[Path]) -> None:
    import bare_lxml

    rows = list(bare_lxml.iter_rows(baseline[2]))
    deleted = [r for r in rows if r.deleted]
    assert len(rows) - len(deleted) == N and deleted
    assert any(r.title.startswith("Revised: ") and r.version == 2 for r in rows)
    got = []
    with pytest.raises(etree.XMLSyntaxError):
        for row in bare_lxml.iter_rows(baseline[3]):
            got.append(row)
    assert len(got) == N // 2


def test_bare_lxml_fields_agree_with_the_reader() -> None:
    # the bare loop is a fair baseline only if it extracts what the scan's reader does
    import bare_lxml

    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    files = [p for p in synth.source_files() if p.name.endswith(".gz")]
    assert files
    with_mesh = 0
    for path in files:
        bare = [r for r in bare_lxml.iter_rows(path) if not r.deleted]
        ours = list(iter_pubmed_xml(path))
        assert [r.pmid for r in bare] == [int(r.pmid or 0) for r in ours]
        for b, o in zip(bare, ours, strict=True):
            assert b.title == o.title, b.pmid
            assert b.publication_types == o.publication_types, b.pmid
            assert [m.name for m in b.mesh] == o.mesh, b.pmid
            assert [c.name for c in b.chemicals] == o.chemicals, b.pmid
            if o.year is not None and b.year is not None:
                assert b.year == o.year, b.pmid
        with_mesh += sum(bool(r.mesh) for r in bare)
    assert with_mesh > 50  # the comparison above compared something
