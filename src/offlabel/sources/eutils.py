"""NCBI E-utilities: ESearch (with the history server) and EFetch of PubMed XML in batches.

NCBI's usage policy: identify the tool and an e-mail address, and stay under 3 requests/s
without an API key and 10/s with one. Both come from NCBI_API_KEY / NCBI_EMAIL unless given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from offlabel.errors import MalformedResponse, SourceError
from offlabel.sources.http import Service, make_service, parse_xml

T = TypeVar("T")

TOOL = "offlabel"
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
# ESearch on PubMed refuses retstart beyond 9998; past that, EFetch pages the history server.
ESEARCH_MAX = 9999
EFETCH_BATCH = 200


@dataclass
class SearchResult:
    count: int
    ids: list[str]
    retstart: int = 0
    webenv: str | None = None
    query_key: str | None = None
    query_translation: str | None = None
    warnings: list[str] = field(default_factory=list)


def eutils_service(
    *,
    api_key: str | None = None,
    email: str | None = None,
    safety: float = 0.9,
    **kwargs: Any,
) -> Service:
    """A Service for E-utilities with tool/email/api_key set and the matching rate limit.

    safety < 1 keeps the spacing ~10% wider than 1/rate so latency jitter (a first request that
    opens the connection arrives late, the next ones on time) never makes 4
    requests land inside one NCBI second.
    """
    api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY") or None
    email = email if email is not None else os.environ.get("NCBI_EMAIL") or None
    params = {"tool": TOOL}
    if email:
        params["email"] = email
    if api_key:
        params["api_key"] = api_key
    rate = (RATE_WITH_KEY if api_key else RATE_WITHOUT_KEY) * safety
    return make_service("eutils", rate=rate, params=params, **kwargs)


def parse_esearch(root: Any) -> SearchResult:
    """An <eSearchResult> element as a SearchResult. A server-side <ERROR> is a SourceError."""
    tag = getattr(root, "tag", None)
    if tag != "eSearchResult":
        raise MalformedResponse(f"expected <eSearchResult>, got <{tag}>")
    error = root.findtext("ERROR")
    if error:
        raise SourceError("eutils", f"ESearch error: {' '.join(error.split())}")
    count_text = root.findtext("Count")
    if count_text is None or not count_text.strip().isdigit():
        raise MalformedResponse("ESearch result without a numeric <Count>")
    ids = [i.text.strip() for i in root.iterfind("IdList/Id") if i.text]
    warnings = [
        f"{el.tag}: {' '.join((el.text or '').split())}"
        for block in ("ErrorList", "WarningList")
        for el in root.iterfind(f"{block}/*")
    ]
    return SearchResult(
        count=int(count_text),
        ids=ids,
        retstart=int(root.findtext("RetStart") or 0),
        webenv=root.findtext("WebEnv"),
        query_key=root.findtext("QueryKey"),
        query_translation=root.findtext("QueryTranslation"),
        warnings=warnings,
    )


def esearch(
    svc: Service,
    term: str,
    *,
    retmax: int = ESEARCH_MAX,
    retstart: int = 0,
    db: str = "pubmed",
    usehistory: bool = True,
) -> SearchResult:
    params = {
        "db": db,
        "term": term,
        "retmax": str(min(retmax, ESEARCH_MAX)),
        "retstart": str(retstart),
        "retmode": "xml",
    }
    if usehistory:
        params["usehistory"] = "y"
    return svc.get("esearch.fcgi", params, lambda r: parse_esearch(parse_xml(r)))


def _pubmed_set(response: httpx.Response, parse: Callable[[bytes], T]) -> T:
    """Check an EFetch body is a whole <PubmedArticleSet> before handing it to the reader."""
    root = parse_xml(response)
    if root.tag != "PubmedArticleSet":
        raise MalformedResponse(f"expected <PubmedArticleSet>, got <{root.tag}>")
    try:
        return parse(response.content)
    except SourceError:
        raise
    except Exception as exc:  # the reader's own complaint about a record
        raise MalformedResponse(f"PubMed XML could not be read: {exc}") from exc


def efetch(
    svc: Service, ids: Sequence[str], parse: Callable[[bytes], T], *, db: str = "pubmed"
) -> T:
    """EFetch PubMed XML for explicit PMIDs (GET: cacheable and stable across runs)."""
    params = {"db": db, "id": ",".join(ids), "retmode": "xml", "rettype": "abstract"}
    return svc.get("efetch.fcgi", params, lambda r: _pubmed_set(r, parse))


def efetch_history(
    svc: Service,
    webenv: str,
    query_key: str,
    retstart: int,
    retmax: int,
    parse: Callable[[bytes], T],
    *,
    db: str = "pubmed",
) -> T:
    """EFetch a slice of a result set kept on the history server (beyond ESearch's 9,999)."""
    params = {
        "db": db,
        "WebEnv": webenv,
        "query_key": query_key,
        "retstart": str(retstart),
        "retmax": str(retmax),
        "retmode": "xml",
        "rettype": "abstract",
    }
    return svc.get("efetch.fcgi", params, lambda r: _pubmed_set(r, parse))


def search_ids(svc: Service, term: str, *, limit: int | None = None) -> SearchResult:
    """ESearch, paging up to ESearch's own ceiling, returning every PMID it will list."""
    first = esearch(svc, term, retmax=min(limit or ESEARCH_MAX, ESEARCH_MAX))
    wanted = min(first.count, limit if limit is not None else first.count, ESEARCH_MAX)
    ids = list(first.ids)
    while len(ids) < wanted:
        page = esearch(svc, term, retstart=len(ids), retmax=wanted - len(ids), usehistory=False)
        if not page.ids:
            break
        ids.extend(page.ids)
    first.ids = ids[:wanted]
    return first


def fetch_batches(
    svc: Service,
    search: SearchResult,
    parse: Callable[[bytes], T],
    *,
    skip: Container[str] = frozenset(),
    batch: int | None = None,
    limit: int | None = None,
) -> Iterator[tuple[list[str], T]]:
    """Yield (pmids, parsed batch). PMIDs in skip (already stored) are not fetched again.

    IDs listed by ESearch are fetched by ID, so a re-run hits the HTTP cache. Records past
    ESearch's ceiling come from the history server by position.
    """
    batch = batch or int(os.environ.get("OFFLABEL_EFETCH_BATCH") or EFETCH_BATCH)
    todo = [i for i in search.ids if i not in skip]
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        yield chunk, efetch(svc, chunk, parse)
    total = min(search.count, limit) if limit is not None else search.count
    if total > len(search.ids):
        if not (search.webenv and search.query_key):
            raise SourceError("eutils", "result set larger than ESearch lists, and no WebEnv")
        for start in range(len(search.ids), total, batch):
            size = min(batch, total - start)
            yield [], efetch_history(svc, search.webenv, search.query_key, start, size, parse)
