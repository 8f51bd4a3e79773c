"""Source text cannot run in the page, and the Content-Security-Policy is enforced by the
browser, not only sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
import yaml
from browserkit import ANSWER, REPO, XSS, Server, Watched, start_server

EXAMPLE = REPO / "examples" / "example-evidence.yaml"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose evidence has a study titled with script and an image that would alert."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["studies"][0]["title"] = XSS
    doc["studies"][0]["conclusion"] = XSS
    path = tmp_path_factory.mktemp("hostile") / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    srv = start_server("--evidence", str(path))
    try:
        yield srv
    finally:
        srv.stop()


HOSTILE_PAGES = [f"/ask?drug=exampleprofen&condition={quote('alcohol use disorder')}",
                 f"/compare?condition={quote('alcohol use disorder')}&drug=exampleprofen"
                 "&drug=baclofen"]


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_a_hostile_title_is_shown_as_text(open_page: Callable[..., Watched], hostile: Server,
                                         path: str) -> None:
    w = open_page(1280, base=hostile.url)
    w.goto(path)
    page = w.page
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert w.dialogs == []
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("[...document.scripts].filter(s => !s.src).length") == 0
    if path.startswith("/ask"):
        assert XSS in page.locator("body").inner_text(), "the title is not shown as text"


def test_csp_is_sent_and_enforced(open_page: Callable[..., Watched]) -> None:
    w = open_page(1280, allow_errors=True)
    response = w.goto(ANSWER)
    directives = [d.split() for d in response.headers.get("content-security-policy", "").split(";")]
    policy = {d[0]: d[1:] for d in directives if d}
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts and "'self'" in scripts, f"CSP script sources: {scripts}"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, scripts
    # The page itself needs nothing CSP refuses ...
    assert not [e for e in w.errors if "Content Security Policy" in e], w.errors
    # ... and an inline script put into it does not run.
    ran = w.page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline_ran = true';
        document.head.appendChild(s);
        return window.__inline_ran === true;
    }""")
    assert not ran, "an inline script ran: the CSP is not enforced"
    w.page.wait_for_timeout(100)
    assert any("Content Security Policy" in e for e in w.errors), w.errors
    assert [e for e in w.errors if "Content Security Policy" not in e] == []

