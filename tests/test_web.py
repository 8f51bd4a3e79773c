from fastapi.testclient import TestClient

from offlabel.web.app import create_app

client = TestClient(create_app())


def test_html_report_and_json_agree():
    html = client.get("/ask", params={"drug": "baclofen", "condition": "cocaine"})
    assert html.status_code == 200 and "not medical advice" in html.text
    data = client.get("/api/ask", params={"drug": "baclofen", "condition": "cocaine"}).json()
    assert data["conditions"][0]["condition_id"] == "cocaine_use_disorder"
    from offlabel.report.markdown import VERDICT_TEXT

    assert VERDICT_TEXT[data["conditions"][0]["verdict"]] in html.text


def test_not_covered_is_404():
    r = client.get("/api/ask", params={"drug": "nosuchdrug", "condition": "cocaine"})
    assert r.status_code == 404 and "not in the evidence base" in r.json()["detail"]


def test_compare_api():
    r = client.get("/api/compare", params=[("condition", "alcohol use disorder"),
                                           ("drug", "baclofen"), ("drug", "naltrexone")])
    assert r.status_code == 200
    assert [d["drug"] for d in r.json()["drugs"]] == ["Baclofen", "Naltrexone"]


def test_default_bind_is_loopback():
    from typer.testing import CliRunner

    from offlabel.cli import app

    out = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    assert "127.0.0.1" in out
