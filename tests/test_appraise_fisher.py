"""Fisher's exact test without scipy.stats (whose import costs `ask` half a second): the same
two-sided p as scipy.stats.fisher_exact on every small table, ties included."""

from __future__ import annotations

import itertools
import subprocess
import sys

from scipy.stats import fisher_exact

from offlabel.appraise.stratify import fisher_exact_p


def test_same_p_as_scipy_on_every_table_up_to_8_per_cell() -> None:
    worst = 0.0
    for a, b, c, d in itertools.product(range(9), repeat=4):
        if a + b + c + d == 0:
            continue
        want = fisher_exact([[a, b], [c, d]])[1]
        got = fisher_exact_p([[a, b], [c, d]])
        worst = max(worst, abs(want - got))
    assert worst < 1e-12


def test_larger_tables() -> None:
    for table in ([[30, 3], [5, 40]], [[120, 80], [95, 110]], [[0, 50], [50, 0]], [[7, 7], [7, 7]]):
        assert abs(fisher_exact(table)[1] - fisher_exact_p(table)) < 1e-12


def test_ask_does_not_import_scipy_stats() -> None:
    code = ("import sys; from offlabel.cli import app\n"
            "try:\n    app(['ask', 'baclofen', 'alcohol use disorder', '--format', 'json'])\n"
            "except SystemExit:\n    pass\n"
            "print('scipy.stats' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stderr.strip().splitlines()[-1] == "False", r.stderr[-500:]
