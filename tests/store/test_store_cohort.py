"""``secondline cohort --db``: the store's cases at their latest version give the rows
the same cases give from a file, and its recorded decisions (with their override
reasons) give the concordance; the store is read, never written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from cohort_compare import from_row
from secondline._cli import main
from secondline._cohort import cohort_engine, frame_of
from secondline._cohort._frame import canonical
from secondline._store import Database, add_case, add_cases, decide, edit_case, new_meeting
from secondline._store.db import shown
from secondline._store.reasons import reason_for
from secondline._store.tables import audit_events, case_versions, decisions
from storekit import CLINICIAN, example

AS_OF = dt.date(2026, 12, 1)
NAMES = ("b-all-relapsed-cd19", "hcl-late-relapse", "t-all-relapsed", "hcl-not-fit")


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (audit_events, case_versions, decisions))


def test_the_store_as_a_cohort(db: Database, tmp_path: Path) -> None:
    cases = [example(name) for name in NAMES]
    refs = [add_case(db, CLINICIAN, case) for case in cases]
    edited = cases[1].model_copy(update={"id": "edited"})  # the latest version is read
    edit_case(db, CLINICIAN, refs[1], edited)
    cases[1] = edited
    meeting = new_meeting(db, CLINICIAN, AS_OF, "Haematology MDT")
    add_cases(db, CLINICIAN, meeting, refs)
    decide(db, CLINICIAN, refs[0], meeting, ["blinatumomab"])
    decide(db, CLINICIAN, refs[1], meeting, ["interferon-alfa"], reason="patient-refuses")
    decide(db, CLINICIAN, refs[2], meeting, [], other=["watch and wait"],
           reason="need-more-info")
    before = _counts(db)

    out = tmp_path / "out"
    assert main(["cohort", "--db", db.url, "-o", str(out), "--as-of", AS_OF.isoformat(),
                 "--no-progress"]) == 0
    assert _counts(db) == before  # nothing written, not even to the audit trail

    rows = pl.read_parquet(out / "assessments.parquet").to_dicts()
    expected = cohort_engine().assess(frame_of([canonical(c) for c in cases]), AS_OF,
                                      AS_OF).to_dicts()
    assert [r["source_ref"] for r in rows] == refs
    assert [r["case_id"] for r in rows] == [c.id for c in cases]
    assert [from_row(r) for r in rows] == [from_row(e) for e in expected]

    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"] == shown(db.url)  # as the store shows it: never a password
    c = summary["concordance"]
    assert (c["decisions"], c["matched"], c["concordant"]) == (3, 3, 1)
    reasons = {r["override_reason"]: r for r in c["by_override_reason"]}
    assert set(reasons) == {None, reason_for("patient-refuses").display,
                            reason_for("need-more-info").display}
    assert reasons[None]["concordant"] == 1
    assert c["recorded_differs"] == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "watch and wait" not in page  # the team's own words stay in the store


def test_a_store_not_made_yet_is_an_exit_2_naming_db(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    assert main(["cohort", "--db", url, "-o", str(tmp_path / "out")]) == 2
    assert "--db:" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()
