"""Benchmark: parse + classify a 30,000-record PubMed XML file, beside pubmed_parser.

The file is built by repeating the real records of ../shared/medline-sample with distinct
PMIDs, gzipped (pubmed_parser's parse_medline_xml reads .gz only). Each measurement runs in
its own subprocess so that peak RSS belongs to that run alone; memory is "flat" when the
peak for the full file is close to the peak for a third of it.

    python benchmarks/bench_readers.py [--records 30000]

Prints records/s for offlabel (parse only; parse + classify with metadata; parse + classify
text only; parse + classify on several worker processes), for pubmed_parser, the peak RSS of
each, and the line `ratio vs pubmed_parser parse+classify: <x>` (one process each, metadata
mode, which is how offlabel classifies PubMed records).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = SHARED / "medline-sample"

_ARTICLE = re.compile(rb"<PubmedArticle[ >].*?</PubmedArticle>", re.S)
_PMID = re.compile(rb"(<MedlineCitation[^>]*>\s*<PMID[^>]*>)\d+(</PMID>)")


def sample_articles() -> list[bytes]:
    articles = []
    for path in sorted(SAMPLE.rglob("*")):
        if not path.name.endswith((".xml", ".xml.gz")):
            continue
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        articles.extend(m.group(0) for m in _ARTICLE.finditer(raw))
    return articles


def build(path: Path, n: int) -> int:
    """Write n records (real ones, repeated, PMIDs renumbered); returns uncompressed bytes."""
    articles = sample_articles()
    if not articles:
        raise SystemExit(f"no records under {SAMPLE}")
    size = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        head = b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n'
        out.write(head)
        size += len(head)
        for i in range(n):
            art = _PMID.sub(rb"\g<1>%d\g<2>" % (90_000_000 + i), articles[i % len(articles)], 1)
            out.write(art)
            out.write(b"\n")
            size += len(art) + 1
        out.write(b"</PubmedArticleSet>\n")
    return size


# --- the measured runs (executed in a child process) -----------------------------------


def _run(kind: str, path: str) -> dict[str, float]:
    import resource

    # imports first: the clock measures reading and classifying, not module loading
    try:
        import pubmed_parser  # loaded for every run, so all pay the same memory for it
    except ImportError:
        pubmed_parser = None

    from offlabel.classify.batch import classify_pubmed_xml
    from offlabel.classify.design import classify
    from offlabel.sources.readers.pubmed_xml import iter_pubmed_xml

    count = 0
    start = time.perf_counter()
    if kind in ("offlabel-parse", "offlabel-meta", "offlabel-text"):
        text_only = kind == "offlabel-text"
        do_classify = kind != "offlabel-parse"
        for rec in iter_pubmed_xml(path):
            if do_classify:
                classify(rec, text_only=text_only)
            count += 1
    elif kind.startswith("offlabel-parallel-"):
        workers = int(kind.rsplit("-", 1)[1])
        for _ in classify_pubmed_xml(path, workers=workers):
            count += 1
    elif kind == "pubmed_parser":
        for _ in pubmed_parser.parse_medline_xml(path):
            count += 1
    else:
        raise SystemExit(f"unknown run {kind}")
    seconds = time.perf_counter() - start
    # peak resident set of this process; the parallel run's workers are not included
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"records": count, "seconds": seconds, "peak_rss_mb": peak_kb / 1024}


def measure(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=30_000)
    ap.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="rounds: runs are interleaved and the fastest of each kind is kept, so a busy "
        "machine penalises both sides alike (on a shared 2-core machine single runs of either "
        "side vary by about 10%%)",
    )
    ap.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_run(*args.child)))
        return
    if not SAMPLE.exists():
        print(f"bench_readers: skipped, {SAMPLE} not present")
        return
    try:
        import pubmed_parser  # noqa: F401

        have_pp = True
    except ImportError:
        have_pp = False
        print(
            "bench_readers: pubmed_parser not installed (pip install -e '.[bench]'); "
            "measuring offlabel alone"
        )
    workers = min(os.cpu_count() or 1, 4)
    kinds = ["offlabel-parse", "offlabel-meta", "offlabel-text"]
    if workers > 1:
        kinds.append(f"offlabel-parallel-{workers}")
    if have_pp:
        kinds.append("pubmed_parser")
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.xml.gz", Path(tmp) / "small.xml.gz"
        size = build(big, args.records)
        build(small, args.records // 3)
        print(
            f"file: {args.records} records, {size / 1e6:.0f} MB of XML, "
            f"{big.stat().st_size / 1e6:.0f} MB gzipped; best of {args.repeat} interleaved "
            f"runs; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
        )
        results: dict[str, dict[str, float]] = {}
        for _ in range(args.repeat):
            for kind in kinds:
                r = measure(kind, big)
                assert r["records"] == args.records, (kind, r)
                if kind not in results or r["seconds"] < results[kind]["seconds"]:
                    results[kind] = r
        for kind, r in results.items():
            print(
                f"{kind:20} {r['records'] / r['seconds']:8.0f} records/s  "
                f"{r['seconds']:6.1f} s  peak RSS {r['peak_rss_mb']:5.0f} MB"
            )
        third = measure("offlabel-meta", small)
        print(
            f"memory: offlabel parse+classify peak RSS {third['peak_rss_mb']:.0f} MB on "
            f"{args.records // 3} records vs {results['offlabel-meta']['peak_rss_mb']:.0f} MB "
            f"on {args.records} (flat if about equal)"
        )
        if not have_pp:
            return

        def rate(kind: str) -> float:
            return results[kind]["records"] / results[kind]["seconds"]

        pp = rate("pubmed_parser")
        print(f"ratio vs pubmed_parser parse only: {rate('offlabel-parse') / pp:.2f}")
        print(
            "ratio vs pubmed_parser parse+classify (text only, 1 process): "
            f"{rate('offlabel-text') / pp:.2f}"
        )
        if workers > 1:
            print(
                f"ratio vs pubmed_parser parse+classify ({workers} worker processes; "
                f"pubmed_parser uses 1): {rate(f'offlabel-parallel-{workers}') / pp:.2f}"
            )
        # the headline: one process each, like for like, metadata mode
        print(f"ratio vs pubmed_parser parse+classify: {rate('offlabel-meta') / pp:.2f}")


if __name__ == "__main__":
    main()
