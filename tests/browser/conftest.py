"""The browser tests' fixtures: a real Chromium (Debian's), driven by Playwright, against
`offlabel serve` started as a user starts it (browserkit.py has the machinery).

The server is the real CLI in a subprocess on a free loopback port, one for the session. Every
page a test opens records its console errors, uncaught exceptions and dialogs; the test fails on
any of them. That also catches Content-Security-Policy refusals and missing /static files, which
Chromium logs as console errors.

With no Chromium (neither OFFLABEL_CHROMIUM nor `chromium` on PATH) every test here is skipped;
the reason is printed when the tests are collected and again in the -ra summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import (
    CHROMIUM_ARGS,
    HERE,
    VIEWPORTS,
    Server,
    Watched,
    find_chromium,
    start_server,
    watch,
)

CHROMIUM, NO_CHROMIUM = find_chromium()
SKIP_REASON = f"browser tests skipped: {NO_CHROMIUM}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Say once, up front, why the browser tests will not run, and mark each of them skipped."""
    mine = [item for item in items if HERE in Path(item.path).parents]
    if CHROMIUM or not mine:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"offlabel: {SKIP_REASON}", yellow=True)
    for item in mine:
        item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The app over the bundled evidence, for the whole session."""
    srv = start_server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(browser: Any, server: Server) -> Iterator[Callable[..., Watched]]:
    """open_page(width=1280, base=None, allow_errors=False) -> a watched page in its own
    context. At the end the test fails if a page it opened logged a console error, threw or
    opened a dialog, unless it was opened with allow_errors (the test then checks them)."""
    contexts: list[Any] = []
    watched: list[tuple[Watched, bool]] = []

    def make(width: int = 1280, base: str | None = None, allow_errors: bool = False) -> Watched:
        ctx = browser.new_context(viewport=VIEWPORTS[width])
        # A missing element fails in seconds, not Playwright's 30 (the pages are local).
        ctx.set_default_timeout(8_000)
        contexts.append(ctx)
        w = watch(ctx.new_page(), base or server.url)
        watched.append((w, allow_errors))
        return w

    yield make
    problems = [f"{w.page.url}: {e}" for w, allowed in watched if not allowed
                for e in w.errors + [f"dialog {d}" for d in w.dialogs]]
    for ctx in contexts:
        ctx.close()
    assert not problems, "\n".join(problems)
