"""Every door of the cohort gives the same rows: FHIR Bulk Data against the native cases
and against reading a Bundle directly; the current-guidance layer through the command
line; the per-case fallback; and the report's plots readable on their own."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import polars as pl
import pytest

from cohort_cases import random_cases
from cohort_compare import from_assessment, from_row
from secondline import assess, read_case
from secondline._cli import main
from secondline._cohort import _run, cohort_engine, frame_of
from secondline._cohort._frame import canonical
from secondline._fhir.read import read_bundle

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BULK = ROOT / "tests" / "fixtures" / "fhir-bulk"
BRIAN_L = ROOT / "tests" / "fixtures" / "fhir" / "brian-l.json"
AS_OF = dt.date(2026, 11, 30)


def _rows(out: Path) -> list[dict[str, Any]]:
    return pl.read_parquet(out / "assessments.parquet").to_dicts()


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bulk")
    assert main(["cohort", str(BULK), "-o", str(out), "--as-of", AS_OF.isoformat(),
                 "--guidance", "current", "--no-progress"]) == 0
    return out


def test_the_bulk_fixture_holds_the_six_files_and_a_patient_per_case() -> None:
    for kind in ("Patient", "Condition", "Observation", "MedicationAdministration",
                 "MedicationRequest", "Procedure"):
        assert (BULK / f"{kind}.ndjson").is_file(), kind
    patients = (BULK / "Patient.ndjson").read_text().splitlines()
    assert len(patients) == len(EXAMPLES) + 1


def test_the_bulk_fixture_is_what_its_script_writes_today(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "fhir_bulk_fixture", ROOT / "scripts" / "fhir_bulk_fixture.py")
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(tmp_path)
    written = sorted(p.name for p in tmp_path.glob("*.ndjson"))
    assert written == sorted(p.name for p in BULK.glob("*.ndjson"))
    for name in written:
        assert (tmp_path / name).read_text(encoding="utf-8") == (BULK / name).read_text(
            encoding="utf-8"), f"{name}: run scripts/fhir_bulk_fixture.py"


def test_the_bulk_export_gives_the_rows_of_the_native_cases(bulk_run: Path) -> None:
    rows = _rows(bulk_run)
    assert len(rows) == len(EXAMPLES) + 1
    native = [canonical(read_case(str(p))) for p in EXAMPLES]
    expected = cohort_engine().assess(frame_of(native), AS_OF, AS_OF, "current").to_dicts()
    for path, row, want in zip(EXAMPLES, rows, expected, strict=False):
        assert row["case_id"] == want["case_id"], path.name
        assert from_row(row) == from_row(want), path.name
        assert row["source_ref"] == f"Patient/{path.stem}.patient"


def test_brian_l_from_the_bulk_export_is_brian_l_from_his_bundle(bulk_run: Path) -> None:
    row = _rows(bulk_run)[-1]
    assert row["source_ref"] == "Patient/cancer-patient-brian-l"
    reading = read_bundle(json.loads(BRIAN_L.read_text(encoding="utf-8")), AS_OF)
    assert from_row(row) == from_assessment(assess(reading.case, guidance="current"))


def test_resources_that_belong_to_no_patient_are_rejected_and_the_run_goes_on(
        tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(BULK, folder)
    with (folder / "Observation.ndjson").open("a", encoding="utf-8") as stream:
        stream.write('{"resourceType": "Observation", "id": "x", "status": "final"}\n')
        stream.write('{"resourceType": "Observation", "id": "y", "subject": '
                     '{"reference": "Patient/nobody"}}\n')
        stream.write("not json\n")
    with (folder / "Patient.ndjson").open("a", encoding="utf-8") as stream:
        stream.write('{"resourceType": "Patient", "id": "no-disease"}\n')
    out = tmp_path / "out"
    assert main(["cohort", str(folder), "-o", str(out), "--as-of", AS_OF.isoformat(),
                 "--no-progress"]) == 0
    rejected = [json.loads(line) for line in (out / "rejected.ndjson").read_text().splitlines()]
    files = [r.get("file") for r in rejected]
    assert files.count("Observation.ndjson") == 3
    assert None in files  # the patient without a disease, by its line in Patient.ndjson
    patient = next(r for r in rejected if r.get("file") is None)
    assert patient["row"] == len(EXAMPLES) + 2
    assert patient["problems"]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["rows_read"], summary["assessed"], summary["rejected"]) == (
        len(EXAMPLES) + 2, len(EXAMPLES) + 1, 1)
    assert summary["fhir_resources_rejected"] == 3


def test_the_layer_s_columns_and_counts_come_with_guidance_current(bulk_run: Path) -> None:
    table = pl.read_parquet(bulk_run / "assessments.parquet")
    assert {"guidance", "guidance_missing"} <= set(table.columns)
    summary = json.loads((bulk_run / "summary.json").read_text())
    assert summary["guidance"] == "current"
    applied = sum(len(r) for r in table["guidance"].to_list())
    assert applied == sum(i["cases"] for i in summary["guidance_items"]) > 0


def test_a_batch_the_vectorised_engine_cannot_run_is_assessed_case_by_case(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = random_cases(60, seed=41)
    source = tmp_path / "cases.ndjson"
    source.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
    for guidance in (None, "current"):
        expected = _run.run(_run.Settings(str(source), tmp_path / "fast", progress=False,
                                          guidance=guidance))
        with monkeypatch.context() as patched:
            def broken(*_: Any, **__: Any) -> pl.DataFrame:
                raise pl.exceptions.ComputeError("not this batch")

            patched.setattr(type(cohort_engine()), "assess", broken)
            slow = _run.run(_run.Settings(str(source), tmp_path / "slow", progress=False,
                                          guidance=guidance))
        assert (slow.per_case, expected.per_case) == (60, 0)
        assert _rows(tmp_path / "slow") == _rows(tmp_path / "fast")
        summary = json.loads((tmp_path / "slow" / "summary.json").read_text())
        assert summary["per_case_engine_fallback"] == 60


def test_each_plot_is_an_svg_file_readable_without_the_page(bulk_run: Path) -> None:
    plots = sorted(bulk_run.glob("*.svg"))
    assert {p.stem for p in plots} >= {"states", "options", "missing"}
    page = (bulk_run / "report.html").read_text(encoding="utf-8")
    for path in plots:
        root = ElementTree.fromstring(path.read_text(encoding="utf-8"))
        assert root.tag.endswith("svg")
        assert root.get("role") == "img"
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        assert f'aria-labelledby="{path.stem}' in page or "<svg" in page
    assert "Current guidance" in page


def test_the_progress_bar_goes_to_standard_error_when_asked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cases.ndjson"
    source.write_text("\n".join(json.dumps(c) for c in random_cases(30)) + "\n",
                      encoding="utf-8")
    assert main(["cohort", str(source), "-o", str(tmp_path / "out"), "--progress",
                 "--batch-rows", "10"]) == 0
    shown = capsys.readouterr()
    assert "30 cases" in shown.err
    assert shown.out == ""


@pytest.mark.parametrize(("argv", "named"), [
    (["cohort", "-o", "OUT"], "INPUT:"),
    (["cohort", "IN", "-o", "OUT", "--workers", "0"], "--workers:"),
    (["cohort", "IN", "-o", "OUT", "--batch-rows", "0"], "--batch-rows:"),
    (["cohort", "IN", "-o", "OUT", "--scheduler", "tcp://x:1"], "--scheduler:"),
    (["cohort", "IN", "-o", "OUT", "--db", "sqlite:///x"], "INPUT:"),
    (["cohort", "IN", "-o", "OUT", "--decisions", "nowhere.ndjson"], "--decisions:"),
    (["cohort", "IN", "-o", "OUT", "--guidance", "past"], "--guidance"),
    (["cohort", "IN", "-o", "OUT", "--engine", "spark"], "--engine"),
])
def test_invalid_arguments_exit_2_naming_the_argument(
        argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "cases.ndjson"
    source.write_text(json.dumps(random_cases(1)[0]) + "\n", encoding="utf-8")
    given = [str(source) if a == "IN" else str(tmp_path / "out") if a == "OUT" else a
             for a in argv]
    if named in ("--guidance", "--engine"):  # argparse's own choices
        with pytest.raises(SystemExit) as exited:
            main(given)
        assert exited.value.code == 2
    else:
        assert main(given) == 2
    assert named in capsys.readouterr().err


def test_dask_missing_is_an_exit_2_that_says_how_to_install_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    source = tmp_path / "cases.ndjson"
    source.write_text(json.dumps(random_cases(1)[0]) + "\n", encoding="utf-8")
    assert main(["cohort", str(source), "-o", str(tmp_path / "out"), "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert "--engine:" in err
    assert "pip install 'secondline[dask]'" in err
