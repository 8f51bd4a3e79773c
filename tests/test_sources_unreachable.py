"""Live sources fail fast and quietly when the network cannot be reached.

A refused connection or a host name that does not resolve (what "no network" looks like) is
not retried: one SourceError, at once. What may pass on its own (429, 5xx, read timeouts, a
connection reset mid-response) is still retried. Error messages carry the request URL on one
line, shortened, without keys or e-mail addresses; nothing under sources/ prints.
"""

from __future__ import annotations

import ast
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from test_sources_server import FakeServer

from offlabel.errors import SourceError
from offlabel.sources import ctgov, europepmc, eutils, openfda
from offlabel.sources.http import (
    SHOWN_QUERY_CHARS,
    RetryPolicy,
    make_service,
    parse_json,
    shown_url,
    unreachable_reason,
)

SOURCES_DIR = Path(__file__).resolve().parents[1] / "src" / "offlabel" / "sources"
FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.05, max_retry_after=0.3, timeout=0.5)
# A collect-like call against nothing takes milliseconds; the bound leaves room for a slow CI
# machine, and is still far below one default back-off cycle of five tries (1+2+4+8 s).
QUICK = 3.0


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening, closed on exit: refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def default_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The retry policy a user gets (5 tries, 1 s back-off), the cache in tmp_path."""
    for name in list(os.environ):
        if name.startswith("OFFLABEL_") or name in ("NCBI_API_KEY", "NCBI_EMAIL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OFFLABEL_CACHE_DIR", str(tmp_path / "cache"))


class _Counting(httpx.BaseTransport):
    """Counts the requests that reach the transport (every try, none answered by the cache)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(retries=0)
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


# --- unreachable: no retry ----------------------------------------------------------------


def test_connection_refused_fails_at_once_without_retry(
    closed_port: int, default_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    counting = _Counting()
    svc = ctgov.ctgov_service(base=f"http://127.0.0.1:{closed_port}", transport=counting)
    assert svc.retry.attempts == 5 and svc.retry.backoff == 1.0
    t0 = time.monotonic()
    with pytest.raises(SourceError) as err:
        next(ctgov.search_studies(svc, condition="x"))
    elapsed = time.monotonic() - t0
    assert str(err.value) == (
        f"ctgov: unreachable (connection refused) (http://127.0.0.1:{closed_port}"
        "/studies?format=json&pageSize=100&countTotal=true&query.cond=x)"
    )
    assert (err.value.source, err.value.message) == ("ctgov", "unreachable (connection refused)")
    assert counting.sent == 1 and elapsed < QUICK
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (socket.EAI_NONAME, "Name or service not known"),
        (socket.EAI_AGAIN, "Temporary failure in name resolution"),  # no network at all
    ],
)
def test_a_name_that_does_not_resolve_fails_at_once_without_retry(
    default_env: None, monkeypatch: pytest.MonkeyPatch, code: int, text: str
) -> None:
    lookups: list[str] = []

    def no_dns(host: str, *args: object, **kwargs: object) -> list[object]:
        lookups.append(host)
        raise socket.gaierror(code, text)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    svc = eutils.eutils_service(base="https://eutils.example.invalid/entrez/eutils")
    t0 = time.monotonic()
    with pytest.raises(SourceError) as err:
        eutils.esearch(svc, "baclofen")
    assert time.monotonic() - t0 < QUICK
    assert lookups == ["eutils.example.invalid"]
    assert str(err.value).startswith(
        "eutils: unreachable (name not resolved) (https://eutils.example.invalid/entrez/eutils"
        "/esearch.fcgi?tool=offlabel&db=pubmed&term=baclofen"
    )


def test_a_collect_like_run_against_a_closed_port_is_quick(
    closed_port: int, default_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `collect` does first with each source, in its order, as a user would run it:
    # default retry policy, the HTTP cache on.
    base = f"http://127.0.0.1:{closed_port}"
    for name in ("EUTILS", "CTGOV", "EUROPEPMC", "OPENFDA"):
        monkeypatch.setenv(f"OFFLABEL_{name}_URL", f"{base}/{name.lower()}")
    calls = {
        "openfda": lambda: openfda.fetch_drug_facts(openfda.openfda_service(), "baclofen"),
        "eutils": lambda: eutils.search_ids(eutils.eutils_service(), "baclofen AND alcohol"),
        "ctgov": lambda: next(
            ctgov.search_studies(ctgov.ctgov_service(), condition="AUD", intervention="baclofen")
        ),
        "europepmc": lambda: next(europepmc.search(europepmc.europepmc_service(), "baclofen")),
    }
    messages = []
    t0 = time.monotonic()
    for call in calls.values():
        with pytest.raises(SourceError) as err:
            call()
        messages.append(str(err.value))
    elapsed = time.monotonic() - t0
    assert elapsed < QUICK, f"{elapsed:.2f} s"
    for source, message in zip(calls, messages, strict=True):
        assert message.startswith(f"{source}: unreachable (connection refused) ({base}/{source}/")


def test_offlabel_collect_without_network_ends_in_seconds(closed_port: int, tmp_path: Path) -> None:
    """The door as a user meets it: every source one line, no traceback, exit 1, no waiting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFLABEL_")}
    env.update(
        {
            f"OFFLABEL_{name}_URL": f"http://127.0.0.1:{closed_port}/{name.lower()}"
            for name in ("EUTILS", "CTGOV", "EUROPEPMC", "OPENFDA")
        }
    )
    env["OFFLABEL_CACHE_DIR"] = str(tmp_path / "cache")
    cmd = [sys.executable, "-m", "offlabel", "collect", "baclofen", "alcohol use disorder"]
    t0 = time.monotonic()
    done = subprocess.run(
        [*cmd, "--store", str(tmp_path / "s.duckdb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - t0
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "unreachable (connection refused)" in line]
    assert sorted(line.split(":")[0].split()[-1] for line in lines) == [
        "ctgov",
        "europepmc",
        "eutils",
        "openfda",
    ], output
    # Start-up, the store and the summary included; 43 s before (5 tries per source).
    assert elapsed < 4 * QUICK, f"{elapsed:.2f} s"


# --- still transient: retried -------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("[SSL: UNEXPECTED_EOF_WHILE_READING] EOF in violation of protocol"),
    ],
    ids=["reset", "disconnected", "read-timeout", "connect-timeout", "tls-eof"],
)
def test_failures_that_may_pass_are_still_retried(default_env: None, failure: Exception) -> None:
    with respx.mock() as mock:
        route = mock.get(url__startswith="http://svc.test/").mock(
            side_effect=[failure, httpx.Response(503), httpx.Response(200, json={"ok": 1})]
        )
        svc = make_service("ctgov", rate=1000, base="http://svc.test", retry=FAST, cache=False)
        assert svc.get("studies", {"q": "x"}, parse_json) == {"ok": 1}
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "name not resolved"),
        (
            httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
            "name not resolved",
        ),
        (httpx.ConnectError("[Errno 101] Network is unreachable"), "network unreachable"),
    ],
)
def test_unreachable_is_recognised_from_the_words_when_the_cause_is_lost(
    default_env: None, failure: Exception, reason: str
) -> None:
    # respx raises the bare httpx error, as a mocking or proxying transport may.
    with respx.mock() as mock:
        route = mock.get(url__startswith="http://svc.test/").mock(
            side_effect=[failure, httpx.Response(200, json={"ok": 1})]
        )
        svc = make_service("ctgov", rate=1000, base="http://svc.test", retry=FAST, cache=False)
        with pytest.raises(SourceError, match=rf"^ctgov: unreachable \({reason}\) \(http://svc"):
            svc.get("studies", {"q": "x"}, parse_json)
    assert route.call_count == 1


def test_unreachable_reason_reads_the_socket_error_under_httpx() -> None:
    def chained(inner: OSError) -> httpx.ConnectError:
        try:
            try:
                raise inner
            except OSError as exc:
                raise httpx.ConnectError("wrapped") from exc
        except httpx.ConnectError as outer:
            return outer

    assert unreachable_reason(chained(ConnectionRefusedError(111, "x"))) == "connection refused"
    assert unreachable_reason(chained(socket.gaierror(-2, "x"))) == "name not resolved"
    assert unreachable_reason(chained(OSError(101, "x"))) == "network unreachable"
    assert unreachable_reason(chained(ConnectionResetError(104, "x"))) is None
    assert unreachable_reason(httpx.ConnectError("handshake failed")) is None


def test_a_connection_reset_mid_response_is_retried(
    default_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeServer().start()
    try:
        monkeypatch.setenv("OFFLABEL_HTTP_RATE", "500")
        fake.inject("ctgov", "reset")
        svc = ctgov.ctgov_service(base=fake.url("ctgov"), retry=FAST, cache=False)
        page = next(ctgov.search_studies(svc, condition="x"))
        assert len(page.studies) == 5 and len(fake.hits("ctgov")) == 2
    finally:
        fake.stop()


# --- messages -----------------------------------------------------------------------------


def test_shown_url_masks_secrets_and_keeps_to_one_short_line() -> None:
    url = (
        "https://user:pw@eutils.example.org/entrez/eutils/esearch.fcgi?tool=offlabel"
        "&email=me%40example.org&api_key=0123abcd&API_KEY=X&apikey=Y&term=" + "a+OR+b+" * 200
    )
    shown = shown_url(url)
    assert shown.startswith(
        "https://***@eutils.example.org/entrez/eutils/esearch.fcgi?tool=offlabel&email=***"
        "&api_key=***&API_KEY=***&apikey=***&term=a+OR+b"
    )
    for secret in ("user", "pw@", "me%40example", "0123abcd", "=X", "=Y"):
        assert secret not in shown
    query = shown.split("?", 1)[1]
    assert len(query) == SHOWN_QUERY_CHARS + 3 and query.endswith("...")
    short = "http://127.0.0.1:8/ctgov/studies?format=json&pageSize=100"
    assert shown_url(short) == short
    assert shown_url("https://api.fda.gov/drug/label.json") == "https://api.fda.gov/drug/label.json"


def test_a_source_error_is_one_line_without_key_or_email(
    default_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", "secret-key-0123")
    monkeypatch.setenv("NCBI_EMAIL", "someone@example.org")
    term = " OR ".join(f'"synonym {i}"[tiab]' for i in range(60))  # a long PubMed query
    with respx.mock() as mock:
        mock.get(url__startswith="http://svc.test/").respond(
            400, json={"error": {"message": "query too long"}}
        )
        svc = eutils.eutils_service(base="http://svc.test/eutils", retry=FAST, cache=False)
        with pytest.raises(SourceError) as err:
            eutils.esearch(svc, term)
    msg = str(err.value)
    assert msg.startswith("eutils: HTTP 400: query too long (http://svc.test/eutils/esearch.fcgi?")
    assert "\n" not in msg and len(msg) < 200
    assert "secret-key-0123" not in msg and "someone" not in msg and "api_key=***" in msg
    assert err.value.url is not None and err.value.url.endswith("...")


def test_retries_are_logged_not_printed(
    default_env: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="offlabel.sources.http")
    with respx.mock() as mock:
        mock.get(url__startswith="http://svc.test/").mock(
            side_effect=[httpx.Response(500), httpx.Response(429), httpx.Response(200, json=[])]
        )
        svc = make_service("europepmc", rate=1000, base="http://svc.test", retry=FAST, cache=False)
        assert svc.get("search", {"query": "x"}, parse_json) == []
    assert capsys.readouterr() == ("", "")
    retries = [r.getMessage() for r in caplog.records if r.name == "offlabel.sources.http"]
    assert len(retries) == 2
    assert retries[0].startswith("europepmc: HTTP 500; attempt 1 of 4, next in ")
    assert retries[1].startswith("europepmc: HTTP 429; attempt 2 of 4, next in ")


def _print_calls(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("print", "input", "breakpoint"):
                yield f"{path.name}:{node.lineno}: {node.func.id}()"
        if isinstance(node, ast.Attribute) and node.attr in ("stdout", "__stdout__"):
            yield f"{path.name}:{node.lineno}: .{node.attr}"


def test_nothing_under_sources_prints() -> None:
    files = sorted(SOURCES_DIR.rglob("*.py"))
    assert len(files) >= 6
    found = [hit for path in files for hit in _print_calls(path)]
    assert found == [], "sources/ must log or return warnings, not print: " + "; ".join(found)
