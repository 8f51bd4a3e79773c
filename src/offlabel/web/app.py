"""A local web view of offlabel: the HTML report for a question, the JSON for scripts.

Binds to 127.0.0.1 by default (see `offlabel serve`). Every page is rendered by the report
views, whose templates autoescape, so titles and abstracts cannot inject markup.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse


def create_app(evidence: list[Path] | None = None) -> FastAPI:
    from offlabel.appraise import NotCovered, answer
    from offlabel.evidence import load_evidence
    from offlabel.report.data import answer_dict
    from offlabel.report.html import render

    base = load_evidence(evidence or [])
    app = FastAPI(title="offlabel", description="Appraises published evidence; not medical advice.")

    def _answer(drug: str, condition: str | None):  # noqa: ANN202
        try:
            return answer(base, drug, condition or None)
        except NotCovered as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        from html import escape

        drugs = "".join(f"<li><a href='/ask?drug={escape(d.id)}'>{escape(d.name)}</a></li>"
                        for d in sorted(base.drugs.values(), key=lambda d: d.name))
        return ("<!doctype html><html><head><meta charset='utf-8'><title>offlabel</title></head>"
                "<body><h1>offlabel</h1><p>Appraises published evidence. Not medical advice.</p>"
                "<form action='/ask'><input name='drug' placeholder='drug'> "
                "<input name='condition' placeholder='condition'> <button>Ask</button></form>"
                f"<ul>{drugs}</ul></body></html>")

    @app.get("/ask", response_class=HTMLResponse)
    def ask_html(drug: str = Query(...), condition: str | None = Query(None)) -> str:
        return render(answer_dict(_answer(drug, condition)))

    @app.get("/api/ask")
    def ask_json(drug: str = Query(...), condition: str | None = Query(None)) -> JSONResponse:
        return JSONResponse(answer_dict(_answer(drug, condition)))

    @app.get("/api/compare")
    def compare_json(condition: str = Query(...), drug: list[str] = Query(...)) -> JSONResponse:
        from offlabel.appraise.compare import compare_drugs

        try:
            return JSONResponse(compare_drugs(base, condition, drug))
        except NotCovered as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    return app
