"""The store's pages: sign-in, meetings (the list, the decision forms, the printed pack)
and cases (versions, assessments over time, decisions).

Server-rendered, usable without JavaScript. Every form carries the session's CSRF
token; every page needs a signed-in user (``auth.page_user``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from secondline import _store as store
from secondline._errors import CaseError
from secondline._store.cases import case_choices
from secondline._store.users import sign_in, sign_out
from secondline._web import store_view
from secondline._web.auth import (
    COOKIE,
    LOGIN_COOKIE,
    PageUser,
    Signed,
    check_csrf,
    login_token,
    secure,
    session_cookie,
)
from secondline._web.body import decode
from secondline._web.view import templates

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 1024 * 1024


def render(request: Request, name: str, context: dict[str, Any], who: Signed | None = None,
           status: int = 200) -> HTMLResponse:
    page = {"who": who, "csrf": who.csrf if who else None, **context}
    return templates.TemplateResponse(request, name, page, status_code=status)


def _next(target: str | None) -> str:
    """Only a path on this site: never ``//elsewhere`` or a full address."""
    if target and target.startswith("/") and not target.startswith("//") and (
            "\\" not in target):
        return target
    return "/meetings"


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE) or login_token()
    page = render(request, "store_login.html", {"next": _next(next), "login_csrf": token})
    page.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                    secure=secure(request), path="/login")
    return page


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    given, expected = form.get("csrf"), request.cookies.get(LOGIN_COOKIE)
    target = _next(str(form.get("next", "")))
    if not isinstance(given, str) or not expected or given != expected:
        return render(request, "store_message.html", {
            "title": "Sign-in form expired",
            "message": "The sign-in form was not the one this browser was given. Open the "
                       "sign-in page again and retry."}, status=403)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    database = request.app.state.store
    opened = await run_in_threadpool(sign_in, database, username, password)
    if opened is None:
        return render(request, "store_login.html", {
            "next": target, "login_csrf": expected, "username": username[:64],
            "problem": "That user name and password do not match a user of this store."},
            status=401)
    page = _see(target)
    page.set_cookie(COOKIE, session_cookie(request, opened[0]), httponly=True,
                    samesite="lax", secure=secure(request), path="/")
    page.delete_cookie(LOGIN_COOKIE, path="/login")
    return page


@router.post("/logout")
async def logout(request: Request, who: PageUser) -> Response:
    form = await request.form()
    check_csrf(who, form.get("csrf"))
    assert who.session_id is not None
    await run_in_threadpool(sign_out, request.app.state.store, who.session_id, who.actor)
    page = _see("/login")
    page.delete_cookie(COOKIE, path="/")
    return page


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, who: PageUser) -> HTMLResponse:
    rows = store.list_meetings(request.app.state.store, who.actor)
    return render(request, "store_meetings.html", {"meetings": rows,
                                                   "today": dt.date.today()}, who)


@router.post("/meetings", response_class=HTMLResponse)
async def create_meeting(request: Request, who: PageUser) -> Response:
    form = await request.form()
    check_csrf(who, form.get("csrf"))
    try:
        date = dt.date.fromisoformat(str(form.get("date", "")))
    except ValueError:
        raise store.InvalidInput(["date: not a date (YYYY-MM-DD)"]) from None
    attendees = []
    for i, text in enumerate(str(form.get("attendees", "")).splitlines()[:51]):
        role, sep, name = text.partition(":")
        if text.strip() and not sep:
            raise store.InvalidInput([f"attendees[{i}]: write role: name"])
        if text.strip():
            attendees.append((role, name))
    ref = await run_in_threadpool(store.new_meeting, request.app.state.store, who.actor,
                                  date, str(form.get("name", "")), attendees)
    return _see(f"/meetings/{ref}")


def meeting_response(request: Request, who: Signed, ref: str,
                     problems: dict[str, list[str]] | None = None,
                     typed: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    database = request.app.state.store
    detail = store.show_meeting(database, who.actor, ref)
    listed = {case["ref"] for case in detail["cases"]}
    choices = [c for c in case_choices(database) if c["ref"] not in listed]
    context = store_view.meeting_context(detail, problems or {}, typed or {})
    return render(request, "store_meeting.html", {**context, "choices": choices}, who,
                  status)


@router.get("/meetings/{ref}", response_class=HTMLResponse)
def meeting_page(request: Request, who: PageUser, ref: str) -> HTMLResponse:
    return meeting_response(request, who, ref)


@router.post("/meetings/{ref}/cases", response_class=HTMLResponse)
async def add_to_meeting(request: Request, who: PageUser, ref: str) -> Response:
    form = await request.form()
    check_csrf(who, form.get("csrf"))
    refs = [str(v) for v in form.getlist("cases")]
    refs += str(form.get("refs", "")).replace(",", " ").split()
    try:
        await run_in_threadpool(store.add_cases, request.app.state.store, who.actor, ref,
                                refs)
    except store.InvalidInput as exc:
        return await run_in_threadpool(meeting_response, request, who, ref,
                                       {"add": exc.problems}, None, 422)
    return _see(f"/meetings/{ref.strip().upper()}")


@router.post("/meetings/{ref}/decisions", response_class=HTMLResponse)
async def record_decision(request: Request, who: PageUser, ref: str) -> Response:
    form = await request.form()
    check_csrf(who, form.get("csrf"))
    case, other, reason, text = (str(form.get(name, ""))
                                 for name in ("case", "other", "reason", "note"))
    options = [str(v) for v in form.getlist("options")]
    typed = {"case": case, "options": options, "other": other, "reason": reason,
             "note": text}
    try:
        await run_in_threadpool(
            store.decide, request.app.state.store, who.actor, case, ref, options,
            [other] if other.strip() else [], reason or None, text)
    except store.InvalidInput as exc:
        return await run_in_threadpool(meeting_response, request, who, ref,
                                       {case.strip().upper(): exc.problems}, typed, 422)
    return _see(f"/meetings/{ref.strip().upper()}#case-{quote(case.strip().upper())}")


@router.get("/meetings/{ref}/pack", response_class=HTMLResponse)
def meeting_pack(request: Request, who: PageUser, ref: str) -> HTMLResponse:
    detail = store.show_meeting(request.app.state.store, who.actor, ref)
    return render(request, "store_pack.html",
                  store_view.meeting_context(detail, {}, {}), who)


@router.get("/cases", response_class=HTMLResponse)
def cases_page(request: Request, who: PageUser) -> HTMLResponse:
    rows = store.list_cases(request.app.state.store, who.actor)
    return render(request, "store_cases.html", {"cases": rows}, who)


@router.post("/cases", response_class=HTMLResponse)
async def upload_case(request: Request, who: PageUser) -> Response:
    form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_UPLOAD)
    check_csrf(who, form.get("csrf"))
    upload = form.get("file")
    raw = await upload.read(MAX_UPLOAD + 1) if isinstance(upload, UploadFile) else b""

    def work() -> str:
        try:
            from secondline._parse import parse_case

            return store.add_case(request.app.state.store, who.actor,
                                  parse_case(decode(raw, "application/yaml")))
        except CaseError as exc:
            raise store.InvalidInput(exc.problems) from None

    try:
        case_ref = await run_in_threadpool(work)
    except store.InvalidInput as exc:
        rows = await run_in_threadpool(store.list_cases, request.app.state.store, who.actor)
        return render(request, "store_cases.html", {"cases": rows, "problems": exc.problems},
                      who, 422)
    return _see(f"/cases/{case_ref}")


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_page(request: Request, who: PageUser, ref: str) -> HTMLResponse:
    detail = store.show_case(request.app.state.store, who.actor, ref)
    return render(request, "store_case.html", store_view.case_context(detail), who)
