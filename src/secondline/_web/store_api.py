"""The case store's JSON API: ``/api/cases``, ``/api/meetings``, ``/api/decisions``.

Thin routes over ``secondline._store``; every one needs a signed-in user (an API token
as ``Authorization: Bearer``, or the session cookie with ``X-CSRF-Token`` to write).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from secondline import _store as store
from secondline._web.api import CASE_BODY
from secondline._web.auth import COOKIE, ApiUser
from secondline._web.body import case_from_body, read_body
from secondline._web.problems import Problems

# declared for the OpenAPI document; ``auth.signed_in`` does the checking
_DOCUMENTED = [
    Depends(HTTPBearer(auto_error=False, scheme_name="token",
                       description="An API token from `secondline users token USER`")),
    Depends(APIKeyCookie(name=COOKIE, auto_error=False, scheme_name="session",
                         description="The session cookie of the web pages; writes also "
                         "need the X-CSRF-Token header")),
]


def _answer(description: str) -> dict[str, Any]:
    return {"model": Problems, "description": description}


ANSWERS: dict[int | str, dict[str, Any]] = {
    401: _answer("No valid session or API token"),
    403: _answer("The user's role does not allow it, or the CSRF token is missing"),
    404: _answer("No case or meeting by that reference"),
    422: _answer("Invalid input: one entry per problem, naming the field"),
    503: _answer("The store is not set up: run `secondline db upgrade`"),
}
router = APIRouter(prefix="/api", dependencies=_DOCUMENTED, responses=ANSWERS,
                   tags=["store"])


class Stored(BaseModel):
    ref: str
    version: int


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(max_length=80)
    name: str = Field(max_length=200)


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    name: str = Field(max_length=200)
    attendees: list[Attendee] = Field(default_factory=list, max_length=50)


class MeetingRef(BaseModel):
    ref: str


class CasesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[Annotated[str, Field(max_length=40)]] = Field(max_length=50)


class Added(BaseModel):
    added: list[str]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: str = Field(max_length=40, description="the case's reference (C-…)")
    meeting: str = Field(max_length=40, description="the meeting's reference (M-…)")
    options: list[Annotated[str, Field(max_length=80)]] = Field(
        default_factory=list, max_length=10, description="option ids from the assessment")
    other: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=10, description="choices in the team's own words")
    reason: str | None = Field(None, max_length=80, description="override reason code, "
                               "when the choice departs from the suggested options")
    note: str | None = Field(None, max_length=2000)


@router.get("/cases", summary="Every stored case, with its latest decision")
def cases(who: ApiUser, request: Request) -> list[dict[str, Any]]:
    return store.list_cases(request.app.state.store, who.actor)


@router.post("/cases", summary="Store a case (version 1) and its assessment",
             status_code=201, openapi_extra=CASE_BODY, response_model=Stored)
async def add_case(who: ApiUser, request: Request) -> Stored:
    raw, content_type = await read_body(request)

    def work() -> Stored:
        case = case_from_body(raw, content_type)
        return Stored(ref=store.add_case(request.app.state.store, who.actor, case), version=1)

    return await run_in_threadpool(work)


@router.get("/cases/{ref}", summary="A case: its versions, assessments and decisions")
def case(who: ApiUser, request: Request, ref: str) -> dict[str, Any]:
    return store.show_case(request.app.state.store, who.actor, ref)


@router.post("/cases/{ref}/versions", summary="Store a new version of a case",
             status_code=201, openapi_extra=CASE_BODY, response_model=Stored)
async def edit_case(who: ApiUser, request: Request, ref: str) -> Stored:
    raw, content_type = await read_body(request)

    def work() -> Stored:
        case = case_from_body(raw, content_type)
        version = store.edit_case(request.app.state.store, who.actor, ref, case)
        return Stored(ref=ref.strip().upper(), version=version)

    return await run_in_threadpool(work)


@router.get("/meetings", summary="Every meeting")
def meetings(who: ApiUser, request: Request) -> list[dict[str, Any]]:
    return store.list_meetings(request.app.state.store, who.actor)


@router.post("/meetings", summary="Create a meeting", status_code=201,
             response_model=MeetingRef)
def new_meeting(who: ApiUser, request: Request, body: MeetingIn) -> MeetingRef:
    ref = store.new_meeting(request.app.state.store, who.actor, body.date, body.name,
                            [(a.role, a.name) for a in body.attendees])
    return MeetingRef(ref=ref)


@router.get("/meetings/{ref}", summary="A meeting: attendees, and each case on the list "
            "with its latest assessment and the decisions recorded")
def meeting(who: ApiUser, request: Request, ref: str) -> dict[str, Any]:
    return store.show_meeting(request.app.state.store, who.actor, ref)


@router.post("/meetings/{ref}/cases", summary="Put cases on a meeting's list",
             response_model=Added)
def add_cases(who: ApiUser, request: Request, ref: str, body: CasesIn) -> Added:
    return Added(added=store.add_cases(request.app.state.store, who.actor, ref, body.cases))


@router.post("/decisions", summary="Record the team's decision for a case at a meeting",
             status_code=201)
def decide(who: ApiUser, request: Request, body: DecisionIn) -> dict[str, Any]:
    return store.decide(request.app.state.store, who.actor, body.case, body.meeting,
                        body.options, body.other, body.reason, body.note)


@router.get("/decisions", summary="Every decision, one row each, with the suggested "
            "options beside it (JSON, or CSV for audit)",
            responses={200: {"content": {"application/json": {}, "text/csv": {}}}})
def decisions(
    who: ApiUser, request: Request,
    fmt: Literal["json", "csv"] = Query("json", alias="format", description="json or csv"),
) -> Response:
    rows = store.export_rows(request.app.state.store, who.actor)
    if fmt == "csv":
        return Response(store.export_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition":
                                 'attachment; filename="secondline-decisions.csv"'})
    return JSONResponse(rows)


@router.get("/override-reasons", summary="The reasons a decision may give for departing "
            "from the suggested options (Codings, as CDS Hooks' overrideReasons)",
            response_model=list[store.Coding])
def reasons(who: ApiUser) -> list[store.Coding]:
    return list(store.override_reasons())
