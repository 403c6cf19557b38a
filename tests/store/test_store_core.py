"""The store on SQLite and PostgreSQL: versions never overwritten, assessments kept as
shown, decisions beside the suggestions, named errors, and an append-only audit trail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from secondline import CaseError, assess, parse_case
from secondline._assessment import assessment_json
from secondline._knowledge import knowledge_version
from secondline._store import (
    Actor,
    Database,
    Forbidden,
    InvalidInput,
    NotFound,
    NotReady,
    add_case,
    add_cases,
    decide,
    edit_case,
    export_csv,
    export_rows,
    list_cases,
    new_meeting,
    show_case,
    show_meeting,
)
from secondline._store.core import audit_rows
from secondline._store.tables import APPEND_ONLY, audit_events, case_versions
from storekit import CLINICIAN, VIEWER, example

MEETING_DAY = dt.date(2026, 12, 1)


def _meeting_with(db: Database, *refs: str) -> str:
    meeting = new_meeting(db, CLINICIAN, MEETING_DAY, "Haematology MDT",
                          [("haematologist", "Dr A Jones"), ("nurse specialist", "B Smith")])
    add_cases(db, CLINICIAN, meeting, list(refs))
    return meeting


def test_a_stored_case_keeps_its_assessment_exactly_as_shown(db: Database) -> None:
    case = example("b-all-relapsed-cd19")
    ref = add_case(db, CLINICIAN, case)
    detail = show_case(db, CLINICIAN, ref)
    assert ref.startswith("C-")
    assert detail["ref"] == ref
    [version] = detail["versions"]
    assert parse_case(version["case"]) == case
    [stored] = detail["assessments"]
    assert stored["assessment"] == json.loads(assessment_json(assess(case)))
    assert stored["knowledge_version"] == knowledge_version()
    assert stored["knowledge_version"].startswith("sha256:")
    assert stored["as_of"] == case.as_of.isoformat()


def test_every_edit_is_a_new_version_and_the_earlier_ones_stay(db: Database) -> None:
    first = example("b-all-relapsed-cd19")
    ref = add_case(db, CLINICIAN, first)
    second = parse_case({**first.model_dump(mode="json", exclude_unset=True), "age": 35})
    assert edit_case(db, CLINICIAN, ref, second) == 2
    detail = show_case(db, CLINICIAN, ref)
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    assert [v["case"]["age"] for v in detail["versions"]] == [34, 35]
    assert [a["version"] for a in detail["assessments"]] == [1, 2]


def test_a_newer_knowledge_version_never_rewrites_a_stored_assessment(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    before = show_case(db, CLINICIAN, ref)["assessments"]
    import secondline._store.cases as cases

    monkeypatch.setattr(cases, "knowledge_version", lambda: "sha256:" + "f" * 64)
    _meeting_with(db, ref)  # the meeting assesses it again, with the "newer" knowledge
    after = show_case(db, CLINICIAN, ref)["assessments"]
    assert after[: len(before)] == before
    assert after[-1]["knowledge_version"] == "sha256:" + "f" * 64
    assert after[-1]["as_of"] == MEETING_DAY.isoformat()


def test_a_decision_among_the_suggested_options(db: Database) -> None:
    ref = add_case(db, CLINICIAN, example("b-all-relapsed-cd19"))
    meeting = _meeting_with(db, ref)
    decision = decide(db, CLINICIAN, ref, meeting, ["blinatumomab"], note="to start next week")
    assert decision["among_suggested"] is True
    assert decision["reason"] is None
    assert decision["decided_by"] == "dr-jones"
    shown = show_meeting(db, CLINICIAN, meeting)
    [case] = shown["cases"]
    assert case["decisions"][-1]["id"] == decision["id"]
    assert decision["assessment"] == case["assessment_id"]
    assert [a["role"] for a in shown["attendees"]] == ["haematologist", "nurse specialist"]


def test_a_departing_decision_needs_a_coded_reason(db: Database) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    meeting = _meeting_with(db, ref)
    with pytest.raises(InvalidInput) as refused:
        decide(db, CLINICIAN, ref, meeting, ["stem-cell-transplant"])
    assert refused.value.problems[0].startswith("reason: ")
    with pytest.raises(InvalidInput, match="reason: 'made-up' is not a known"):
        decide(db, CLINICIAN, ref, meeting, ["stem-cell-transplant"], reason="made-up")
    decision = decide(db, CLINICIAN, ref, meeting, [], other=["watch and wait"],
                      reason="prefers-alternative")
    assert decision["among_suggested"] is False
    assert decision["chosen"] == [{"text": "watch and wait"}]
    assert decision["reason"] == {
        "system": "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes",
        "code": "prefers-alternative",
        "display": "Patient prefers an alternative approach or treatment"}
    with pytest.raises(InvalidInput, match=r"^reason: only for a decision that departs"):
        decide(db, CLINICIAN, ref, meeting, ["cladribine"], reason="patient-refuses")


@pytest.mark.parametrize(("options", "other", "field"), [
    (["no-such-option"], [], "options[0]"),
    ([], [], "options"),
    ([], ["x" * 201], "other[0]"),
    ([], ["bell\x07"], "other[0]"),
    ([f"o{i}" for i in range(3)], [], "options[0]"),
    ([], [f"choice {i}" for i in range(11)], "options"),
])
def test_bad_choices_are_named(db: Database, options: list[str], other: list[str],
                               field: str) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    meeting = _meeting_with(db, ref)
    with pytest.raises(InvalidInput) as refused:
        decide(db, CLINICIAN, ref, meeting, options, other=other, reason="patient-refuses")
    assert refused.value.problems[0].startswith(f"{field}: ")


def test_references_and_lists_are_checked(db: Database) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    other = add_case(db, CLINICIAN, example("b-all-relapsed-cd19"))
    meeting = _meeting_with(db, ref)
    with pytest.raises(InvalidInput, match=r"^case: C-\w+ is not on the list"):
        decide(db, CLINICIAN, other, meeting, ["blinatumomab"])
    with pytest.raises(NotFound, match=r"^meeting: no meeting M-00000000"):
        decide(db, CLINICIAN, ref, "M-00000000", ["cladribine"])
    with pytest.raises(NotFound, match=r"^ref: no case C-00000000"):
        show_case(db, CLINICIAN, "c-00000000")
    with pytest.raises(InvalidInput, match=r"^ref: 'DROP TABLE' is not a case reference"):
        show_case(db, CLINICIAN, "DROP TABLE")
    with pytest.raises(InvalidInput, match=r"^cases\[1\]: 'nope' is not a case"):
        add_cases(db, CLINICIAN, meeting, [other, "nope"])
    with pytest.raises(InvalidInput, match=r"^cases: at most 50 at a time"):
        add_cases(db, CLINICIAN, meeting, [other] * 51)
    with pytest.raises(InvalidInput, match=r"^name: longer than 200"):
        new_meeting(db, CLINICIAN, MEETING_DAY, "x" * 201)
    assert add_cases(db, CLINICIAN, meeting, [ref, other]) == [other]  # ref already on it


def test_a_viewer_reads_but_writes_nothing(db: Database) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    meeting = _meeting_with(db, ref)
    assert show_case(db, VIEWER, ref)["ref"] == ref
    with pytest.raises(Forbidden, match=r"^role: a viewer may read the store but not record"):
        decide(db, VIEWER, ref, meeting, ["cladribine"])
    with pytest.raises(Forbidden):
        add_case(db, VIEWER, example("hcl-late-relapse"))
    with pytest.raises(Forbidden):
        new_meeting(db, VIEWER, MEETING_DAY, "Viewer's meeting")
    assert show_case(db, CLINICIAN, ref)["decisions"] == []


def test_the_audit_trail_names_who_did_what_and_holds_no_case_contents(db: Database) -> None:
    case = example("b-all-relapsed-cd19")
    ref = add_case(db, CLINICIAN, case)
    meeting = _meeting_with(db, ref)
    nurse = Actor("nurse-b", "clinician")
    decide(db, nurse, ref, meeting, ["blinatumomab"])
    with db.read() as connection:
        rows = list(reversed(audit_rows(connection)))
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("dr-jones", "case.add"), ("dr-jones", "meeting.new"), ("dr-jones", "meeting.add"),
        ("nurse-b", "decision.record")]
    assert rows[-1]["target"] == ref
    assert rows[-1]["detail"]["meeting"] == meeting
    text = json.dumps(rows)
    assert case.id is not None
    assert case.id not in text
    assert "34" not in json.dumps([r["detail"] for r in rows])


def test_append_only_tables_refuse_change_whoever_asks(db: Database) -> None:
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    decide(db, CLINICIAN, ref, _meeting_with(db, ref), ["cladribine"])
    for table in APPEND_ONLY:
        for statement in (f"UPDATE {table} SET id = id + 1000", f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), \
                    db.engine.begin() as connection:
                connection.execute(sa.text(statement))
    with db.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(
            case_versions)).scalar_one() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(
            audit_events)).scalar_one() == 4


def test_the_export_has_one_row_per_decision_with_the_suggestions_beside_it(
    db: Database,
) -> None:
    first = add_case(db, CLINICIAN, example("b-all-relapsed-cd19"))
    second = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    meeting = _meeting_with(db, first, second)
    decide(db, CLINICIAN, first, meeting, ["blinatumomab"])
    decide(db, CLINICIAN, second, meeting, [], other=["=HYPERLINK(1)"],
           reason="prefers-alternative", note="-2+3")
    rows = export_rows(db, CLINICIAN)
    assert [(r["case"], r["among_suggested"]) for r in rows] == [(first, True), (second, False)]
    assert "blinatumomab" in rows[0]["suggested"]
    assert rows[0]["chosen"] == [{"id": "blinatumomab"}]
    assert rows[1]["suggested"] == ["cladribine", "rituximab", "clinical-trial"]
    text = export_csv(rows)
    lines = text.splitlines()
    assert lines[0].startswith("decision,decided_at,decided_by,meeting")
    assert len(lines) == 3
    # nothing a spreadsheet would run as a formula
    assert ",other: =HYPERLINK(1)," in lines[2]
    assert ",'-2+3" in lines[2]
    listed = {row["ref"]: row for row in list_cases(db, CLINICIAN)}
    assert listed[first]["latest_decision"]["chosen"] == ["blinatumomab"]
    assert listed[second]["state"] == "relapsed"


def test_a_store_that_was_never_set_up_says_what_to_run(db_url: str) -> None:
    database = Database(db_url)
    with pytest.raises(NotReady) as refused:
        list_cases(database, CLINICIAN)
    assert "run `secondline db upgrade`" in refused.value.problems[0]
    database.dispose()


def test_text_a_database_cannot_hold_is_refused_or_escaped_never_a_crash(db: Database) -> None:
    data = example("hcl-late-relapse").model_dump(mode="json", exclude_unset=True)
    try:
        case = parse_case({**data, "id": "MDT\x00-1", "symptoms": ["fever\x00"]})
    except CaseError:
        case = None  # refused by the case model: nothing to store
    if case is not None:
        ref = add_case(db, CLINICIAN, case)  # JSON escapes NUL: PostgreSQL keeps it
        assert show_case(db, CLINICIAN, ref)["versions"][0]["case"]["symptoms"] == ["fever\x00"]
    meeting = new_meeting(db, CLINICIAN, MEETING_DAY, "MDT")
    with pytest.raises(InvalidInput, match=r"^name: holds a control character"):
        new_meeting(db, CLINICIAN, MEETING_DAY, "M\x00DT")
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    add_cases(db, CLINICIAN, meeting, [ref])
    with pytest.raises(InvalidInput, match=r"^note: holds a control character"):
        decide(db, CLINICIAN, ref, meeting, ["cladribine"], note="a\x00b")
    with pytest.raises(InvalidInput, match=r"^note: longer than 2000"):
        decide(db, CLINICIAN, ref, meeting, ["cladribine"], note="x" * 2001)
