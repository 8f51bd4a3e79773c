"""The web app's frame (issue 14): strict headers on every response, caps with a clear 4xx,
HTML error pages with "did you mean" links (JSON only under /api/), HEAD, offline API docs, the
home page's question box and evidence matrix, and `offlabel serve`."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from offlabel.appraise import covered_conditions
from offlabel.evidence import load_evidence
from offlabel.web.app import create_app
from offlabel.web.guard import CSP


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


STRICT = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}

PAGES = ["/", "/ask?drug=baclofen&condition=alcohol+use+disorder", "/static/app.css",
         "/static/app.js", "/docs", "/openapi.json", "/check", "/no-such-page",
         "/api/ask?drug=nosuchdrug", "/ask?q=baclofen+for+alcohol+use+disordr",
         "/compare?condition=alcohol+use+disorder&drug=baclofen&drug=naltrexone"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_the_strict_headers(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    for name, value in STRICT.items():
        assert r.headers.get(name) == value, (path, name, r.headers.get(name))
    assert "camera=()" in r.headers["permissions-policy"]
    assert r.headers.get_list("content-security-policy") == [CSP]  # set once, not twice


def test_the_policy_allows_no_inline_code() -> None:
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in CSP


def test_redoc_allows_two_fixed_styles_by_hash_and_nothing_inline(client: TestClient) -> None:
    csp = client.get("/redoc").headers["content-security-policy"]
    assert "unsafe" not in csp and "script-src 'self';" in csp
    assert re.search(r"style-src 'self'( 'sha256-[A-Za-z0-9+/=]+'){2};", csp)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/check", "/docs", "/redoc", "/no-such-page",
                                  "/ask?q=baclofn+for+alcohol+use+disorder"])
def test_pages_have_no_inline_script_style_or_handler(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert html.startswith("<!doctype html>")
    assert not _INLINE_SCRIPT.search(html), path
    assert not _INLINE_HANDLER.search(html), path
    assert not _STYLE_ATTR.search(html), path


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_load_nothing_from_another_site(client: TestClient, path: str) -> None:
    html = client.get(path).text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert refs and not [u for u in refs if re.match(r"(https?:)?//", u)], refs
    for ref in refs:  # every bundle the page names is served here
        assert client.get(ref).status_code == 200, ref
    assert client.get("/openapi.json").json()["paths"]["/api/ask"]


@pytest.mark.parametrize("path", ["/", "/check", "/docs", "/static/app.css",
                                  "/api/ask?drug=baclofen&condition=aud"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    r = client.head(path)
    assert r.status_code == 200, path
    assert r.content == b""
    assert r.headers["x-frame-options"] == "DENY"


# --- caps --------------------------------------------------------------------------------


def test_more_than_12_drugs_to_compare_is_refused_with_a_message(client: TestClient) -> None:
    drugs = [("drug", f"drug{i}") for i in range(13)]
    r = client.get("/api/compare", params=[("condition", "alcohol use disorder"), *drugs])
    assert r.status_code == 400
    assert r.json()["error"] == "13 drugs to compare; at most 12 can be compared at once"
    page = client.get("/compare", params=[("condition", "alcohol use disorder"), *drugs])
    assert page.status_code == 400 and 'id="error"' in page.text
    assert "at most 12 can be compared" in page.text


def test_two_thousand_drugs_are_refused_at_once(client: TestClient) -> None:
    drugs = [("drug", "baclofen")] * 2000
    r = client.get("/api/compare", params=[("condition", "alcohol use disorder"), *drugs])
    assert r.status_code == 400 and len(r.content) < 1000
    assert "at most 2,048 are accepted" in r.json()["error"]


@pytest.mark.parametrize("path", ["/ask?q=", "/api/ask?drug=", "/?q="])
def test_a_10000_character_parameter_is_refused(client: TestClient, path: str) -> None:
    r = client.get(path + "x" * 10_000)
    assert 400 <= r.status_code < 500
    text = r.json()["error"] if path.startswith("/api/") else r.text
    assert "at most 2,048 are accepted" in text


def test_a_long_parameter_is_refused(client: TestClient) -> None:
    r = client.get("/ask", params={"q": "baclofen " * 30})
    assert r.status_code == 400
    assert "parameter &#39;q&#39; is 270 characters long; at most 200 are accepted" in r.text


# --- errors ------------------------------------------------------------------------------


def _suggestions(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<ul id="suggestions">(.*?)</ul>', html, re.S)
    assert block, "no ul#suggestions"
    return [(label.strip(), href.replace("&amp;", "&")) for href, label in
            re.findall(r'<a href="([^"]+)">([^<]+)</a>', block.group(1))]


def _question(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_a_misspelt_condition_gets_a_page_with_did_you_mean_links(client: TestClient) -> None:
    r = client.get("/ask", params={"q": "baclofen for alcohol use disordr"})
    assert r.status_code == 404 and 'id="error"' in r.text
    assert "condition &#39;alcohol use disordr&#39; is not a condition offlabel covers" in r.text
    links = _suggestions(r.text)
    assert links[0][0] == "alcohol use disorder"
    assert _question(links[0][1]) == {"drug": ["baclofen"], "condition": ["alcohol use disorder"]}
    assert "Traceback" not in r.text


def test_a_misspelt_drug_gets_a_page_with_did_you_mean_links(client: TestClient) -> None:
    r = client.get("/ask", params={"q": "baclofn for alcohol use disorder"})
    assert r.status_code == 404
    links = _suggestions(r.text)
    assert links[0][0] == "Baclofen"
    assert _question(links[0][1]) == {"drug": ["Baclofen"], "condition": ["alcohol use disorder"]}


def test_answer_page_errors_are_pages_too(client: TestClient) -> None:
    r = client.get("/ask", params={"drug": "baclofen", "condition": "alcohol use disordr"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert ("alcohol use disorder", "/ask?drug=baclofen&condition=alcohol+use+disorder") in \
        _suggestions(r.text)
    r = client.get("/ask", params={"drug": "topiramate", "condition": "spasticity"})
    assert r.status_code == 404
    assert [label for label, _ in _suggestions(r.text)][0] == "Topiramate for alcohol use disorder"


def test_api_errors_are_json_with_suggestions(client: TestClient) -> None:
    r = client.get("/api/ask", params={"drug": "baclofn", "condition": "alcohol use disorder"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert r.json()["suggestions"] == ["Baclofen"]
    assert "drug 'baclofn' is not in the evidence base" in r.json()["error"]
    r = client.get("/api/ask", params={"drug": "baclofen", "condition": "alcohol use disordr"})
    assert r.json()["suggestions"][0] == "alcohol use disorder"
    r = client.get("/api/compare", params={"condition": "alcohol use disordr"})
    assert r.status_code == 404 and r.json()["suggestions"][0] == "alcohol use disorder"


def test_fastapi_own_errors_are_pages_outside_api_and_json_inside(client: TestClient) -> None:
    r = client.get("/api/ask")
    assert r.status_code == 422
    assert r.json() == {"error": "query parameter 'drug': Field required", "suggestions": []}
    r = client.get("/records")
    assert r.status_code == 422 and 'id="error"' in r.text
    r = client.post("/")
    assert r.status_code == 405 and 'id="error"' in r.text
    assert "GET" in r.headers["allow"]
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "there is no page at this address" in r.text
    assert client.get("/api/no-such").json()["error"] == "there is no page at this address"


def test_an_unexpected_error_is_one_line_without_a_traceback() -> None:
    from offlabel.pipeline import Offlabel

    class Broken(Offlabel):
        def ask(self, *a: object, **k: object):  # type: ignore[override]
            raise RuntimeError("secret internals at /home/x/y.py line 3")

    web = TestClient(create_app(Broken()), raise_server_exceptions=False)
    for path, kind in (("/api/ask?drug=baclofen", "json"), ("/download/md?drug=baclofen", "html")):
        r = web.get(path)
        assert r.status_code == 500
        body = r.json()["error"] if kind == "json" else r.text
        assert "RuntimeError" in body and "secret internals" not in body
        assert "Traceback" not in body
        assert r.headers["content-security-policy"] == CSP


def test_a_usage_error_is_400() -> None:
    web = TestClient(create_app())
    r = web.get("/download/exe", params={"drug": "baclofen"})
    assert r.status_code == 400 and "download format must be one of" in r.text
    r = web.get("/records", params={"drug": "baclofen", "condition": "aud"})
    assert r.status_code == 400 and "--store" in r.text


# --- the question box ----------------------------------------------------------------------


@pytest.mark.parametrize("text,target", [
    ("baclofen for alcohol use disorder", "/ask?drug=baclofen&condition=alcohol+use+disorder"),
    ("Baclofen in AUD", "/ask?drug=baclofen&condition=alcohol+use+disorder"),
    ("baclofen alcohol use disorder", "/ask?drug=baclofen&condition=alcohol+use+disorder"),
    ("  naltrexone   for   alcoholism ", "/ask?drug=naltrexone&condition=alcohol+use+disorder"),
    ("Lioresal for spasticity", "/ask?drug=baclofen&condition=spasticity"),
    ("baclofen", "/ask?drug=baclofen"),
    ("alcohol use disorder", "/compare?condition=alcohol+use+disorder"),
])
def test_a_typed_question_redirects_to_its_answer(client: TestClient, text: str,
                                                  target: str) -> None:
    r = client.get("/ask", params={"q": text}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == target


def test_home_has_one_question_box_with_drugs_conditions_and_synonyms(client: TestClient) -> None:
    html = client.get("/").text
    assert re.search(r'<form id="ask"[^>]*action="/ask"', html)
    assert re.search(r'<input id="question" name="q"[^>]*list="question-list"', html)
    assert '<button id="ask-submit" type="submit">' in html
    options = re.findall(r'<option value="([^"]*)">', html)
    for expected in ("Baclofen", "Lioresal", "Naltrexone", "alcohol use disorder", "alcoholism",
                     "AUD".lower(), "Baclofen for alcohol use disorder", "spasticity"):
        assert expected in options, expected
    assert len(options) == len(set(options))


def test_the_matrix_has_one_linked_cell_per_covered_question(client: TestClient) -> None:
    base = load_evidence()
    expected = {(d.id, c.name) for d in base.drugs.values()
                for c in covered_conditions(base.studies_for(d.id))}
    html = client.get("/").text
    table = re.search(r'<table id="evidence-matrix">(.*?)</table>', html, re.S)
    assert table
    cells = re.findall(r'<a class="cell" href="([^"]+)" data-verdict="([a-z_]+)"\s+'
                       r'data-certainty="([a-z_]+)"', table.group(1))
    assert len(cells) == len(expected)
    asked = set()
    for href, _verdict, _certainty in cells:
        q = _question(href.replace("&amp;", "&"))
        asked.add((q["drug"][0], q["condition"][0]))
    assert asked == expected
    # A cell says what the answer says (verdict and certainty), and its link answers.
    href, verdict, certainty = next(c for c in cells if "spasticity" in c[0])
    q = _question(href.replace("&amp;", "&"))
    api = client.get("/api/ask", params={"drug": q["drug"][0], "condition": q["condition"][0]})
    row = api.json()["conditions"][0]
    assert (row["verdict"], row["certainty"] or "not_rated") == (verdict, certainty)
    assert client.get(href.replace("&amp;", "&")).status_code == 200
    # Certainty is written out, not only coloured.
    assert re.search(r'<span class="certainty">(High|Moderate|Low|Very low|not rated) '
                     r'certainty</span>', table.group(1))


def test_the_footer_says_not_medical_advice_on_every_page(client: TestClient) -> None:
    for path in ("/", "/check", "/no-such-page"):
        assert "offlabel appraises evidence; it is not medical advice." in client.get(path).text


def test_download_is_an_attachment_of_the_report(client: TestClient) -> None:
    r = client.get("/download/md", params={"drug": "baclofen", "condition": "spasticity"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert r.headers["content-disposition"].startswith(
        'attachment; filename="offlabel-baclofen-spasticity')
    assert r.text.startswith("#")
    r = client.get("/download/json", params={"drug": "baclofen", "condition": "spasticity"})
    assert r.json()["conditions"][0]["condition_id"] == "spasticity"


def test_html_report_and_json_agree(client: TestClient) -> None:
    from offlabel.report.words import VERDICT_TEXT

    data = client.get("/api/ask", params={"drug": "baclofen", "condition": "cocaine"}).json()
    assert data["conditions"][0]["condition_id"] == "cocaine_use_disorder"
    html = client.get("/download/html", params={"drug": "baclofen", "condition": "cocaine"})
    assert VERDICT_TEXT[data["conditions"][0]["verdict"]] in html.text


def test_compare_api(client: TestClient) -> None:
    r = client.get("/api/compare", params=[("condition", "alcohol use disorder"),
                                           ("drug", "baclofen"), ("drug", "naltrexone")])
    assert r.status_code == 200
    assert [d["drug"] for d in r.json()["drugs"]] == ["Baclofen", "Naltrexone"]


# --- offlabel serve ------------------------------------------------------------------------


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[str, list[dict[str, object]]]:
    import uvicorn

    import offlabel.web.app as web_app
    from offlabel.cli import app

    calls: list[dict[str, object]] = []
    warmed = threading.Event()
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: calls.append(kw))
    # The start-up warm-up computes the matrix in a thread: noted here, not computed.
    monkeypatch.setattr(web_app, "evidence_matrix", lambda ol: warmed.set())
    r = CliRunner().invoke(app, ["serve", *args])
    assert r.exit_code == 0, r.output
    assert warmed.wait(10), "serve did not warm the matrix up"
    return r.stderr, calls


def test_serve_prints_its_url_and_binds_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    err, calls = _serve(monkeypatch)
    assert "offlabel: serving on http://127.0.0.1:8017/" in err
    assert "warning" not in err
    assert calls == [{"host": "127.0.0.1", "port": 8017, "log_level": "warning"}]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_serve_warns_when_reachable_from_other_machines(monkeypatch: pytest.MonkeyPatch,
                                                       host: str) -> None:
    err, _ = _serve(monkeypatch, "--host", host, "--port", "9001")
    assert f"warning: serving on {host} makes offlabel reachable from other machines" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_serve_does_not_warn_on_loopback(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    err, _ = _serve(monkeypatch, "--host", host)
    assert "warning" not in err


def test_serve_takes_a_scan_folder(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import offlabel.web.app as web_app

    seen = []
    real = web_app.create_app
    monkeypatch.setattr(web_app, "create_app", lambda ol: seen.append(ol) or real(ol))
    _serve(monkeypatch, "--scan", str(tmp_path))
    assert seen and seen[0].scan == tmp_path
