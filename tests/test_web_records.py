"""With `serve --store`, /records shows what `collect` stored for a question: every record with
its design label (the pipeline's classification), the runs by source, and what the latest run
added. Needs the fake live services of tests/test_collect.py (no network)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient
from test_collect import CONDITION, DRUG, fake  # noqa: F401  (pytest fixture)

from offlabel.pipeline import Offlabel
from offlabel.pipeline.collect import run_collect
from offlabel.pipeline.records import question_records
from offlabel.query import resolve as _cond
from offlabel.web.app import create_app


def _rows(page: str) -> list[tuple[str, str]]:
    table = re.search(r'<table id="collected" class="data">(.*?)</table>', page, re.S)
    assert table
    return re.findall(r'<tr data-design="([^"]+)">\s*<td>[^<]*</td>\s*<td>(.*?)</td>',
                      table.group(1), re.S)


def test_records_page_lists_records_designs_runs_and_changes(fake, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "s.duckdb"
    # The first run takes two records per source; the second all of them.
    assert run_collect(DRUG, CONDITION, store_path=path, max_records=2).status == "complete"
    web = TestClient(create_app(Offlabel(store=path)))
    first = web.get("/records", params={"drug": DRUG, "condition": CONDITION})
    assert first.status_code == 200, first.text[:500]
    stored = question_records(path, DRUG, _cond(CONDITION))
    rows = _rows(first.text)
    assert len(rows) == len(stored) > 0
    assert [d for d, _ in rows] == [c.design.value.replace("_", " ") for _, c in stored]
    titles = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for _, t in rows]
    assert all(r.title and r.title in t for (r, _), t in zip(stored, titles, strict=True))
    assert "One run so far" in first.text
    assert 'class="badge">new' not in first.text

    # A second run: two runs listed, newest first, and what it added is counted.
    assert run_collect(DRUG, CONDITION, store_path=path).status == "complete"
    second = web.get("/records", params={"drug": DRUG, "condition": "AUD"})
    runs = re.search(r'<section id="runs".*?<tbody>(.*?)</tbody>', second.text, re.S)
    assert runs and len(re.findall(r"<tr>", runs.group(1))) == 2
    assert "pubmed" in runs.group(1) and "complete" in runs.group(1)
    new = int(re.search(r"(\d+) record\(s\) first found in the latest run", second.text)[1])
    assert new == len(_rows(second.text)) - len(rows) > 0
    assert sum('<span class="badge">new</span>' in t for _, t in _rows(second.text)) == new
    assert 'href="/ask?drug=baclofen&amp;condition=alcohol+use+disorder"' in second.text


def test_records_of_a_question_never_collected_is_an_error_page(tmp_path: Path) -> None:
    web = TestClient(create_app(Offlabel(store=tmp_path / "none.duckdb")))
    r = web.get("/records", params={"drug": DRUG, "condition": CONDITION})
    assert r.status_code == 404 and 'id="error"' in r.text
    assert "offlabel collect" in r.text
    assert not (tmp_path / "none.duckdb").exists()  # looking never creates a store
