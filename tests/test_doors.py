"""Doors: every ordinary user mistake ends in one line on stderr, a documented exit code and no
traceback, and nothing stored is lost or half-written (issue 12)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from offlabel.cli import app
from offlabel.errors import EXIT_ERROR, EXIT_NOT_COVERED, StoreError
from offlabel.store import MIGRATIONS, SCHEMA_VERSION, Store

OL = [sys.executable, "-m", "offlabel"]
Q = ["baclofen", "alcohol use disorder"]


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def _one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_version() -> None:
    code, out, _ = _run("--version")
    assert code == 0 and out.startswith("offlabel ")


def test_out_to_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "r.md"
    code, _, err = _run("ask", *Q, "--format", "md", "--out", str(target))
    assert code == EXIT_ERROR
    assert _one_line(err) == f"error: {target}: folder {target.parent} does not exist"


def test_out_to_a_folder(tmp_path: Path) -> None:
    code, _, err = _run("ask", *Q, "--format", "md", "--out", str(tmp_path))
    assert code == EXIT_ERROR
    assert _one_line(err) == f"error: {tmp_path}: is a folder; give a file name for --out"


def test_plots_at_an_existing_file(tmp_path: Path) -> None:
    f = tmp_path / "plots.png"
    f.write_text("x")
    code, _, err = _run("ask", *Q, "--format", "json", "--plots", str(f))
    assert code == EXIT_ERROR
    assert _one_line(err) == f"error: {f}: --plots must be a folder, and this is a file"
    assert f.read_text() == "x"


def test_full_disk_leaves_no_half_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    out = tmp_path / "r.md"
    out.write_text("the previous report")

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("offlabel.cli.doors.os.replace", full)
    code, _, err = _run("ask", *Q, "--format", "md", "--out", str(out))
    assert code == EXIT_ERROR
    assert _one_line(err) == f"error: {out}: cannot write: no space left on device"
    assert out.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]  # no temporary file left


def test_export_to_a_missing_folder(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    Store(store).close()
    target = tmp_path / "missing" / "out.ris"
    code, _, err = _run("export", "--store", str(store), "-o", str(target))
    assert code == EXIT_ERROR
    assert _one_line(err) == f"error: {target}: folder {target.parent} does not exist"


def test_unknown_format_is_a_usage_error() -> None:
    code, _, err = _run("ask", *Q, "--format", "pdf")
    assert code == EXIT_NOT_COVERED
    assert _one_line(err) == "error: --format must be one of terminal, md, json, html, got 'pdf'"


def test_broken_pipe_ends_quietly() -> None:
    p = subprocess.Popen([*OL, "ask", *Q, "--format", "md"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.readline()
    p.stdout.close()  # what `| head -1` does
    rc = p.wait(timeout=60)
    err = p.stderr.read().decode()
    assert rc == 0, err
    assert err == ""


def _foreign_db(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE patients (id INTEGER, name TEXT)")
    con.execute("INSERT INTO patients VALUES (1, 'a')")
    con.close()


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


@pytest.mark.parametrize("command", [
    ["export", "--format", "json"],
    ["ask", *Q],
    ["sources", "status"],
    ["collect", *Q, "--offline"],
])
def test_a_duckdb_file_that_is_not_ours_is_refused_untouched(tmp_path: Path, command: list[str]
                                                             ) -> None:
    db = tmp_path / "mine.duckdb"
    _foreign_db(db)
    code, _, err = _run(*command, "--store", str(db))
    assert code == EXIT_ERROR, err
    assert _one_line(err) == (f"error: {db}: not an offlabel store (it holds other tables: "
                              "patients); give --store a new file")
    assert _tables(db) == {"patients"}


@pytest.mark.parametrize("command", [["export"], ["ask", *Q], ["sources", "status"]])
def test_a_garbage_store_is_an_error_not_not_covered(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "garbage.duckdb"
    db.write_bytes(b"this is not a database\n" * 100)
    code, _, err = _run(*command, "--store", str(db))
    assert code == EXIT_ERROR
    assert _one_line(err).startswith(f"error: {db}: ")
    assert db.read_bytes() == b"this is not a database\n" * 100


def test_a_locked_store_is_an_error_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from offlabel.store import Store; "
         f"s = Store({str(db)!r}); print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        code, _, err = _run("export", "--store", str(db))
        assert code == EXIT_ERROR
        assert "store is in use by another process" in _one_line(err)
    finally:
        holder.kill()
        holder.wait()


def test_a_store_from_the_future_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        s.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                      [str(SCHEMA_VERSION + 1)])
    with pytest.raises(StoreError, match="newer than this offlabel knows"):
        Store(db, read_only=True)


def test_an_old_store_is_migrated_in_place_keeping_its_queries(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(MIGRATIONS[0])  # the schema-1 layout: one query column per source
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO questions VALUES ('baclofen|alcohol_use_disorder', 'baclofen', "
                "'alcohol use disorder', 'alcohol_use_disorder', 'baclofen[tiab]', "
                "'TITLE:baclofen', 'cond=x; intr=y', now(), now())")
    con.close()
    with Store(db, read_only=True) as s:  # even a reader brings it up to date
        q = s.question("baclofen|alcohol_use_disorder")
        version = s.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert q is not None and q["queries"] == {
        "ctgov": "cond=x; intr=y", "europepmc": "TITLE:baclofen", "pubmed": "baclofen[tiab]"}
    assert version == (str(SCHEMA_VERSION),)
    assert "pubmed_query" not in q


def test_ask_with_a_store_and_nothing_collected_still_answers(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    Store(db).close()
    code, out, err = _run("ask", "baclofen", "cocaine", "--store", str(db), "--format", "json")
    assert code == 0
    assert json.loads(out)["conditions"][0]["condition"] == "cocaine use disorder"
    assert _one_line(err).startswith("note: nothing collected for baclofen / cocaine use disorder")


def test_serve_prints_the_url_it_listens_on(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([*OL, "serve", "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        assert p.stderr is not None
        deadline = time.monotonic() + 60
        line = p.stderr.readline()
        assert time.monotonic() < deadline
        assert line.startswith(f"offlabel: serving on http://127.0.0.1:{port}/")
    finally:
        p.terminate()
        p.wait(timeout=30)
