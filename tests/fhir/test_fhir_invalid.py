"""A Bundle that is not valid FHIR R4, or not one secondline can read, is refused by
name: one line per problem naming its field, exit 2 on the command line, 422 from the
API — never a traceback, never a 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fhir_bundles import B_ALL, ICD10, bundle, concept, condition, patient, read
from secondline._fhir.bundle import MAX_ENTRIES, BundleError
from secondline.web import create_app


def _problems(data: Any) -> list[str]:
    with pytest.raises(BundleError) as caught:
        read(data)
    return caught.value.problems


@pytest.mark.parametrize(("data", "expected"), [
    ({"resourceType": "Patient", "id": "x"},
     "resourceType: secondline reads a FHIR Bundle; got 'Patient'"),
    (bundle(kind="batches"), "type: 'batches' is not a FHIR R4 Bundle type"),
    (bundle(kind="history"),
     "type: secondline reads a collection, searchset or transaction Bundle; got 'history'"),
    ({"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "urn:x:1"}]},
     "entry[0]: has no resource"),
    ({"resourceType": "Bundle", "type": "collection",
      "entry": [{"resource": {"resourceType": "Spaceship"}}]},
     "entry[0].resource.resourceType: 'Spaceship' is not a FHIR R4 resource type"),
    ({"resourceType": "Bundle", "type": "collection",
      "entry": [{"resource": {"resourceType": "Coding"}}]},
     "entry[0].resource.resourceType: 'Coding' is not a FHIR R4 resource type"),
], ids=["not-a-bundle", "unknown-type", "history", "no-resource", "unknown-resource",
        "a-data-type"])
def test_the_shape_is_refused_by_name(data: Any, expected: str) -> None:
    assert _problems(data) == [expected]


def test_invalid_fhir_names_every_field() -> None:
    data = bundle(with_patient=False, with_disease=False)
    data["entry"] = [{"resource": patient(birthDate="2021-13-45")},
                     {"resource": condition(onsetDateTime="yesterday")},
                     {"resource": {"resourceType": "Observation", "id": "o", "status": "final",
                                   "code": {"text": "x"}, "colour": "blue"}}]
    problems = _problems(data)
    fields = [p.split(":", 1)[0] for p in problems]
    assert "entry[0].resource.birthDate" in fields
    assert "entry[1].resource.onsetDateTime" in fields
    assert "entry[2].resource.colour" in fields


def test_entries_are_bounded() -> None:
    many = [{"resource": {"resourceType": "Basic", "code": {"text": "x"}}}] * (MAX_ENTRIES + 1)
    data = {"resourceType": "Bundle", "type": "collection", "entry": many}
    assert _problems(data) == [
        f"entry: {MAX_ENTRIES + 1} entries; secondline reads at most {MAX_ENTRIES:,} (far "
        "more than one person's case needs)"]


@pytest.mark.parametrize(("resources", "expected"), [
    ([], "age: the Bundle holds no Patient; a case needs the person's age"),
    ([patient(), patient(id="p2")], "entry: the Bundle holds 2 Patients (Patient/p1, "
     "Patient/p2); a case is one person"),
])
def test_a_case_is_one_person(resources: list[dict[str, Any]], expected: str) -> None:
    data = bundle(*resources, with_patient=False)
    assert _problems(data) == [expected]


def test_a_case_needs_its_disease_and_age_every_problem_at_once() -> None:
    data = bundle(patient(birthDate=None), condition(concept(ICD10, "C91.0")),
                  with_patient=False, with_disease=False)
    del data["entry"][0]["resource"]["birthDate"]
    problems = _problems(data)
    assert problems[0] == "age: Patient/p1 has no birthDate; a case needs the age"
    assert problems[1].startswith("disease: Condition/c1 names acute lymphoblastic leukaemia "
                                  "without its lineage")
    assert len(problems) == 2


def test_conflicting_diseases_are_refused() -> None:
    data = bundle(condition(concept(ICD10, "C91.4"), rid="c2"))
    assert _problems(data) == ["disease: the Conditions disagree (Condition/c1 says B-ALL; "
                               "Condition/c2 says HCL); secondline assesses one disease"]


def test_a_case_problem_names_the_resource_it_came_from() -> None:
    data = bundle(with_patient=False)
    data["entry"].insert(0, {"resource": patient(birthDate="1880-01-01")})
    assert _problems(data) == ["age: must be 120 or less (got 146) (from Patient/p1)"]


def test_a_birth_date_of_a_year_only_is_refused_when_it_leaves_two_ages() -> None:
    data = bundle(with_patient=False)
    data["entry"].insert(0, {"resource": patient(birthDate="1980")})
    assert _problems(data) == ["age: Patient/p1 birthDate 1980 gives the age on 2026-11-23 "
                               "only as 45 or 46; secondline needs the age in whole years"]


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "secondline", "assess", str(path)],
                          capture_output=True, text=True)


@pytest.mark.parametrize(("text", "line"), [
    (json.dumps(bundle(kind="history")), "  type: secondline reads a collection, searchset "
     "or transaction Bundle; got 'history'"),
    ('{"resourceType": "Bundle", "type": "collection", "type": "searchset"}',
     "  type: given twice (line 1 of"),
    (json.dumps(bundle(patient(birthDate="1980-02-30"), with_patient=False)),
     "  entry[1].resource.birthDate: "),
])
def test_the_command_line_exits_2_with_a_line_per_problem(
    tmp_path: Path, text: str, line: str
) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(text, encoding="utf-8")
    done = _run(path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert any(got.startswith(line) for got in done.stderr.splitlines()), done.stderr


def test_the_command_line_refuses_an_oversize_file(tmp_path: Path) -> None:
    data = bundle(condition(B_ALL, rid="big", note=[{"text": "x" * (1024 * 1024)}]))
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = _run(path)
    assert done.returncode == 2
    assert "larger than 1 MiB" in done.stderr


@pytest.mark.parametrize(("body", "field"), [
    (bundle(kind="nonsense"), "type"),
    ({"resourceType": "Bundle", "type": "collection", "entry": [{}]}, "entry[0]"),
    (bundle(patient(birthDate="1980-02-30"), with_patient=False),
     "entry[1].resource.birthDate"),
    ({"resourceType": "Bundle", "type": "collection",
      "entry": [{"resource": {"resourceType": "Patient", "contained": [
          {"resourceType": "Nonsense"}]}}]}, "bundle"),
])
def test_the_api_answers_422_naming_the_field(body: Any, field: str) -> None:
    client = TestClient(create_app())
    answer = client.post("/api/assess", content=json.dumps(body),
                         headers={"content-type": "application/fhir+json"})
    assert answer.status_code == 422
    assert field in [p["field"] for p in answer.json()["detail"]], answer.json()


def test_the_api_refuses_an_oversize_bundle() -> None:
    data = bundle(condition(B_ALL, rid="big", note=[{"text": "x" * (1024 * 1024)}]))
    client = TestClient(create_app())
    answer = client.post("/api/assess", content=json.dumps(data),
                         headers={"content-type": "application/fhir+json"})
    assert answer.status_code == 413
