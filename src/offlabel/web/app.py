"""A local web view of offlabel: the HTML report for a question, the JSON for scripts.

Binds to 127.0.0.1 by default (see `offlabel serve`). Every page is rendered by the report
views, whose templates autoescape, so titles and abstracts cannot inject markup. Answers come
from the same pipeline the CLI calls (offlabel.pipeline.Offlabel), store included.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse

from offlabel.appraise import Answer
from offlabel.errors import NotCovered, OfflabelError
from offlabel.pipeline import Offlabel

__all__ = ["create_app"]


def create_app(app: Offlabel | list[Path] | None = None) -> FastAPI:
    """The web app over an Offlabel application (or, for short, a list of evidence paths)."""
    from offlabel.report.data import answer_dict
    from offlabel.report.html import render

    ol = app if isinstance(app, Offlabel) else Offlabel(evidence=app or [])
    base = ol.base()
    web = FastAPI(title="offlabel", description="Appraises published evidence; not medical advice.")

    def _answer(drug: str, condition: str | None) -> Answer:
        try:
            # A page view reads the store; it never writes to it.
            return ol.ask(drug, condition or None, record=False).answer
        except NotCovered as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        except OfflabelError as exc:
            raise HTTPException(status_code=500, detail=str(exc)) from None

    @web.get("/", response_class=HTMLResponse)
    def index() -> str:
        from html import escape

        drugs = "".join(f"<li><a href='/ask?drug={escape(d.id)}'>{escape(d.name)}</a></li>"
                        for d in sorted(base.drugs.values(), key=lambda d: d.name))
        return ("<!doctype html><html><head><meta charset='utf-8'><title>offlabel</title></head>"
                "<body><h1>offlabel</h1><p>Appraises published evidence. Not medical advice.</p>"
                "<form action='/ask'><input name='drug' placeholder='drug'> "
                "<input name='condition' placeholder='condition'> <button>Ask</button></form>"
                f"<ul>{drugs}</ul></body></html>")

    @web.get("/ask", response_class=HTMLResponse)
    def ask_html(drug: str = Query(...), condition: str | None = Query(None)) -> str:
        return render(answer_dict(_answer(drug, condition)))

    @web.get("/api/ask")
    def ask_json(drug: str = Query(...), condition: str | None = Query(None)) -> JSONResponse:
        return JSONResponse(answer_dict(_answer(drug, condition)))

    @web.get("/api/compare")
    def compare_json(condition: str = Query(...), drug: list[str] = Query(...)) -> JSONResponse:
        try:
            return JSONResponse(ol.compare(condition, drug))
        except NotCovered as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    return web
