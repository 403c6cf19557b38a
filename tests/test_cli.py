"""The command line (contract section 2), driven in-process and once as a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from secondline._cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RELAPSED = EXAMPLES / "b-all-relapsed-cd19.yaml"
HCL_LATE = EXAMPLES / "hcl-late-relapse.yaml"
SOURCE_IDS = ["cruk-hcl", "cruk-all-rr", "ccs-all-rr", "lc-all-rr", "cruk-all"]

TOP_LEVEL_KEYS = {
    "case_id", "disease", "status", "options", "not_suggested", "missing",
    "prognostic_factors", "warnings", "sources",
}
REMISSION_KEYS = {
    "blood_counts_normal", "marrow_blasts_below_5_percent", "no_extramedullary_disease",
    "in_remission",
}


def console_script() -> Path:
    script = Path(sys.executable).with_name("secondline")
    assert script.exists(), f"console script not installed next to {sys.executable}"
    return script


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(list(argv)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    data = json.loads(captured.out)
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- assess: a real process ------------------------------------------------------------


def test_console_script_assess_json() -> None:
    done = subprocess.run(
        [str(console_script()), "assess", str(RELAPSED), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= TOP_LEVEL_KEYS
    assert set(data["status"]["remission"]) == REMISSION_KEYS
    assert data["case_id"] == "MDT-01"
    assert data["disease"] == "B-ALL"
    assert data["status"]["state"] == "relapsed"
    assert "blinatumomab" in [o["id"] for o in data["options"]]


def test_console_script_invalid_case(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "age: 130\ndisease: B-ALL\nagee: 3\n")
    done = subprocess.run(
        [str(console_script()), "assess", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "agee: unknown field" in done.stderr
    assert any(line.strip().startswith("age: ") for line in done.stderr.splitlines())


# --- assess: in-process ----------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_assess_json_has_the_contract_keys(
    capsys: pytest.CaptureFixture[str], example: Path
) -> None:
    data = run_json(capsys, "assess", str(example), "--json")
    assert set(data) >= TOP_LEVEL_KEYS
    status = data["status"]
    assert set(status["remission"]) == REMISSION_KEYS
    assert status["state"] in {"remission", "relapsed", "refractory", "untreated", "unknown"}
    assert {"state", "remission", "mrd", "months_since_last_treatment", "reasons"} <= set(status)
    assert data["as_of"] == "2026-11-23"
    for option in data["options"]:
        assert {"id", "category", "availability", "summary", "reasons", "sources"} <= set(option)
        assert option["availability"] in {"standard", "clinical-trial"}
        assert option["reasons"]
        assert option["sources"]
        for cite in option["sources"]:
            assert set(cite) == {"source", "section"}
    for entry in data["not_suggested"]:
        assert {"id", "reasons"} <= set(entry)
    for entry in data["missing"]:
        assert {"field", "affects", "why"} <= set(entry)
    for factor in data["prognostic_factors"]:
        assert {"id", "value", "note"} <= set(factor)
    for source in data["sources"]:
        assert {"id", "title", "publisher", "url", "last_reviewed", "next_review_due",
                "review_overdue"} <= set(source)


def test_assess_human_report_mentions_the_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping inside an option id
    assert main(["assess", str(HCL_LATE)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert captured.err == ""
    assert "MDT-07" in out
    assert "RELAPSED" in out
    assert "The plan: options to discuss" in out
    for option_id in ("cladribine", "rituximab", "clinical-trial"):
        assert option_id in out
    assert "pentostatin" in out  # listed among the options not suggested, with why
    assert "Not suggested" in out
    assert "cruk-hcl" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_assess_human_report_shows_missing_and_warnings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["assess", str(RELAPSED)]) == 0
    out = capsys.readouterr().out
    assert "blinatumomab" in out
    assert "markers.CD22" in out
    assert "inotuzumab-ozogamicin" in out
    assert "Warning:" in out


def test_assess_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(HCL_LATE.read_text(encoding="utf-8")))
    data = run_json(capsys, "assess", "-", "--json")
    assert data["case_id"] == "MDT-07"
    assert "cladribine" in [o["id"] for o in data["options"]]


def test_assess_json_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = {"id": "stdin-json", "age": 63, "disease": "HCL", "as_of": "2026-11-23"}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(case)))
    data = run_json(capsys, "assess", "-", "--json")
    assert data["case_id"] == "stdin-json"
    assert data["status"]["state"] == "untreated"


def test_invalid_case_on_standard_input_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("age: [40\n"))
    assert main(["assess", "-"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "standard input: not valid YAML or JSON" in captured.err


def test_as_of_changes_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    own = run_json(capsys, "assess", str(HCL_LATE), "--json")
    later = run_json(capsys, "assess", str(HCL_LATE), "--json", "--as-of", "2027-06-01")
    assert own["as_of"] == "2026-11-23"
    assert later["as_of"] == "2027-06-01"
    assert (
        later["status"]["months_since_last_treatment"]
        > own["status"]["months_since_last_treatment"]
    )


def test_as_of_decides_which_sources_are_overdue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path, "early.yaml",
        "age: 34\ndisease: B-ALL\nmarkers: {CD19: positive}\nrelapses: 1\n"
        "treatments:\n  - {drugs: [cytarabine], type: chemotherapy, started: 2023-03-13,"
        " ended: 2024-06-01, response: complete-remission}\n"
        "assessment: {date: 2025-05-01, marrow_blasts_percent: 38, blood_counts_normal: false,"
        " extramedullary: []}\n",
    )

    def overdue(as_of: str) -> set[str]:
        data = run_json(capsys, "assess", str(path), "--json", "--as-of", as_of)
        assert data["as_of"] == as_of
        assert {"cruk-all-rr", "lc-all-rr"} <= {s["id"] for s in data["sources"]}
        return {s["id"] for s in data["sources"] if s["review_overdue"]}

    assert overdue("2025-06-01") == set()
    assert overdue("2025-11-23") == {"cruk-all-rr"}
    assert overdue("2026-11-23") == {"cruk-all-rr", "lc-all-rr"}


def test_invalid_case_exits_2_with_one_line_per_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path, "bad.yaml",
        "age: 130\ndisease: B-ALL\nas_of: 2026-11-23\nmarkers: {CD21: positive}\n"
        "treatments:\n  - {started: 2025-01-01, ended: 2025-02-01}\n"
        "  - {started: 2025-03-01, ended: 2025-02-01}\n",
    )
    assert main(["assess", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = [line.strip() for line in captured.err.splitlines()]
    problems = lines[1:]
    assert len(problems) == 3
    assert any(p.startswith("markers.CD21: unknown field; did you mean 'CD22'?") for p in problems)
    assert any(p.startswith("treatments[1].ended: the end date is before the start date (line ")
               for p in problems)
    assert any(p.startswith("age: ") for p in problems)
    assert "invalid case" in lines[0]


def test_as_of_before_the_case_dates_is_an_invalid_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["assess", str(RELAPSED), "--as-of", "2026-01-01"]) == 2
    err = capsys.readouterr().err
    assert "assessment.date: is after the date the case is judged at (as_of)" in err
    assert "Traceback" not in err


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert main(["assess", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{path}: no such file" in captured.err


def test_directory_is_not_a_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["assess", str(tmp_path)]) == 2
    assert "cannot be read" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["2026-13-01", "23/11/2026", "soon", ""])
def test_bad_as_of_exits_2(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["assess", str(RELAPSED), "--as-of", bad])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "--as-of" in captured.err
    assert "Traceback" not in captured.err


def test_no_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    capsys.readouterr()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "secondline 0.1.0"


# --- schema -----------------------------------------------------------------------------


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = run_json(capsys, "schema")
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object"
    props = schema["properties"]
    for field in ("age", "disease", "treatments", "assessment", "markers", "as_of", "wishes"):
        assert field in props
    assert set(schema["required"]) == {"age", "disease"}
    assert schema["additionalProperties"] is False
    assert props["age"]["minimum"] == 0
    assert props["age"]["maximum"] == 120
    assert set(props["disease"]["enum"]) == {"B-ALL", "T-ALL", "HCL"}


# --- sources ----------------------------------------------------------------------------


def _source_blocks(out: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    current = None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":", 1)[0]
            blocks[current] = line
        elif current is not None:
            blocks[current] += "\n" + line
    return blocks


def test_sources_lists_the_five_and_marks_overdue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--as-of", "2026-11-23"]) == 0
    blocks = _source_blocks(capsys.readouterr().out)
    assert sorted(blocks) == sorted(SOURCE_IDS)
    overdue = {sid for sid, block in blocks.items() if "REVIEW OVERDUE" in block}
    assert overdue == {"cruk-all-rr", "lc-all-rr"}
    assert "in date" in blocks["cruk-all"]
    assert "no review date given" in blocks["cruk-hcl"]
    assert "no review date given" in blocks["ccs-all-rr"]
    assert "2025-07-27" in blocks["cruk-all-rr"]
    assert "https://" in blocks["lc-all-rr"]


def test_sources_nothing_overdue_earlier(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--as-of", "2025-01-01"]) == 0
    out = capsys.readouterr().out
    assert "REVIEW OVERDUE" not in out
    assert len(_source_blocks(out)) == 5


def test_sources_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources", "--json", "--as-of", "2026-11-23"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == SOURCE_IDS
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        assert {"id", "publisher", "title", "url", "last_reviewed", "next_review_due",
                "review_overdue"} <= set(row)
    assert by_id["cruk-all-rr"]["next_review_due"] == "2025-07-27"
    assert by_id["cruk-all-rr"]["review_overdue"] is True
    assert by_id["lc-all-rr"]["next_review_due"] == "2026-06-30"
    assert by_id["lc-all-rr"]["review_overdue"] is True
    assert by_id["cruk-all"]["review_overdue"] is False
    assert by_id["cruk-hcl"]["review_overdue"] is None
    assert by_id["ccs-all-rr"]["review_overdue"] is None


@pytest.mark.parametrize(
    ("as_of", "overdue"),
    [("2025-07-27", False), ("2025-07-28", True)],
)
def test_sources_due_date_itself_is_not_overdue(
    capsys: pytest.CaptureFixture[str], as_of: str, overdue: bool
) -> None:
    assert main(["sources", "--json", "--as-of", as_of]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["cruk-all-rr"]["review_overdue"] is overdue


# --- check ------------------------------------------------------------------------------


def test_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    captured = capsys.readouterr()
    assert "knowledge base ok" in captured.out
    assert "5 sources" in captured.out
    assert captured.err == ""


def test_schema_of_the_assessment_validates_a_real_assessment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "--assessment"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert main(["assess", "examples/hcl-late-relapse.yaml", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), schema)


def test_endless_standard_input_is_refused_at_the_limit_not_with_a_memory_error() -> None:
    import time

    start = time.monotonic()
    with subprocess.Popen(["yes"], stdout=subprocess.PIPE) as yes:
        try:
            done = subprocess.run([sys.executable, "-m", "secondline", "assess", "-"],
                                  stdin=yes.stdout, capture_output=True, text=True,
                                  timeout=60)
        finally:
            yes.kill()
    assert done.returncode == 2
    assert "standard input: larger than 1 MiB" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - start < 30


def test_a_huge_case_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("age: 40\ndisease: B-ALL\nsymptoms:\n")
        out.write("  - fever\n" * 6_000_000)  # about 50 MB
    done = subprocess.run([sys.executable, "-m", "secondline", "assess", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{path}: larger than 1 MiB" in done.stderr
