"""Invalid input as HTTP 422: one entry per problem, each naming its field."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from secondline._errors import CaseError
from secondline._parse import field_path


class Problem(BaseModel):
    #: the field as written in the case, e.g. ``treatments[1].ended``; ``body`` for the
    #: request as a whole
    field: str
    message: str


class Problems(BaseModel):
    detail: list[Problem]


def split_problem(line: str) -> Problem:
    """``"treatments[1].ended: the end date is ..."`` -> field and message."""
    field, sep, message = line.partition(": ")
    return Problem(field=field, message=message) if sep else Problem(field="body", message=line)


def problems_response(lines: Iterable[str], status: int = 422) -> JSONResponse:
    body = Problems(detail=[split_problem(line) for line in lines])
    return JSONResponse(body.model_dump(), status_code=status)


async def case_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CaseError)
    return problems_response(exc.problems)


async def request_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own checks (query parameters) in the same shape as case problems."""
    assert isinstance(exc, RequestValidationError)
    return problems_response(
        f"{field_path(error['loc'])}: {error['msg']}" for error in exc.errors()
    )


async def too_large_handler(request: Request, exc: Exception) -> JSONResponse:
    return problems_response([f"body: {getattr(exc, 'detail', 'too large')}"], status=413)
