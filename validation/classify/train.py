"""Train the text model (offlabel/classify/textmodel.py) on records it may see: the TUNE half of
shared/records (split.py) and the medline sample labelled from its own metadata, never a PMID of
the untouched half.

    python validation/classify/train.py --cv      # 5-fold cross-validation on those records:
                                                  # the rules alone vs rules + model
    python validation/classify/train.py --write   # fit on all of them and write
                                                  # src/offlabel/data/classify/textmodel.json

Multinomial logistic regression (scikit-learn, lbfgs: deterministic) on binary word, word-pair
and title-word features (textmodel.features). Only the TOP_K strongest features of each class
are shipped (by |weight|), each with its weights for every class; the JSON records the digest of
the training records (PMID, label, text) and settings, which a scan can keep with its results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from evaluate import medline_sample, shared_records  # noqa: E402
from sklearn.feature_extraction import DictVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from split import UNTOUCHED, half  # noqa: E402

from offlabel.classify import design, textmodel  # noqa: E402
from offlabel.classify.evaluate import format_report, score  # noqa: E402
from offlabel.model import Record  # noqa: E402

OUT = HERE.parents[1] / "src" / "offlabel" / "data" / "classify" / "textmodel.json"
C = 0.3  # inverse regularisation: chosen by --cv (the model is a tie-breaker, it must not overfit)
TOP_K = 300  # features kept per class
MIN_DF = 2  # a feature seen in one training record only says nothing general
SEED = 0


def training_set() -> tuple[list[Record], list[str]]:
    recs, labels = shared_records()
    tune = [r for r in recs if half(r.pmid or "") != UNTOUCHED]
    ms, ms_labels = medline_sample(exclude=labels)
    data = tune + ms
    assert not any(half(r.pmid or "") == UNTOUCHED for r in data)
    return data, [labels.get(r.pmid or "") or ms_labels[r.pmid or ""] for r in data]


def record_features(r: Record) -> dict[str, int]:
    t = design._Text.of(r, text_only=True)
    return dict.fromkeys(textmodel.features(t.words, t.title_words, bool(t.abstract)), 1)


def fit(feats: Sequence[dict[str, int]], y: Sequence[str], digest: str) -> dict[str, Any]:
    """A model as the JSON textmodel reads."""
    # features seen in fewer than MIN_DF records are dropped before fitting
    df: dict[str, int] = {}
    for f in feats:
        for k in f:
            df[k] = df.get(k, 0) + 1
    kept = [{k: v for k, v in f.items() if df[k] >= MIN_DF} for f in feats]
    vec = DictVectorizer(sort=True)
    X = vec.fit_transform(kept)
    lr = LogisticRegression(C=C, max_iter=5000, random_state=SEED)
    lr.fit(X, list(y))
    names = vec.get_feature_names_out()
    coef = lr.coef_
    classes = [str(c) for c in lr.classes_]
    if coef.shape[0] == 1:  # two classes: sklearn keeps one row
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        bias = [-lr.intercept_[0] / 2, lr.intercept_[0] / 2]
    else:
        bias = list(lr.intercept_)
    chosen: set[int] = set()
    for row in coef:
        chosen.update(np.argsort(-np.abs(row), kind="stable")[:TOP_K].tolist())
    weights = {str(names[i]): [round(float(x), 4) for x in coef[:, i]] for i in sorted(chosen)}
    return {
        "about": "offlabel text model: see offlabel/classify/textmodel.py and "
        "validation/classify/train.py",
        "digest": digest,
        "trained_with": f"scikit-learn {sklearn.__version__} LogisticRegression C={C} "
        f"min_df={MIN_DF} top_k={TOP_K} seed={SEED}",
        "records": len(y),
        "classes": classes,
        "bias": [round(float(b), 4) for b in bias],
        "weights": weights,
    }


def training_digest(data: Sequence[Record], y: Sequence[str]) -> str:
    h = hashlib.sha256()
    h.update(f"C={C} min_df={MIN_DF} top_k={TOP_K} seed={SEED}\n".encode())
    for r, lab in sorted(zip(data, y, strict=True), key=lambda x: int(x[0].pmid or 0)):
        text = hashlib.sha256(f"{r.title}\n{r.abstract}".encode()).hexdigest()
        h.update(f"{r.pmid}\t{lab}\t{text}\n".encode())
    return h.hexdigest()[:16]


def cross_validate(data: list[Record], y: list[str], thresholds: Sequence[float]) -> None:
    feats = [record_features(r) for r in data]
    labels = {r.pmid or "": lab for r, lab in zip(data, y, strict=True)}
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(feats, _strata(y)))
    textmodel.use(None)
    rules = [design.classify(r, text_only=True) for r in data]
    print("== rules alone (all training records)")
    print(format_report(score(zip(data, rules, strict=True), labels)))
    for threshold in thresholds:
        design.MODEL_MIN_PROBABILITY = threshold
        out = list(rules)
        for train_ix, test_ix in folds:
            m = textmodel.from_json(fit([feats[i] for i in train_ix], [y[i] for i in train_ix], ""))
            textmodel.use(m)
            for i in test_ix:
                out[i] = design.classify(data[i], text_only=True)
        s = score(zip(data, out, strict=True), labels)
        print(f"\n== rules + model (5-fold CV), model answers at p >= {threshold}")
        print(format_report(s))
    textmodel.use_default()


def _dumps(model: dict[str, Any]) -> str:
    """JSON with one feature per line (a retrained model diffs readably)."""
    head = {k: v for k, v in model.items() if k != "weights"}
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "weights": {']
    items = sorted(model["weights"].items())
    for i, (f, w) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(f)}: {json.dumps(w, separators=(',', ':'))}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def _strata(y: list[str]) -> list[str]:
    # StratifiedKFold needs 5 of each class: the rarest labels share one stratum
    counts = {lab: y.count(lab) for lab in set(y)}
    return [lab if counts[lab] >= 5 else "rare" for lab in y]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--thresholds", default="0.4,0.5,0.6")
    a = ap.parse_args(argv)
    data, y = training_set()
    print(f"{len(data)} training records (tune half + medline sample)")
    if a.cv:
        cross_validate(data, y, [float(x) for x in a.thresholds.split(",")])
    if a.write:
        model = fit([record_features(r) for r in data], y, training_digest(data, y))
        OUT.parent.mkdir(parents=True, exist_ok=True)
        text = _dumps(model)
        OUT.write_text(text, encoding="utf-8")
        print(
            f"wrote {OUT} ({len(text.encode()) // 1024} KB, {len(model['weights'])} features, "
            f"digest {model['digest']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
