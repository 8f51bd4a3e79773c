"""The fixed tune/untouched split of shared/records, so that tuning never sees the records it is
judged on.

Rule: a record is in the TUNE half when the first byte of sha256(ASCII decimal PMID) is even,
in the UNTOUCHED half when it is odd. The rule reads nothing but the PMID (no label, no text),
so it cannot be bent towards easy records, and a new record's half is known before it is read.

The medline sample (shared/medline-sample) may be used for tuning as well, labelled from its own
NLM metadata by the rules of shared/records/README.md (`derived_label`), minus any PMID of the
untouched half.

    python validation/classify/split.py [RECORDS_DIR]

prints the size of each half per label.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

TUNE = "tune"
UNTOUCHED = "untouched"

SHARED = Path(__file__).resolve().parents[3] / "shared"
RECORDS = SHARED / "records"
MEDLINE_SAMPLE = SHARED / "medline-sample"


def half(pmid: str) -> str:
    """TUNE or UNTOUCHED for one PMID (decimal digits, no leading zeros as PubMed writes it)."""
    digest = hashlib.sha256(pmid.strip().encode("ascii")).digest()
    return TUNE if digest[0] % 2 == 0 else UNTOUCHED


def split(pmids: Iterable[str]) -> tuple[set[str], set[str]]:
    """(tune, untouched) PMID sets."""
    tune: set[str] = set()
    untouched: set[str] = set()
    for p in pmids:
        (tune if half(p) == TUNE else untouched).add(p)
    return tune, untouched


def split_labels(labels: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(tune, untouched) label maps of a PMID -> derived_label map."""
    tune = {p: lab for p, lab in labels.items() if half(p) == TUNE}
    untouched = {p: lab for p, lab in labels.items() if half(p) == UNTOUCHED}
    return tune, untouched


# --- labels of the medline sample, from its NLM metadata (shared/records/README.md) ----------

_SR_PT = {"meta-analysis", "systematic review", "network meta-analysis"}
_RCT_PT = {"randomized controlled trial", "equivalence trial"}
_TRIAL_PT = {
    "clinical trial",
    "clinical trial, phase i",
    "clinical trial, phase ii",
    "clinical trial, phase iii",
    "clinical trial, phase iv",
    "pragmatic clinical trial",
    "adaptive clinical trial",
}
_OBS_MESH = {
    "cohort studies",
    "case-control studies",
    "cross-sectional studies",
    "prospective studies",
    "retrospective studies",
    "longitudinal studies",
    "follow-up studies",
}
_NON_STUDY_PT = {
    "letter",
    "comment",
    "editorial",
    "news",
    "newspaper article",
    "biography",
    "portrait",
    "historical article",
    "congress",
    "congresses",
    "lecture",
    "lectures",
    "practice guideline",
    "guideline",
    "consensus development conference",
    "consensus development conference, nih",
    "published erratum",
    "retraction of publication",
    "retracted publication",
    "interview",
    "address",
    "autobiography",
    "expression of concern",
    "introductory journal article",
    "patient education handout",
    "personal narrative",
    "festschrift",
    "bibliography",
    "directory",
    "dictionary",
    "legislation",
    "webcast",
    "video-audio media",
}


def derived_label(publication_types: Iterable[str], mesh: Iterable[str]) -> str | None:
    """shared/records' `derived_label` of a record's NLM metadata (first matching rule wins),
    or None where the README's rules exclude the record (its design is not in the metadata)."""
    pts = {p.strip().lower() for p in publication_types}
    mh = {m.strip().lower() for m in mesh}
    if pts & _SR_PT:
        return "systematic_review_meta_analysis"
    if "animals" in mh and "humans" not in mh:
        return "animal_study"
    if pts & _RCT_PT:
        return "rct"
    if "controlled clinical trial" in pts:
        return "non_randomised_controlled_trial"
    if "case reports" in pts:
        return "case_report"
    if pts & _TRIAL_PT:
        return "clinical_trial_unspecified"
    if "observational study" in pts or mh & _OBS_MESH:
        return "observational"
    if "review" in pts:
        return "narrative_review"
    if pts & _NON_STUDY_PT:
        return "non_primary_other"
    return None


def _main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from offlabel.classify.evaluate import LABEL_ORDER, read_labels

    records = Path(argv[0]) if argv else RECORDS
    tune, untouched = split_labels(read_labels(records / "labels.csv"))
    t, u = Counter(tune.values()), Counter(untouched.values())
    print(f"{'label':<34}{'tune':>6}{'untouched':>11}")
    for lab in LABEL_ORDER:
        print(f"{lab:<34}{t[lab]:>6}{u[lab]:>11}")
    print(f"{'total':<34}{len(tune):>6}{len(untouched):>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
