"""`offlabel collect` end to end against the fake services seeded with recorded responses.

Includes the kill -9 test: a collect in a subprocess is killed mid-way through PubMed, the
store is checked, and a second collect completes it without duplicates or refetching.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sources_server import FakeServer
from typer.testing import CliRunner

from offlabel.pipeline.collect import run_collect
from offlabel.pipeline.records import (
    collected_drug_profile,
    question_info,
    question_records,
    registered_unpublished,
)
from offlabel.query import resolve as _cond
from offlabel.store import (
    Store,
)

DRUG, CONDITION = "baclofen", "alcohol use disorder"
FAST_ENV = {
    "OFFLABEL_HTTP_RATE": "500",  # only honoured because the endpoints are not the public ones
    "OFFLABEL_HTTP_BACKOFF": "0.01",
    "OFFLABEL_HTTP_MAX_BACKOFF": "0.02",
    "OFFLABEL_HTTP_ATTEMPTS": "3",
    "OFFLABEL_HTTP_MAX_RETRY_AFTER": "0.05",
    "OFFLABEL_HTTP_TIMEOUT": "5",
    "OFFLABEL_EFETCH_BATCH": "3",
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeServer]:
    server = FakeServer().start()
    for k, v in {**server.env(), **FAST_ENV}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    yield server
    server.stop()


def _by_source(store_path: Path) -> Counter:
    return Counter(r.source for r, _c in question_records(store_path, DRUG, _cond(CONDITION)))


def _expected_epmc(fake: FakeServer) -> int:
    ids = {r["id"] for r in fake.epmc1["resultList"]["result"] + fake.epmc2["resultList"]["result"]}
    pmids = {
        r.get("pmid")
        for r in fake.epmc1["resultList"]["result"] + fake.epmc2["resultList"]["result"]
    }
    assert not (pmids & set(fake.corpus))  # no overlap with the PubMed corpus in the fixtures
    return len(ids)


def test_collect_fills_the_store_from_every_source(fake: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    result = run_collect(DRUG, CONDITION, store_path=path)
    assert result.status == "complete", {s: o.error for s, o in result.outcomes.items()}
    counts = _by_source(path)
    assert counts["pubmed"] == len(fake.corpus)
    assert counts["ctgov"] == len(fake.phelan1["studies"]) + len(fake.phelan2["studies"])
    assert counts["europepmc"] == _expected_epmc(fake)
    assert counts["openfda"] == 1
    assert result.outcomes["pubmed"].found == len(fake.corpus)
    assert result.outcomes["ctgov"].found == 21
    with Store(path, read_only=True) as s:
        assert s.check() == []
        assert s.drug(DRUG)["brand_names"][:2] == ["Keytruda Qlex", "Keytruda"]
        q = s.question(result.question_id)
    # The query shown is the one sent, with the label's brand names in it.
    sent = fake.hits("eutils", "esearch.fcgi")[0].query["term"]
    assert q["queries"]["pubmed"] == sent == result.queries.pubmed and '"Keytruda"[tiab]' in sent
    info = question_info(path, DRUG, _cond("AUD"))
    assert info["question"]["queries"]["pubmed"] == sent
    assert info["records_by_source"] == dict(counts)
    assert [r["status"] for r in info["runs"]] == ["complete"]
    assert info["drug"]["approvals"][0]["application"] == "NDA021588"
    profile = collected_drug_profile(path, DRUG)
    # The recorded label answer was trimmed to brand names (no indications): no labelled use.
    assert profile.brand_names[:2] == ["Keytruda Qlex", "Keytruda"] and profile.approvals == []
    rows = question_records(path, DRUG, _cond("alcoholism"))
    assert all(c is not None for _r, c in rows)
    assert len(registered_unpublished(path, DRUG, _cond(CONDITION))) == result.unpublished > 0


def test_second_collect_reports_what_is_new(fake: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    held_back = sorted(fake.corpus)[0]
    article = fake.corpus.pop(held_back)  # not yet "published" at the first run
    first = run_collect(DRUG, CONDITION, store_path=path)
    assert first.previous_run is None and len(first.new_records) == sum(_by_source(path).values())

    same = run_collect(DRUG, CONDITION, store_path=path)  # answered by the cache
    assert same.new_records == [] and same.previous_run.id == first.run_id
    assert same.designs == first.designs

    fake.corpus[held_back] = article
    later = run_collect(DRUG, CONDITION, store_path=path, refresh=True)
    assert [r.pmid for r in later.new_records] == [held_back]
    assert sum(later.designs.values()) == sum(first.designs.values()) + 1
    with Store(path, read_only=True) as s:
        assert [r.status for r in s.runs()] == ["complete"] * 3
        assert s.check() == []


def test_a_failing_source_keeps_whole_batches_and_the_rerun_completes(
    fake: FakeServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.duckdb"
    fake.inject("ctgov", "ok", "500", "500", "500")  # page 1 fine, page 2 never
    result = run_collect(DRUG, CONDITION, store_path=path)
    assert result.status == "partial"
    err = result.outcomes["ctgov"].error
    assert err.startswith("ctgov: HTTP 500; gave up after 3 attempts") and "\n" not in err
    counts = _by_source(path)
    page1 = {s["protocolSection"]["identificationModule"]["nctId"] for s in fake.phelan1["studies"]}
    stored = {
        r.nct for r, _c in question_records(path, DRUG, _cond(CONDITION)) if r.source == "ctgov"
    }
    assert stored == page1  # page 1 whole, nothing of page 2
    assert counts["pubmed"] == len(fake.corpus) and counts["europepmc"] == _expected_epmc(fake)

    again = run_collect(DRUG, CONDITION, store_path=path)
    assert again.status == "complete"
    assert _by_source(path)["ctgov"] == 10
    assert {r.source for r in again.new_records} == {"ctgov"} and len(again.new_records) == 5
    with Store(path, read_only=True) as s:
        assert s.check() == [] and [r.status for r in s.runs()] == ["partial", "complete"]


def test_malformed_xml_in_one_batch_stores_none_of_it(fake: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    # esearch ok, first efetch batch ok, second batch malformed on every attempt.
    fake.inject("eutils", "ok", "ok", "badxml", "badxml", "badxml")
    result = run_collect(DRUG, CONDITION, store_path=path, sources=("pubmed",))
    assert result.status == "failed"
    assert "malformed response: not well-formed XML" in result.outcomes["pubmed"].error
    assert _by_source(path)["pubmed"] == 3  # exactly the first batch of three


def test_offline_uses_only_cache_and_store(fake: FakeServer, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.duckdb"
    run_collect(DRUG, CONDITION, store_path=path)
    n = len(fake.log)
    offline = run_collect(DRUG, CONDITION, store_path=path, offline=True)
    assert offline.status == "complete" and offline.new_records == [] and len(fake.log) == n

    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(tmp_path / "empty-cache"))
    cold = run_collect(DRUG, CONDITION, store_path=path, offline=True)
    assert cold.status == "failed" and len(fake.log) == n
    assert all("offline and not in the cache" in o.error for o in cold.outcomes.values())
    assert sum(_by_source(path).values()) == sum(offline.designs.values())  # store untouched


def test_cli_collect_status_and_export(fake: FakeServer, tmp_path: Path) -> None:
    from offlabel.cli import app

    path = tmp_path / "s.duckdb"
    runner = CliRunner()
    res = runner.invoke(app, ["collect", DRUG, CONDITION, "--store", str(path), "--max", "4"])
    assert res.exit_code == 0, res.output
    assert "PubMed query: (" in res.output and "First collection for this question" in res.output
    assert _by_source(path) == {"pubmed": 4, "ctgov": 4, "europepmc": 4, "openfda": 1}

    res = runner.invoke(app, ["collect", DRUG, CONDITION, "--store", str(path), "--max", "4"])
    assert res.exit_code == 0 and "New since run #1" in res.output and "0 record(s)" in res.output

    res = runner.invoke(app, ["sources", "status", "--store", str(path)])
    assert res.exit_code == 0
    assert "OFFLABEL_EUTILS_URL" in res.output and "13 records" in res.output
    cached = dict(re.findall(r"^  (\w+): (\d+) cached", res.output, re.M))
    # Two collects, one set of requests: ESearch+EFetch x2 (max 4, batches of 3), one page each
    # for CT.gov and Europe PMC, label + drugsfda.
    assert cached == {"ctgov": "1", "europepmc": "1", "eutils": "3", "openfda": "2"}
    assert len(fake.log) == 7

    res = runner.invoke(app, ["export", DRUG, CONDITION, "--store", str(path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert len(rows) == 13 and {r["source"] for r in rows} == {
        "pubmed",
        "ctgov",
        "europepmc",
        "openfda",
    }
    assert all(r["design"] for r in rows)

    res = runner.invoke(app, ["export", "--store", str(path), "--format", "json"])
    items = json.loads(res.output)
    assert len(items) == 13 and all(i["record"]["title"] for i in items)

    res = runner.invoke(app, ["export", DRUG, CONDITION, "--store", str(path), "--format", "ris"])
    entries = [e for e in res.output.split("ER  - ") if e.strip()]
    assert len(entries) == 13 and all(e.strip().startswith("TY  - ") for e in entries)
    assert res.output.count("AN  - ") == 12  # every record but the label has a PMID or NCT

    res = runner.invoke(app, ["export", "--format", "bibtex", "--store", str(path)])
    assert res.exit_code == 2 and "must be one of ris, csv, json" in res.output


def test_cli_failure_exit_code_and_one_line_error(fake: FakeServer, tmp_path: Path) -> None:
    from offlabel.cli import app

    fake.inject("ctgov", *["500"] * 3)
    res = CliRunner().invoke(app, ["collect", DRUG, CONDITION, "--store", str(tmp_path / "s.db")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "error ctgov: HTTP 500; gave up after 3 attempts" in res.output


def _kill_when(fake: FakeServer, proc: subprocess.Popen, service: str, suffix: str, n: int) -> None:
    deadline = time.monotonic() + 60
    while len(fake.hits(service, suffix)) < n:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, f"collect never reached {service}"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


def _collect_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "offlabel", "collect", DRUG, CONDITION, "--store", str(path)]


def _subprocess_env(fake: FakeServer, cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        **fake.env(),
        **FAST_ENV,
        "OFFLABEL_EFETCH_BATCH": "1",
        "OFFLABEL_CACHE_DIR": str(cache),
    }


def _assert_complete(fake: FakeServer, path: Path) -> None:
    with Store(path, read_only=True) as s:
        assert s.check() == []
        assert [r.status for r in s.runs()] == ["interrupted", "complete"]
        n_records = s.counts()["records"]
        n_trials = s.counts()["trials"]
    counts = _by_source(path)
    assert counts["pubmed"] == len(fake.corpus) and counts["ctgov"] == 10 == n_trials
    assert counts["europepmc"] == _expected_epmc(fake) and counts["openfda"] == 1
    assert sum(counts.values()) == n_records  # one row per record: no duplicates


def test_kill_9_during_pubmed_then_resume(fake: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    env = _subprocess_env(fake, tmp_path / "cache1")
    fake.delay["eutils"] = 0.3  # keep PubMed slow enough to be killed inside it
    proc = subprocess.Popen(
        _collect_cmd(path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # Batches are fetched one after another, each committed before the next is requested,
    # so when the third EFetch arrives the first two are in the store.
    _kill_when(fake, proc, "eutils", "efetch.fcgi", 3)

    with Store(path, read_only=True) as s:
        assert s.check() == []
        (run,) = s.runs()
        assert run.status == "running"  # nobody closed it: the process died
        stored = {r.pmid for r, _c, _s, _f in s.question_records(run.question_id) if r.pmid}
        assert len(stored) == 2 and s.counts()["trials"] == 0

    fake.delay.clear()
    fetched_before = len(fake.hits("eutils", "efetch.fcgi"))
    env["OFFLABEL_CACHE_DIR"] = str(tmp_path / "cache2")  # resume must come from the store
    done = subprocess.run(_collect_cmd(path), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    refetched = [
        i
        for h in fake.hits("eutils", "efetch.fcgi")[fetched_before:]
        for i in h.query["id"].split(",")
    ]
    assert set(refetched) == set(fake.corpus) - stored  # nothing fetched twice
    _assert_complete(fake, path)


def test_kill_9_between_registry_pages_then_resume(fake: FakeServer, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    env = _subprocess_env(fake, tmp_path / "cache")
    fake.delay["ctgov"] = 0.3
    proc = subprocess.Popen(
        _collect_cmd(path), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _kill_when(fake, proc, "ctgov", "studies", 2)  # page 1 stored, page 2 in flight
    with Store(path, read_only=True) as s:
        assert s.check() == []
        assert s.counts()["trials"] == 5
        sources = Counter(r.source for r, *_ in s.question_records(s.runs()[0].question_id))
        assert sources == {"pubmed": len(fake.corpus), "ctgov": 5, "openfda": 1}
    fake.delay.clear()
    done = subprocess.run(_collect_cmd(path), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # An interrupted run is not a baseline: everything counts as this collection's.
    assert "New since" not in done.stdout
    total = sum(_by_source(path).values())
    assert f"First collection for this question: {total} records." in done.stdout
    _assert_complete(fake, path)


def test_ctrl_c_closes_the_run_and_a_second_writer_is_refused(
    fake: FakeServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.duckdb"
    env = {
        **os.environ,
        **fake.env(),
        **FAST_ENV,
        "OFFLABEL_EFETCH_BATCH": "1",
        "OFFLABEL_CACHE_DIR": str(tmp_path / "cache"),
    }
    fake.delay["eutils"] = 0.3
    cmd = [sys.executable, "-m", "offlabel", "collect", DRUG, CONDITION, "--store", str(path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(fake.hits("eutils", "efetch.fcgi")) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    other = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert other.returncode == 1
    assert "store is in use by another process" in other.stderr
    assert "Traceback" not in other.stderr and other.stderr.count("\n") == 1
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "run again to resume" in err and "Traceback" not in err
    with Store(path, read_only=True) as s:
        assert [r.status for r in s.runs()] == ["interrupted"] and s.check() == []


def test_empty_arguments_are_refused(tmp_path: Path) -> None:
    from offlabel.cli import app

    res = CliRunner().invoke(app, ["collect", " ", "aud", "--store", str(tmp_path / "s.db")])
    assert res.exit_code == 2 and "must not be empty" in res.output


def test_unsearchable_names_are_refused_before_writing(tmp_path: Path) -> None:
    from offlabel.cli import app

    path = tmp_path / "s.db"
    res = CliRunner().invoke(app, ["collect", '"', "aud", "--store", str(path)])
    assert res.exit_code == 2 and "has nothing to search for" in res.output
    assert not path.exists()


def test_new_since_last_finished_run_counts_an_interrupted_run_in_between(
    fake: FakeServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.duckdb"
    held_back = sorted(fake.corpus)[-1]
    article = fake.corpus.pop(held_back)
    first = run_collect(DRUG, CONDITION, store_path=path)
    fake.corpus[held_back] = article

    class CtrlCAfterPubMed:
        def total(self, source: str, total: int | None) -> None:
            pass

        def advance(self, source: str, n: int) -> None:
            pass

        def done(self, source: str, note: str) -> None:
            if source == "pubmed":
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_collect(DRUG, CONDITION, store_path=path, refresh=True, progress=CtrlCAfterPubMed())
    resumed = run_collect(DRUG, CONDITION, store_path=path)
    assert resumed.previous_run.id == first.run_id
    assert [r.pmid for r in resumed.new_records] == [held_back]
    with Store(path, read_only=True) as s:
        assert [r.status for r in s.runs()] == ["complete", "interrupted", "complete"]
