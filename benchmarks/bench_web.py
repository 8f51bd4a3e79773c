"""The web app under load: `offlabel serve` on 127.0.0.1 as a user starts it, then the first
answer (cold) and a bounded load of 50 concurrent clients for 30 s (issue 14's targets: first
answer under 1 s, p99 under 200 ms for cached answers).

The server runs with OFFLABEL_NO_CACHE=1, so the first answer is computed afresh (no on-disk
cache from an earlier run); what the app itself keeps in memory is what the load measures. The
load is a mix of answer pages already asked once, the home page and /api/ask, each client with
its own kept-alive connection, in this process: first bare asyncio sockets (the measure: a few
lines of HTTP/1.1, little CPU per request), then httpx.AsyncClient as a script would use it.
The client shares the machine with the server, so the figures include the client's own work
(the CPU line after each says how much): on a busy 2-core machine they are an upper bound.

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
from collections.abc import Awaitable, Callable
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def httpx_client(base: str, offset: int, until: float, tally: Tally) -> None:
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


async def _read_response(reader: asyncio.StreamReader) -> int:
    """One HTTP/1.1 response off a kept-alive connection; its status."""
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        await reader.readexactly(length)
        return status
    while size := int((await reader.readline()).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readline()
    return status


async def socket_client(base: str, offset: int, until: float, tally: Tally) -> None:
    """The same requests over a bare asyncio connection: a fraction of httpx's CPU per
    request, so on a small machine the figures are more the server's than the client's."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        i = offset
        while time.perf_counter() < until:
            path = MIX[i % len(MIX)]
            i += 1
            start = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            try:
                status = await _read_response(reader)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
                tally.failures[type(exc).__name__] += 1
                return
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[status] += 1
    finally:
        writer.close()


Client = Callable[[str, int, float, Tally], Awaitable[None]]


async def load(base: str, client: Client) -> Tally:
    tally = Tally()
    until = time.perf_counter() + SECONDS
    await asyncio.gather(*(client(base, n, until, tally) for n in range(CLIENTS)))
    return tally


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(label: str, tally: Tally, server_cpu: float, client_cpu: float) -> bool:
    """Print the load figures; False when a request failed."""
    ms = sorted(x * 1000 for x in tally.latencies)
    if len(ms) < 2:
        print(f"{label}: {len(ms)} requests", file=sys.stderr)
        return False
    p50, p99 = statistics.median(ms), percentile(ms, 99)
    print(f"{label}: {len(ms)} requests, p50 {p50:.0f} ms, p99 {p99:.0f} ms "
          f"({CLIENTS} clients, {SECONDS:.0f} s; {len(ms) / SECONDS:.0f} requests/s, "
          f"max {ms[-1]:.0f} ms)")
    if label == "web load":
        print(f"ratio p99 / {TARGET_MS:.0f} ms target: {p99 / TARGET_MS:.2f}")
    # On a shared small machine the client's own work is part of each latency: say how much.
    print(f"{label} CPU: server {server_cpu:.1f} s, client {client_cpu:.1f} s in {SECONDS:.0f} s "
          f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f})")
    bad = {s: n for s, n in tally.statuses.items() if s != 200}
    if bad or tally.failures:
        print(f"{label}: not every request succeeded: statuses {bad}, "
              f"failures {dict(tally.failures)}", file=sys.stderr)
        return False
    return True


def main() -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / f"offlabel-bench-web-{port}.log"
    proc = start(port, log)
    ok = True
    try:
        cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
        first = httpx.get(base + FIRST, timeout=120)
        cold, cold_cpu = time.perf_counter() - t0, _cpu_seconds(proc.pid) - cpu0
        if first.status_code != 200:
            print(f"web first answer: HTTP {first.status_code}", file=sys.stderr)
            return 1
        print(f"web first answer: {cold:.2f} s (server CPU {cold_cpu:.2f} s; "
              f"OFFLABEL_NO_CACHE=1, {FIRST})")
        for path in MIX:  # every page of the mix asked once: the load measures cached pages
            r = httpx.get(base + path, timeout=120)
            if r.status_code != 200:
                print(f"web load: {path} gives HTTP {r.status_code}", file=sys.stderr)
                return 1
        # The bare-socket client is the measure (the server's latency, little of the client's);
        # httpx's clients, as people script them, cost far more CPU per request than the server.
        for label, client in (("web load", socket_client),
                              ("web load (httpx clients)", httpx_client)):
            server_before, client_before = _cpu_seconds(proc.pid), time.process_time()
            tally = asyncio.run(load(base, client))
            ok = report(label, tally, _cpu_seconds(proc.pid) - server_before,
                        time.process_time() - client_before) and ok
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if ok:
        log.unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
