"""Errors as a person meets them in a browser: an HTML page with the right status, one line
saying what went wrong and links to what was probably meant; never a traceback. Under /api/ the
same as JSON: {"error": "...", "suggestions": [...]}.

Every error the app can meet comes here: offlabel's own (NotCovered 404, ProfileError 422,
UsageError 400, any other OfflabelError 500), FastAPI's parameter validation (422), Starlette's
404/405/413, and anything unexpected (500, logged on the server).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from offlabel.errors import NotCovered, OfflabelError, ProfileError, UsageError
from offlabel.web.guard import SECURITY_HEADERS

if TYPE_CHECKING:
    from offlabel.pipeline import Offlabel

__all__ = ["Suggestion", "error_response", "handle", "install", "message_for", "status_for",
           "suggest", "title_for"]

log = logging.getLogger("offlabel.web")

_TITLES = {
    400: "That request cannot be answered",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    414: "Address too long",
    422: "That request cannot be read",
    500: "Something went wrong",
}


@dataclass(frozen=True)
class Suggestion:
    label: str
    href: str


def status_for(exc: Exception) -> int:
    if isinstance(exc, NotCovered):
        return 404
    if isinstance(exc, ProfileError):
        return 422
    if isinstance(exc, UsageError):
        return 400
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return 500


def message_for(exc: Exception) -> str:
    """One line; for an unexpected error, its kind only (the details are in the server log)."""
    if isinstance(exc, OfflabelError):
        return " ".join(str(exc).split())
    if isinstance(exc, RequestValidationError):
        return validation_line(exc)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404 and exc.detail == "Not Found":
            return "there is no page at this address"
        return " ".join(str(exc.detail).split())
    return f"an internal error ({type(exc).__name__}) stopped this page; the server log has " \
           f"the details"


def validation_line(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the request's parameters cannot be read"
    first = errors[0]
    loc = [str(x) for x in first.get("loc", ())]
    where = f"{loc[0]} parameter '{'.'.join(loc[1:])}'" if len(loc) > 1 else ".".join(loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


def title_for(exc: Exception, status: int) -> str:
    if isinstance(exc, NotCovered):
        return "Not covered"
    return _TITLES.get(status, "Error")


def error_response(request: Request, status: int, message: str,
                   suggestions: list[Suggestion], title: str | None = None,
                   extra_headers: Mapping[str, str] | None = None) -> Response:
    """The error as a page (JSON under /api/), with the strict headers set here too: a 500 is
    sent from outside the middleware that sets them on every other response."""
    headers = {**(extra_headers or {}), **{k.decode(): v.decode() for k, v in SECURITY_HEADERS}}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "suggestions": [s.label for s in suggestions]},
                            status_code=status, headers=headers)
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "error.html.j2",
        {"status": status, "title": title or _TITLES.get(status, "Error"), "message": message,
         "suggestions": suggestions},
        status_code=status, headers=headers)


async def handle(request: Request, exc: Exception) -> Response:
    """The response for any error: the one exception handler of the app."""
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    suggestions: list[Suggestion] = []
    if isinstance(exc, NotCovered):
        ol: Offlabel = request.app.state.offlabel
        params = request.query_params
        suggestions = suggest(ol, request.url.path, params.getlist("drug"),
                              params.get("condition"), exc)
    # A 405 keeps its Allow header, a 401 its WWW-Authenticate.
    extra = exc.headers if isinstance(exc, StarletteHTTPException) else None
    return error_response(request, status, message_for(exc), suggestions,
                          title_for(exc, status), extra)


def install(web: FastAPI) -> None:
    for kind in (OfflabelError, RequestValidationError, StarletteHTTPException, Exception):
        web.add_exception_handler(kind, handle)


_QUOTED = re.compile(r"'([^']+)'")


def suggest(ol: Offlabel, path: str, drugs: list[str], condition: str | None,
            exc: NotCovered) -> list[Suggestion]:
    """Links to the questions the person probably meant: the nearest drug names (as
    resolve_question names them in its "did you mean"), the nearest conditions
    (vocabulary.nearest_conditions), or the conditions covered for a drug asked about
    something it has no evidence on."""
    from offlabel.appraise import covered_conditions
    from offlabel.vocabulary import known_conditions, nearest_conditions, resolve_condition

    base = ol.base()
    compare = path in ("/compare", "/api/compare")
    condition = condition.strip() if condition else None

    def href(drug_list: list[str], cond: str | None) -> str:
        if compare or not drug_list:
            return "/compare?" + urlencode(([("condition", cond)] if cond else [])
                                           + [("drug", d) for d in drug_list])
        return "/ask?" + urlencode([("drug", drug_list[0])]
                                   + ([("condition", cond)] if cond else []))

    unknown = next((d for d in drugs if base.find_drug(d) is None), None)
    if unknown is not None:
        text = str(exc)
        said = text.split("did you mean", 1)[1] if "did you mean" in text else ""
        names = _QUOTED.findall(said.split("?", 1)[0]) or sorted(
            d.name for d in base.drugs.values())
        return [Suggestion(n, href([n if d == unknown else d for d in drugs], condition))
                for n in names]
    if condition and resolve_condition(condition) is None:
        names = nearest_conditions(condition) or known_conditions()
        return [Suggestion(n, href(drugs, n)) for n in names]
    if drugs and not compare:
        profile = base.find_drug(drugs[0])
        if profile is not None:
            return [Suggestion(f"{profile.name} for {c.name}", href([profile.id], c.name))
                    for c in covered_conditions(base.studies_for(profile.id))]
    return []
