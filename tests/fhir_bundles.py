"""Small FHIR Bundles for the FHIR tests: a Patient, a disease, and whatever else a test
adds, with the codes written out as a sending system would."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from secondline._fhir.output import Reading
from secondline._fhir.read import read_bundle

ROOT = Path(__file__).parent.parent
BRIAN_L = ROOT / "tests" / "fixtures" / "fhir" / "brian-l.json"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
PROJECT = "https://secondline.example/fhir/CodeSystem/case"
EXT = "https://secondline.example/fhir/StructureDefinition/"
AS_OF = dt.date(2026, 11, 23)
SUBJECT = {"reference": "Patient/p1"}
POSITIVE = {"coding": [{"system": LOINC, "code": "LA6576-8", "display": "Positive"}]}
NEGATIVE = {"coding": [{"system": LOINC, "code": "LA6577-6", "display": "Negative"}]}
B_ALL = {"coding": [{"system": SNOMED, "code": "277571004"}]}


def concept(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [{"system": system, "code": code}]}
    if text:
        out["text"] = text
    return out


def patient(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", "birthDate": "1980-06-15", **fields}


def condition(code: dict[str, Any] = B_ALL, rid: str = "c1", **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "code": code, "subject": SUBJECT,
            **fields}


def observation(rid: str, code: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "code": code,
            "subject": SUBJECT, **fields}


def request(rid: str, medicine: dict[str, Any], start: str | None = None,
            end: str | None = None, **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest", "id": rid, "status": "completed",
        "intent": "order", "medicationCodeableConcept": medicine, "subject": SUBJECT, **fields}
    period = {k: v for k, v in (("start", start), ("end", end)) if v}
    if period:
        resource["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": period}}}]
    return resource


def bundle(*resources: dict[str, Any], with_patient: bool = True, with_disease: bool = True,
           kind: str = "collection", **fields: Any) -> dict[str, Any]:
    listed = [*([patient()] if with_patient else []),
              *([condition()] if with_disease else []), *resources]
    return {"resourceType": "Bundle", "type": kind, **fields,
            "entry": [{"fullUrl": f"urn:test:{r['resourceType']}/{r.get('id')}", "resource": r}
                      for r in listed]}


def read(data: dict[str, Any], as_of: dt.date | None = AS_OF) -> Reading:
    return read_bundle(json.loads(json.dumps(data)), as_of)


def not_read(reading: Reading) -> dict[str, list[str]]:
    """What was not read, by resource."""
    out: dict[str, list[str]] = {}
    for n in reading.input.not_read:
        out.setdefault(n.resource, []).append(n.why)
    return out


def sources(reading: Reading) -> dict[str, list[str]]:
    return {r.field: r.resources for r in reading.input.read}
