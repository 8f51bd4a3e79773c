"""The web app under load: `offlabel serve` on 127.0.0.1 as a user starts it, then the first
answer (cold) and a bounded load of 50 concurrent clients for 30 s (issue 14's targets: first
answer under 1 s, p99 under 200 ms for cached answers).

The server runs with OFFLABEL_NO_CACHE=1, so the first answer is computed afresh (no on-disk
cache from an earlier run); what the app itself keeps in memory is what the load measures. The
load is a mix of answer pages already asked once, the home page and /api/ask, each client with
its own connection (httpx, asyncio) in this process. The client shares the machine with the
server, so on 2 cores the figures include the client's own work: they are an upper bound.

OFFLABEL_BENCH_CLIENTS and OFFLABEL_BENCH_SECONDS change the load (defaults 50 and 30).
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CLIENTS = int(os.environ.get("OFFLABEL_BENCH_CLIENTS", "50"))
SECONDS = float(os.environ.get("OFFLABEL_BENCH_SECONDS", "30"))
TARGET_MS = 200.0

FIRST = "/ask?drug=baclofen&condition=alcohol%20use%20disorder"
# What people open most: answer pages (asked once before the load), the home page, the API.
MIX = [
    FIRST,
    "/ask?drug=naltrexone&condition=alcohol%20use%20disorder",
    "/ask?drug=acamprosate&condition=alcohol%20use%20disorder",
    "/ask?drug=baclofen&condition=spasticity",
    "/ask?drug=topiramate&condition=alcohol%20use%20disorder",
    "/",
    "/api/ask?drug=baclofen&condition=alcohol%20use%20disorder",
    "/api/ask?drug=gabapentin&condition=alcohol%20use%20disorder",
]


def _offlabel() -> list[str]:
    exe = Path(sys.executable).with_name("offlabel")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "offlabel"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    # A bare connect, not a request: any page asked now would warm the app before the first answer.
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OFFLABEL_NO_CACHE": "1"}
    with open(log, "wb") as sink:
        proc = subprocess.Popen([*_offlabel(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"offlabel serve did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return proc


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)


async def client(base: str, offset: int, until: float, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        i = offset
        while time.perf_counter() < until:
            path = MIX[i % len(MIX)]
            i += 1
            start = time.perf_counter()
            try:
                r = await http.get(path)
            except httpx.HTTPError as exc:
                tally.failures[type(exc).__name__] += 1
                continue
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[r.status_code] += 1


async def load(base: str) -> Tally:
    tally = Tally()
    until = time.perf_counter() + SECONDS
    await asyncio.gather(*(client(base, n, until, tally) for n in range(CLIENTS)))
    return tally


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"offlabel-bench-web-{port}.log"
    proc = start(port, log)
    try:
        t0 = time.perf_counter()
        first = httpx.get(base + FIRST, timeout=120)
        cold = time.perf_counter() - t0
        if first.status_code != 200:
            print(f"web first answer: HTTP {first.status_code}", file=sys.stderr)
            return 1
        print(f"web first answer: {cold:.2f} s (OFFLABEL_NO_CACHE=1, {FIRST})")
        for path in MIX:  # every page of the mix asked once: the load measures cached pages
            r = httpx.get(base + path, timeout=120)
            if r.status_code != 200:
                print(f"web load: {path} gives HTTP {r.status_code}", file=sys.stderr)
                return 1
        tally = asyncio.run(load(base))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    ms = sorted(x * 1000 for x in tally.latencies)
    p50, p99 = statistics.median(ms), percentile(ms, 99)
    print(f"web load: {len(ms)} requests, p50 {p50:.0f} ms, p99 {p99:.0f} ms "
          f"({CLIENTS} clients, {SECONDS:.0f} s; {len(ms) / SECONDS:.0f} requests/s, "
          f"max {ms[-1]:.0f} ms)")
    print(f"ratio p99 / {TARGET_MS:.0f} ms target: {p99 / TARGET_MS:.2f}")
    bad = {s: n for s, n in tally.statuses.items() if s != 200}
    if bad or tally.failures:
        print(f"web load: not every request succeeded: statuses {bad}, "
              f"failures {dict(tally.failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
