"""Any case can go out as a FHIR Bundle and come back: the same assessment, the same
options, and nothing left unread — for every example and for generated cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle as R4Bundle
from hypothesis import HealthCheck, given, settings

from fhir_bundles import BRIAN_L, ROOT, read
from secondline import Case, assess, parse_case, read_case
from secondline._fhir.write import write_bundle
from secondline.web import create_app
from strategies import cases

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _round_trip(case: Case) -> dict[str, Any]:
    """The case written as a Bundle (validated as FHIR R4) and read back; the Bundle."""
    data = json.loads(json.dumps(write_bundle(case)))
    R4Bundle.model_validate(data)
    return data


def _same(case: Case) -> None:
    data = _round_trip(case)
    reading = read(data, as_of=None)
    assert reading.input.not_read == [], reading.input.not_read
    before, after = assess(case), assess(reading.case)
    assert after.model_dump() == before.model_dump()
    assert [o.id for o in after.options] == [o.id for o in before.options]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_comes_back_with_the_same_assessment(path: Path) -> None:
    _same(read_case(str(path)))


@given(cases())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_case_comes_back_with_the_same_assessment(case: Case) -> None:
    _same(case)


@pytest.mark.parametrize("case", [
    {"id": "", "age": 40, "disease": "T-ALL", "as_of": "2026-01-01",
     "treatments": [{"drugs": [""], "type": "chemotherapy"}], "symptoms": [""]},
    {"age": 7, "disease": "B-ALL", "as_of": "2026-01-01", "assessment": {},
     "relapse_sites": [], "wishes": {"active_treatment": False, "clinical_trials": False}},
    {"age": 70, "disease": "HCL", "as_of": "2026-01-01", "assessment": {"date": "2025-12-01"},
     "treatments": [{"type": "stem-cell-transplant", "ended": "2024-01-01",
                     "response": "no-response"}, {"type": "radiotherapy"}]},
], ids=["empty-texts", "empty-assessment", "procedures"])
def test_edges_come_back_the_same(case: dict[str, Any]) -> None:
    _same(parse_case(case))


def test_the_written_bundle_carries_the_standard_codes_beside_the_projects() -> None:
    case = read_case(str(ROOT / "examples" / "b-all-relapsed-cd19.yaml"))
    text = json.dumps(write_bundle(case))
    assert '"code": "277571004"' in text  # SNOMED CT B-ALL
    assert '"code": "C91.0"' in text  # ICD-10 ALL
    assert '"code": "LA6576-8"' in text  # LOINC positive
    assert '"code": "L01BA01"' in text  # ATC methotrexate, from drugs.yaml
    assert "birthDate" not in text  # the case holds an age, never a made-up birth date


def test_export_fhir_writes_what_assess_reads(tmp_path: Path) -> None:
    example = ROOT / "examples" / "ph-positive-all-relapsed.yaml"
    out = tmp_path / "case.json"
    run = [sys.executable, "-m", "secondline"]
    done = subprocess.run([*run, "export-fhir", str(example), "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    printed = subprocess.run([*run, "export-fhir", str(example)], capture_output=True,
                             text=True, check=True).stdout
    assert printed == out.read_text(encoding="utf-8")  # deterministic
    native = json.loads(subprocess.run([*run, "assess", str(example), "--json"],
                                       capture_output=True, check=True).stdout)
    via_fhir = json.loads(subprocess.run([*run, "assess", str(out), "--json"],
                                         capture_output=True, check=True).stdout)
    assert via_fhir.pop("input")["not_read"] == []
    assert via_fhir == native


def test_the_api_answers_a_bundle_byte_for_byte_as_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    case = read_case(str(ROOT / "examples" / "hcl-exactly-two-years.yaml"))
    path.write_text(json.dumps(write_bundle(case)), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "secondline", "assess", str(path), "--json"],
                         capture_output=True, check=True).stdout
    client = TestClient(create_app())
    for content_type in ("application/fhir+json", "application/json"):
        answer = client.post("/api/assess", content=path.read_bytes(),
                             headers={"content-type": content_type})
        assert answer.status_code == 200
        assert answer.content == cli


def test_the_leaflet_reads_a_bundle_too(tmp_path: Path) -> None:
    out = tmp_path / "leaflet.html"
    done = subprocess.run([sys.executable, "-m", "secondline", "leaflet", str(BRIAN_L), "-o",
                           str(out), "--as-of", "2024-03-01"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "acute lymphoblastic leukaemia" in out.read_text(encoding="utf-8").lower()
