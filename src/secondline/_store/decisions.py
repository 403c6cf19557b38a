"""Decisions: what the team chose for a case at a meeting, beside what was suggested.

The choices are option ids (checked against the knowledge) or the team's own words.
Whether they are among the suggested options is worked out from the stored assessment's
``options[].id``, never taken from the client. A decision that departs from them names
a reason from the override-reason list (a Coding, as CDS Hooks' ``overrideReasons``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from secondline._knowledge import load_knowledge
from secondline._store.cases import case_row, decision_out, latest_assessment
from secondline._store.core import (
    MAX_CHOICES,
    MAX_FREE_TEXT,
    Actor,
    audit,
    dumps,
    line,
    now,
    stamp,
)
from secondline._store.core import note as free_text
from secondline._store.db import Database
from secondline._store.errors import InvalidInput
from secondline._store.meetings import meeting_row
from secondline._store.reasons import reason_for
from secondline._store.tables import assessments, cases, decisions, meeting_cases, meetings


def option_ids() -> set[str]:
    return {compiled.option.id for compiled in load_knowledge().options}


def _choices(options: list[str], other: list[str]) -> list[dict[str, str]]:
    known = option_ids()
    problems = []
    chosen: list[dict[str, str]] = []
    for i, option in enumerate(options):
        value = option.strip() if isinstance(option, str) else ""
        if value not in known:
            problems.append(f"options[{i}]: {value[:80]!r} is not an option id (write the "
                            "team's own words as other)")
        elif {"id": value} not in chosen:
            chosen.append({"id": value})
    for i, text in enumerate(other):
        words = line(text, f"other[{i}]", MAX_FREE_TEXT)
        if {"text": words} not in chosen:
            chosen.append({"text": words})
    if problems:
        raise InvalidInput(problems)
    if not chosen:
        raise InvalidInput(["options: choose at least one option, or write the team's "
                            "own words as other"])
    if len(chosen) > MAX_CHOICES:
        raise InvalidInput([f"options: at most {MAX_CHOICES} choices in one decision"])
    return chosen


def decide(db: Database, actor: Actor, case_ref: str, meeting_ref: str, options: list[str],
           other: list[str] | None = None, reason: str | None = None,
           note: str | None = None) -> dict[str, Any]:
    """Record a decision for a case on a meeting's list; return it as stored."""
    actor.require_write("record decisions")
    chosen = _choices(options, other or [])
    coding = reason_for(reason) if reason else None
    written = free_text(note)

    def work(connection: Connection) -> dict[str, Any]:
        meeting = meeting_row(connection, meeting_ref)
        case = case_row(connection, case_ref, "case")
        on_list = connection.execute(sa.select(meeting_cases.c.case_id).where(
            meeting_cases.c.meeting_id == meeting.id, meeting_cases.c.case_id == case.id,
        )).first()
        if on_list is None:
            raise InvalidInput([f"case: {case.ref} is not on the list of meeting "
                                f"{meeting.ref}; add it first"])
        shown = latest_assessment(connection, case.id)
        suggested = {o["id"] for o in json.loads(shown.result)["options"]}
        among = all(c.get("id") in suggested for c in chosen)
        if not among and coding is None:
            raise InvalidInput(["reason: the decision departs from the suggested options "
                                f"({', '.join(sorted(suggested)) or 'none'}); give the "
                                "reason's code"])
        if among and coding is not None:
            raise InvalidInput(["reason: only for a decision that departs from the "
                                "suggested options; this one is among them"])
        decision_id = connection.execute(sa.insert(decisions).values(
            meeting_id=meeting.id, case_id=case.id, assessment_id=shown.id,
            chosen=dumps(chosen), among_suggested=among,
            reason_system=coding.system if coding else None,
            reason_code=coding.code if coding else None,
            reason_display=coding.display if coding else None,
            note=written, decided_by=actor.name, decided_at=now(),
        ).returning(decisions.c.id)).scalar_one()
        audit(connection, actor, "decision.record", case.ref, meeting=meeting.ref,
              decision=decision_id, options=[c["id"] for c in chosen if "id" in c],
              among_suggested=among, reason=coding.code if coding else None)
        row = connection.execute(sa.select(decisions).where(
            decisions.c.id == decision_id)).one()
        return {"case": case.ref, **decision_out(row, meeting.ref)}

    return db.write(work)


EXPORT_COLUMNS = [
    "decision", "decided_at", "decided_by", "meeting", "meeting_date", "meeting_name",
    "case", "case_id", "assessment", "as_of", "knowledge_version", "suggested", "chosen",
    "among_suggested", "reason_system", "reason_code", "reason_display", "note",
]


def export_rows(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """One row per decision, with the options the assessment suggested beside it."""
    with db.read() as connection:
        rows = connection.execute(
            sa.select(decisions, meetings.c.ref.label("meeting_ref"),
                      meetings.c.date.label("meeting_date"),
                      meetings.c.name.label("meeting_name"), cases.c.ref.label("case_ref"),
                      assessments.c.as_of, assessments.c.knowledge_version,
                      assessments.c.result)
            .join(meetings, meetings.c.id == decisions.c.meeting_id)
            .join(cases, cases.c.id == decisions.c.case_id)
            .join(assessments, assessments.c.id == decisions.c.assessment_id)
            .order_by(decisions.c.id)).all()
    out = []
    for r in rows:
        result = json.loads(r.result)
        out.append({
            "decision": r.id, "decided_at": stamp(r.decided_at), "decided_by": r.decided_by,
            "meeting": r.meeting_ref, "meeting_date": r.meeting_date.isoformat(),
            "meeting_name": r.meeting_name, "case": r.case_ref,
            "case_id": result.get("case_id"), "assessment": r.assessment_id,
            "as_of": r.as_of.isoformat(), "knowledge_version": r.knowledge_version,
            "suggested": [o["id"] for o in result["options"]],
            "chosen": json.loads(r.chosen), "among_suggested": r.among_suggested,
            "reason_system": r.reason_system, "reason_code": r.reason_code,
            "reason_display": r.reason_display, "note": r.note,
        })
    db.write(lambda c: audit(c, actor, "decision.export", "*", count=len(out)))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(v.get("id") or f"other: {v['text']}" if isinstance(v, dict) else v
                         for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    # a spreadsheet must not take a cell for a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in EXPORT_COLUMNS])
    return out.getvalue()
