"""The store's errors as answers: JSON problems for the API, a page for the pages.

No answer says more than the problem lines, which name fields and references, never
case contents; an unauthenticated request learns nothing about the store.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from secondline._store import Forbidden, InvalidInput, NotFound, NotReady, StoreError
from secondline._web.auth import CsrfFailed, SignInNeeded
from secondline._web.problems import problems_response

STATUS = {InvalidInput: 422, NotFound: 404, Forbidden: 403, NotReady: 503}
TITLES = {422: "That cannot be stored", 404: "Not found", 403: "Not allowed",
          503: "The case store is not set up"}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _page(request: Request, status: int, problems: list[str]) -> Response:
    from secondline._web.store_pages import render

    return render(request, "store_message.html",
                  {"title": TITLES.get(status, "Problem"), "problems": problems},
                  status=status)


async def store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 422)
    if _is_api(request):
        return problems_response(exc.problems, status)
    return _page(request, status, exc.problems)


async def sign_in_needed(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        answer = problems_response(["authorization: sign in, or send an API token as "
                                    "'Authorization: Bearer TOKEN'"], 401)
        answer.headers["www-authenticate"] = "Bearer"
        return answer
    target = request.url.path if request.method == "GET" else "/meetings"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


async def csrf_failed(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return problems_response(["x-csrf-token: a call made with the session cookie that "
                                  "changes the store needs the session's CSRF token"], 403)
    return _page(request, 403, ["csrf: this form is out of date or did not come from "
                                "this site; open the page again and retry"])


async def unreadable_body(request: Request, exc: Exception) -> Response:
    """A JSON body that is not even text (FastAPI's 400) is invalid input like any
    other: 422, naming the body."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return problems_response(["body: not valid JSON (UTF-8 text)"], 422)
    return await http_exception_handler(request, exc)


def add_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, unreadable_body)
    app.add_exception_handler(StoreError, store_error)
    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(CsrfFailed, csrf_failed)
