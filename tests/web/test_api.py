"""The JSON API: the same answers as the CLI, problems named, limits kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def as_json(path: Path) -> str:
    return json.dumps(yaml.safe_load(path.read_text()), default=str)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_assess_answers_byte_for_byte_what_the_cli_prints(client: TestClient, path: Path) -> None:
    cli = subprocess.run(
        [sys.executable, "-m", "secondline", "assess", str(path), "--json"],
        capture_output=True, check=True,
    ).stdout
    answer = client.post("/api/assess", content=as_json(path),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == cli


def test_yaml_bodies_are_read_like_case_files(client: TestClient) -> None:
    path = ROOT / "examples" / "hcl-late-relapse.yaml"
    from_yaml = client.post("/api/assess", content=path.read_text(),
                            headers={"content-type": "application/yaml"})
    from_json = client.post("/api/assess", content=as_json(path),
                            headers={"content-type": "application/json"})
    assert from_yaml.status_code == 200
    assert from_yaml.json() == from_json.json()


def test_every_problem_is_one_entry_naming_its_field(client: TestClient) -> None:
    case = {"age": 150, "disease": "AML", "colour": "blue",
            "markers": {"CD19": "maybe"},
            "treatments": [{"started": "2025-06-01", "ended": "2025-01-01"}]}
    answer = client.post("/api/assess", json=case)
    assert answer.status_code == 422
    fields = [p["field"] for p in answer.json()["detail"]]
    assert sorted(fields) == sorted(
        ["age", "disease", "colour", "markers.CD19", "treatments[0].ended"])
    assert all(p["message"] for p in answer.json()["detail"])


@pytest.mark.parametrize(("body", "content_type", "field", "words"), [
    (b"", "application/json", "body", "empty"),
    (b"{not json", "application/json", "body", "not valid JSON"),
    (b'{"age": 3, "age": 4, "disease": "T-ALL"}', "application/json", "age", "given twice"),
    (b'{"age": NaN, "disease": "T-ALL"}', "application/json", "body", "NaN"),
    (b"\xff\xfe", "application/json", "body", "UTF-8"),
    (b"[1, 2]", "application/json", "case", "mapping"),
    (b"age: [", "application/yaml", "body", "not valid YAML"),
    (b'{"age": true, "disease": "T-ALL"}', "application/json", "age", "whole number"),
])
def test_malformed_bodies_get_422_not_500(
    client: TestClient, body: bytes, content_type: str, field: str, words: str
) -> None:
    answer = client.post("/api/assess", content=body, headers={"content-type": content_type})
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert problem["field"] == field
    assert words in problem["message"]


def test_bodies_over_one_mebibyte_get_413(client: TestClient) -> None:
    padding = " " * (1024 * 1024)
    answer = client.post("/api/assess", content='{"age": 3, "disease": "T-ALL"}' + padding,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["detail"][0]["field"] == "body"


def test_a_streamed_body_over_the_limit_also_gets_413(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 65536

    answer = client.post("/api/assess", content=chunks(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_a_body_just_under_the_limit_is_read(client: TestClient) -> None:
    case = '{"age": 3, "disease": "T-ALL"}'
    body = case + " " * (1024 * 1024 - len(case))
    answer = client.post("/api/assess", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200


def test_schema_sources_and_health(client: TestClient) -> None:
    schema = client.get("/api/schema").json()
    assert schema["title"] == "secondline case"
    assert "age" in schema["required"]
    assessment = client.get("/api/schema", params={"of": "assessment"}).json()
    assert assessment["title"] == "secondline assessment"
    sources = client.get("/api/sources").json()
    assert {s["id"] for s in sources} >= {"cruk-all-rr", "ccs-all-rr", "lc-all-rr"}
    overdue = {s["id"]: s["review_overdue"] for s in sources}
    assert overdue["cruk-all-rr"] is True  # due 2025-07-27
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["options"] >= 22


def test_a_bad_query_parameter_is_named(client: TestClient) -> None:
    answer = client.post("/api/leaflet", params={"format": "docx"},
                         content='{"age": 3, "disease": "T-ALL"}',
                         headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "query.format"


def test_openapi_documents_the_case_and_the_assessment(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/assess"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Case"}
    answers = spec["paths"]["/api/assess"]["post"]["responses"]
    assert set(answers) >= {"200", "413", "422"}
    schemas = spec["components"]["schemas"]
    assert {"Case", "CaseTreatment", "CaseAssessment", "Assessment", "Problems"} <= set(schemas)
    assert "marrow_blasts_percent" in schemas["CaseAssessment"]["properties"]
    assert "options" in schemas["Assessment"]["properties"]
    assert not any("$defs" in json.dumps(s) for s in schemas.values())


def test_pages_keep_to_the_apps_own_files(client: TestClient) -> None:
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy
    assert "http" not in page.text.split("<body", 1)[0]  # no remote script, style or font
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(("body", "content_type", "words"), [
    (b"[" * 100_000 + b"]" * 100_000, "application/yaml", "nested more than 64 levels"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deeply"),
    (b'{"age": 1' + b"0" * 5000 + b', "disease": "T-ALL"}', "application/json", "too long"),
    (b"age: 3\ndisease: T-ALL\ndiagnosed: 2020-02-30\n", "application/yaml",
     "is not a real date"),
    (b"? {a: 1}\n: 2\n", "application/yaml", "not valid"),
])
def test_hostile_bodies_get_a_named_422(
    client: TestClient, body: bytes, content_type: str, words: str
) -> None:
    for path in ("/api/assess", "/api/leaflet"):
        answer = client.post(path, content=body, headers={"content-type": content_type})
        assert answer.status_code == 422
        assert words in answer.json()["detail"][0]["message"]


def test_pdf_leaflets_beyond_the_render_slots_get_503_with_retry_after(
    client: TestClient,
) -> None:
    from secondline._web import guard

    case = b'{"age": 40, "disease": "B-ALL", "as_of": "2026-11-23"}'
    held = [guard.render_slot() for _ in range(guard.MAX_RENDERS)]
    for slot in held:
        slot.__enter__()
    try:
        busy = client.post("/api/leaflet?format=pdf", content=case,
                           headers={"content-type": "application/json"})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == str(guard.RETRY_AFTER_SECONDS)
        assert busy.json()["detail"][0]["field"] == "format"
        html = client.post("/api/leaflet?format=html", content=case,
                           headers={"content-type": "application/json"})
        assert html.status_code == 200  # HTML takes no render slot
    finally:
        for slot in held:
            slot.__exit__(None, None, None)
    again = client.post("/api/leaflet?format=pdf", content=case,
                        headers={"content-type": "application/json"})
    assert again.status_code == 200
    assert again.content.startswith(b"%PDF")


def test_the_503_is_in_the_api_description(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    answers = spec["paths"]["/api/leaflet"]["post"]["responses"]
    assert "503" in answers
    assert "Retry-After" in answers["503"]["description"]
