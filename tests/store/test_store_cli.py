"""The store's commands: what they print, their exit codes, and problems named by field."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from secondline._cli import main
from storekit import EXAMPLES

RELAPSED = str(EXAMPLES / "b-all-relapsed-cd19.yaml")
HCL = str(EXAMPLES / "hcl-late-relapse.yaml")


class Cli:
    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url, self.capsys = url, capsys

    def __call__(self, *argv: str, code: int = 0) -> str:
        command, *rest = argv
        got = main([command, *rest[:1], "--db", self.url, *rest[1:]] if command in (
            "cases", "meetings", "users", "db") else [command, "--db", self.url, *rest])
        out, err = self.capsys.readouterr()
        assert got == code, err
        return out if code == 0 else err


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    run = Cli(db_url, capsys)
    assert "created -> revision 0002" in run("db", "upgrade")
    return run


def test_a_meeting_from_the_command_line(cli: Cli) -> None:
    first = cli("cases", "add", RELAPSED).strip()
    second = cli("cases", "add", HCL).strip()
    assert first.startswith("C-")
    assert first != second
    meeting = cli("meetings", "new", "--date", "2026-12-01", "--name", "Haematology MDT",
                  "--attendee", "haematologist=Dr A Jones").strip()
    assert meeting.startswith("M-")
    assert cli("meetings", "add", meeting, first, second.lower()) == (
        f"2 case(s) added: {first} {second}\n")
    assert "among the suggested" in cli("decide", first, "--meeting", meeting,
                                        "--option", "blinatumomab", "--note", "agreed")
    assert "NOT among" in cli("decide", second, "--meeting", meeting, "--other",
                              "watch and wait", "--reason", "prefers-alternative")

    listed = json.loads(cli("cases", "list", "--json"))
    assert [(r["ref"], r["disease"], r["state"]) for r in listed] == [
        (first, "B-ALL", "relapsed"), (second, "HCL", "relapsed")]
    assert listed[0]["case_id"] == "MDT-01"
    assert listed[1]["latest_decision"]["chosen"] == ["watch and wait"]
    table = cli("cases", "list")
    assert "latest decision" in table
    assert f"{meeting}: blinatumomab" in table

    shown = json.loads(cli("meetings", "show", meeting, "--json"))
    assert [c["ref"] for c in shown["cases"]] == [first, second]
    assert shown["attendees"] == [{"role": "haematologist", "name": "Dr A Jones"}]
    assert "1. " + first in cli("meetings", "show", meeting)

    case = json.loads(cli("cases", "show", first, "--json"))
    assert len(case["versions"]) == 1
    assert len(case["assessments"]) == 2  # as stored, and at the meeting's date
    assert case["decisions"][0]["chosen"] == [{"id": "blinatumomab"}]
    assert "decisions:" in cli("cases", "show", first)

    rows = list(csv.DictReader(io.StringIO(cli("export"))))
    assert [(r["case"], r["among_suggested"]) for r in rows] == [
        (first, "true"), (second, "false")]
    assert rows[1]["suggested"] == "cladribine; rituximab; clinical-trial"
    assert rows[1]["reason_code"] == "prefers-alternative"
    assert json.loads(cli("export", "--format", "json"))[0]["decided_by"].startswith("os:")


def test_problems_are_named_with_exit_2(cli: Cli) -> None:
    ref = cli("cases", "add", HCL).strip()
    meeting = cli("meetings", "new", "--date", "2026-12-01", "--name", "MDT").strip()
    assert "  ref: no case C-00000000 in the store" in cli(
        "cases", "show", "C-00000000", code=2)
    assert "  meeting: no meeting M-00000000" in cli(
        "meetings", "add", "M-00000000", ref, code=2)
    assert "  cases[0]: 'x' is not a case reference" in cli(
        "meetings", "add", meeting, "x", code=2)
    assert f"  case: {ref} is not on the list" in cli(
        "decide", ref, "--meeting", meeting, "--option", "cladribine", code=2)
    cli("meetings", "add", meeting, ref)
    assert "  options[0]: 'cladrabine' is not an option id" in cli(
        "decide", ref, "--meeting", meeting, "--option", "cladrabine", code=2)
    assert "  reason: the decision departs" in cli(
        "decide", ref, "--meeting", meeting, "--option", "stem-cell-transplant", code=2)
    assert "  C-00000000: no such file" in cli("cases", "edit", ref, "C-00000000", code=2)
    assert "  ref: 'M-x' is not a case reference" in cli("cases", "edit", "M-x", HCL, code=2)
    assert len(json.loads(cli("cases", "show", ref, "--json"))["versions"]) == 1


def test_an_invalid_case_is_not_stored(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("age: 200\ndisease: B-ALL\n")
    err = cli("cases", "add", str(bad), code=2)
    assert err.startswith("secondline: invalid case:\n  age: ")
    assert json.loads(cli("cases", "list", "--json")) == []


def test_users_and_roles(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert cli("users", "add", "Viewer1", "--role", "viewer", "--password-stdin") == (
        "user viewer1 added (viewer)\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert "  password: 10 to 1024 characters" in cli(
        "users", "add", "v2", "--role", "viewer", "--password-stdin", code=2)
    token = cli("users", "token", "viewer1").strip()
    assert token.startswith("sl_")
    assert len(token) > 40
    ref = cli("cases", "add", HCL).strip()
    meeting = cli("meetings", "new", "--date", "2026-12-01", "--name", "MDT").strip()
    cli("meetings", "add", meeting, ref)
    err = cli("decide", ref, "--meeting", meeting, "--option", "cladribine",
              "--user", "viewer1", code=2)
    assert "secondline: not allowed:\n  role: a viewer may read the store but not record" in err
    assert "  user: no user 'nobody'" in cli("cases", "list", "--user", "nobody", code=2)


def test_a_store_not_set_up_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    assert main(["cases", "list", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("secondline: the store is not set up:\n  db: the store at ")
    assert "run `secondline db upgrade`" in err
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates it


def test_cases_add_as_a_real_process_prints_only_the_reference(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    script = Path(sys.executable).with_name("secondline")
    subprocess.run([str(script), "db", "upgrade", "--db", db], check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([str(script), "cases", "add", "-", "--db", db],
                          input=Path(HCL).read_bytes(), capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert done.stdout.decode().strip().startswith("C-")
    assert len(done.stdout.decode().strip()) == 10
