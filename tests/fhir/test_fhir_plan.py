"""The plan as FHIR R4: ``secondline assess --format fhir`` and ``$apply`` write a Bundle
with a CPG RequestGroup (one action group per plan step; each option a proposed request
with its reasons and citations), the options not suggested as ``doNotPerform`` requests,
the missing facts, and DetectedIssues for cautions and pages past their review date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle as R4Bundle

from fhir_bundles import BRIAN_L, ROOT
from secondline import assess, read_case
from secondline._cli import main
from secondline._fhir.write import write_bundle
from secondline.web import create_app

EXAMPLE = ROOT / "examples" / "ph-positive-all-relapsed.yaml"
APPLY = "/fhir/PlanDefinition/secondline/$apply"
RATIONALE = "http://hl7.org/fhir/uv/cpg/StructureDefinition/cpg-rationale"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _plan(capsys: pytest.CaptureFixture[str], path: Path, *more: str) -> dict[str, Any]:
    code, out, err = _run(capsys, "assess", str(path), "--format", "fhir", *more)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    R4Bundle.model_validate(data)  # valid FHIR R4
    return data


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_request_group_has_one_group_per_plan_step_with_cited_options(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = assess(read_case(str(EXAMPLE)))
    bundle = _plan(capsys, EXAMPLE)
    [group] = _of(bundle, "RequestGroup")
    assert (group["intent"], group["status"]) == ("proposal", "draft")
    contained = {r["id"]: r for r in group["contained"]}
    steps = [a for a in group["action"] if a["id"].startswith("step-")]
    assert [a["id"] for a in steps] == [f"step-{s.step}" for s in result.plan]
    options = {o.id: o for o in result.options}
    sources = {s.id: s for s in result.sources}
    for action, step in zip(steps, result.plan, strict=True):
        assert action["selectionBehavior"] == ("at-most-one" if step.choose else "any")
        for child, option_id in zip(action["action"], step.options, strict=True):
            option = options[option_id]
            request = contained[child["resource"]["reference"][1:]]
            assert request["resourceType"] in ("MedicationRequest", "ServiceRequest")
            assert request["intent"] == "option"
            assert request["identifier"][0]["value"] == option_id
            rationale = next(e["valueMarkdown"] for e in request["extension"]
                             if e["url"] == RATIONALE)
            assert all(reason in rationale for reason in option.reasons)
            assert child["textEquivalent"] == " ".join(option.reasons)
            for doc, cite in zip(child["documentation"], option.sources, strict=True):
                source = sources[cite.source]
                assert doc["type"] == "citation"
                assert doc["label"] == f"{source.publisher} › {cite.section}"
                assert doc.get("url") == source.url
    assert any(n["text"] == result.disclaimer for n in group["note"])


def test_options_not_suggested_are_do_not_perform_requests_with_their_reasons(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = assess(read_case(str(EXAMPLE)))
    [group] = _of(_plan(capsys, EXAMPLE), "RequestGroup")
    contained = {r["id"]: r for r in group["contained"]}
    refused = [contained[f"not-{n.id}"] for n in result.not_suggested]
    assert refused
    for request, item in zip(refused, result.not_suggested, strict=True):
        assert request["doNotPerform"] is True
        codes = [e.get("valueCode") for e in request["extension"]]
        assert item.outcome in codes
        assert all(r in json.dumps(request) for r in item.reasons)


def test_missing_facts_cautions_and_overdue_pages_are_written(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "examples" / "b-all-relapsed-cd19.yaml"
    result = assess(read_case(str(path)))
    bundle = _plan(capsys, path)
    [group] = _of(bundle, "RequestGroup")
    written = [e["valueCode"] for e in group.get("extension", [])]
    assert written == [m.field for m in result.missing]
    issues = _of(bundle, "DetectedIssue")
    overdue = [s for s in result.sources if s.review_overdue]
    assert len(issues) == len(result.cautions) + len(overdue)
    assert overdue  # the pages past their date are what this test is about
    for issue, source in zip(issues[len(result.cautions):], overdue, strict=True):
        assert source.title in issue["detail"]
        assert issue["severity"] == "low"


def test_the_guidance_layer_is_its_own_labelled_group_and_changes_no_option(
        capsys: pytest.CaptureFixture[str]) -> None:
    result = assess(read_case(str(EXAMPLE)), guidance="current")
    assert result.guidance is not None
    plain = _plan(capsys, EXAMPLE)
    current = _plan(capsys, EXAMPLE, "--guidance", "current")
    [without], [with_layer] = _of(plain, "RequestGroup"), _of(current, "RequestGroup")
    assert "current-guidance" not in [a["id"] for a in without["action"]]
    layer = next(a for a in with_layer["action"] if a["id"] == "current-guidance")
    assert "apart" in layer["title"]
    assert [a["code"][0]["coding"][0]["code"] for a in layer["action"]] == [
        i.id for i in result.guidance.items]
    for action in layer["action"]:
        assert "resource" not in action  # guidance proposes nothing of its own
        assert action["documentation"][0]["url"].startswith("https://")
        assert "Read on" in action["description"]
    steps = [a for a in with_layer["action"] if a["id"].startswith("step-")]
    assert steps == [a for a in without["action"] if a["id"].startswith("step-")]


def test_a_bundle_read_in_is_the_plans_subject_and_reason(
        capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _plan(capsys, BRIAN_L)
    [group] = _of(bundle, "RequestGroup")
    assert _of(bundle, "Patient") == []  # the record's own Patient is referred to
    assert group["subject"]["reference"].startswith("Patient/")
    assert group["reasonReference"][0]["reference"].startswith("Condition/")


def test_the_output_is_the_same_every_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert _plan(capsys, EXAMPLE) == _plan(capsys, EXAMPLE)


def test_json_and_another_format_together_are_refused_naming_the_argument(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "assess", str(EXAMPLE), "--json", "--format", "fhir")
    assert (code, out) == (2, "")
    assert "--json" in err
    assert "--format fhir" in err
    same = _run(capsys, "assess", str(EXAMPLE), "--json", "--format", "json")
    assert same[:2] == _run(capsys, "assess", str(EXAMPLE), "--json")[:2]
    assert _run(capsys, "assess", str(EXAMPLE), "--format", "text")[:2] == _run(
        capsys, "assess", str(EXAMPLE))[:2]


# -- $apply ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def _bundle() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(write_bundle(read_case(str(EXAMPLE)))))
    return data


def _apply(client: TestClient, body: Any, query: str = "") -> Any:
    return client.post(APPLY + query, content=json.dumps(body).encode(),
                       headers={"content-type": "application/fhir+json"})


def _steps(answer: Any) -> list[str]:
    [group] = _of(answer.json(), "RequestGroup")
    return [a["id"] for a in group["action"]]


def test_apply_takes_parameters_or_a_bare_bundle_and_answers_the_same(
        client: TestClient) -> None:
    parameters = {"resourceType": "Parameters", "parameter": [
        {"name": "subject", "valueString": "Patient/patient"},
        {"name": "data", "resource": _bundle()}]}
    by_parameters, bare = _apply(client, parameters), _apply(client, _bundle())
    assert by_parameters.status_code == bare.status_code == 200
    assert by_parameters.headers["content-type"].startswith("application/fhir+json")
    assert by_parameters.json() == bare.json()
    R4Bundle.model_validate(bare.json())


def test_apply_takes_the_guidance_setting_as_a_parameter_or_in_the_query(
        client: TestClient) -> None:
    parameters = {"resourceType": "Parameters", "parameter": [
        {"name": "data", "resource": _bundle()},
        {"name": "guidance", "valueCode": "current"}]}
    assert "current-guidance" in _steps(_apply(client, parameters))
    assert "current-guidance" in _steps(_apply(client, _bundle(), "?guidance=current"))
    assert "current-guidance" not in _steps(_apply(client, _bundle()))


@pytest.mark.parametrize(("body", "expression", "words"), [
    ({"resourceType": "Parameters", "parameter": [{"name": "dataEndpoint"}]},
     "Parameters.parameter[0].name", "not a parameter"),
    ({"resourceType": "Parameters", "parameter": []}, "Parameters.parameter",
     "no data parameter"),
    ({"resourceType": "Parameters", "parameter": [{"name": "data", "valueString": "x"}]},
     "Parameters.parameter[0].resource", "must hold a Bundle"),
    ({"resourceType": "Parameters", "parameter": [
        {"name": "data", "resource": {"resourceType": "Bundle", "type": "collection",
                                      "entry": "nope"}}]},
     "Parameters.parameter[0].resource", ""),
    ({"resourceType": "Patient"}, "resourceType", "Parameters resource or a Bundle"),
    ({"resourceType": "Parameters", "parameter": [
        {"name": "data", "resource": _bundle()},
        {"name": "guidance", "valueCode": "yesterday"}]},
     "Parameters.parameter[1].valueCode", "current"),
])
def test_invalid_apply_input_is_422_with_an_operation_outcome_naming_it(
        client: TestClient, body: Any, expression: str, words: str) -> None:
    answer = _apply(client, body)
    assert answer.status_code == 422
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(e.startswith(expression) for i in outcome["issue"]
               for e in i.get("expression", [])), outcome
    assert words in json.dumps(outcome)


@pytest.mark.parametrize(("raw", "content_type", "status"), [
    (b"{not json", "application/fhir+json", 422),
    (b'{"a": ' * 5000 + b"1" + b"}" * 5000, "application/json", 422),
    (b"[" * 200_000 + b"]" * 200_000, "application/json", 422),
    (b"[]", "application/json", 422),
    (b"resourceType: Bundle", "text/yaml", 415),
    (b" " * (1024 * 1024 + 1), "application/json", 413),
])
def test_hostile_apply_bodies_are_refused_by_name(client: TestClient, raw: bytes,
                                                  content_type: str, status: int) -> None:
    answer = client.post(APPLY, content=raw, headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    if status != 413:
        assert answer.json()["resourceType"] == "OperationOutcome"


def test_where_the_sources_are_silent_and_the_warnings_are_notes(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "examples" / "hcl-exactly-two-years.yaml"
    result = assess(read_case(str(path)))
    assert result.gaps  # the two readings of the 2-year rule
    [group] = _of(_plan(capsys, path), "RequestGroup")
    notes = [n["text"] for n in group["note"]]
    for gap in result.gaps:
        assert any(gap.text in n and n.startswith("Where the sources are silent")
                   for n in notes)
    for warning in result.warnings:
        assert any(warning in n for n in notes)


def test_what_a_bundle_held_but_was_not_read_is_a_note(
        capsys: pytest.CaptureFixture[str]) -> None:
    [group] = _of(_plan(capsys, BRIAN_L), "RequestGroup")
    assert any(n["text"].startswith("Not read from the record, Observation/")
               for n in group["note"])
