"""The evidence map of a scan in the browser: /map (page) and /api/map (JSON), shown when the
app was started with a scan (`offlabel serve --scan DIR`).

The page is the CLI's `offlabel map` in HTML: the same map (pipeline/evidence_map.py), the same
label saying it is machine-classified and not appraised, a heat map inline as SVG (presentation
attributes only, so the strict CSP holds), and each row linking to /ask for the pair. Errors
propagate as offlabel errors; the app's handlers turn them into pages (404 for NotCovered).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from offlabel.errors import NotCovered, UsageError

__all__ = ["router"]

router = APIRouter()

_LIMIT = 50


def _map(request: Request, drug: str | None, condition: str | None,
         limit: int) -> dict[str, Any]:
    from offlabel.pipeline.evidence_map import map_dict

    ol = request.app.state.offlabel
    if getattr(ol, "scan", None) is None:
        raise NotCovered("this server has no scan: start it with `offlabel serve --scan DIR` "
                         "for evidence maps")
    drug, condition = (drug or "").strip() or None, (condition or "").strip() or None
    if drug is None and condition is None:
        raise UsageError("the map needs ?drug= or ?condition= (or both)")
    return map_dict(ol.evidence_map(drug, condition, limit=limit))


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, drug: str | None = Query(None, max_length=200),
             condition: str | None = Query(None, max_length=200),
             limit: int = Query(_LIMIT, ge=1, le=500)) -> HTMLResponse:
    """The map page; without a drug or a condition, the form alone."""
    from offlabel.report.evidence_map import design_label, heatmap_svg

    ol = request.app.state.offlabel
    if getattr(ol, "scan", None) is None:
        raise NotCovered("this server has no scan: start it with `offlabel serve --scan DIR` "
                         "for evidence maps")
    d = _map(request, drug, condition, limit) if (drug or condition) else None
    context: dict[str, Any] = {
        "d": d, "drug": drug or "", "condition": condition or "", "label": design_label,
        "columns": [c for c in d["designs"] if any(c in r["by_design"] for r in d["rows"])]
        if d else [],
        "heatmap": heatmap_svg(d) if d and d["rows"] else "",
    }
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, "map.html.j2", context)
    return response


@router.get("/api/map")
def map_json(request: Request, drug: str | None = Query(None, max_length=200),
             condition: str | None = Query(None, max_length=200),
             limit: int = Query(_LIMIT, ge=1, le=500)) -> JSONResponse:
    """The map as JSON (`offlabel map --format json`): kind "evidence_map", no verdict."""
    return JSONResponse(_map(request, drug, condition, limit))
