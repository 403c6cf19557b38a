"""Properties of the store, with generated histories: no edit loses a version, and the
audit trail only ever grows, its earlier rows unchanged."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secondline import parse_case
from secondline._store import Database, add_case, edit_case, show_case
from secondline._store.core import audit_rows
from storekit import CLINICIAN, example

BASE = example("hcl-late-relapse").model_dump(mode="json", exclude_unset=True)
#: small edits a team makes between meetings
EDITS = st.fixed_dictionaries({}, optional={
    "age": st.integers(18, 100),
    "fit_for_intensive_treatment": st.sampled_from([True, False, None]),
    "symptoms": st.lists(st.sampled_from(["fatigue", "fever", "bruising", "bone-pain"]),
                         max_size=3, unique=True),
    "region": st.sampled_from(["UK", "CA"]),
})
SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(edits=st.lists(EDITS, min_size=0, max_size=5))
def test_any_sequence_of_edits_keeps_every_version(db: Database,
                                                   edits: list[dict[str, object]]) -> None:
    ref = add_case(db, CLINICIAN, parse_case(BASE))
    given_versions = [BASE]
    for change in edits:
        data = {**given_versions[-1], **change}
        version = edit_case(db, CLINICIAN, ref, parse_case(data))
        given_versions.append(data)
        assert version == len(given_versions)
    detail = show_case(db, CLINICIAN, ref)
    assert [v["version"] for v in detail["versions"]] == list(
        range(1, len(given_versions) + 1))
    for stored, data in zip(detail["versions"], given_versions, strict=True):
        assert parse_case(stored["case"]) == parse_case(data)
    # one assessment per version, each of its own version's case
    assert [a["version"] for a in detail["assessments"]] == [
        v["version"] for v in detail["versions"]]
    for stored, data in zip(detail["assessments"], given_versions, strict=True):
        assert stored["assessment"]["case_id"] == data.get("id")


ACTIONS = st.lists(st.sampled_from(["add", "edit", "view"]), min_size=1, max_size=6)


@SETTINGS
@given(actions=ACTIONS)
def test_the_audit_trail_only_grows(db: Database, actions: list[str]) -> None:
    with db.read() as connection:
        before = list(reversed(audit_rows(connection, limit=100_000)))
    refs: list[str] = []
    for action in actions:
        if action == "add" or not refs:
            refs.append(add_case(db, CLINICIAN, parse_case(BASE)))
        elif action == "edit":
            edit_case(db, CLINICIAN, refs[-1], parse_case({**BASE, "age": 70}))
        else:
            show_case(db, CLINICIAN, refs[-1])
    with db.read() as connection:
        after = list(reversed(audit_rows(connection, limit=100_000)))
    assert after[: len(before)] == before
    assert len(after) == len(before) + len(actions)  # one row per action
    assert all(row["actor"] == CLINICIAN.name for row in after[len(before):])
    assert json.dumps(after).count(BASE["id"]) == 0
