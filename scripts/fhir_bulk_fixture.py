"""Write the FHIR Bulk Data fixture (tests/fixtures/fhir-bulk/) from the examples.

    python scripts/fhir_bulk_fixture.py

Each example case (examples/*.yaml) is exported with ``secondline export-fhir``, and
mCODE's pediatric example (tests/fixtures/fhir/brian-l.json) is added as it is; every
Bundle's resources are then split into one NDJSON file per resource type, as a Bulk Data
export writes them (Patient.ndjson, Condition.ndjson, Observation.ndjson,
MedicationRequest.ndjson, ...).

A Bulk export names each resource by ``<type>/<id>`` and each id is unique within its
type, while a Bundle may use ``urn:uuid:`` addresses and ids that repeat from Bundle to
Bundle (``patient``, ``disease``). So each exported case's resources get ids made from
the example's file name (``b-all-relapsed-cd19.disease``) and every reference to a
Bundle address becomes ``<type>/<id>``. The case's own reference, the Bundle's
identifier in an export of one case, becomes an identifier of the Patient (the cohort
reader looks for it there). Brian L's Bundle already uses unique ids and
``Patient/<id>`` references and is written unchanged.

The Bundle-level as-of date of an exported case has no place in a Bulk export; the tests
read the fixture and the examples at one ``--as-of`` date.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BRIAN_L = ROOT / "tests" / "fixtures" / "fhir" / "brian-l.json"
OUT = ROOT / "tests" / "fixtures" / "fhir-bulk"


def exported(path: Path) -> dict[str, Any]:
    """The example as ``secondline export-fhir`` writes it (run in this process)."""
    from secondline._cli import main as cli

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "bundle.json"
        if cli(["export-fhir", str(path), "-o", str(target)]) != 0:
            raise SystemExit(f"export-fhir failed on {path.name}")
        data: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return data


def _renamed(node: Any, addresses: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: (addresses.get(v, v) if k == "reference" and isinstance(v, str)
                    else _renamed(v, addresses)) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v, addresses) for v in node]
    return node


def bulk_resources(bundle: dict[str, Any], prefix: str | None) -> list[dict[str, Any]]:
    """A Bundle's resources as a Bulk export holds them: ids unique (``prefix.id``) and
    references as ``<type>/<id>``."""
    entries = [e for e in bundle["entry"] if "resource" in e]
    if prefix is None:
        return [e["resource"] for e in entries]
    if "identifier" in bundle:  # the case's own reference goes with the Patient
        for entry in entries:
            if entry["resource"]["resourceType"] == "Patient":
                entry["resource"].setdefault("identifier", []).append(bundle["identifier"])
    addresses: dict[str, str] = {}
    for entry in entries:
        resource = entry["resource"]
        new_id = f"{prefix}.{resource['id']}"
        target = f"{resource['resourceType']}/{new_id}"
        addresses[f"{resource['resourceType']}/{resource['id']}"] = target
        if entry.get("fullUrl"):
            addresses[entry["fullUrl"]] = target
        resource["id"] = new_id
    return [_renamed(e["resource"], addresses) for e in entries]


def main(out: Path = OUT) -> None:
    """Write the fixture into ``out`` (a test writes it elsewhere and compares)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    bundles = [(path.stem, exported(path)) for path in sorted(EXAMPLES.glob("*.yaml"))]
    bundles.append((None, json.loads(BRIAN_L.read_text(encoding="utf-8"))))
    for prefix, bundle in bundles:
        for resource in bulk_resources(bundle, prefix):
            by_type.setdefault(resource["resourceType"], []).append(resource)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ndjson"):
        old.unlink()
    for kind, resources in sorted(by_type.items()):
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in resources]
        (out / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{kind}.ndjson: {len(resources)}", file=sys.stderr)


if __name__ == "__main__":
    main()
