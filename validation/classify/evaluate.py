"""Scores of the text-only classifier on the halves of shared/records (see split.py).

    python validation/classify/evaluate.py                 # the tune half (+ medline sample)
    python validation/classify/evaluate.py --errors        # ... and each tune-half miss
    python validation/classify/evaluate.py --untouched     # ALSO the untouched half and the whole set

The untouched half is printed only when asked for: it is looked at once, at the end.
`--model` scores with the text model (textmodel.py), which the package leaves off by default.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

from split import MEDLINE_SAMPLE, RECORDS, UNTOUCHED, derived_label, half  # noqa: E402

from offlabel.classify import design, textmodel  # noqa: E402
from offlabel.classify.evaluate import DERIVED_LABEL, format_report, read_labels, score  # noqa: E402
from offlabel.model import Classification, Record  # noqa: E402
from offlabel.sources.readers import ReaderError, iter_records_in  # noqa: E402


def shared_records() -> tuple[list[Record], dict[str, str]]:
    """The records of shared/records (one per PMID) and their labels."""
    errors: list[ReaderError] = []
    labels = read_labels(RECORDS / "labels.csv")
    seen: dict[str, Record] = {}
    for r in iter_records_in(RECORDS, errors=errors, exclude=[RECORDS / "labels.csv"]):
        if r.pmid and r.pmid in labels and r.pmid not in seen:
            seen[r.pmid] = r
    if errors:
        raise SystemExit(f"{errors[0]}")
    return list(seen.values()), labels


def medline_sample(exclude: Iterable[str] = ()) -> tuple[list[Record], dict[str, str]]:
    """The medline sample's records with a metadata-derived label, minus `exclude` PMIDs and
    minus any PMID of the untouched half."""
    errors: list[ReaderError] = []
    skip = set(exclude)
    out: dict[str, Record] = {}
    labels: dict[str, str] = {}
    for r in iter_records_in(MEDLINE_SAMPLE, errors=errors):
        p = r.pmid or ""
        if not p or p in out or p in skip or half(p) == UNTOUCHED:
            continue
        lab = derived_label(r.publication_types, r.mesh)
        if lab is None:
            continue
        out[p], labels[p] = r, lab
    return list(out.values()), labels


def text_only(records: list[Record], with_model: bool | None = None) -> list[Classification]:
    """Text-only classifications: with the shipped text model (True), the rules alone
    (False), or as the package does by default (None: textmodel.ENABLED_BY_DEFAULT)."""
    if with_model is not None:
        textmodel.use(textmodel.load() if with_model else None)
    try:
        return [design.classify(r, text_only=True) for r in records]
    finally:
        textmodel.use_default()


def report(
    title: str, records: list[Record], cs: list[Classification], labels: dict[str, str]
) -> None:
    s = score(zip(records, cs, strict=True), labels)
    print(f"\n== {title}: {s.total} records")
    print(format_report(s))


def misses(records: list[Record], cs: list[Classification], labels: dict[str, str]) -> None:
    for r, c in zip(records, cs, strict=True):
        truth, got = labels[r.pmid or ""], DERIVED_LABEL[c.design]
        if truth != got:
            print(f"\n{r.pmid}\t{truth} -> {got} ({c.design.value}): {c.evidence.get('design')}")
            print(f"  T: {r.title}")
            print(f"  A: {(r.abstract or '')[:600]}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--untouched", action="store_true", help="also score the untouched half")
    ap.add_argument("--errors", action="store_true", help="print each tune-half miss")
    ap.add_argument("--model", action="store_true", help="with the text model (default: off)")
    a = ap.parse_args(argv)
    recs, labels = shared_records()
    tune = [r for r in recs if half(r.pmid or "") != UNTOUCHED]
    t0 = time.perf_counter()
    cs_tune = text_only(tune, a.model or None)
    dt = time.perf_counter() - t0
    report("tune half of shared/records", tune, cs_tune, labels)
    ms, ms_labels = medline_sample(exclude=labels)
    cs_ms = text_only(ms, a.model or None)
    report("medline sample (metadata labels, untouched PMIDs out)", ms, cs_ms, ms_labels)
    print(f"\n{len(tune)} tune records in {dt:.2f} s")
    if a.errors:
        misses(tune, cs_tune, labels)
        misses(ms, cs_ms, ms_labels)
    if a.untouched:
        untouched = [r for r in recs if half(r.pmid or "") == UNTOUCHED]
        cs_u = text_only(untouched, a.model or None)
        what = "rules + text model" if a.model else "as shipped"
        report(f"UNTOUCHED half of shared/records ({what})", untouched, cs_u, labels)
        report(f"whole of shared/records ({what})", tune + untouched, cs_tune + cs_u, labels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
