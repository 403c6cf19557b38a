"""Users, API tokens and sign-in sessions.

Passwords are hashed with Argon2id (argon2-cffi). An API token and a session id are
random (256 bits) and only their SHA-256 is kept, so a copy of the database lets no
one in. The secret that signs session cookies is ``SECONDLINE_SECRET_KEY`` if set, else
one made at random and kept in the store (so every worker process shares it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from secondline._store.core import ROLES, Actor, Role, audit, line, now, utc
from secondline._store.db import Database
from secondline._store.errors import InvalidInput, NotFound
from secondline._store.tables import api_tokens, sessions, settings, users

SECRET_ENV = "SECONDLINE_SECRET_KEY"
SESSION_HOURS = 12
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_hasher = PasswordHasher()
#: a hash to check against when the user does not exist, so the answer takes as long
_NOBODY = _hasher.hash(secrets.token_hex(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_username(name: str, field: str = "username") -> str:
    value = name.strip().lower() if isinstance(name, str) else ""
    if not _USERNAME.fullmatch(value):
        raise InvalidInput([f"{field}: 1 to 64 lower-case letters, digits, '.', '_' or "
                            "'-', starting with a letter or digit"])
    return value


def check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput([f"password: {MIN_PASSWORD} to {MAX_PASSWORD} characters"])


def add_user(db: Database, actor: Actor, username: str, password: str, role: str) -> None:
    name = check_username(username)
    check_password(password)
    if role not in ROLES:
        raise InvalidInput([f"role: one of {', '.join(ROLES)}"])
    hashed = _hasher.hash(password)

    def work(connection: Connection) -> None:
        taken = connection.execute(sa.select(users.c.id).where(users.c.username == name))
        if taken.first() is not None:
            raise InvalidInput([f"username: {name} is taken"])
        connection.execute(sa.insert(users).values(
            username=name, password_hash=hashed, role=role, created_at=now()))
        audit(connection, actor, "user.add", name, role=role)

    db.write(work)


def _user(connection: Connection, username: str) -> sa.Row[Any]:
    row = connection.execute(sa.select(users).where(
        users.c.username == check_username(username, "user"))).first()
    if row is None:
        raise NotFound([f"user: no user {username.strip().lower()[:64]!r}"])
    return row


def actor_of(row: sa.Row[Any]) -> Actor:
    role: Role = row.role
    return Actor(row.username, role, row.id)


def find_actor(db: Database, username: str) -> Actor:
    with db.read() as connection:
        return actor_of(_user(connection, username))


def issue_token(db: Database, actor: Actor, username: str, label: str = "api") -> str:
    """A new API token for a user: returned once, only its hash kept."""
    token = "sl_" + secrets.token_urlsafe(32)
    label = line(label, "label", 100)

    def work(connection: Connection) -> None:
        row = _user(connection, username)
        connection.execute(sa.insert(api_tokens).values(
            user_id=row.id, token_hash=digest(token), label=label, created_at=now()))
        audit(connection, actor, "token.issue", row.username, label=label)

    db.write(work)
    return token


def token_actor(db: Database, token: str) -> Actor | None:
    if not token.startswith("sl_") or len(token) > 100:
        return None
    with db.read() as connection:
        row = connection.execute(sa.select(users).join(
            api_tokens, api_tokens.c.user_id == users.c.id).where(
            api_tokens.c.token_hash == digest(token))).first()
    return None if row is None else actor_of(row)


def sign_in(db: Database, username: str, password: str) -> tuple[str, Actor] | None:
    """Check a password; on success open a session and return its id (for the cookie)
    and the user. The same work is done whether or not the user exists."""
    try:
        name = check_username(username)
    except InvalidInput:
        name = ""
    with db.read() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == name)).first()
    try:
        _hasher.verify(row.password_hash if row else _NOBODY, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        row = None
    if row is None:
        db.write(lambda c: audit(c, Actor("anonymous", "viewer"), "sign-in.refused",
                                 name or "?"))
        return None
    session_id = secrets.token_urlsafe(32)
    actor = actor_of(row)

    def work(connection: Connection) -> None:
        connection.execute(sa.insert(sessions).values(
            id_hash=digest(session_id), user_id=row.id, csrf_token=secrets.token_urlsafe(32),
            created_at=now(), expires_at=now() + dt.timedelta(hours=SESSION_HOURS)))
        audit(connection, actor, "sign-in", actor.name)

    db.write(work)
    return session_id, actor


def session_actor(db: Database, session_id: str) -> tuple[Actor, str] | None:
    """The user of a live session and its CSRF token."""
    with db.read() as connection:
        row = connection.execute(
            sa.select(users, sessions.c.csrf_token, sessions.c.expires_at)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id_hash == digest(session_id))).first()
    if row is None or utc(row.expires_at) <= now():
        return None
    return actor_of(row), row.csrf_token


def sign_out(db: Database, session_id: str, actor: Actor) -> None:
    def work(connection: Connection) -> None:
        connection.execute(sa.delete(sessions).where(
            sessions.c.id_hash == digest(session_id)))
        connection.execute(sa.delete(sessions).where(sessions.c.expires_at <= now()))
        audit(connection, actor, "sign-out", actor.name)

    db.write(work)


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def session_secret(db: Database) -> str:
    """The key that signs session cookies: the environment's, else the store's own."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return given
    with db.read() as connection:
        found = connection.execute(sa.select(settings.c.value).where(
            settings.c.name == "session_secret")).scalar_one_or_none()
    if found is not None:
        return str(found)

    def work(connection: Connection) -> str:
        existing = connection.execute(sa.select(settings.c.value).where(
            settings.c.name == "session_secret")).scalar_one_or_none()
        if existing is not None:  # another worker made it meanwhile
            return str(existing)
        value = secrets.token_urlsafe(48)
        connection.execute(sa.insert(settings).values(name="session_secret", value=value))
        return value

    return db.write(work)
