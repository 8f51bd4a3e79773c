"""A synthetic MEDLINE baseline built from real records, for scan tests and the scan benchmark.

The full baseline (about 1,300 files of 30,000 records) cannot ship with the project, yet the scan
must be tested on files of the real size and shape: gzipped, with the NLM header, an update file
that revises and deletes earlier PMIDs, and a file cut short. This generator repeats the real
``<PubmedArticle>`` records of ``../shared/medline-sample`` and ``../shared/records`` (XML files
only) byte for byte, changing only the record's own PMID (fresh, unique, deterministic from the
seed), so the parser and classifier meet real markup and real metadata.

    python validation/medline/synth.py OUT --files 4 --records 30000 [--seed 0]

Layout for ``files=N`` (all ``pubmed99nNNNN.xml.gz``, in file-name order):

* files 1 .. N-1: baseline files of ``records_per_file`` records each;
* file N: an update file (``delete=True``): revised copies of some earlier PMIDs (changed title,
  every other one also ``Version="2"``), new records up to ``records_per_file`` articles, then one
  ``<DeleteCitation>`` block listing other earlier PMIDs;
* file N+1 (``truncated=True``): new records, the XML cut in the middle of record
  ``records_per_file // 2 + 1``; the gzip stream itself is complete.

With ``delete=False`` all N files are baseline files. The same arguments give the same bytes
(gzip header without name or time).
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from offlabel.errors import UsageError

SHARED = Path(__file__).resolve().parents[3] / "shared"
SOURCES = (SHARED / "medline-sample", SHARED / "records")

# What NLM's 2025 baseline files start and end with.
HEADER = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
FOOTER = b"</PubmedArticleSet>\n"

# Above every PMID NLM has assigned (about 41 million in 2026), so a synthetic record can never
# be mistaken for, or collide with, a real one in a mixed scan.
PMID_BASE = 60_000_000

_ARTICLE = re.compile(rb"<PubmedArticle[ >].*?</PubmedArticle>", re.S)
# the record's own PMID: the first element of MedlineCitation (CommentsCorrections and
# ReferenceList PMIDs name other records and stay as they are)
_OWN_PMID = re.compile(rb"(<MedlineCitation[^>]*>\s*<PMID)([^>]*)(>)(\d+)(</PMID>)")
_TITLE_OPEN = re.compile(rb"<ArticleTitle(?: [^>]*)?>")


@dataclass(frozen=True)
class Article:
    """One real record: its bytes and where the PMID to replace sits."""

    raw: bytes
    pmid: bytes


@dataclass
class FilePlan:
    """What one synthetic file holds, in order (for tests and the generator alike)."""

    name: str
    pmids: list[int] = field(default_factory=list)  # PubmedArticle PMIDs, in file order
    revised: list[int] = field(default_factory=list)  # subset of pmids seen in an earlier file
    deleted: list[int] = field(default_factory=list)  # DeleteCitation PMIDs
    truncated: bool = False


def source_files(sources: Iterable[Path] = SOURCES) -> list[Path]:
    """The XML record files under the shared folders, in a stable order."""
    found: list[Path] = []
    for root in sources:
        if root.is_dir():
            found.extend(
                p for p in sorted(root.rglob("*"))
                if p.is_file() and p.name.endswith((".xml", ".xml.gz"))
            )
    return found


def real_articles(sources: Iterable[Path] = SOURCES) -> list[Article]:
    """Every distinct real PubmedArticle (first copy of each PMID), in source-file order."""
    seen: set[bytes] = set()
    out: list[Article] = []
    for path in source_files(sources):
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        for m in _ARTICLE.finditer(data):
            own = _OWN_PMID.search(m.group(0))
            if own is None or own.group(4) in seen:
                continue
            seen.add(own.group(4))
            out.append(Article(m.group(0), own.group(4)))
    return out


def _with_pmid(art: Article, pmid: int, *, revised: bool = False, version2: bool = False) -> bytes:
    """The record with its own PMID (and PubmedData's pubmed ArticleId) replaced."""

    def own(m: re.Match[bytes]) -> bytes:
        attrs = m.group(2)
        if version2:
            attrs = re.sub(rb'Version="\d+"', b'Version="2"', attrs) if b"Version=" in attrs \
                else attrs + b' Version="2"'
        return m.group(1) + attrs + m.group(3) + str(pmid).encode() + m.group(5)

    raw = _OWN_PMID.sub(own, art.raw, count=1)
    # PubmedData repeats the record's own PMID in its first ArticleIdList; the ReferenceList's
    # ArticleIds come after it and name other records
    data_at = raw.find(b"<PubmedData>")
    if data_at >= 0:
        old = b'<ArticleId IdType="pubmed">' + art.pmid + b"</ArticleId>"
        at = raw.find(old, data_at)
        ref_at = raw.find(b"<ReferenceList", data_at)
        if at >= 0 and (ref_at < 0 or at < ref_at):
            new = b'<ArticleId IdType="pubmed">' + str(pmid).encode() + b"</ArticleId>"
            raw = raw[:at] + new + raw[at + len(old):]
    if revised:
        t = _TITLE_OPEN.search(raw)
        if t is not None:
            raw = raw[:t.end()] + b"Revised: " + raw[t.end():]
    return raw


def plan(files: int, records_per_file: int, *, seed: int = 0, truncated: bool = True,
         delete: bool = True) -> list[FilePlan]:
    """Which PMIDs go where: the whole layout, without touching any record."""
    if files < 1 or records_per_file < 1:
        raise UsageError(f"files ({files}) and records_per_file ({records_per_file}) must be >= 1")
    if delete and files < 2:
        raise UsageError("an update file needs at least one baseline file before it (files >= 2)")
    rng = random.Random(seed)
    # 10 million PMIDs per seed: room for a third of the real baseline without overlap
    next_pmid = PMID_BASE + (seed % 100) * 10_000_000

    def fresh(n: int) -> list[int]:
        nonlocal next_pmid
        out = list(range(next_pmid, next_pmid + n))
        next_pmid += n
        return out

    plans: list[FilePlan] = []
    baseline = files - 1 if delete else files
    for i in range(baseline):
        plans.append(FilePlan(f"pubmed99n{i + 1:04d}.xml.gz", fresh(records_per_file)))
    if delete:
        earlier = [p for f in plans for p in f.pmids]
        k = max(1, min(len(earlier) // 200, records_per_file // 2))
        chosen = rng.sample(earlier, min(2 * k, len(earlier)))
        revised, deleted = sorted(chosen[:k]), sorted(chosen[k:])
        items = revised + fresh(records_per_file - len(revised))
        rng.shuffle(items)
        plans.append(FilePlan(f"pubmed99n{files:04d}.xml.gz", items, revised, deleted))
    if truncated:
        plans.append(FilePlan(f"pubmed99n{len(plans) + 1:04d}.xml.gz",
                              fresh(records_per_file), truncated=True))
    return plans


def _file_bytes(fp: FilePlan, articles: list[Article],
                source_of: dict[int, int], records_per_file: int) -> Iterator[bytes]:
    yield HEADER
    revised = set(fp.revised)
    version2 = set(fp.revised[1::2])
    cut = records_per_file // 2 if fp.truncated else -1
    for n, pmid in enumerate(fp.pmids):
        art = articles[source_of[pmid]]
        rec = _with_pmid(art, pmid, revised=pmid in revised,
                         version2=pmid in version2)
        if n == cut:
            # cut inside the record, past its PMID, so a reader sees a started record end early
            yield b"  " + rec[: len(rec) // 2]
            return
        yield b"  " + rec + b"\n"
    if fp.deleted:
        yield b"  <DeleteCitation>\n"
        for pmid in fp.deleted:
            yield b'    <PMID Version="1">%d</PMID>\n' % pmid
        yield b"  </DeleteCitation>\n"
    yield FOOTER


def make_baseline(out_dir: Path | str, *, files: int = 3, records_per_file: int = 30000,
                  seed: int = 0, truncated: bool = True, delete: bool = True,
                  compresslevel: int = 1, sources: Iterable[Path] = SOURCES) -> list[Path]:
    """Write the synthetic baseline into out_dir; returns the files in name order.

    Raises UsageError when the shared record folders hold no PubmedArticle (the data is
    read at run time and never copied into the repository). compresslevel 1 keeps generation
    quick; readers decompress any level at about the same speed.
    """
    articles = real_articles(sources)
    if not articles:
        raise UsageError(f"no PubmedArticle records under {', '.join(map(str, sources))}")
    plans = plan(files, records_per_file, seed=seed, truncated=truncated, delete=delete)
    rng = random.Random(f"order-{seed}")
    order = list(range(len(articles)))
    # each PMID maps to a real record: cycle through a seeded permutation of them, and a revised
    # copy reuses its original's record so only the title (and Version) differ
    source_of: dict[int, int] = {}
    cycle: list[int] = []
    for fp in plans:
        for pmid in fp.pmids:
            if pmid in source_of:
                continue
            if not cycle:
                cycle = order[:]
                rng.shuffle(cycle)
            source_of[pmid] = cycle.pop()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for fp in plans:
        path = out / fp.name
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                   compresslevel=compresslevel, mtime=0) as gz:
            for chunk in _file_bytes(fp, articles, source_of, records_per_file):
                gz.write(chunk)
        tmp.replace(path)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=3)
    ap.add_argument("--records", type=int, default=30000, help="records per file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-truncated", action="store_true")
    ap.add_argument("--no-delete", action="store_true")
    args = ap.parse_args(argv)
    try:
        paths = make_baseline(args.out, files=args.files, records_per_file=args.records,
                              seed=args.seed, truncated=not args.no_truncated,
                              delete=not args.no_delete)
    except UsageError as e:
        print(f"synth: {e}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
