"""What every request to the web app passes through, before and after any page: strict headers,
caps on what a request may ask for, HEAD answered as GET, and the cache of rendered pages.

Plain ASGI middleware (no BaseHTTPMiddleware): a cached answer is sent straight from the event
loop without a thread, which is what keeps 50 concurrent readers under 200 ms.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offlabel.errors import UsageError

__all__ = ["CSP", "MAX_COMPARE", "MAX_PARAM", "MAX_QUERY", "MAX_UPLOAD", "SECURITY_HEADERS",
           "Caps", "HeadAsGet", "PageCache", "SecurityHeaders"]

# No inline script or style anywhere (ours, the docs pages' included): an injected <script> in a
# study title could not run even if escaping ever failed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (k.encode(), v.encode()) for k, v in (
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ))
_SECURITY_NAMES = {k for k, _ in SECURITY_HEADERS}
# ReDoc's styled-components writes its rules through CSSOM into <style> elements it creates,
# which a strict style-src blocks outright. /redoc alone allows exactly two inline styles by
# hash, the empty one those elements start as and the bundle's one fixed sheet (fastapi-offline's
# redoc.standalone.js 2.5.3); never 'unsafe-inline'.
REDOC_STYLE_HASHES = ("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                      "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='")
REDOC_CSP = CSP.replace("style-src 'self'", f"style-src 'self' {' '.join(REDOC_STYLE_HASHES)}")
_CSP_FOR_PATH = {"/redoc": REDOC_CSP.encode()}

# Caps: a question is a few words; 2,000 drug parameters once took 27 s and 11.9 MB.
MAX_PARAM = 200  # characters in one query parameter
MAX_QUERY = 2048  # characters in the whole query string
MAX_PARAMS = 40  # parameters in one query string
MAX_COMPARE = 12  # drugs in one comparison
MAX_UPLOAD = 2 * 1024 * 1024  # bytes of an evidence file on /check
_COMPARE_PATHS = frozenset({"/compare", "/api/compare"})


class SecurityHeaders:
    """Sets the strict headers on every response: pages, static files, docs, errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _CSP_FOR_PATH.get(scope["path"])

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in _SECURITY_NAMES]
                secure = list(SECURITY_HEADERS)
                if csp is not None:
                    secure[0] = (b"content-security-policy", csp)
                message = {**message, "headers": [*headers, *secure]}
            await send(message)

        await self.app(scope, receive, send_secured)


class HeadAsGet:
    """HEAD is GET without the body, for every GET route (FastAPI answers 405 otherwise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class Caps:
    """Refuses an oversized request with a clear 4xx before any work: a long parameter, a long
    or crowded query string, more than MAX_COMPARE drugs to compare. `refuse` renders the
    error (an HTML page, or JSON under /api/)."""

    def __init__(self, app: ASGIApp,
                 refuse: Callable[[Request, Exception], Any]) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = over_cap(scope["path"], scope.get("query_string", b"").decode("latin-1"))
            if problem is not None:
                response = await self.refuse(Request(scope), problem)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def over_cap(path: str, query: str) -> UsageError | None:
    """The cap this request breaks (one line naming it), or None."""
    if len(query) > MAX_QUERY:
        return UsageError(f"the query string is {len(query):,} characters long; at most "
                          f"{MAX_QUERY:,} are accepted")
    pairs = parse_qsl(query, keep_blank_values=True)
    if len(pairs) > MAX_PARAMS:
        return UsageError(f"{len(pairs)} query parameters; at most {MAX_PARAMS} are accepted")
    for name, value in pairs:
        if len(value) > MAX_PARAM:
            return UsageError(f"parameter '{name[:40]}' is {len(value):,} characters long; at "
                              f"most {MAX_PARAM} are accepted")
    drugs = sum(1 for name, _ in pairs if name == "drug")
    if path in _COMPARE_PATHS and drugs > MAX_COMPARE:
        return UsageError(f"{drugs} drugs to compare; at most {MAX_COMPARE} can be compared "
                          f"at once")
    return None


@dataclass
class _Stored:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCache:
    """An in-memory LRU of whole GET responses (status 200) for the answer routes, keyed by the
    path, the normalised parameters and `key()` (the evidence fingerprint; None switches the
    cache off for the request: answers that read a store change under it). Concurrent first
    requests for one page wait for the one computing it instead of computing it again."""

    def __init__(self, app: ASGIApp, *, paths: Callable[[str], bool],
                 key: Callable[[str], str | None], size: int = 512,
                 max_body: int = 4 * 1024 * 1024) -> None:
        self.app = app
        self.paths = paths
        self.key = key
        self.size = size
        self.max_body = max_body
        self.pages: OrderedDict[tuple[str, str, str], _Stored] = OrderedDict()
        self.pending: dict[tuple[str, str, str], asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.paths(scope["path"]):
            await self.app(scope, receive, send)
            return
        extra = self.key(scope["path"])
        if extra is None:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], normalise_query(scope.get("query_string", b"")), extra)
        waiting = self.pending.get(key)
        if waiting is not None:
            await waiting.wait()
        hit = self.pages.get(key)
        if hit is not None:
            self.pages.move_to_end(key)
            await send({"type": "http.response.start", "status": hit.status,
                        "headers": hit.headers})
            await send({"type": "http.response.body", "body": hit.body})
            return
        done = self.pending.setdefault(key, asyncio.Event())
        start: Message = {}
        parts: list[bytes] = []
        size = 0

        async def send_and_keep(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and size <= self.max_body:
                parts.append(message.get("body", b""))
                size += len(parts[-1])
            await send(message)

        try:
            await self.app(scope, receive, send_and_keep)
            if start.get("status") == 200 and size <= self.max_body:
                self.pages[key] = _Stored(200, list(start.get("headers", [])), b"".join(parts))
                while len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        finally:
            if self.pending.get(key) is done:
                del self.pending[key]
            done.set()


def normalise_query(raw: bytes) -> str:
    """The parameters in one order with their spaces folded: `?condition=AUD&drug=baclofen`
    and `?drug=baclofen&condition=AUD ` are one page. Repeated names keep their order among
    themselves (compare lists its drugs in the order asked)."""
    pairs = [(k, " ".join(v.split())) for k, v in
             parse_qsl(raw.decode("latin-1"), keep_blank_values=True)]
    pairs.sort(key=lambda kv: kv[0])  # stable: repeated names keep their order
    return urlencode(pairs)
