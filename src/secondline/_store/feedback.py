"""CDS Hooks feedback: what a clinician did with a card, kept in the audit trail.

Each feedback item is one audit row, ``action: cds-feedback``, its target the card's
uuid, attributed to the EHR that sent it (``cds-client:<issuer>``, or
``cds-client:loopback``). Its detail holds the service, the outcome, the suggestions
accepted, the override reason as a Coding (whether the card offered it) and the user's
comment, and the card's topic when this process made the card. All items of one call
are one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from secondline._store.core import Actor, audit, note
from secondline._store.db import Database
from secondline._store.reasons import override_reasons

#: the audit trail's actor column holds 80 characters
_ACTOR = 80


@dataclass(frozen=True)
class FeedbackEntry:
    card: str
    outcome: str
    outcome_timestamp: dt.datetime
    accepted_suggestions: list[str] = field(default_factory=list)
    #: the override reason as a Coding: system, code, display (any may be None)
    reason: dict[str, str | None] | None = None
    comment: str | None = None
    #: what the card was about (its source.topic), when known
    topic: dict[str, str | None] | None = None


def record_feedback(db: Database, client: str, service: str,
                    entries: list[FeedbackEntry]) -> int:
    """Keep every entry, or none; the number kept."""
    actor = Actor(client[:_ACTOR], "viewer")
    offered = {(r.system, r.code) for r in override_reasons()}

    def work(connection: Any) -> int:
        for entry in entries:
            detail: dict[str, Any] = {
                "service": service, "outcome": entry.outcome,
                "outcome_timestamp": entry.outcome_timestamp.isoformat(),
            }
            if len(client) > _ACTOR:
                detail["client"] = client
            if entry.accepted_suggestions:
                detail["accepted_suggestions"] = entry.accepted_suggestions
            if entry.reason is not None:
                detail["override_reason"] = {
                    **entry.reason,
                    "offered": (entry.reason.get("system"), entry.reason.get("code"))
                    in offered}
            comment = note(entry.comment, "overrideReason.userComment")
            if comment:
                detail["user_comment"] = comment
            if entry.topic is not None:
                detail["topic"] = entry.topic
            audit(connection, actor, "cds-feedback", entry.card, **detail)
        return len(entries)

    return db.write(work)
