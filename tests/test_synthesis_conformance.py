"""The conformance runner over metafor's reference figures: bundled copy and shared/ when present.

The runner is a validation script outside the installed package (validation/metafor/); its
folder goes on sys.path so that it imports as it runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "validation" / "metafor"
sys.path.insert(0, str(RUNNER))

from conformance import run_dir, run_file  # noqa: E402

BUNDLED = Path(__file__).resolve().parent / "data" / "metafor"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "metafor"


def test_bundled_reference_all_pass():
    lines: list[str] = []
    passed, failed = run_dir(BUNDLED, lines.append)
    assert failed == 0, "\n".join(lines[:40])
    assert passed >= 800


def test_extra_reference_all_pass():
    # our own second set (other datasets and calls), same layout: see extra/README.md
    lines: list[str] = []
    passed, failed = run_dir(BUNDLED / "extra", lines.append)
    assert failed == 0, "\n".join(lines[:40])
    assert passed >= 1600


def test_shared_reference_all_pass():
    if not SHARED.is_dir():
        pytest.skip(f"shared reference set not present at {SHARED}")
    lines: list[str] = []
    passed, failed = run_dir(SHARED, lines.append)
    assert failed == 0, "\n".join(lines[:40])
    assert passed > 0


def test_cli_reports_mismatch_and_exit_code(tmp_path):
    fx = json.loads((BUNDLED / "dat.bcg.json").read_text())
    keep = [a for a in fx["analyses"] if a["id"] in ("effect_sizes:RR", "rma:RR:DL:z")]
    keep[1]["results"]["tau2"] += 0.01  # a wrong expectation must be reported
    keep.append({"id": "bogus", "type": "no_such_type", "call": "rma(yi, vi, data=es_RR)",
                 "results": {"x": 1}})
    fx["analyses"] = keep
    (tmp_path / "x.json").write_text(json.dumps(fx))
    proc = subprocess.run([sys.executable, str(RUNNER / "conformance.py"), str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert out[-1] == "1 passed, 2 failed"
    assert any(line.startswith("x.json: rma:RR:DL:z: tau2: expected ") for line in out)
    assert any(line.startswith("x.json: bogus: ") for line in out)


def test_unknown_field_is_a_failure(tmp_path):
    fx = json.loads((BUNDLED / "dat.bcg.json").read_text())
    a = next(a for a in fx["analyses"] if a["id"] == "rma:RR:DL:z")
    a["results"]["new_field"] = 1.0
    fx["analyses"] = [next(x for x in fx["analyses"] if x["id"] == "effect_sizes:RR"), a]
    p = tmp_path / "y.json"
    p.write_text(json.dumps(fx))
    lines: list[str] = []
    passed, failed = run_file(p, lines.append)
    assert (passed, failed) == (1, 1)
    assert "new_field: expected 1.0 got <not computed>" in lines[0]
