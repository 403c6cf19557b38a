"""MDT meetings: a date, a name, the attendees by role, and the cases on the list."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from secondline._store.cases import assess_at, case_row, decision_out
from secondline._store.core import (
    MAX_ATTENDEES,
    MAX_CASES_PER_ADD,
    MAX_CASES_PER_MEETING,
    Actor,
    audit,
    check_ref,
    line,
    new_ref,
    now,
    stamp,
)
from secondline._store.db import Database
from secondline._store.errors import InvalidInput, NotFound
from secondline._store.tables import (
    assessments,
    case_versions,
    cases,
    decisions,
    meeting_attendees,
    meeting_cases,
    meetings,
)


def new_meeting(db: Database, actor: Actor, date: dt.date, name: str,
                attendees: list[tuple[str, str]] | None = None) -> str:
    """Create a meeting; return its reference (``M-…``)."""
    actor.require_write("create meetings")
    name = line(name, "name")
    if not dt.date(1900, 1, 1) <= date <= dt.date(2999, 12, 31):
        raise InvalidInput(["date: must lie between 1900-01-01 and 2999-12-31"])
    people = attendees or []
    if len(people) > MAX_ATTENDEES:
        raise InvalidInput([f"attendees: more than {MAX_ATTENDEES}"])
    people = [(line(role, f"attendees[{i}].role", 80), line(who, f"attendees[{i}].name"))
              for i, (role, who) in enumerate(people)]

    def work(connection: Connection) -> str:
        ref = new_ref("M")
        meeting_id = connection.execute(sa.insert(meetings).values(
            ref=ref, date=date, name=name, created_at=now(), created_by=actor.name,
        ).returning(meetings.c.id)).scalar_one()
        if people:
            connection.execute(sa.insert(meeting_attendees), [
                {"meeting_id": meeting_id, "role": role, "name": who}
                for role, who in people])
        audit(connection, actor, "meeting.new", ref, attendees=len(people))
        return ref

    return db.write(work)


def meeting_row(connection: Connection, ref: str, field: str = "meeting") -> sa.Row[Any]:
    ref = check_ref(ref, "M", field)
    row = connection.execute(sa.select(meetings).where(meetings.c.ref == ref)).first()
    if row is None:
        raise NotFound([f"{field}: no meeting {ref} in the store"])
    return row


def add_cases(db: Database, actor: Actor, meeting_ref: str, case_refs: list[str]) -> list[str]:
    """Put cases on a meeting's list (those already on it stay as they are), each
    assessed again at the meeting's date; return the references newly added."""
    actor.require_write("change a meeting's list")
    if not case_refs:
        raise InvalidInput(["cases: name at least one case reference"])
    if len(case_refs) > MAX_CASES_PER_ADD:
        raise InvalidInput([f"cases: at most {MAX_CASES_PER_ADD} at a time"])
    refs = list(dict.fromkeys(check_ref(r, "C", f"cases[{i}]") for i, r in enumerate(case_refs)))

    def work(connection: Connection) -> list[str]:
        meeting = meeting_row(connection, meeting_ref)
        rows = [case_row(connection, ref, f"cases[{i}]") for i, ref in enumerate(refs)]
        listed = set(connection.execute(sa.select(meeting_cases.c.case_id).where(
            meeting_cases.c.meeting_id == meeting.id)).scalars())
        new = [row for row in rows if row.id not in listed]
        if len(listed) + len(new) > MAX_CASES_PER_MEETING:
            raise InvalidInput([f"cases: a meeting holds at most {MAX_CASES_PER_MEETING} "
                                f"cases; {len(listed)} are on it already"])
        for row in new:
            connection.execute(sa.insert(meeting_cases).values(
                meeting_id=meeting.id, case_id=row.id, added_at=now(), added_by=actor.name))
            assessment = assess_at(connection, row.id, meeting.date)
            audit(connection, actor, "meeting.add", meeting.ref, case=row.ref,
                  assessment=assessment)
        return [row.ref for row in new]

    return db.write(work)


def list_meetings(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.read() as connection:
        counts = {int(meeting): int(count) for meeting, count in connection.execute(
            sa.select(meeting_cases.c.meeting_id, sa.func.count())
            .group_by(meeting_cases.c.meeting_id))}
        found = [{"ref": m.ref, "date": m.date.isoformat(), "name": m.name,
                  "cases": counts.get(m.id, 0)}
                 for m in connection.execute(sa.select(meetings).order_by(
                     meetings.c.date.desc(), meetings.c.id.desc()))]
    db.write(lambda c: audit(c, actor, "meeting.list", "*", count=len(found)))
    return found


def meeting_detail(connection: Connection, ref: str) -> dict[str, Any]:
    """A meeting with its attendees and, for each case on the list, its newest version,
    its newest assessment and the decisions recorded at this meeting."""
    meeting = meeting_row(connection, ref)
    people = connection.execute(sa.select(meeting_attendees).where(
        meeting_attendees.c.meeting_id == meeting.id).order_by(meeting_attendees.c.id)).all()
    on_list = (sa.select(meeting_cases.c.case_id)
               .where(meeting_cases.c.meeting_id == meeting.id).scalar_subquery())
    newest_version = (sa.select(sa.func.max(case_versions.c.id))
                      .where(case_versions.c.case_id.in_(on_list))
                      .group_by(case_versions.c.case_id).scalar_subquery())
    newest_assessment = (sa.select(sa.func.max(assessments.c.id))
                         .where(assessments.c.case_version_id.in_(newest_version))
                         .group_by(assessments.c.case_version_id).scalar_subquery())
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.ref, case_versions.c.version, case_versions.c.data,
                  assessments.c.id.label("assessment_id"), assessments.c.as_of,
                  assessments.c.knowledge_version, assessments.c.result,
                  meeting_cases.c.added_at)
        .join(meeting_cases, sa.and_(meeting_cases.c.case_id == cases.c.id,
                                     meeting_cases.c.meeting_id == meeting.id))
        .join(case_versions, case_versions.c.case_id == cases.c.id)
        .join(assessments, assessments.c.case_version_id == case_versions.c.id)
        .where(assessments.c.id.in_(newest_assessment))
        .order_by(meeting_cases.c.added_at, cases.c.id)).all()
    made: dict[int, list[dict[str, Any]]] = {}
    for d in connection.execute(sa.select(decisions).where(
            decisions.c.meeting_id == meeting.id).order_by(decisions.c.id)):
        made.setdefault(d.case_id, []).append(decision_out(d, meeting.ref))
    return {
        "ref": meeting.ref, "date": meeting.date.isoformat(), "name": meeting.name,
        "created_by": meeting.created_by, "created_at": stamp(meeting.created_at),
        "attendees": [{"role": p.role, "name": p.name} for p in people],
        "cases": [{
            "ref": r.ref, "case_id": json.loads(r.data).get("id"), "version": r.version,
            "assessment_id": r.assessment_id, "as_of": r.as_of.isoformat(),
            "knowledge_version": r.knowledge_version,
            "assessment": json.loads(r.result), "decisions": made.get(r.id, []),
        } for r in rows],
    }


def show_meeting(db: Database, actor: Actor, ref: str) -> dict[str, Any]:
    with db.read() as connection:
        detail = meeting_detail(connection, ref)
    db.write(lambda c: audit(c, actor, "meeting.view", detail["ref"],
                             cases=[case["ref"] for case in detail["cases"]]))
    return detail
