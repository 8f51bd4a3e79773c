"""What the browser tests share: the Chromium to drive, `offlabel serve` in a subprocess, a page
that records what went wrong on it, axe-core, screenshots, and the pages' addresses with what
the JSON API says about the same questions (the pages must agree with it).

Kept apart from conftest.py so the test modules can import it by name.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SCREENSHOTS = REPO / "docs" / "screenshots"

DRUG, CONDITION = "baclofen", "alcohol use disorder"
HOME = "/"
ANSWER = f"/ask?drug={DRUG}&condition={quote(CONDITION)}"
COMPARE = f"/compare?condition={quote(CONDITION)}"
CHECK = "/check"
MISSPELT = f"/ask?drug={DRUG}&condition={quote('alcohol use disordr')}"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"

# Without the background-networking flags Chromium keeps trying to reach Google's services,
# which floods a closed network (and a CI log) with failed connections. CI runs as root,
# hence --no-sandbox.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

# The two widths the issue asks every page to fit: a laptop and a phone.
VIEWPORTS = {1280: {"width": 1280, "height": 900}, 390: {"width": 390, "height": 844}}


def find_chromium() -> tuple[str | None, str]:
    """The Chromium to drive, or None and why there is none."""
    env = os.environ.get("OFFLABEL_CHROMIUM")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env, ""
        return None, f"OFFLABEL_CHROMIUM={env} is not an executable file"
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        missing = [m for m in ("playwright", "axe_playwright_python")
                   if importlib.util.find_spec(m) is None]
        if missing:
            return None, f"{', '.join(missing)} not installed (pip install -e '.[dev]')"
        return found, ""
    return None, ("no Chromium found (set OFFLABEL_CHROMIUM, or `apt-get install chromium`; "
                  "`make browser` does that as root)")


def api_answer(base: str, drug: str = DRUG, condition: str = CONDITION) -> dict[str, Any]:
    """The first condition of /api/ask for the question."""
    r = httpx.get(base + "/api/ask", params={"drug": drug, "condition": condition}, timeout=60)
    r.raise_for_status()
    first: dict[str, Any] = r.json()["conditions"][0]
    return first


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `offlabel serve` process and what it printed at start-up."""

    url: str
    process: subprocess.Popen[str]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.unlink(missing_ok=True)


def start_server(*extra: str, env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> Server:
    """`offlabel serve` on a free loopback port, returned once it answers GET /."""
    port = free_port()
    cmd = [sys.executable, "-m", "offlabel", "serve", "--host", "127.0.0.1",
           "--port", str(port), *extra]
    # Output goes to a file, not a pipe: a pipe nobody reads could fill up and block the server.
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"offlabel-serve-{port}.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, text=True,
                                   cwd=REPO, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"`{' '.join(cmd)}` exited with {process.returncode}:\n"
                               f"{log.read_text()}")
        try:
            if httpx.get(url + "/", timeout=5).status_code == 200:
                return Server(url=url, process=process, log=log)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"`{' '.join(cmd)}` did not answer within {timeout:.0f} s:\n"
                               f"{log.read_text()}")
        time.sleep(0.2)


# -- pages --------------------------------------------------------------------------------------


@dataclass
class Watched:
    """A page with what went wrong on it: console errors, uncaught exceptions, dialogs."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    # Pages opened expecting an error status: Chromium logs their own load as a failed
    # resource, which is the status asked for, not a fault of the page.
    expected_failures: set[str] = field(default_factory=set)

    def goto(self, path: str, status: int = 200) -> Any:
        if status >= 400:
            self.expected_failures.add(self.base + path)
        response = self.page.goto(self.base + path, wait_until="load")
        got = response.status if response is not None else None
        assert got == status, f"GET {path}: {got}, expected {status}"
        return response

    def overflow(self) -> tuple[int, int]:
        """(scrollWidth, innerWidth): a page that fits does not scroll sideways."""
        got: list[int] = self.page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        return got[0], got[1]


def watch(page: Any, base: str) -> Watched:
    w = Watched(page=page, base=base)

    def console(msg: Any) -> None:
        if msg.type == "error":
            # A failed load names no address in its text; its location does.
            where = (msg.location or {}).get("url", "")
            if msg.text.startswith("Failed to load resource") and where in w.expected_failures:
                return
            w.errors.append(f"console error: {msg.text}" + (f" ({where})" if where else ""))

    def dialog(d: Any) -> None:
        w.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("console", console)
    page.on("pageerror", lambda exc: w.errors.append(f"page error: {exc}"))
    page.on("dialog", dialog)
    return w


def axe_serious(page: Any) -> tuple[list[str], dict[str, int]]:
    """axe-core's serious and critical violations on the page, and how many nodes violate a
    rule at each impact."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    counts: dict[str, int] = {}
    serious = []
    for v in violations:
        impact = v.get("impact") or "unknown"
        counts[impact] = counts.get(impact, 0) + len(v["nodes"])
        if impact in ("serious", "critical"):
            where = "; ".join(str(n["target"]) for n in v["nodes"][:5])
            serious.append(f"{impact} {v['id']}: {v['help']} ({len(v['nodes'])} nodes: {where})")
    return serious, counts


def screenshot(page: Any, name: str, width: int) -> Path:
    """docs/screenshots/{name}-{width}.png for the README: at 1280 px the page down to 3,000 px
    (a long answer page would make a large file), at 390 px the first screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{name}-{width}.png"
    if width == 1280:
        height = min(int(page.evaluate("document.scrollingElement.scrollHeight")), 3000)
        page.screenshot(path=str(out), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": height})
    else:
        page.screenshot(path=str(out))
    return out
