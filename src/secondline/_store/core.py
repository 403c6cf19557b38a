"""What every part of the store shares: who acts, the clock, references, bounded text
and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from secondline._store.errors import Forbidden, InvalidInput
from secondline._store.tables import audit_events

Role = Literal["viewer", "clinician", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "clinician", "admin")
#: what each role may do beyond reading
MAY_WRITE: dict[Role, bool] = {"viewer": False, "clinician": True, "admin": True}

#: bounds on what one request may make the store keep
MAX_NAME = 200
MAX_NOTE = 2000
MAX_CHOICES = 10
MAX_FREE_TEXT = 200
MAX_CASES_PER_ADD = 50
MAX_CASES_PER_MEETING = 100
MAX_ATTENDEES = 50

#: Crockford's base32: no I, L, O or U, so a reference read aloud is not misheard
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REF = {prefix: re.compile(rf"{prefix}-[{_ALPHABET}]{{8}}") for prefix in ("C", "M")}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Actor:
    """Who acts: a store user (web, API or ``--user``), or the operating-system account
    that runs the command line."""

    name: str
    role: Role
    user_id: int | None = None

    def require_write(self, what: str) -> None:
        if not MAY_WRITE[self.role]:
            raise Forbidden([f"role: a {self.role} may read the store but not {what}"])


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """A stored time as UTC (SQLite gives it back without its zone)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def stamp(value: dt.datetime) -> str:
    return utc(value).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_ref(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def check_ref(text: str, prefix: str, field: str) -> str:
    """A case (``C-…``) or meeting (``M-…``) reference, upper-cased; InvalidInput if it
    cannot be one."""
    ref = text.strip().upper()
    if not _REF[prefix].fullmatch(ref):
        kind = "case" if prefix == "C" else "meeting"
        raise InvalidInput([f"{field}: {_shown(text)} is not a {kind} reference "
                            f"({prefix}- and 8 letters or digits)"])
    return ref


def _shown(text: str) -> str:
    short = _LINE_CONTROL.sub("?", text[:40])
    return repr(short + ("…" if len(text) > 40 else ""))


def line(text: Any, field: str, limit: int = MAX_NAME, *, required: bool = True) -> str:
    """One line of text, trimmed, within ``limit`` characters, with no control
    characters."""
    if not isinstance(text, str):
        raise InvalidInput([f"{field}: must be text"])
    value = text.strip()
    if required and not value:
        raise InvalidInput([f"{field}: must not be empty"])
    if len(value) > limit:
        raise InvalidInput([f"{field}: longer than {limit} characters"])
    if _LINE_CONTROL.search(value):
        raise InvalidInput([f"{field}: holds a control character"])
    return value


def note(text: Any, field: str = "note", limit: int = MAX_NOTE) -> str | None:
    """Free text over several lines; None when empty."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInput([f"{field}: must be text"])
    value = text.strip().replace("\r\n", "\n")
    if len(value) > limit:
        raise InvalidInput([f"{field}: longer than {limit} characters"])
    if _CONTROL.search(value):
        raise InvalidInput([f"{field}: holds a control character"])
    return value or None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit(connection: Connection, actor: Actor, action: str, target: str,
          **detail: Any) -> None:
    """One row of the audit trail, in the caller's transaction: it is kept exactly when
    what it records is. ``detail`` holds ids and codes, never case contents."""
    connection.execute(sa.insert(audit_events).values(
        at=now(), actor=actor.name, action=action, target=target, detail=dumps(detail)))


def audit_rows(connection: Connection, target: str | None = None,
               limit: int = 1000) -> list[dict[str, Any]]:
    query = sa.select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
    if target is not None:
        query = query.where(audit_events.c.target == target)
    return [{"id": r.id, "at": stamp(r.at), "actor": r.actor, "action": r.action,
             "target": r.target, "detail": json.loads(r.detail)}
            for r in connection.execute(query)]
