"""The JSON API: thin routes over the engine; no knowledge of their own."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from secondline import __version__
from secondline._assessment import SourceOut, assessment_json
from secondline._case import Case
from secondline._engine import assess
from secondline._fhir.output import with_input
from secondline._knowledge import load_knowledge
from secondline._parse import assessment_json_schema, case_json_schema
from secondline._sources import judged_sources
from secondline._web.body import case_from_body, read_body, reading_from_body
from secondline._web.guard import Busy, busy_response, render_slot
from secondline._web.problems import Problems

router = APIRouter(prefix="/api")
Guidance = Literal["current"] | None
GUIDANCE: Any = Query(
    None, description="current: add the dated layer of guidance newer than the pages "
    "(NICE, NHS England, CADTH), under `guidance`; left out, the answer is the pages' alone",
)
health = APIRouter()
#: bodies up to this size are assessed on the event loop: the case limits bound their
#: work to a few milliseconds (bench/serve.py); larger ones go to a worker thread
SMALL_BODY = 16 * 1024

CASE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A case as in the contract, section 1, as JSON (or YAML, sent with "
        "any other content type), or a FHIR R4 Bundle (collection, searchset or "
        "transaction) as JSON: any JSON object with a resourceType is read as FHIR.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Case"}},
            "application/fhir+json": {"schema": {
                "type": "object", "description": "A FHIR R4 Bundle",
                "properties": {"resourceType": {"type": "string", "enum": ["Bundle"]}},
                "required": ["resourceType"]}},
        },
    }
}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Problems, "description": "Invalid case: one entry per problem, naming "
          "the field"},
    413: {"model": Problems, "description": "Body larger than 1 MiB"},
    408: {"model": Problems, "description": "The body arrived too slowly"},
}


@router.post(
    "/assess",
    summary="Assess a case",
    openapi_extra=CASE_BODY,
    responses={200: {"description": "The assessment (contract section 3); for a FHIR "
                     "Bundle it also holds `input`: where each fact came from and what "
                     "was not read, and why", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Assessment"}}}},
        **_INVALID},
)
async def assess_case(request: Request, guidance: Guidance = GUIDANCE) -> Response:
    raw, content_type = await read_body(request)
    if len(raw) <= SMALL_BODY:
        # a typical case: well under a millisecond of work, less than a thread hand-off
        return _assessment_response(raw, content_type, guidance)
    # a large one is CPU work that could stall the other requests (health checks
    # included): off the event loop
    return await run_in_threadpool(_assessment_response, raw, content_type, guidance)


def _assessment_response(raw: bytes, content_type: str, guidance: Guidance) -> Response:
    case, reading = reading_from_body(raw, content_type)
    result = assess(case, guidance=guidance)
    if reading is not None:
        result = with_input(result, reading)
    return Response(assessment_json(result), media_type="application/json")


@router.post(
    "/leaflet",
    summary="The patient leaflet for a case, as HTML or PDF",
    openapi_extra=CASE_BODY,
    responses={200: {"description": "The leaflet", "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **_INVALID,
        503: {"model": Problems, "description": "Every PDF rendering slot of the worker is "
              "busy; nothing is queued. Retry after the seconds the Retry-After header "
              "gives."}},
)
async def leaflet(
    request: Request,
    fmt: Literal["html", "pdf"] = Query("html", alias="format", description="html or pdf"),
    guidance: Guidance = GUIDANCE,
) -> Response:
    raw, content_type = await read_body(request)
    return await run_in_threadpool(
        lambda: leaflet_response(case_from_body(raw, content_type), fmt, guidance))


def leaflet_response(case: Case, fmt: str, guidance: Guidance = None) -> Response:
    """The leaflet as a download; rendering (WeasyPrint for PDF) is loaded on first use.

    A PDF takes one of the worker's few render slots; with none free the answer is 503
    with Retry-After at once, so a burst of PDFs never queues up memory and time.
    """
    from secondline._leaflet import leaflet_html, leaflet_pdf

    result = assess(case, guidance=guidance)
    name = f"secondline-leaflet.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "pdf":
        try:
            with render_slot():
                pdf = leaflet_pdf(case, result)
        except Busy:
            return busy_response()
        return Response(pdf, media_type="application/pdf", headers=headers)
    return Response(leaflet_html(case, result), media_type="text/html; charset=utf-8",
                    headers=headers)


@router.get("/schema", summary="The case format (or the assessment) as JSON Schema")
def schema(
    of: Literal["case", "assessment"] = Query("case", description="which schema"),
) -> dict[str, Any]:
    return case_json_schema() if of == "case" else assessment_json_schema()


@router.get("/sources", summary="The sources behind the knowledge, with review dates",
            response_model=list[SourceOut])
def sources() -> JSONResponse:
    rows = judged_sources(load_knowledge(), dt.date.today())
    return JSONResponse([row.model_dump(mode="json") for row in rows])


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    options: int
    sources: int


@health.get("/healthz", summary="Liveness, with the knowledge base loaded",
            response_model=Health)
async def healthz() -> Health:
    knowledge = load_knowledge()  # cached: no work, so no thread hand-off either
    return Health(status="ok", version=__version__, options=len(knowledge.options),
                  sources=len(knowledge.sources))
