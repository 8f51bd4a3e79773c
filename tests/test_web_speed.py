"""The web app's speed: rendered answers are kept in memory (keyed by the route, the normalised
parameters and the evidence fingerprint; never for a store, which changes under them), and 50
concurrent clients against uvicorn on 127.0.0.1 all get their pages. Prints p50/p99."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from offlabel.pipeline import Offlabel
from offlabel.web.app import create_app


class Counting(Offlabel):
    calls = 0

    def ask(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).calls += 1
        return super().ask(*args, **kwargs)


def test_an_answer_is_computed_once_for_equivalent_requests() -> None:
    Counting.calls = 0
    web = TestClient(create_app(Counting()))
    first = web.get("/api/ask?drug=baclofen&condition=cocaine")
    again = web.get("/api/ask?condition=cocaine%20&drug=%20baclofen")
    head = web.head("/api/ask?drug=baclofen&condition=cocaine")
    assert first.status_code == again.status_code == head.status_code == 200
    assert first.content == again.content and head.content == b""
    assert Counting.calls == 1
    web.get("/api/ask?drug=baclofen&condition=spasticity")
    assert Counting.calls == 2
    # Errors are never kept: a page that failed is computed again.
    assert web.get("/api/ask?drug=nosuch").status_code == 404
    assert web.get("/api/ask?drug=nosuch").status_code == 404
    assert Counting.calls == 4


def test_answers_that_read_a_store_are_never_kept(tmp_path: Path) -> None:
    Counting.calls = 0
    web = TestClient(create_app(Counting(store=tmp_path / "none.duckdb")))
    for _ in range(2):
        assert web.get("/api/ask?drug=baclofen&condition=cocaine").status_code == 200
    assert Counting.calls == 2


def test_another_evidence_folder_is_another_fingerprint(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("schema_version: 1\nexample: true\ndrug:\n  id: other\n  name: Other\n"
                     "  sources:\n    - pmid: '1'\n      where: Abstract\n", encoding="utf-8")
    assert Offlabel().fingerprint() == Offlabel().fingerprint()
    assert Offlabel(evidence=[extra]).fingerprint() != Offlabel().fingerprint()
    assert Offlabel(bundled=False).fingerprint() != Offlabel().fingerprint()


@pytest.fixture
def server() -> object:
    """`offlabel serve` in its own process (the clients' threads must not share its GIL)."""
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "offlabel", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "offlabel serve did not start"
            try:
                httpx.get(url + "/static/app.css", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


PATHS = ["/", "/ask?drug=baclofen&condition=alcohol+use+disorder",
         "/api/ask?drug=naltrexone&condition=alcohol+use+disorder",
         "/compare?condition=alcohol+use+disorder", "/static/app.css"]


def test_50_concurrent_clients_all_get_their_pages(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as c:
        t = time.perf_counter()
        assert c.get(PATHS[1]).status_code == 200
        first = time.perf_counter() - t
        for p in PATHS:
            assert c.get(p).status_code == 200, p

    # Each client's connection is opened before the clock starts: the figures are the server's.
    clients = [httpx.Client(base_url=server, timeout=60) for _ in range(50)]
    go = threading.Barrier(50)

    def client(i: int) -> list[tuple[int, float]]:
        out = []
        c = clients[i]
        c.get("/static/favicon.svg")
        go.wait()
        for k in range(4):
            t = time.perf_counter()
            r = c.get(PATHS[(i + k) % len(PATHS)])
            out.append((r.status_code, time.perf_counter() - t))
        return out

    try:
        with ThreadPoolExecutor(50) as pool:
            results = [x for xs in pool.map(client, range(50)) for x in xs]
    finally:
        for c in clients:
            c.close()
    statuses = [s for s, _ in results]
    times = sorted(t for _, t in results)
    p50 = statistics.median(times)
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"\nweb: first answer {first * 1000:.0f} ms; 50 clients x 4 cached requests: "
          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")
    assert statuses == [200] * 200
    # Generous bounds: the machine running the tests is shared (the targets are 200 ms p99
    # cached and 1 s for a first answer on a quiet machine; `make bench` measures them).
    assert p99 < 3.0 and first < 10.0
