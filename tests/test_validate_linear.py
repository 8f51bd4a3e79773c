"""`offlabel validate` is linear in the file's size and lists at most a documented number of
problems. The 50 MB run itself is benchmarks/bench_validate.py; here the work is counted on
small files (the text read is at most twice the file, however many problems and duplicates)
and the time of 4x the studies is checked to stay near 4x."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

from offlabel import evidence
from offlabel.evidence import check_text

ROOT = Path(__file__).resolve().parents[1]
OFFLABEL = [sys.executable, "-m", "offlabel"]


def _bench():  # the benchmark's file generator, so that test and benchmark build the same file
    spec = importlib.util.spec_from_file_location(
        "bench_validate", ROOT / "benchmarks" / "bench_validate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


evidence_yaml = _bench().evidence_yaml


def test_generated_file_checks_as_intended():
    ev, problems = check_text(evidence_yaml(30), "big.yaml")
    assert problems == [] and ev is not None and len(ev.studies) == 30
    ev, problems = check_text(evidence_yaml(30, bad_every=3), "big.yaml")
    assert ev is None and len(problems) == 10 and all("field n:" in p for p in problems)
    ev, problems = check_text(evidence_yaml(30, dup_every=5), "big.yaml")
    assert ev is None and len(problems) == 6
    assert all("field id: duplicate of study" in p for p in problems)


@pytest.mark.parametrize("studies", [40, 160])
def test_text_is_read_at_most_twice_whatever_the_problems(monkeypatch, studies):
    """Each problem is located by reading its study again, never the whole file: the old
    code composed the whole file again for every duplicate id (quadratic)."""
    read: list[int] = []
    real = evidence._Loader.__init__

    def counting(self, text, **kw):
        read.append(len(text))
        real(self, text, **kw)

    monkeypatch.setattr(evidence._Loader, "__init__", counting)
    text = evidence_yaml(studies, bad_every=2, dup_every=3)
    ev, problems = check_text(text, "big.yaml")
    assert ev is None and len(problems) >= studies // 2
    assert sum(read) <= 2 * len(text)
    assert len(read) <= 1 + studies  # the file, then at most each study once


def _cpu(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        check_text(text, "big.yaml")
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize(
    "problems", [{"dup_every": 2}, {"bad_every": 2, "dup_every": 3}], ids=["duplicates", "mixed"]
)
def test_time_grows_linearly(problems):
    # CPU time (not wall time) of the best of 3, so that other work on the machine weighs
    # less; quadratic growth (the old code composed the file again for every duplicate id)
    # would give 16x for 4x the studies
    small = evidence_yaml(150, **problems)
    large = evidence_yaml(600, **problems)
    assert _cpu(large) < 6 * _cpu(small)


def test_listing_stops_at_the_documented_cap_and_the_count_stays_exact(tmp_path):
    from offlabel.cli.validate import MAX_SHOWN

    f = tmp_path / "many.yaml"
    f.write_text(evidence_yaml(MAX_SHOWN + 30, bad_every=1))
    r = subprocess.run([*OFFLABEL, "validate", str(f)], capture_output=True, text=True)
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    assert len(lines) == MAX_SHOWN + 1
    assert all(line.startswith(f"{f}:") for line in lines[:MAX_SHOWN])
    assert lines[-1] == "... 30 more problem(s) not shown"
    assert r.stderr.strip().splitlines()[-1] == f"{MAX_SHOWN + 30} problem(s) in 1 file(s)"
    assert "Traceback" not in r.stderr


def test_no_cap_line_at_or_under_the_cap(tmp_path):
    from offlabel.cli.validate import MAX_SHOWN

    f = tmp_path / "some.yaml"
    f.write_text(evidence_yaml(MAX_SHOWN, bad_every=1))
    r = subprocess.run([*OFFLABEL, "validate", str(f)], capture_output=True, text=True)
    assert r.returncode == 1
    assert len(r.stdout.strip().splitlines()) == MAX_SHOWN
    assert "not shown" not in r.stdout


def test_help_documents_the_cap():
    from offlabel.cli.validate import MAX_SHOWN

    r = subprocess.run([*OFFLABEL, "validate", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    assert f"first {MAX_SHOWN} problems" in " ".join(r.stdout.split())
    doc = (ROOT / "docs" / "evidence-schema.md").read_text()
    assert f"first {MAX_SHOWN} problems" in " ".join(doc.split())


def test_validate_is_a_module_level_command():
    import typer

    from offlabel.cli import validate as module

    assert callable(module.validate)
    app = typer.Typer()
    module.register(app)
    assert [c.callback for c in app.registered_commands] == [module.validate]
