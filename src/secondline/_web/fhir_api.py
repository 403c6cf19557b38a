"""``POST /fhir/PlanDefinition/secondline/$apply``: the plan as a FHIR RequestGroup Bundle.

Thin: the body is read as the rest of the API reads it (1 MiB at most, strict JSON), and
``secondline._fhir.apply`` does the rest. Problems answer 422 with an OperationOutcome,
one issue per problem, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from secondline._errors import CaseError
from secondline._fhir.apply import ApplyError, apply, operation_outcome
from secondline._web.api import GUIDANCE, SMALL_BODY, Guidance
from secondline._web.body import JSON_TYPES, decode, read_body
from secondline._web.problems import Problems

router = APIRouter(prefix="/fhir", tags=["FHIR"])
FHIR_JSON = "application/fhir+json"

OUTCOME: dict[str, Any] = {
    "title": "OperationOutcome", "type": "object",
    "description": "A FHIR R4 OperationOutcome: one issue per problem, `expression` the "
    "field's FHIRPath, `diagnostics` the message",
    "properties": {"resourceType": {"type": "string", "enum": ["OperationOutcome"]},
                   "issue": {"type": "array", "items": {"type": "object"}}}}
_BODY = {"type": "object", "description": "A FHIR R4 Parameters resource with the record "
         "as parameter `data` (a Bundle) and optionally `guidance` (valueCode `current`); "
         "or the Bundle itself",
         "properties": {"resourceType": {"type": "string", "enum": ["Parameters", "Bundle"]}},
         "required": ["resourceType"]}
APPLY_DOC: dict[str, Any] = {
    "requestBody": {"required": True, "content": {
        FHIR_JSON: {"schema": _BODY}, "application/json": {"schema": _BODY}}},
}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A FHIR R4 collection Bundle (transient, not stored): the "
          "RequestGroup (intent proposal) with one action group per plan step, the options "
          "not suggested as doNotPerform requests, DetectedIssues for cautions and cited "
          "pages past their review date",
          "content": {FHIR_JSON: {"schema": {"type": "object"}}}},
    413: {"model": Problems, "description": "Body larger than 1 MiB"},
    415: {"description": "Not sent as application/fhir+json or application/json",
          "content": {FHIR_JSON: {"schema": OUTCOME}}},
    422: {"description": "Invalid input: an OperationOutcome naming every problem",
          "content": {FHIR_JSON: {"schema": OUTCOME}}},
}


def _fhir(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status,
                    media_type=FHIR_JSON)


@router.post("/PlanDefinition/secondline/$apply", summary="Apply secondline's rule base to "
             "a FHIR record: the options as a CPG RequestGroup", openapi_extra=APPLY_DOC,
             responses=_ANSWERS, response_class=Response)
async def apply_plan(request: Request, guidance: Guidance = GUIDANCE) -> Response:
    raw, content_type = await read_body(request)
    if content_type.split(";", 1)[0].strip().lower() not in JSON_TYPES:
        return _fhir(operation_outcome(["body: send the Parameters (or Bundle) as "
                                        f"{FHIR_JSON} or application/json"],
                                       code="not-supported"), 415)
    if len(raw) <= SMALL_BODY:
        return _answer(raw, content_type, guidance)
    return await run_in_threadpool(_answer, raw, content_type, guidance)


def _answer(raw: bytes, content_type: str, guidance: Guidance) -> Response:
    try:
        data = decode(raw, content_type)
    except CaseError as exc:
        return _fhir(operation_outcome(exc.problems, code="structure"), 422)
    try:
        return _fhir(apply(data, guidance))
    except ApplyError as exc:
        return _fhir(exc.outcome, 422)
