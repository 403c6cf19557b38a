"""The external fixtures keep their provenance, and are what they say they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CDS_HOOKS = FIXTURES / "cds-hooks"


def test_the_brian_l_readme_names_repo_path_commit_and_date() -> None:
    readme = (FIXTURES / "fhir" / "README.md").read_text(encoding="utf-8")
    for needed in ("HL7/fhir-mCODE-ig", "input/fsh/EX_ExtendedExample_Pediatric.fsh",
                   "543477b5585f2dcc717820a2bea141ea85f03012", "Transcribed on 2026-11-30",
                   "48807-2", "defined elsewhere"):
        assert needed in readme


@pytest.mark.parametrize("path", sorted(CDS_HOOKS.glob("*.json")), ids=lambda p: p.stem)
def test_each_cds_hooks_example_is_json_and_listed(path: Path) -> None:
    readme = (CDS_HOOKS / "README.md").read_text(encoding="utf-8")
    assert f"`{path.name}`" in readme
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert data


def test_the_cds_hooks_readme_names_tag_commit_and_file() -> None:
    readme = (CDS_HOOKS / "README.md").read_text(encoding="utf-8")
    for needed in ("HL7/cds-hooks", "v2.0.1", "9eb3da2ae1c06d96f67e4c290d98a3514cfb7d93",
                   "input/pagecontent/index.md"):
        assert needed in readme
    assert len(list(CDS_HOOKS.glob("*.json"))) == 10


def test_the_signed_token_is_the_header_and_payload_given() -> None:
    import base64

    token = (CDS_HOOKS / "jwt-signed-token.txt").read_text(encoding="utf-8").strip()
    header, payload, _signature = token.split(".")

    def decoded(part: str) -> object:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    assert decoded(header) == json.loads((CDS_HOOKS / "jwt-header.json").read_text())
    assert decoded(payload) == json.loads((CDS_HOOKS / "jwt-payload.json").read_text())


def test_the_discovery_templates_read_as_published() -> None:
    data = json.loads((CDS_HOOKS / "discovery.json").read_text(encoding="utf-8"))
    assert data["services"][0]["prefetch"]["patientToGreet"] == "Patient/{{context.patientId}}"
