"""The one HTTP client every live source uses: cache, rate limit, retries, one-line errors.

Layering, outermost first::

    Service.get  -- tenacity retries (429/5xx/timeouts/truncated or malformed bodies);
                    a refused connection or a name that does not resolve fails at once
      hishel CacheTransport  -- a cache hit never reaches the rate limiter or the network
        _RateLimitedTransport  -- spaces requests to the service's budget
          httpx.HTTPTransport (or _OfflineTransport with --offline)

Responses are validated by the caller's ``parse`` inside the retry loop, so a body that is cut
short or does not parse is retried (and evicted from the cache) instead of reaching the store.

Nothing here prints: failures are raised as one-line ``SourceError``s (their URL shortened and
without keys or e-mail addresses) and retries are logged at DEBUG on ``offlabel.sources.http``.
"""

from __future__ import annotations

import email.utils
import errno
import hashlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import tenacity

from offlabel import __version__ as _version
from offlabel.errors import MalformedResponse, SourceError

__all__ = [
    "DEFAULT_ENDPOINTS",
    "ENDPOINT_ENV",
    "FETCHED_HEADER",
    "CachedSource",
    "MalformedResponse",
    "RateLimiter",
    "RetryPolicy",
    "Service",
    "SourceError",
    "base_url",
    "cache_dir",
    "cache_path",
    "cache_report",
    "fetched_at",
    "is_public_endpoint",
    "make_service",
    "parse_json",
    "parse_retry_after",
    "parse_xml",
    "shown_url",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

# Environment variables that point a source at a mirror, proxy or test server.
ENDPOINT_ENV = {
    "eutils": "OFFLABEL_EUTILS_URL",
    "ctgov": "OFFLABEL_CTGOV_URL",
    "europepmc": "OFFLABEL_EUROPEPMC_URL",
    "openfda": "OFFLABEL_OPENFDA_URL",
}
DEFAULT_ENDPOINTS = {
    "eutils": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
    "ctgov": "https://clinicaltrials.gov/api/v2",
    "europepmc": "https://www.ebi.ac.uk/europepmc/webservices/rest",
    "openfda": "https://api.fda.gov",
}


class _Transient(Exception):
    """A failure worth retrying; carries the server's Retry-After when it sent one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _OfflineMiss(Exception):
    pass


def base_url(source: str) -> str:
    """The base URL for a source: the environment override or the public service."""
    return (os.environ.get(ENDPOINT_ENV[source]) or DEFAULT_ENDPOINTS[source]).rstrip("/")


def is_public_endpoint(source: str, url: str) -> bool:
    return urlsplit(url).netloc == urlsplit(DEFAULT_ENDPOINTS[source]).netloc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SourceError("config", f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Tests shrink the waits through parameters or OFFLABEL_HTTP_* variables."""

    attempts: int = 5
    backoff: float = 1.0  # first wait (s); doubles each retry
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a Retry-After longer than this is cut down to it
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            attempts=int(_env_float("OFFLABEL_HTTP_ATTEMPTS", cls.attempts)),
            backoff=_env_float("OFFLABEL_HTTP_BACKOFF", cls.backoff),
            max_backoff=_env_float("OFFLABEL_HTTP_MAX_BACKOFF", cls.max_backoff),
            max_retry_after=_env_float("OFFLABEL_HTTP_MAX_RETRY_AFTER", cls.max_retry_after),
            timeout=_env_float("OFFLABEL_HTTP_TIMEOUT", cls.timeout),
        )

    def wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.max_retry_after)
        step = self.backoff * 2.0 ** (retry_state.attempt_number - 1)
        # Full jitter on the upper half keeps parallel clients from retrying in lockstep.
        return min(self.max_backoff, step) * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart, across threads.

    Spacing rather than a per-second bucket: NCBI counts requests per second, and evenly spaced
    requests can never put rate+1 of them into one second.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)


class _RateLimitedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, limiter: RateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.limiter.acquire()
        response = self.inner.handle_request(request)
        # Stamped below the cache, so the stored copy remembers when it left the network:
        # freshness is ours to judge (an old answer is still good enough for --offline).
        response.headers[FETCHED_HEADER] = f"{time.time():.3f}"
        return response

    def close(self) -> None:
        self.inner.close()


class _OfflineTransport(httpx.BaseTransport):
    """Stands in for the network with --offline: anything not answered by the cache fails."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise _OfflineMiss(str(request.url))


def cache_dir() -> Path:
    override = os.environ.get("OFFLABEL_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("offlabel"))


def cache_path() -> Path:
    return cache_dir() / "http-cache.sqlite"


FETCHED_HEADER = "X-Offlabel-Fetched"


def fetched_at(headers: Any) -> float | None:
    """When a cached response was fetched (our stamp), as a POSIX time."""
    value = headers.get(FETCHED_HEADER) or headers.get(FETCHED_HEADER.lower())
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _open_cache() -> Any:
    import hishel

    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Entries never expire inside hishel (it would hide them from --offline); Service.get
    # drops the ones older than the TTL before an online request. Size is capped by hishel.
    return hishel.SqliteStorage(database_path=path, default_ttl=None)


@dataclass
class Service:
    """A configured client for one source. Build it with make_service()."""

    name: str
    base_url: str
    client: httpx.Client
    retry: RetryPolicy
    limiter: RateLimiter
    storage: Any = None  # hishel storage, None when caching is off
    params: dict[str, str] = field(default_factory=dict)  # sent with every request
    refresh: bool = False  # ignore cached answers (but still store the new ones)
    ttl: float = 24 * 3600.0  # online, cached answers older than this are fetched again
    offline: bool = False
    requests_sent: int = 0  # attempts that were not answered by the cache

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        parse: Callable[[httpx.Response], T],
        *,
        accept_status: frozenset[int] = frozenset(),
    ) -> T:
        """GET path and return parse(response), retrying what may be transient.

        parse raises MalformedResponse for a body it cannot use; the cached copy (if any) is
        dropped and the request retried. Any other 4xx is a clear, immediate SourceError.
        """
        merged = {**self.params, **{k: v for k, v in (params or {}).items() if v is not None}}
        request = self.client.build_request("GET", self.url(path), params=merged)
        url = str(request.url)
        key = hashlib.sha256(f"GET {url}".encode()).hexdigest()
        shown = shown_url(url)
        if self.refresh:
            self._evict(key)
        elif not self.offline:
            self._evict(key, older_than=self.ttl)

        def attempt() -> T:
            req = self.client.build_request("GET", self.url(path), params=merged)
            req.extensions["caching"] = {"key": key}
            try:
                response = self.client.send(req)
            except _OfflineMiss:
                raise SourceError(self.name, "offline and not in the cache", shown) from None
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out ({type(exc).__name__})") from exc
            except httpx.ConnectError as exc:
                # Nobody listening, or no such host (no network at all looks like this too):
                # another try in a second finds the same, and five of them per source turned
                # an offline collect into 45 s of waiting.
                reason = unreachable_reason(exc)
                if reason is not None:
                    raise SourceError(self.name, f"unreachable ({reason})", shown) from None
                raise _Transient(f"{type(exc).__name__}: {exc}".strip()) from exc
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # A connection reset mid-response, a body cut short (RemoteProtocolError) or
                # a corrupt gzip stream: all worth another try.
                raise _Transient(f"{type(exc).__name__}: {exc}".strip()) from exc
            if not _from_cache(response):
                self.requests_sent += 1
            status = response.status_code
            if status == 429 or status >= 500:
                raise _Transient(
                    f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
                )
            if status >= 400 and status not in accept_status:
                raise SourceError(self.name, f"HTTP {status}: {_error_text(response)}", shown)
            try:
                return parse(response)
            except MalformedResponse as exc:
                self._evict(key)
                raise _Transient(f"malformed response: {exc}") from exc

        def note_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.debug(
                "%s: %s; attempt %d of %d, next in %.2f s (%s)",
                self.name,
                getattr(exc, "reason", exc),
                state.attempt_number,
                self.retry.attempts,
                wait,
                shown,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.retry.attempts)),
            wait=self.retry.wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            before_sleep=note_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as exc:
            n = self.retry.attempts
            raise SourceError(
                self.name, f"{exc.reason}; gave up after {n} attempt{'s' * (n != 1)}", shown
            ) from None

    def _evict(self, key: str, older_than: float | None = None) -> None:
        if self.storage is None:
            return
        now = time.time()
        for entry in self.storage.get_entries(key):
            if older_than is not None:
                when = fetched_at(entry.response.headers)
                if when is not None and now - when <= older_than:
                    continue
            self.storage.remove_entry(entry.id)

    def close(self) -> None:
        self.client.close()


def _from_cache(response: httpx.Response) -> bool:
    status = response.extensions.get("caching")
    return bool(status and status.get("from_cache"))


# Query parameters whose values are never shown: keys and the user's e-mail address.
_SECRET_PARAMS = frozenset({"api_key", "apikey", "email"})
# How much of a query string an error message keeps: enough to recognise the request, short
# enough that the message stays one line (a PubMed term alone can run to 800 characters).
SHOWN_QUERY_CHARS = 80


def shown_url(url: str) -> str:
    """A request URL fit for a one-line message: no secrets, the query cut to 80 characters.

    Keys, e-mail addresses and any user:password in the host part are masked before the cut,
    so a secret can never survive as a prefix.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if parts.netloc != netloc:
        netloc = f"***@{netloc}"
    query = "&".join(
        f"{k}=***" if k.lower() in _SECRET_PARAMS else f"{k}={v}" if sep else k
        for k, sep, v in (item.partition("=") for item in parts.query.split("&") if item)
    )
    if len(query) > SHOWN_QUERY_CHARS:
        query = query[:SHOWN_QUERY_CHARS] + "..."
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a host cannot be reached at all, or None when the failure may pass on its own.

    httpx keeps the socket error as the cause (httpx.ConnectError <- httpcore.ConnectError <-
    ConnectionRefusedError / socket.gaierror); transports that drop the cause (mocks, some
    proxies) still say it in words, so the message is the fallback.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return "name not resolved"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, OSError) and cause.errno in _NO_ROUTE:
            return _NO_ROUTE[cause.errno]
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    for words, reason in _UNREACHABLE_WORDS:
        if any(w in text for w in words):
            return reason
    return None


_NO_ROUTE = {errno.ENETUNREACH: "network unreachable", errno.EHOSTUNREACH: "no route to host"}
_UNREACHABLE_WORDS = (
    (("connection refused", "errno 111]", "errno 61]", "winerror 10061"), "connection refused"),
    (
        (
            "name or service not known",
            "nodename nor servname",
            "name resolution",
            "getaddrinfo failed",
            "no address associated",
        ),
        "name not resolved",
    ),
    (("network is unreachable",), "network unreachable"),
    (("no route to host",), "no route to host"),
)


def _error_text(response: httpx.Response) -> str:
    """The server's own reason, shortened to fit one line."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error") or body.get("message") or body
        if isinstance(err, dict):
            err = err.get("message") or err
        return " ".join(str(err).split())[:200]
    return " ".join(str(body).split())[:200]


def make_service(
    name: str,
    *,
    rate: float,
    base: str | None = None,
    params: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
    cache: bool = True,
    cache_ttl: float | None = None,
    offline: bool = False,
    refresh: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Service:
    """Build a Service for a source.

    rate is requests per second to the network (cache hits are free). OFFLABEL_HTTP_RATE
    replaces it, but only for a non-public endpoint (a mirror or a test server): the public
    services' published limits are never raised from the environment.
    """
    base = (base or base_url(name)).rstrip("/")
    retry = retry or RetryPolicy.from_env()
    override = os.environ.get("OFFLABEL_HTTP_RATE")
    if override and not is_public_endpoint(name, base):
        rate = _env_float("OFFLABEL_HTTP_RATE", rate)
    limiter = RateLimiter(rate)
    if offline:
        inner: httpx.BaseTransport = _OfflineTransport()
    else:
        inner = transport or httpx.HTTPTransport(retries=0)
    limited = _RateLimitedTransport(inner, limiter)
    storage = None
    outer: httpx.BaseTransport = limited
    if cache:
        from hishel.httpx import CacheTransport

        storage = _open_cache()
        outer = CacheTransport(next_transport=limited, storage=storage)
    elif offline:
        raise SourceError(name, "--offline needs the HTTP cache")
    client = httpx.Client(
        transport=outer,
        timeout=httpx.Timeout(retry.timeout),
        headers={"User-Agent": f"offlabel/{_version} (+https://github.com/offlabel)"},
        follow_redirects=True,
    )
    return Service(
        name=name,
        base_url=base,
        client=client,
        retry=retry,
        limiter=limiter,
        storage=storage,
        params=dict(params or {}),
        refresh=refresh and not offline,  # --offline --refresh must not empty the cache
        ttl=cache_ttl if cache_ttl is not None else _env_float("OFFLABEL_CACHE_TTL", 24 * 3600.0),
        offline=offline,
    )


def parse_json(response: httpx.Response) -> Any:
    """The JSON body, or MalformedResponse (which the retry loop treats as transient)."""
    try:
        return response.json()
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise MalformedResponse(f"not JSON ({exc})") from exc


def parse_xml(response: httpx.Response) -> Any:
    """The XML root element (lxml), or MalformedResponse."""
    from lxml import etree  # type: ignore[import-untyped, unused-ignore]

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(response.content, parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"not well-formed XML ({exc})") from exc
    if root is None:
        raise MalformedResponse("empty XML document")
    return root


@dataclass
class CachedSource:
    """What the HTTP cache holds for one source (for `offlabel sources status`)."""

    source: str
    responses: int = 0
    fresh: int = 0  # not yet expired: a collect would reuse them
    oldest: datetime | None = None  # from the servers' Date headers
    newest: datetime | None = None


def cache_report(path: Path | None = None, ttl: float | None = None) -> list[CachedSource]:
    """Cached responses per source, read straight from the cache file (read-only)."""
    import sqlite3

    path = path or cache_path()
    ttl = ttl if ttl is not None else _env_float("OFFLABEL_CACHE_TTL", 24 * 3600.0)
    if not path.exists():
        return []
    try:
        import msgpack  # type: ignore[import-untyped, unused-ignore]  # hishel's own format
    except ImportError:  # pragma: no cover - installed with hishel
        msgpack = None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # expires_at 0 marks entries hishel is removing or still writing.
        rows = con.execute(
            "SELECT data FROM entries WHERE expires_at IS NULL OR expires_at > 0"
        ).fetchall()
    finally:
        con.close()
    bases = {name: base_url(name) for name in ENDPOINT_ENV}
    out: dict[str, CachedSource] = {}
    now = time.time()
    for (data,) in rows:
        url, when = "", None
        if msgpack is not None:
            try:
                entry = msgpack.unpackb(data)
                url = entry["request"]["url"]
                headers = {k.lower(): v for k, v in entry["response"]["headers"].items()}
                when = fetched_at(headers)
            except Exception:  # an entry from another hishel version: count it, no details
                pass
        source = next((n for n, b in bases.items() if url.startswith(b)), "other")
        item = out.setdefault(source, CachedSource(source))
        item.responses += 1
        if when is not None:
            item.fresh += now - when <= ttl
            stamp = datetime.fromtimestamp(when, UTC)
            item.oldest = min(item.oldest or stamp, stamp)
            item.newest = max(item.newest or stamp, stamp)
    return sorted(out.values(), key=lambda c: c.source)
