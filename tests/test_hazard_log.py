"""The clinical hazard log is kept true by the tests it names.

Every rating agrees with the matrix, every mitigation names tests, and every test named
exists and is not skipped; every class of hazard the clinical safety review found is in
the log; and the safety case summary is the one written from the log.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from secondline import _yaml

ROOT = Path(__file__).resolve().parents[1]
LOG_PATH = ROOT / "docs" / "safety" / "hazard-log.yaml"
SUMMARY = ROOT / "docs" / "safety" / "README.md"


def _generator() -> Any:
    script = ROOT / "scripts" / "safety_case.py"
    spec = importlib.util.spec_from_file_location("safety_case", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAFETY_CASE = _generator()
LOG = SAFETY_CASE.load_log(LOG_PATH)
HAZARDS = LOG["hazards"]
#: every class of hazard the clinical safety review asked the log to hold
REQUIRED = {
    "failed-treatment", "given-before", "same-tki", "fitness", "hcl-no-response",
    "two-readings", "declined",
    "symptoms", "evidence-age", "unrecognised-drug", "address", "prognosis", "omission",
    "outdated-source", "availability", "data-entry", "unknown-fact", "software-fault",
    "leaflet-alone", "availability-of-service",
}
_SKIPS = {"skip", "skipif", "xfail"}


def test_the_log_covers_every_class_of_hazard() -> None:
    covered = {tag for h in HAZARDS for tag in h["covers"]}
    assert covered >= REQUIRED, sorted(REQUIRED - covered)
    ids = [h["id"] for h in HAZARDS]
    assert len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("hazard", HAZARDS, ids=lambda h: h["id"])
def test_each_hazard_is_complete_and_rated_on_the_matrix(hazard: dict[str, Any]) -> None:
    matrix = LOG["matrix"]
    severities = list(matrix["severity"])
    for key in ("title", "cause", "effect", "harm", "mitigations"):
        assert hazard.get(key), f"{hazard['id']}: no {key}"
    column = severities.index(hazard["severity"])
    rating = {name: cells[column] for name, cells in matrix["cells"].items()}
    assert hazard["initial_risk"] == rating[hazard["likelihood_before"]], hazard["id"]
    assert hazard["residual_risk"] == rating[hazard["likelihood_after"]], hazard["id"]
    assert hazard["residual_risk"] <= hazard["initial_risk"], hazard["id"]
    if hazard["residual_risk"] >= 3:
        assert hazard.get("note"), f"{hazard['id']}: a residual risk of 3 or more says why"


def test_the_matrix_is_five_by_five_and_monotone() -> None:
    cells = list(LOG["matrix"]["cells"].values())
    assert len(cells) == 5
    assert all(len(row) == 5 for row in cells)
    for row in cells:  # worse severity never lowers the rating
        assert row == sorted(row)
    for column in zip(*cells, strict=True):  # rows run from very high to very low likelihood
        assert list(column) == sorted(column, reverse=True)


@cache
def _python_tests(path: Path) -> dict[str, list[ast.expr]]:
    """Test functions at module level (and in classes), with their decorators."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node.decorator_list
            if any(isinstance(n, ast.Attribute) and n.attr == "skip" for n in ast.walk(node)):
                found[node.name] = [*node.decorator_list, ast.Name(id="skip")]
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}::{item.name}"] = item.decorator_list
    return found


def _skipped(decorators: list[ast.expr]) -> bool:
    for decorator in decorators:
        for node in ast.walk(decorator):
            if isinstance(node, ast.Attribute | ast.Name) and (
                getattr(node, "attr", None) in _SKIPS or getattr(node, "id", None) in _SKIPS
            ):
                return True
    return False


def _knowledge_case_exists(path: Path, names: list[str]) -> bool:
    data = _yaml.load(path.read_text(encoding="utf-8"))
    if path.name != "rules.yaml":
        return names[-1] in {case["name"] for case in data.get("cases", [])}
    if len(names) != 3:
        return False
    kind, rule_id, case_name = names
    rules = data.get(kind, [])
    rules = list(rules.values()) if isinstance(rules, dict) else rules
    rule = next((r for r in rules if r.get("id") == rule_id), None)
    return rule is not None and case_name in {c["name"] for c in rule.get("cases", [])}


def test_every_mitigation_names_tests_that_exist_and_run() -> None:
    problems = []
    for hazard in HAZARDS:
        for mitigation in hazard["mitigations"]:
            if not mitigation["tests"]:
                problems.append(f"{hazard['id']}: a mitigation names no test")
            for test_id in mitigation["tests"]:
                file, _, rest = test_id.partition("::")
                path = ROOT / file
                if not path.is_file() or not rest:
                    problems.append(f"{hazard['id']}: no such test file: {test_id}")
                elif path.suffix == ".py":
                    decorators = _python_tests(path).get(rest)
                    if decorators is None:
                        problems.append(f"{hazard['id']}: no such test: {test_id}")
                    elif _skipped(decorators):
                        problems.append(f"{hazard['id']}: the test is skipped: {test_id}")
                elif not _knowledge_case_exists(path, rest.split("::")):
                    problems.append(f"{hazard['id']}: no such example case: {test_id}")
    assert not problems, "\n".join(problems)


def test_the_checker_would_notice_a_missing_or_skipped_test(tmp_path: Path) -> None:
    # the control for the test above: it must be able to fail
    module = tmp_path / "test_x.py"
    module.write_text("import pytest\n\n@pytest.mark.skip(reason='x')\ndef test_a(): pass\n\n"
                      "def test_b():\n    pytest.skip('later')\n\ndef test_c(): pass\n")
    found = _python_tests(module)
    assert _skipped(found["test_a"])
    assert _skipped(found["test_b"])
    assert not _skipped(found["test_c"])
    assert "test_d" not in found
    rules = ROOT / "src" / "secondline" / "knowledge" / "rules.yaml"
    assert _knowledge_case_exists(rules, ["holds", "failed-treatment",
                                          "blinatumomab that gave no response"])
    assert not _knowledge_case_exists(rules, ["holds", "failed-treatment", "no such case"])


def test_the_safety_case_summary_is_written_from_the_log() -> None:
    assert SUMMARY.read_text(encoding="utf-8") == SAFETY_CASE.summary(LOG), (
        "docs/safety/README.md is out of date: run `make safety-case`"
    )
