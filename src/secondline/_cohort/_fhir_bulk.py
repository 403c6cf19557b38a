"""The FHIR Bulk Data reader: a folder of an export's NDJSON files, one case per patient.

A Bulk Data export (``$export``) writes one NDJSON file per resource type:
``Patient.ndjson``, ``Condition.ndjson``, ``Observation.ndjson``,
``MedicationAdministration.ndjson``, ``MedicationRequest.ndjson``, ``Procedure.ndjson``
and perhaps others. Each resource names its patient (``subject`` or ``patient``, as
``Patient/<id>``). The resources are grouped by patient, each patient's group becomes
one Bundle (type ``collection``), and the Bundle is read by the project's FHIR reader
(``_fhir.read_bundle``): the same mapping, checks and refusals as ``secondline assess``
on a Bundle, so a cohort row agrees with the one-case answer.

Choices, where the specification leaves them to the reader:

* A row is a patient: its number is the line of ``Patient.ndjson``. A patient whose
  resources do not make a case (no disease read, an invalid value) is rejected with the
  reader's own problems.
* The resources of other files are held in memory, grouped by patient, while the
  patients are read a batch at a time: an export is read whole before the first batch.
  Every file named ``<ResourceType>.ndjson`` in the folder is read, not only the six above.
* A resource that names no patient, or a patient not in ``Patient.ndjson``, or a line
  that is not a JSON object, cannot belong to a case: it goes to ``rejected.ndjson`` with
  its file and line, and never stops the run.
* The case's own reference (``id``), which a Bundle carries as its identifier, is in an
  export the Patient's identifier of the project's case-id system, if there is one.
* ``as_of`` is ``--as-of``, else the day of the run (an export has no Bundle to carry the
  project's as-of extension).
* Each Bundle is validated in full (``fhir.resources``), as at the door of one case: the
  slower path, chosen so that no row is read differently from the one-case reader.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from secondline._cohort._frame import ROW, canonical, frame_of
from secondline._cohort._read import Batch, Reader, Rejected, register
from secondline._errors import CaseError

PATIENTS = "Patient.ndjson"


def takes(source: str) -> bool:
    return Path(source).is_dir() and (Path(source) / PATIENTS).is_file()


def _object(line: bytes) -> dict[str, Any] | None:
    try:
        found = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return found if isinstance(found, dict) else None


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient a resource belongs to, from ``subject`` or ``patient``."""
    for key in ("subject", "patient"):
        value = resource.get(key)
        reference = value.get("reference") if isinstance(value, dict) else None
        if isinstance(reference, str):
            parts = reference.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
                return parts[-1]
    return None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                yield number, line


def _others(folder: Path, patients: set[str],
            rejected: list[Rejected]) -> dict[str, list[dict[str, Any]]]:
    """Every other file's resources, by patient id."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.ndjson")):
        if path.name == PATIENTS or not path.stem.isalpha():
            continue
        for number, line in _lines(path):
            resource = _object(line)
            owner = patient_of(resource) if resource is not None else None
            if resource is None:
                why = "not a JSON object"
            elif resource.get("resourceType") != path.stem:
                why = f"resourceType is not {path.stem}"
            elif owner is None:
                why = "names no patient (subject or patient: Patient/<id>)"
            elif owner not in patients:
                why = f"its patient, Patient/{owner}, is not in {PATIENTS}"
            else:
                grouped.setdefault(owner, []).append(resource)
                continue
            rejected.append(Rejected(number, [f"{path.name} line {number}: {why}"],
                                     file=path.name))
    return grouped


def _bundle(patient: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The patient's Bundle; the case's own reference (the project's case-id identifier,
    which ``export-fhir`` puts on the Bundle) is taken from the Patient's identifiers."""
    from secondline._fhir.mapping import load_mapping

    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection",
                              "entry": [{"resource": r} for r in (patient, *resources)]}
    system = load_mapping().data.identifiers.case_id
    identifiers = patient.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identifier, dict) and identifier.get("system") == system:
            bundle["identifier"] = identifier
            break
    return bundle


def _read(row: int, bundle: dict[str, Any], as_of: dt.date | None
          ) -> tuple[dict[str, Any], int] | Rejected:
    from secondline._fhir.read import read_bundle

    try:
        reading = read_bundle(bundle, as_of)
    except CaseError as exc:
        return Rejected(row, exc.problems)
    return canonical(reading.case), len(reading.input.not_read)


def _batches(source: str, as_of: dt.date | None, size: int) -> Iterator[Batch]:
    folder = Path(source)
    patients: list[tuple[int, dict[str, Any] | None]] = [
        (number, _object(line)) for number, line in _lines(folder / PATIENTS)]
    ids = {str(p["id"]) for _, p in patients if p is not None and p.get("id")}
    rejected: list[Rejected] = []
    grouped = _others(folder, ids, rejected)
    first = True
    for start in range(0, max(len(patients), 1), size):
        cases: list[dict[str, Any]] = []
        rows: list[int] = []
        refs: list[str] = []
        batch = Batch(pl.DataFrame(), rejected if first else [], size=0)
        first = False
        for number, patient in patients[start:start + size]:
            batch.size += 1
            if patient is None or patient.get("resourceType") != "Patient" or not patient.get(
                    "id"):
                batch.rejected.append(Rejected(number, [
                    f"{PATIENTS} line {number}: not a Patient resource with an id"]))
                continue
            pid = str(patient["id"])
            found = _read(number, _bundle(patient, grouped.pop(pid, [])), as_of)
            if isinstance(found, Rejected):
                batch.rejected.append(found)
                continue
            case, not_read = found
            cases.append(case)
            rows.append(number)
            refs.append(f"Patient/{pid}")
            batch.notes["fhir_resources_not_read"] = (
                batch.notes.get("fhir_resources_not_read", 0) + not_read)
        batch.frame = frame_of(cases).with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
        batch.refs = pl.DataFrame({ROW: rows, "source_ref": refs},
                                  schema={ROW: pl.Int64, "source_ref": pl.String})
        batch.one_by_one = len(patients[start:start + size])
        yield batch


register(Reader(
    "fhir-bulk", takes, _batches,
    lambda s: sum(1 for _ in _lines(Path(s) / PATIENTS)),
))
