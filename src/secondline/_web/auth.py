"""Who is asking: a signed-in session (pages) or an API token (``Authorization: Bearer``).

Every route that reads or writes the store depends on ``signed_in`` (API) or
``page_user`` (pages). Without a credential the answer is 401 (API) or a redirect to
the sign-in page, before the store is touched. The session cookie is signed
(itsdangerous), HttpOnly and SameSite=Lax, and Secure when the request came over TLS or
``SECONDLINE_SECURE_COOKIES=1``; it carries a random session id whose hash the store
keeps beside the session's CSRF token. Forms carry that token; an API call made with
the cookie (not a token) sends it as ``X-CSRF-Token`` for anything that writes.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, TimestampSigner

from secondline._store import Actor, Database
from secondline._store.users import SESSION_HOURS, same, session_actor, session_secret, token_actor

COOKIE = "secondline_session"
LOGIN_COOKIE = "secondline_login_csrf"
SECURE_ENV = "SECONDLINE_SECURE_COOKIES"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SignInNeeded(Exception):
    """No valid session or token: 401 for the API, the sign-in page for a page."""


class CsrfFailed(Exception):
    """A form or cookie-authenticated call that writes came without the right token."""


@dataclass(frozen=True)
class Signed:
    actor: Actor
    #: the session's CSRF token; None for an API token (which needs none)
    csrf: str | None
    session_id: str | None = None


def store(request: Request) -> Database:
    database: Database = request.app.state.store
    return database


def _signer(database: Database, request: Request) -> TimestampSigner:
    secret = getattr(request.app.state, "session_secret", None)
    if secret is None:
        secret = request.app.state.session_secret = session_secret(database)
    return TimestampSigner(secret, salt="secondline-session")


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def identify(request: Request) -> Signed:
    """The user behind the request, or SignInNeeded. No credential: nothing is read."""
    database = store(request)
    token = _bearer(request)
    if token is not None:
        actor = token_actor(database, token)
        if actor is None:
            raise SignInNeeded
        return Signed(actor, None)
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 200:
        raise SignInNeeded
    try:
        session_id = _signer(database, request).unsign(
            cookie, max_age=SESSION_HOURS * 3600).decode()
    except BadSignature:
        raise SignInNeeded from None
    found = session_actor(database, session_id)
    if found is None:
        raise SignInNeeded
    return Signed(found[0], found[1], session_id)


def signed_in(request: Request) -> Signed:
    """For the API: a token, or a session (with ``X-CSRF-Token`` when it writes)."""
    who = identify(request)
    if who.csrf is not None and request.method not in SAFE_METHODS:
        given = request.headers.get("x-csrf-token", "")
        if not same(given, who.csrf):
            raise CsrfFailed
    return who


def page_user(request: Request) -> Signed:
    """For the pages: a session only (an API token is for programs)."""
    if _bearer(request) is not None:
        raise SignInNeeded
    return identify(request)


def check_csrf(who: Signed, given: object) -> None:
    if who.csrf is None or not isinstance(given, str) or not same(given, who.csrf):
        raise CsrfFailed


def session_cookie(request: Request, session_id: str) -> str:
    return _signer(store(request), request).sign(session_id).decode()


def secure(request: Request) -> bool:
    return os.environ.get(SECURE_ENV) == "1" or request.url.scheme == "https"


def login_token() -> str:
    return secrets.token_urlsafe(32)


ApiUser = Annotated[Signed, Depends(signed_in)]
PageUser = Annotated[Signed, Depends(page_user)]
