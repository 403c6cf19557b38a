"""Reading a case from a request body: JSON or YAML, with the same checks as the CLI, or
a FHIR R4 Bundle (any JSON body whose object has a ``resourceType``)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from secondline._case import Case
from secondline._errors import CaseError
from secondline._fhir.output import Reading
from secondline._fhir.source import case_from_data, is_fhir
from secondline._parse import load_json, load_text, parse_case, with_lines

JSON_TYPES = ("application/json", "application/fhir+json")


def decode(raw: bytes, content_type: str) -> Any:
    """The body as data. JSON is read as JSON (fast); anything else as YAML."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError(["body: not UTF-8 text"]) from None
    if not text.strip():
        raise CaseError(["body: empty; send a case as JSON or YAML"])
    if _is_json(content_type):
        return load_json(text, "body")
    return load_text(text, "body")


async def read_body(request: Request) -> tuple[bytes, str]:
    """The request's body and content type (the size limit is the middleware's)."""
    return await request.body(), request.headers.get("content-type", "")


def case_from_body(raw: bytes, content_type: str) -> Case:
    """The case a body holds, or CaseError naming every problem (and its line, where the
    body is text that shows it). CPU work: call it off the event loop."""
    return reading_from_body(raw, content_type)[0]


def reading_from_body(raw: bytes, content_type: str) -> tuple[Case, Reading | None]:
    """The case a body holds and, for a FHIR Bundle, the record of its reading."""
    data = decode(raw, content_type)
    if is_fhir(data):
        if not _is_json(content_type):
            raise CaseError(["body: a FHIR resource is read as JSON only; send it as "
                             "application/fhir+json"])
        return case_from_data(data)
    try:
        return parse_case(data), None
    except CaseError as exc:
        raise CaseError(with_lines(exc.problems, raw.decode("utf-8"), "body")) from None


def _is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in JSON_TYPES
