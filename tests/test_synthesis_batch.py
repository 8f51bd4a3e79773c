"""rma_batch: many meta-analyses in one call give exactly what rma() gives one at a time."""

from __future__ import annotations

import numpy as np
import pytest

from offlabel.synthesis import Control, SynthesisError, rma
from offlabel.synthesis.batch import rma_batch


def _data(G=60, k=8, seed=3):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.5, (G, k))
    tau = rng.uniform(0, 0.6, G)
    y = rng.normal(rng.normal(0, 0.5, (G, 1)), np.sqrt(v + tau[:, None] ** 2))
    return y, v


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "ML", "PM", "HE", "HS", "SJ", "EB"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_batch_equals_single_fits(method, test):
    y, v = _data()
    G, k = y.shape
    res = rma_batch(y.ravel(), v.ravel(), np.repeat(np.arange(G), k), method=method, test=test)
    for i in range(G):
        one = rma(y[i], v[i], method=method, test=test)
        assert res.tau2[i] == pytest.approx(one.tau2, rel=1e-9, abs=1e-12)
        assert res.estimate[i] == pytest.approx(one.estimate, rel=1e-9, abs=1e-12)
        assert res.ci_ub[i] == pytest.approx(one.ci_ub, rel=1e-9, abs=1e-12)
        assert res.pi_lb[i] == pytest.approx(one.pi_lb, rel=1e-9, abs=1e-12)
        assert res.I2[i] == pytest.approx(one.I2, rel=1e-9, abs=1e-9)
        assert res.QEp[i] == pytest.approx(one.QEp, rel=1e-9, abs=1e-12)


def test_ragged_unsorted_labels():
    rng = np.random.default_rng(7)
    sizes = rng.integers(2, 12, 40)
    labels = np.repeat([f"outcome-{i}" for i in range(40)], sizes)
    n = labels.size
    v = rng.uniform(0.02, 0.4, n)
    y = rng.normal(0.3, np.sqrt(v + 0.05))
    perm = rng.permutation(n)
    res = rma_batch(y[perm], v[perm], labels[perm], method="REML")
    for j, lab in enumerate(res.groups):
        m = labels == lab
        one = rma(y[m], v[m], method="REML")
        assert res.k[j] == m.sum()
        assert res.tau2[j] == pytest.approx(one.tau2, rel=1e-9, abs=1e-12)
        assert res.estimate[j] == pytest.approx(one.estimate, rel=1e-10)


def test_reml_converges_where_fisher_scoring_cycles():
    # this analysis makes metafor's Fisher scoring cycle between two values forever
    y = np.array([-0.31997116097875866, 0.08705224840980691, -0.5919649596567172,
                  0.25899630972462695, -0.06544420621320325, -0.46906795742504226,
                  0.4390654592432834, -0.15327507171597002, -0.8435245253566225,
                  -0.5944698558289032])
    v = np.array([0.3227964538925507, 0.301750330162869, 0.28253802995420557,
                  0.38612215208994943, 0.2556256134618485, 0.11490686188235413,
                  0.06361127098896638, 0.30402362781482656, 0.4044597113670899,
                  0.3616502532996596])
    res = rma(y, v, method="REML")
    # the REML score is zero at the estimate
    w = 1 / (v + res.tau2)
    mu = np.sum(w * y) / w.sum()
    trP = w.sum() - np.sum(w**2) / w.sum()
    score = np.sum(w**2 * (y - mu) ** 2) - trP
    assert res.tau2 > 0 and abs(score) < 1e-8
    with pytest.raises(SynthesisError, match="did not converge"):
        rma(y, v, method="REML", control=Control(threshold=1e-5, maxiter=100, safeguard=False))


def test_batch_errors_name_group_and_row():
    with pytest.raises(SynthesisError, match="row 3 .*group 'b'"):
        rma_batch([0.1, 0.2, 0.3, 0.1], [0.1, 0.1, -0.1, 0.2], ["a", "a", "b", "b"])
    with pytest.raises(SynthesisError, match="group 'b' has k = 1"):
        rma_batch([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["a", "a", "b"], method="DL")
    res = rma_batch([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["a", "a", "b"], method="DL", small="fe")
    assert res.tau2[1] == 0 and res.estimate[1] == pytest.approx(0.3)


def test_single_large_analysis():
    rng = np.random.default_rng(11)
    v = rng.uniform(0.01, 0.5, 100_000)
    y = rng.normal(0.1, np.sqrt(v + 0.1))
    res = rma_batch(y, v, method="REML")
    assert res.tau2[0] == pytest.approx(0.1, rel=0.05)
    one = rma(y, v, method="REML")
    assert one.tau2 == pytest.approx(res.tau2[0], rel=1e-12)


def test_batch_from_a_table_of_columns():
    from offlabel.synthesis import rma_batch_table

    table = {"yi": np.array([0.1, 0.3, 0.2, -0.1, 0.0]), "vi": np.array([0.1, 0.2, 0.1, 0.3, 0.2]),
             "outcome": np.array(["a", "a", "a", "b", "b"])}
    res = rma_batch_table(table, group="outcome", method="DL")
    assert list(res.groups) == ["a", "b"]
    assert res.estimate[1] == pytest.approx(rma(table["yi"][3:], table["vi"][3:], method="DL").estimate)
    with pytest.raises(SynthesisError, match="no column 'se'"):
        rma_batch_table(table, vi="se")
