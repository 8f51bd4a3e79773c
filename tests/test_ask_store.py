"""`offlabel ask --store`: collected records go through the same appraisal as curated ones."""

from __future__ import annotations

import json
from pathlib import Path

from test_collect import CONDITION, DRUG, fake  # noqa: F401  (pytest fixture)
from typer.testing import CliRunner

from offlabel.cli import app
from offlabel.pipeline.collect import run_collect
from offlabel.pipeline.records import (
    question_records,
)
from offlabel.query import resolve as _cond


def test_ask_from_store_has_records_from_every_source(fake, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "s.duckdb"
    result = run_collect(DRUG, CONDITION, store_path=path)
    assert result.status == "complete"
    r = CliRunner().invoke(app, ["ask", DRUG, CONDITION, "--store", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    c = json.loads(r.stdout)["conditions"][0]
    sources = {src["where"].split()[1] for s in c["studies"] for src in s["sources"]
               if src["where"].startswith("collected ")}
    assert {"pubmed", "ctgov", "europepmc"} <= sources
    collected = {r.pmid for r, _ in question_records(path, DRUG, _cond(CONDITION)) if r.pmid}
    assert collected & {s["pmid"] for s in c["studies"]}
    # Curated studies are still there and win over duplicates.
    assert any(s["id"] == "addolorato2007" for s in c["studies"])
    ids = [s["id"] for s in c["studies"]]
    assert len(ids) == len(set(ids))
    assert c["registered_unpublished"], "the fixture registry has completed trials without results"
    # ... and the registry signal reaches GRADE's publication-bias domain.
    n = len(c["registered_unpublished"])
    pub = [d["reason"] for o in c["outcomes"] if o["grade"] for d in o["grade"]["domains"]
           if d["domain"] == "publication bias"]
    assert pub and all(f"{n} completed registered trial(s) without results" in x for x in pub)


def test_ask_store_without_collect_answers_from_the_bundled_evidence(tmp_path: Path) -> None:
    store = tmp_path / "none.duckdb"
    r = CliRunner().invoke(app, ["ask", DRUG, "cocaine", "--store", str(store), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["conditions"][0]["condition"] == "cocaine use disorder"
    assert "nothing collected for baclofen / cocaine use disorder" in r.stderr
    assert not store.exists()  # asking never creates a store


def test_changed_verdict_is_reported_on_the_next_run(fake, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "s.duckdb"
    runner = CliRunner()

    def verdict_run(*extra: str) -> dict:
        assert run_collect(DRUG, CONDITION, store_path=path).status == "complete"
        r = runner.invoke(app, ["ask", DRUG, CONDITION, "--store", str(path), "--format", "json",
                                *extra])
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)["conditions"][0]

    first = verdict_run()
    assert not any(x.startswith("Living update") for x in first["reasons"])
    # Same store, but without the curated evidence: the verdict changes and the report says so.
    second = verdict_run("--no-bundled")
    assert second["verdict"] != first["verdict"]
    assert second["reasons"][0] == (
        f"Living update: the verdict changed since the last collect (was "
        f"{first['verdict'].replace('_', ' ')}).")


def test_serve_with_a_store_shows_what_ask_with_a_store_shows(fake, tmp_path: Path) -> None:  # noqa: F811
    from fastapi.testclient import TestClient

    from offlabel.pipeline import Offlabel
    from offlabel.web.app import create_app

    path = tmp_path / "s.duckdb"
    assert run_collect(DRUG, CONDITION, store_path=path).status == "complete"
    r = CliRunner().invoke(app, ["ask", DRUG, CONDITION, "--store", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    web = TestClient(create_app(Offlabel(store=path)))
    page = web.get("/api/ask", params={"drug": DRUG, "condition": CONDITION})
    assert page.status_code == 200
    assert page.json() == json.loads(r.stdout)
    collected = [s for s in page.json()["conditions"][0]["studies"]
                 if any(src["where"].startswith("collected ") for src in s["sources"])]
    assert collected  # the store's records are on the page
    html = web.get("/ask", params={"drug": DRUG, "condition": CONDITION})
    pmids = [s["pmid"] for s in collected if s.get("pmid")]
    assert html.status_code == 200 and pmids and all(p in html.text for p in pmids)
