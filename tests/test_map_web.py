"""The web face of the evidence map: /map and /api/map with `serve --scan`, 404 without."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from map_scan import row, write_scan  # noqa: E402

from offlabel.pipeline import Offlabel  # noqa: E402
from offlabel.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    return write_scan(out, {"pubmed99n0001": [
        row(1, drugs=["propranolol"], conditions=["migraine disorders"], n=120,
            title="<script>alert(1)</script> propranolol trial"),
        row(2, drugs=["propranolol"], conditions=["hypertension"], design="cohort", n=None),
        row(3, drugs=["timolol"], conditions=["migraine disorders"], design="meta_analysis"),
    ]})


@pytest.fixture(scope="module")
def client(scan: Path) -> TestClient:
    return TestClient(create_app(Offlabel(scan=scan)))


def test_map_page(client: TestClient) -> None:
    res = client.get("/map", params={"drug": "propranolol"})
    assert res.status_code == 200
    html = res.text
    assert "Evidence map only (machine-classified from MEDLINE; not" in html
    assert 'id="evidence-map"' in html and '<svg class="heatmap"' in html
    assert "/ask?drug=propranolol&amp;condition=migraine+disorders" in html
    assert "<script>alert(1)</script>" not in html  # titles are escaped
    assert " style=" not in html  # the CSP forbids style attributes


def test_map_form_and_condition_map(client: TestClient) -> None:
    form = client.get("/map")
    assert form.status_code == 200 and 'id="map-form"' in form.text
    res = client.get("/map", params={"condition": "migraine"})
    assert res.status_code == 200 and "timolol" in res.text


def test_api_map(client: TestClient) -> None:
    res = client.get("/api/map", params={"drug": "propranolol", "condition": "hypertension"})
    assert res.status_code == 200
    d = res.json()
    assert d["kind"] == "evidence_map" and d["map"] == "pair"
    assert "verdict" not in d
    assert d["rows"][0]["by_design"] == {"cohort": 1}


def test_unknown_name_is_a_404_with_suggestions(client: TestClient) -> None:
    res = client.get("/map", params={"drug": "propranolo"})
    assert res.status_code == 404
    assert "propranolol" in res.text
    assert client.get("/api/map", params={"drug": "propranolo"}).status_code == 404


def test_without_a_scan_the_map_is_not_found() -> None:
    client = TestClient(create_app(Offlabel()))
    assert client.get("/map", params={"drug": "propranolol"}).status_code == 404
    assert client.get("/api/map", params={"drug": "propranolol"}).status_code == 404


def test_an_uncovered_question_goes_to_the_pairs_map(client: TestClient) -> None:
    # as `ask --scan` answers it: the map of the pair, labelled machine-classified, no verdict
    res = client.get("/ask", params={"drug": "propranolol", "condition": "hypertension"},
                     follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/map?drug=propranolol&condition=hypertension"
    page = client.get(res.headers["location"])
    assert page.status_code == 200 and "Evidence map only" in page.text
    # a curated question is still answered, scan or not
    curated = client.get("/ask", params={"drug": "baclofen", "condition": "alcohol use disorder"})
    assert curated.status_code == 200 and 'id="verdict"' in curated.text


def test_without_a_scan_an_uncovered_question_is_the_not_covered_page() -> None:
    res = TestClient(create_app(Offlabel())).get(
        "/ask", params={"drug": "propranolol", "condition": "hypertension"})
    assert res.status_code == 404 and 'id="error"' in res.text
