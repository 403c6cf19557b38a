"""``secondline cohort``: inputs, outputs, the report and the concordance of decisions."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from cohort_cases import random_cases
from cohort_compare import from_assessment, from_row
from secondline import assess, read_case
from secondline._cli import main
from secondline._cohort._frame import frame_of

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    lines = [json.dumps(read_case(str(p)).model_dump(mode="json", exclude_none=True))
             for p in EXAMPLES]
    (folder / "cases.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    decisions = [
        {"case_id": json.loads(lines[0])["id"], "chosen": ["blinatumomab"],
         "override_reason": None},
        {"case_id": json.loads(lines[1])["id"], "chosen": "symptom-control, supportive-care",
         "override_reason": None},
        {"case_id": json.loads(lines[2])["id"], "chosen": ["imatinib"],
         "among_suggested": True, "override_reason": "patient-choice"},
        {"case_id": "NOT-A-CASE", "chosen": ["cladribine"], "override_reason": None},
    ]
    (folder / "decisions.ndjson").write_text(
        "\n".join(json.dumps(d) for d in decisions) + "\n", encoding="utf-8")
    assert main(["cohort", str(folder / "cases.ndjson"), "--out", str(folder / "out"),
                 "--decisions", str(folder / "decisions.ndjson"), "--no-progress"]) == 0
    return folder


def test_a_run_over_the_examples_gives_what_assess_gives(examples: Path) -> None:
    rows = pl.read_parquet(examples / "out" / "assessments.parquet").to_dicts()
    assert len(rows) == len(EXAMPLES)
    for path, row in zip(EXAMPLES, rows, strict=True):
        assert from_row(row) == from_assessment(assess(read_case(str(path)))), path.name


def test_the_outputs_are_written(examples: Path) -> None:
    out = examples / "out"
    for name in ("assessments.parquet", "rejected.ndjson", "summary.json", "report.html",
                 "states.svg", "options.svg", "missing.svg", "concordance.svg"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["assessed"] == len(EXAMPLES)
    assert summary["rejected"] == 0
    assert sum(d["cases"] for d in summary["by_disease"]) == len(EXAMPLES)
    ranks = [m["options_changed"] for m in summary["missing"]]
    assert ranks == sorted(ranks, reverse=True)


def test_the_report_stands_alone_and_says_what_its_plots_show(examples: Path) -> None:
    html = (examples / "out" / "report.html").read_text()
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert html.count('<svg role="img"') == 4
    assert html.count("<title id=") == 4
    assert html.count("<desc id=") == 4
    assert "Concordance with MDT decisions" in html
    svg = (examples / "out" / "missing.svg").read_text()
    assert svg.startswith("<svg")
    assert "<title" in svg


def test_concordance_counts_the_decisions_among_the_suggestions(examples: Path) -> None:
    c = json.loads((examples / "out" / "summary.json").read_text())["concordance"]
    assert (c["decisions"], c["matched"], c["unmatched"]) == (4, 3, 1)
    rows = pl.read_parquet(examples / "out" / "assessments.parquet").to_dicts()
    suggested = [set(r["options_standard"]) | set(r["options_clinical_trial"]) for r in rows]
    expected = [{"blinatumomab"} <= suggested[0],
                {"symptom-control", "supportive-care"} <= suggested[1],
                {"imatinib"} <= suggested[2]]
    assert c["concordant"] == sum(expected)
    reasons = {r["override_reason"]: r["decisions"] for r in c["by_override_reason"]}
    assert reasons == {None: 2, "patient-choice": 1}
    assert c["recorded_differs"] == (0 if expected[2] else 1)


def test_parquet_gives_the_same_rows_as_ndjson(tmp_path: Path) -> None:
    cases = random_cases(500, seed=21)
    ndjson, parquet = tmp_path / "cases.ndjson", tmp_path / "cases.parquet"
    ndjson.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    frame_of(cases).drop("row").write_parquet(parquet)
    for source in (ndjson, parquet):
        assert main(["cohort", str(source), "--out", str(tmp_path / source.suffix[1:]),
                     "--batch-rows", "128", "--no-progress"]) == 0
    a = pl.read_parquet(tmp_path / "ndjson" / "assessments.parquet")
    b = pl.read_parquet(tmp_path / "parquet" / "assessments.parquet")
    assert len(a) == 500
    assert a.equals(b)


def test_invalid_rows_go_to_rejected_and_the_run_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "cases.ndjson"
    good = json.dumps(random_cases(1)[0])
    source.write_text(f'{good}\n{{"age": 130, "disease": "B-ALL"}}\nnot json\n{good}\n')
    assert main(["cohort", str(source), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    text = (tmp_path / "out" / "rejected.ndjson").read_text()
    rejected = [json.loads(line) for line in text.splitlines()]
    assert [r["row"] for r in rejected] == [2, 3]
    assert rejected[0]["problems"] == ["age: must be 120 or less (got 130)"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["assessed"], summary["rejected"]) == (2, 2)


def test_an_input_it_cannot_read_is_named(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cohort", str(tmp_path / "none.ndjson"), "--out", str(tmp_path)]) == 2
    assert f"INPUT: {tmp_path / 'none.ndjson'}: no such file" in capsys.readouterr().err
    (tmp_path / "cases.csv").write_text("age\n3\n")
    assert main(["cohort", str(tmp_path / "cases.csv"), "--out", str(tmp_path)]) == 2
    assert "INPUT: cannot tell what" in capsys.readouterr().err
