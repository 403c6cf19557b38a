"""Cases: stored as immutable versions, each assessed by the one engine and the
assessment kept exactly as shown, with the knowledge version it came from."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from secondline import __version__
from secondline._assessment import assessment_json
from secondline._case import Case
from secondline._engine import assess
from secondline._knowledge import knowledge_version
from secondline._parse import parse_case
from secondline._store.core import Actor, audit, check_ref, dumps, new_ref, now, stamp
from secondline._store.db import Database
from secondline._store.errors import NotFound
from secondline._store.tables import assessments, case_versions, cases, decisions, meetings


@dataclass(frozen=True)
class Assessed:
    """An assessment made for storing: its JSON as shown, and what it came from."""

    as_of: dt.date
    result: str
    knowledge_version: str

    @classmethod
    def of(cls, case: Case) -> Assessed:
        result = assess(case)
        return cls(result.as_of, assessment_json(result), knowledge_version())


def stored_form(case: Case) -> dict[str, Any]:
    """The case as kept: every field that was given, validated, as JSON values."""
    data: dict[str, Any] = case.model_dump(mode="json", exclude_unset=True)
    return data


def insert_assessment(connection: Connection, version_id: int, assessed: Assessed) -> int:
    return int(connection.execute(sa.insert(assessments).values(
        case_version_id=version_id, as_of=assessed.as_of,
        knowledge_version=assessed.knowledge_version, engine_version=__version__,
        result=assessed.result, created_at=now(),
    ).returning(assessments.c.id)).scalar_one())


def add_case(db: Database, actor: Actor, case: Case) -> str:
    """Store a new case (version 1) and its assessment; return its reference."""
    actor.require_write("add cases")
    data, assessed = dumps(stored_form(case)), Assessed.of(case)

    def work(connection: Connection) -> str:
        ref = new_ref("C")  # a clash with an existing reference is retried by db.write
        case_id = connection.execute(sa.insert(cases).values(
            ref=ref, created_at=now(), created_by=actor.name).returning(cases.c.id)
        ).scalar_one()
        version_id = connection.execute(sa.insert(case_versions).values(
            case_id=case_id, version=1, data=data, created_at=now(), created_by=actor.name,
        ).returning(case_versions.c.id)).scalar_one()
        assessment_id = insert_assessment(connection, version_id, assessed)
        audit(connection, actor, "case.add", ref, version=1, assessment=assessment_id)
        return ref

    return db.write(work)


def case_row(connection: Connection, ref: str, field: str = "ref") -> sa.Row[Any]:
    ref = check_ref(ref, "C", field)
    row = connection.execute(sa.select(cases).where(cases.c.ref == ref)).first()
    if row is None:
        raise NotFound([f"{field}: no case {ref} in the store"])
    return row


def edit_case(db: Database, actor: Actor, ref: str, case: Case) -> int:
    """Store a new version of a case (the earlier ones are kept); return its number."""
    actor.require_write("edit cases")
    data, assessed = dumps(stored_form(case)), Assessed.of(case)

    def work(connection: Connection) -> int:
        row = case_row(connection, ref)
        latest = connection.execute(sa.select(sa.func.max(case_versions.c.version)).where(
            case_versions.c.case_id == row.id)).scalar_one()
        version = int(latest) + 1  # a concurrent edit taking it is retried by db.write
        version_id = connection.execute(sa.insert(case_versions).values(
            case_id=row.id, version=version, data=data, created_at=now(),
            created_by=actor.name).returning(case_versions.c.id)).scalar_one()
        assessment_id = insert_assessment(connection, version_id, assessed)
        audit(connection, actor, "case.edit", row.ref, version=version,
              assessment=assessment_id)
        return version

    return db.write(work)


def latest_version(connection: Connection, case_id: int) -> sa.Row[Any]:
    return connection.execute(
        sa.select(case_versions).where(case_versions.c.case_id == case_id)
        .order_by(case_versions.c.version.desc()).limit(1)).one()


def latest_assessment(connection: Connection, case_id: int) -> sa.Row[Any]:
    """The newest assessment of the case's newest version."""
    return connection.execute(
        sa.select(assessments, case_versions.c.version)
        .join(case_versions, assessments.c.case_version_id == case_versions.c.id)
        .where(case_versions.c.case_id == case_id)
        .order_by(case_versions.c.version.desc(), assessments.c.id.desc()).limit(1)).one()


def assess_at(connection: Connection, case_id: int, as_of: dt.date) -> int | None:
    """Assess the case's newest version again at ``as_of`` (a meeting's date) and keep
    it, unless the newest assessment already is of that day and this knowledge. None
    when the case cannot be judged at that date (its events come later)."""
    version = latest_version(connection, case_id)
    last = latest_assessment(connection, case_id)
    if (last.version == version.version and last.as_of == as_of
            and last.knowledge_version == knowledge_version()):
        return None
    from secondline._errors import CaseError

    try:
        case = parse_case(json.loads(version.data), as_of)
    except CaseError:
        return None
    return insert_assessment(connection, version.id, Assessed.of(case))


def _latest_decisions(connection: Connection) -> dict[int, sa.Row[Any]]:
    newest = (sa.select(sa.func.max(decisions.c.id)).group_by(decisions.c.case_id)
              .scalar_subquery())
    rows = connection.execute(sa.select(decisions, meetings.c.ref.label("meeting_ref"))
                              .join(meetings, meetings.c.id == decisions.c.meeting_id)
                              .where(decisions.c.id.in_(newest)))
    return {row.case_id: row for row in rows}


def chosen_words(chosen: str) -> list[str]:
    return [c.get("id") or c.get("text", "") for c in json.loads(chosen)]


def list_cases(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Every case: reference, the case's own id, disease, state, when stored, latest
    decision."""
    with db.read() as connection:
        found = _listing(connection)
    db.write(lambda c: audit(c, actor, "case.list", "*", count=len(found)))
    return found


def _listing(connection: Connection) -> list[dict[str, Any]]:
    newest_version = (sa.select(sa.func.max(case_versions.c.id))
                      .group_by(case_versions.c.case_id).scalar_subquery())
    newest_assessment = (sa.select(sa.func.max(assessments.c.id))
                         .group_by(assessments.c.case_version_id).scalar_subquery())
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.ref, case_versions.c.version, case_versions.c.data,
                  case_versions.c.created_at, assessments.c.result)
        .join(case_versions, case_versions.c.case_id == cases.c.id)
        .join(assessments, assessments.c.case_version_id == case_versions.c.id)
        .where(case_versions.c.id.in_(newest_version))
        .where(assessments.c.id.in_(newest_assessment))
        .order_by(cases.c.id)).all()
    latest = _latest_decisions(connection)
    out = []
    for row in rows:
        data, result = json.loads(row.data), json.loads(row.result)
        decision = latest.get(row.id)
        out.append({
            "ref": row.ref, "case_id": data.get("id"), "disease": data.get("disease"),
            "state": result["status"]["state"], "version": row.version,
            "stored_at": stamp(row.created_at),
            "latest_decision": None if decision is None else {
                "meeting": decision.meeting_ref, "chosen": chosen_words(decision.chosen),
                "among_suggested": decision.among_suggested,
                "decided_at": stamp(decision.decided_at)},
        })
    return out


def decision_out(row: sa.Row[Any], meeting_ref: str) -> dict[str, Any]:
    reason = None if row.reason_code is None else {
        "system": row.reason_system, "code": row.reason_code, "display": row.reason_display}
    return {"id": row.id, "meeting": meeting_ref, "assessment": row.assessment_id,
            "chosen": json.loads(row.chosen), "among_suggested": row.among_suggested,
            "reason": reason, "note": row.note, "decided_by": row.decided_by,
            "decided_at": stamp(row.decided_at)}


def case_detail(connection: Connection, ref: str) -> dict[str, Any]:
    """A case with every version, every assessment and every decision, oldest first."""
    row = case_row(connection, ref)
    versions = connection.execute(sa.select(case_versions).where(
        case_versions.c.case_id == row.id).order_by(case_versions.c.version)).all()
    number = {v.id: v.version for v in versions}
    found = connection.execute(sa.select(assessments).where(
        assessments.c.case_version_id.in_(list(number))).order_by(assessments.c.id)).all()
    made = connection.execute(
        sa.select(decisions, meetings.c.ref.label("meeting_ref"))
        .join(meetings, meetings.c.id == decisions.c.meeting_id)
        .where(decisions.c.case_id == row.id).order_by(decisions.c.id)).all()
    return {
        "ref": row.ref, "created_at": stamp(row.created_at), "created_by": row.created_by,
        "versions": [{"version": v.version, "stored_at": stamp(v.created_at),
                      "stored_by": v.created_by, "case": json.loads(v.data)}
                     for v in versions],
        "assessments": [{"id": a.id, "version": number[a.case_version_id],
                         "as_of": a.as_of.isoformat(), "knowledge_version": a.knowledge_version,
                         "engine_version": a.engine_version, "stored_at": stamp(a.created_at),
                         "assessment": json.loads(a.result)} for a in found],
        "decisions": [decision_out(d, d.meeting_ref) for d in made],
    }


def show_case(db: Database, actor: Actor, ref: str) -> dict[str, Any]:
    with db.read() as connection:
        detail = case_detail(connection, ref)
    db.write(lambda c: audit(c, actor, "case.view", detail["ref"]))
    return detail


def case_choices(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """The newest stored cases, for a meeting page's list to pick from: reference, the
    case's own id and disease."""
    newest = (sa.select(sa.func.max(case_versions.c.id))
              .group_by(case_versions.c.case_id).scalar_subquery())
    with db.read() as connection:
        rows = connection.execute(
            sa.select(cases.c.ref, case_versions.c.data)
            .join(case_versions, case_versions.c.case_id == cases.c.id)
            .where(case_versions.c.id.in_(newest))
            .order_by(cases.c.id.desc()).limit(limit)).all()
    out = []
    for row in rows:
        data = json.loads(row.data)
        out.append({"ref": row.ref, "case_id": data.get("id"), "disease": data["disease"]})
    return out
