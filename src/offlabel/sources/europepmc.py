"""Europe PMC REST search with cursorMark paging: preprints and records PubMed lacks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offlabel.errors import MalformedResponse
from offlabel.sources.http import Service, make_service, parse_json

# No published per-second limit; public clients default to about one request a second.
RATE = 2.0
PAGE_SIZE = 100


def europepmc_service(**kwargs: Any) -> Service:
    return make_service("europepmc", rate=RATE, **kwargs)


@dataclass
class ResultPage:
    results: list[dict[str, Any]]
    hit_count: int
    next_cursor: str | None


def parse_page(body: Any) -> ResultPage:
    if not isinstance(body, dict):
        raise MalformedResponse("expected a JSON object")
    if "errCode" in body or "errMsg" in body:
        raise MalformedResponse(f"server error {body.get('errCode')}: {body.get('errMsg')}")
    results = (body.get("resultList") or {}).get("result")
    if not isinstance(results, list) or "hitCount" not in body:
        raise MalformedResponse("expected resultList.result and hitCount")
    return ResultPage(
        results=[r for r in results if isinstance(r, dict)],
        hit_count=int(body["hitCount"]),
        next_cursor=body.get("nextCursorMark") or None,
    )


def search(
    svc: Service,
    query: str,
    *,
    result_type: str = "core",
    page_size: int = PAGE_SIZE,
    limit: int | None = None,
    synonym: bool = False,
) -> Iterator[ResultPage]:
    """Yield pages from cursorMark=* until the cursor stops moving or a page comes back empty."""
    cursor = "*"
    seen = 0
    while True:
        params = {
            "query": query,
            "format": "json",
            "resultType": result_type,
            "pageSize": str(page_size),
            "cursorMark": cursor,
            "synonym": "true" if synonym else "false",
        }
        page = svc.get("search", params, lambda r: parse_page(parse_json(r)))
        if limit is not None and seen + len(page.results) >= limit:
            page.results = page.results[: limit - seen]
            page.next_cursor = None
        seen += len(page.results)
        yield page
        if not page.results or not page.next_cursor or page.next_cursor == cursor:
            return
        cursor = page.next_cursor
