"""The evidence check page (/check) says what `offlabel validate` says and stores nothing; a
study title written to inject markup is shown as text on every page that shows it."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from offlabel.cli import app as cli
from offlabel.web.app import create_app

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"

VALID = f"""schema_version: 1
example: true
drug:
  id: xssamine
  name: Xssamine
  sources:
    - pmid: "1"
      where: Abstract
studies:
  - id: xss2020
    first_author: Doe J
    year: 2020
    title: "{XSS}"
    conditions: [alcohol_use_disorder]
    design: rct
    comparator: placebo
    n: 40
    direction: favours_drug
    sources:
      - pmid: "2"
        where: Abstract
"""

# Three kinds of problem: a schema error that quotes the bad value, an unknown condition, and
# (in POLICY) a source the source policy refuses.
BROKEN = f"""schema_version: 1
drug:
  id: brokenol
  name: Brokenol
  sources:
    - pmid: "1"
      where: Abstract
studies:
  - id: b1
    year: 2020
    title: dup
    conditions: [alcohol_use_disorder]
    design: "{XSS}"
    sources:
      - pmid: "2"
        where: Abstract
  - id: b2
    year: 2021
    title: dup
    conditions: [no_such_condition]
    design: rct
    sources:
      - pmid: "3"
        where: Abstract
"""

POLICY = VALID.replace("example: true", "example: false").replace(
    '    - pmid: "1"', "    - url: https://huggingface.co/datasets/foo", 1)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def _upload(client: TestClient, name: str, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/check", files={"evidence": (name, data, "application/x-yaml")})


def _problems(page: str) -> list[str]:
    import re

    block = re.search(r'<ul id="problems">(.*?)</ul>', page, re.S)
    assert block, "no #problems"
    return [html.unescape(x) for x in re.findall(r"<li><code>(.*?)</code></li>", block.group(1),
                                                 re.S)]


def _validate(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["validate", str(path)])
    assert r.exit_code == 1
    return [line.replace(str(path), name) for line in r.stdout.splitlines()]


def test_the_form_is_a_multipart_upload(client: TestClient) -> None:
    page = client.get("/check").text
    assert '<form id="check" action="/check" method="post" enctype="multipart/form-data">' in page
    assert '<input id="evidence-file" name="evidence" type="file"' in page


def test_a_valid_file_is_ok_with_its_counts(client: TestClient) -> None:
    r = _upload(client, "xss.yaml", VALID)
    assert r.status_code == 200
    assert '<p id="ok" class="ok">ok: xss.yaml is valid: Xssamine,\n  1 study,\n  2 source(s).' \
        in r.text
    assert 'id="problems"' not in r.text


@pytest.mark.parametrize("name,text", [("broken.yaml", BROKEN), ("policy.yaml", POLICY)])
def test_a_broken_file_gets_the_lines_validate_prints(client: TestClient, tmp_path: Path,
                                                      name: str, text: str) -> None:
    r = _upload(client, name, text)
    assert r.status_code == 200
    expected = _validate(tmp_path, name, text)
    assert expected and _problems(r.text) == expected


def test_a_file_that_is_not_yaml_or_utf8_is_a_problem_line(client: TestClient) -> None:
    r = _upload(client, "bad.yaml", "drug: [unclosed\n")
    assert _problems(r.text)[0].startswith("bad.yaml:")
    r = _upload(client, "latin.yaml", "title: caf\xe9".encode("latin-1"))
    assert _problems(r.text)[0].startswith("latin.yaml:1: file: field (file): cannot read")


def test_an_upload_over_2_mb_is_refused(client: TestClient) -> None:
    r = _upload(client, "big.yaml", "# padding\n" * 300_000)  # 3 MB
    assert r.status_code == 413
    assert "larger than 2 MB" in r.text and 'id="error"' in r.text


def test_an_upload_without_a_file_is_a_400(client: TestClient) -> None:
    r = client.post("/check", data={"other": "x"})
    assert r.status_code == 400 and "choose an evidence YAML file" in r.text


def test_checking_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(cache))
    monkeypatch.delenv("OFFLABEL_NO_CACHE", raising=False)
    import offlabel.data.evidence as bundled

    folder = Path(bundled.__file__).parent
    before = {p: p.stat().st_mtime_ns for p in folder.iterdir()}
    client = TestClient(create_app([]))
    cached = sorted(cache.rglob("*")) if cache.exists() else []
    for name, text in (("a.yaml", VALID), ("b.yaml", BROKEN), ("c.yaml", POLICY)):
        assert _upload(client, name, text).status_code == 200
    after = {p: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert after == before
    assert (sorted(cache.rglob("*")) if cache.exists() else []) == cached


def test_an_injected_title_is_text_on_every_page(tmp_path: Path) -> None:
    path = tmp_path / "xss.yaml"
    path.write_text(VALID, encoding="utf-8")
    client = TestClient(create_app([path]))
    pages = {
        "answer": client.get("/ask", params={"drug": "xssamine",
                                            "condition": "alcohol use disorder"}),
        "overview": client.get("/ask", params={"drug": "xssamine"}),
        "download": client.get("/download/html", params={"drug": "xssamine",
                                                        "condition": "alcohol use disorder"}),
        "compare": client.get("/compare", params=[("condition", "alcohol use disorder"),
                                                  ("drug", "xssamine"), ("drug", "baclofen")]),
        "check": _upload(client, "xss.yaml", VALID),
        "check problems": _upload(client, "broken.yaml", BROKEN),
        "home": client.get("/"),
    }
    for what, r in pages.items():
        assert r.status_code == 200, what
        assert "<script>alert" not in r.text and "<img src=x" not in r.text, what
        assert "onerror=alert(2)>" not in r.text.replace("onerror=alert(2)&gt;", ""), what
    # ...and the text itself is there, escaped, where the title is shown.
    escaped = html.escape(XSS)
    assert escaped in pages["answer"].text
    assert escaped in pages["download"].text
    assert html.escape(XSS, quote=True) in pages["check problems"].text
    assert client.get("/api/ask", params={"drug": "xssamine", "condition": "aud"}).json()[
        "conditions"][0]["studies"][0]["title"] == XSS
