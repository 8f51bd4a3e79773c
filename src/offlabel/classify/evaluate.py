"""Scoring the classifier against labelled records (the layout of shared/records).

`derived_label` values come from NLM indexing by fixed rules (shared/records/README.md); our
finer designs map onto them as that README defines the labels: the `evaluation_label` of each
design's row in model.DESIGN_FACTS (e.g. case_series -> case_report, because NLM tags small
series Case Reports; open_label_trial -> clinical_trial_unspecified, the generic trial tag).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from offlabel.errors import LabelsError
from offlabel.model import DESIGN_FACTS, Classification, Design, Record

# Each design's evaluation label is one of its facts (model.DESIGN_FACTS).
DERIVED_LABEL: dict[Design, str] = {d: f.evaluation_label for d, f in DESIGN_FACTS.items()}

# the order labels are printed in: the README's rule order
LABEL_ORDER = [
    "systematic_review_meta_analysis",
    "animal_study",
    "rct",
    "non_randomised_controlled_trial",
    "case_report",
    "clinical_trial_unspecified",
    "observational",
    "narrative_review",
    "non_primary_other",
]


def read_labels(path: str | Path) -> dict[str, str]:
    """PMID -> derived_label from a labels.csv; LabelsError names the line of a bad row."""
    out: dict[str, str] = {}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"pmid", "derived_label"} <= set(reader.fieldnames):
                raise LabelsError(f"{path}:1: header needs 'pmid' and 'derived_label' columns")
            for row in reader:
                pmid, label = (row.get("pmid") or "").strip(), (row.get("derived_label") or "")
                if not pmid.isdigit() or not label.strip():
                    raise LabelsError(
                        f"{path}:{reader.line_num}: bad row (pmid {pmid!r}, label {label!r})"
                    )
                out[pmid] = label.strip()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelsError(f"{path}: cannot read labels: {exc}") from None
    return out


@dataclass
class Scores:
    labels: list[str]
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (truth, predicted)
    unlabelled: int = 0  # records in DIR without a row in LABELS
    missing: list[str] = field(default_factory=list)  # labelled PMIDs not found in DIR

    @property
    def total(self) -> int:
        return sum(self.confusion.values())

    @property
    def accuracy(self) -> float:
        right = sum(n for (a, b), n in self.confusion.items() if a == b)
        return right / self.total if self.total else 0.0

    def precision(self, label: str) -> float:
        predicted = sum(n for (_, b), n in self.confusion.items() if b == label)
        return self.confusion[(label, label)] / predicted if predicted else 0.0

    def recall(self, label: str) -> float:
        actual = sum(n for (a, _), n in self.confusion.items() if a == label)
        return self.confusion[(label, label)] / actual if actual else 0.0

    def f1(self, label: str) -> float:
        p, r = self.precision(label), self.recall(label)
        return 2 * p * r / (p + r) if p + r else 0.0


def score(pairs: Iterable[tuple[Record, Classification]], labels: dict[str, str]) -> Scores:
    seen: set[str] = set()
    found = set(labels.values())
    s = Scores(labels=[])
    for record, c in pairs:
        truth = labels.get(record.pmid or "")
        if truth is None:
            s.unlabelled += 1
            continue
        seen.add(record.pmid or "")
        predicted = DERIVED_LABEL[c.design]
        s.confusion[(truth, predicted)] += 1
        found.add(predicted)
    s.missing = sorted(set(labels) - seen)
    s.labels = [x for x in LABEL_ORDER if x in found] + sorted(found - set(LABEL_ORDER))
    return s


def format_report(s: Scores) -> str:
    """Confusion matrix, then `<label> precision: recall: f1:` lines, then `accuracy:`."""
    labels = s.labels
    short = {x: x[:10] for x in labels}
    width = max(len(x) for x in labels) if labels else 5
    lines = ["confusion matrix (rows: label, columns: predicted)"]
    lines.append(" " * (width + 2) + " ".join(f"{short[x]:>10}" for x in labels))
    for a in labels:
        lines.append(f"{a:<{width}}  " + " ".join(f"{s.confusion[(a, b)]:>10}" for b in labels))
    for x in labels:
        lines.append(
            f"{x} precision: {s.precision(x):.3f} recall: {s.recall(x):.3f} f1: {s.f1(x):.3f}"
        )
    lines.append(f"accuracy: {s.accuracy:.3f}")
    return "\n".join(lines)
