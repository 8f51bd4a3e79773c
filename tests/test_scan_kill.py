"""The acceptance point of issue 15: a scan killed at any moment and rerun gives exactly what an
uninterrupted scan gives (the `current` view, every row, and the manifest).

`offlabel scan` runs as a subprocess on a synthetic baseline (validation/medline/synth.py: real
records of ../shared with fresh PMIDs, an update file with revisions and a DeleteCitation, a
truncated file), in its own process group; SIGKILL goes to the whole group, so the driver and
its local cluster die together, as in a crash. Skips with the reason when ../shared is absent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from offlabel.pipeline.scan import MANIFEST, SHARDS, open_scan, scan, scan_inputs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "validation" / "medline"))

import synth  # noqa: E402

pytestmark = pytest.mark.skipif(
    not synth.real_articles(),
    reason=f"no PubmedArticle records under {synth.SHARED} (shared data absent)",
)

N = 200  # records per file: 2 baseline files, an update file, a truncated file


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("baseline")
    synth.make_baseline(folder, files=3, records_per_file=N, seed=11)
    return folder


@pytest.fixture(scope="module")
def reference(baseline: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, float]:
    """An uninterrupted scan: its current view, its manifest, and how long it took. Run in this
    process on a threads-only cluster (it starts in a fraction of the time a process cluster
    takes; the shards and manifest do not depend on where the task ran)."""
    import logging

    from distributed import LocalCluster

    out = tmp_path_factory.mktemp("reference")
    start = time.perf_counter()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        result = scan(scan_inputs([baseline]), out, scheduler=cluster.scheduler_address)
    assert [r.file for r in result.partial] == ["pubmed99n0004.xml.gz"]
    return _current(out), _manifest(out), time.perf_counter() - start


def _run(baseline: Path, out: Path, *, workers: int, kill_when: Callable[[], bool] | None = None,
         sig: signal.Signals = signal.SIGKILL) -> int | None:
    """Run `offlabel scan`; with kill_when, send `sig` to its process group once it holds (or
    the run ends first). The exit code (None when SIGKILLed)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "offlabel", "scan", str(baseline), "--out", str(out),
         "--workers", str(workers)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
        # as from a terminal: SIGINT not ignored, whatever the test runner inherited
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        if kill_when is None:
            _, err = proc.communicate(timeout=180)
            assert b"Traceback" not in err, err.decode(errors="replace")
            return proc.returncode
        deadline = time.monotonic() + 120
        while proc.poll() is None and not kill_when():
            if time.monotonic() > deadline:
                raise AssertionError("the kill moment never came")
            time.sleep(0.02)
        if proc.poll() is not None:
            return proc.returncode
        os.killpg(proc.pid, sig)  # SIGINT: what Ctrl-C in a terminal sends the group
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGINT:  # one line from the driver; no worker says anything
            text = err.decode()
            assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
            assert text.strip().splitlines()[-1] == \
                "interrupted: finished shards are kept; run again to resume", text
            return proc.returncode
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
        _wait_group_gone(proc.pid)


def _wait_group_gone(pgid: int) -> None:
    """Until no process of the group is left (the cluster's workers die with the driver)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":  # pgrp, state
                alive.append(entry)
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes of group {pgid} outlived the kill")


def _current(out: Path) -> list[tuple[Any, ...]]:
    con = open_scan(out)
    try:
        return con.execute("SELECT * FROM current ORDER BY pmid").fetchall()
    finally:
        con.close()


def _manifest(out: Path) -> Any:
    return json.loads((out / MANIFEST).read_text())["files"]


def _shards(out: Path) -> list[Path]:
    return sorted((out / SHARDS).glob("*.parquet")) if (out / SHARDS).is_dir() else []


def _check_whole(out: Path) -> None:
    """What a killed scan leaves is readable: every visible shard whole, the manifest JSON."""
    if _shards(out):
        _current(out)
    if (out / MANIFEST).exists():
        _manifest(out)


@pytest.mark.parametrize(("workers", "moment"), [
    (1, "after the first shard"), (2, "mid-file"), (1, "ctrl-c mid-file")])
def test_killed_scan_rerun_equals_uninterrupted(
    baseline: Path, reference: tuple[Any, Any, float], tmp_path: Path, workers: int, moment: str
) -> None:
    want_rows, want_manifest, seconds = reference
    out = tmp_path / "out"
    if moment == "after the first shard":
        def kill_when() -> bool:
            return bool(_shards(out))
    else:  # once the first file is done, half a file's time into the next ones
        started: list[float] = []

        def kill_when() -> bool:
            if not started:
                if _shards(out):
                    started.append(time.monotonic())
                return False
            return time.monotonic() - started[0] > seconds / 8
    ctrl_c = moment.startswith("ctrl-c")
    code = _run(baseline, out, workers=workers, kill_when=kill_when,
                sig=signal.SIGINT if ctrl_c else signal.SIGKILL)
    # Ctrl-C: cancelled, cluster closed, exit 130; SIGKILL: no exit code of its own
    assert code == (130 if ctrl_c else None), "the scan ended before the kill: larger files?"
    _check_whole(out)
    done_before = {k for k, v in (_manifest(out) if (out / MANIFEST).exists() else {}).items()
                   if v["status"] == "done"}
    assert len(done_before) < len(want_manifest)  # killed part-way
    assert _run(baseline, out, workers=workers) == 1
    assert not list((out / SHARDS).glob("*.tmp"))
    assert _current(out) == want_rows  # every row of every current record
    assert _manifest(out) == want_manifest
    assert {k for k, v in want_manifest.items() if v["status"] == "partial"} == {
        "pubmed99n0004.xml.gz"}
