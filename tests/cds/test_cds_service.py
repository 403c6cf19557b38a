"""The CDS service over HTTP: discovery, cards for a record, the prefetch rules (sent,
fetched from the EHR's FHIR server, else 412), and hostile or broken calls refused by
name, never with a 500."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from cdskit import (
    ROOT,
    card_problems,
    hook_call,
    option_ids_of_cards,
    spec,
    split,
    stub_fhir_server,
)
from secondline import assess, read_case
from secondline._fhir.write import write_bundle
from secondline.web import create_app

BRIAN_L = json.loads((ROOT / "tests/fixtures/fhir/brian-l.json").read_text())
EXAMPLE = ROOT / "examples" / "b-all-relapsed-cd19.yaml"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("store") / "store.sqlite3"
    return TestClient(create_app(f"sqlite:///{db}"), client=("127.0.0.1", 40000))


def _example_bundle(path: Path = EXAMPLE) -> dict[str, Any]:
    return json.loads(json.dumps(write_bundle(read_case(str(path)))))


def _cards(client: TestClient, body: Any, service: str = "secondline") -> dict[str, Any]:
    answer = client.post(f"/cds-services/{service}", json=body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    assert card_problems(data) == []
    return data


def test_discovery_lists_both_patient_view_services_with_prefetch(client: TestClient) -> None:
    services = client.get("/cds-services").json()["services"]
    assert [s["id"] for s in services] == ["secondline", "secondline-current"]
    for service in services:
        assert service["hook"] == "patient-view"
        assert (service["version"], service["hookVersion"]) == ("2.0.1", "1.0")
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert set(service["prefetch"]) == {
            "patient", "conditions", "observations", "medicationRequests",
            "medicationAdministrations", "procedures"}
        assert all("{{context.patientId}}" in q for q in service["prefetch"].values())
    assert "current-guidance" in services[1]["description"]


def test_cards_for_an_example_hold_every_option_with_reasons_and_citations(
        client: TestClient) -> None:
    bundle = _example_bundle()
    data = _cards(client, hook_call(bundle))
    expected = {o.id for o in assess(read_case(str(EXAMPLE))).options}
    assert option_ids_of_cards(data) == expected
    overview = data["cards"][0]
    assert overview["source"]["topic"]["code"] == "assessment"
    assert "**Sources**" in overview["detail"]
    assert "prescribe" in overview["detail"]
    for card in data["cards"]:
        assert card["indicator"] in ("info", "warning")  # never critical: nothing ordered
        assert card["source"]["label"]
        assert card["links"][0]["type"] == "absolute"
        link = urlsplit(card["links"][0]["url"])
        assert (link.path, link.query) == ("/", "")  # the MDT page, nothing of the patient
        assert "Why, for this case" in card["detail"] or card is overview or \
            card["source"]["topic"]["code"] == "cautions"


def test_a_choice_of_one_is_one_card_with_at_most_one_suggestion(client: TestClient) -> None:
    path = ROOT / "examples" / "hcl-late-relapse.yaml"
    result = assess(read_case(str(path)))
    steps = [s for s in result.plan if s.choose == "one"]
    if not steps:
        pytest.fail("the example was chosen for its choice of one; the plan changed")
    data = _cards(client, hook_call(_example_bundle(path)))
    chosen = [c for c in data["cards"] if c.get("suggestions")]
    assert len(chosen) == len(steps)
    for card, step in zip(chosen, steps, strict=True):
        assert card["selectionBehavior"] == "at-most-one"
        assert not any(s.get("isRecommended") for s in card["suggestions"])
        assert [a["resource"]["intent"] for s in card["suggestions"]
                for a in s["actions"]] == ["proposal"] * len(step.options)
        assert card["summary"].startswith("To discuss, one of:")


def test_the_same_call_gives_the_same_uuids_and_another_call_new_ones(
        client: TestClient) -> None:
    body = hook_call(_example_bundle())
    first, again = _cards(client, body), _cards(client, body)
    assert [c["uuid"] for c in first["cards"]] == [c["uuid"] for c in again["cards"]]
    other = _cards(client, {**body, "hookInstance": "another-instance"})
    assert not {c["uuid"] for c in first["cards"]} & {c["uuid"] for c in other["cards"]}


def test_brian_l_gets_cards_and_the_current_service_adds_no_option(
        client: TestClient) -> None:
    pages = _cards(client, hook_call(BRIAN_L))
    current = _cards(client, hook_call(BRIAN_L), "secondline-current")
    assert option_ids_of_cards(pages) == option_ids_of_cards(current)
    assert option_ids_of_cards(pages) >= {"supportive-care"}


def test_the_current_service_puts_guidance_on_cards_of_its_own(client: TestClient) -> None:
    path = ROOT / "examples" / "ph-positive-all-relapsed.yaml"
    result = assess(read_case(str(path)), guidance="current")
    assert result.guidance is not None
    assert result.guidance.items
    pages = _cards(client, hook_call(_example_bundle(path)))
    current = _cards(client, hook_call(_example_bundle(path)), "secondline-current")
    guidance = [c for c in current["cards"]
                if c["source"]["topic"]["system"].endswith("/CodeSystem/guidance")]
    assert [c["source"]["topic"]["code"] for c in guidance] == [
        i.id for i in result.guidance.items]
    for card in guidance:
        assert "apart from the pages' answer" in card["detail"]
        assert "read on" in card["detail"]
        assert card["source"]["url"].startswith("https://")
    assert not any(c["source"]["topic"]["system"].endswith("/CodeSystem/guidance")
                   for c in pages["cards"])


def test_a_record_of_another_disease_gets_no_cards(client: TestClient) -> None:
    bundle = copy.deepcopy(_example_bundle())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Condition":
            entry["resource"]["code"] = {"coding": [{"system": "http://snomed.info/sct",
                                                     "code": "38341003"}],
                                         "text": "Hypertension"}
    assert client.post("/cds-services/secondline", json=hook_call(bundle)).json() == {
        "cards": []}


def test_a_record_that_cannot_be_read_as_a_case_gets_one_warning_card(
        client: TestClient) -> None:
    bundle = copy.deepcopy(_example_bundle())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"].pop("birthDate", None)
            entry["resource"].pop("extension", None)
    data = _cards(client, hook_call(bundle))
    assert [c["indicator"] for c in data["cards"]] == ["warning"]
    assert "could not assess" in data["cards"][0]["summary"]


def test_missing_prefetch_without_a_fhir_server_is_412(client: TestClient) -> None:
    body = hook_call(_example_bundle())
    del body["prefetch"]["observations"]
    body["prefetch"]["procedures"] = {"resourceType": "OperationOutcome", "issue": []}
    answer = client.post("/cds-services/secondline", json=body)
    assert answer.status_code == 412
    named = [i["expression"][0] for i in answer.json()["issue"]]
    assert named == ["prefetch.observations", "prefetch.procedures"]


def test_null_prefetch_means_nothing_of_that_kind(client: TestClient) -> None:
    body = hook_call(_example_bundle())
    body["prefetch"]["medicationAdministrations"] = None
    assert client.post("/cds-services/secondline", json=body).status_code == 200


def test_the_specifications_request_is_answered_from_a_fhir_server(
        client: TestClient) -> None:
    """The spec's patient-view call prefetches only its own key; every key of this
    service is fetched from its fhirServer (here a stub), with its bearer token."""
    bundle = _example_bundle()
    _patient_id, prefetch = split(bundle)
    resources = [prefetch["patient"]] + [e["resource"] for key, b in prefetch.items()
                                          if key != "patient" for e in b["entry"]]
    for resource in resources:
        if resource["resourceType"] == "Patient":
            resource["id"] = "1288992"
        elif "subject" in resource:
            resource["subject"] = {"reference": "Patient/1288992"}
    with stub_fhir_server(resources) as fhir:
        body = {**spec("patient-view-request.json"), "fhirServer": fhir.url}
        data = _cards(client, body)
        assert option_ids_of_cards(data) == {o.id for o in assess(
            read_case(str(EXAMPLE))).options}
        paths = sorted(path.split("?")[0] for path, _ in fhir.seen)
        assert paths == ["/fhir/Condition", "/fhir/MedicationAdministration",
                         "/fhir/MedicationRequest", "/fhir/Observation", "/fhir/Patient/1288992",
                         "/fhir/Procedure"]
        assert {auth for _, auth in fhir.seen} == {"Bearer some-opaque-fhir-access-token"}
        fhir.status = 500
        refused = client.post("/cds-services/secondline", json=body)
        assert refused.status_code == 412
        assert "answered 500" in refused.text


def test_an_unreachable_fhir_server_is_412(client: TestClient) -> None:
    body = hook_call(_example_bundle(), fhirServer="http://127.0.0.1:9/fhir")
    del body["prefetch"]["conditions"]
    answer = client.post("/cds-services/secondline", json=body)
    assert answer.status_code == 412
    assert "could not be reached" in answer.text


def test_an_unknown_service_is_404(client: TestClient) -> None:
    answer = client.post("/cds-services/no-such-service", json=hook_call(_example_bundle()))
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert client.post("/cds-services/nope/feedback", json={}).status_code == 404


def test_without_a_trust_file_a_client_elsewhere_is_refused_403(
        client: TestClient) -> None:
    elsewhere = TestClient(client.app, client=("203.0.113.9", 40000))
    for path in ("/cds-services/secondline", "/cds-services/secondline/feedback"):
        answer = elsewhere.post(path, json=hook_call(_example_bundle()))
        assert answer.status_code == 403
        assert "loopback" in answer.text or "this machine" in answer.text
    assert elsewhere.get("/cds-services").status_code == 200  # discovery holds no data


@pytest.mark.parametrize(("body", "status", "named"), [
    (b"not json at all", 422, "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, 422, "body"),
    (b'{"a": ' * 5000 + b"1" + b"}" * 5000, 422, "body"),
    (b"\xff\xfe", 422, "UTF-8"),
    (b"[]", 422, "JSON object"),
    (b'{"hook": "patient-view"}', 422, "hookInstance"),
    (b"", 422, "empty"),
])
def test_hostile_bodies_are_refused_by_name(client: TestClient, body: bytes, status: int,
                                            named: str) -> None:
    for path in ("/cds-services/secondline", "/cds-services/secondline/feedback"):
        answer = client.post(path, content=body,
                             headers={"content-type": "application/json"})
        assert answer.status_code == status, answer.text
        if path.endswith("secondline"):
            assert named in answer.text


def test_a_huge_body_is_413(client: TestClient) -> None:
    answer = client.post("/cds-services/secondline", content=b" " * (1024 * 1024 + 1),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_a_prefetch_of_the_wrong_shape_is_422(client: TestClient) -> None:
    body = hook_call(_example_bundle())
    body["prefetch"]["conditions"] = ["not", "a", "resource"]
    answer = client.post("/cds-services/secondline", json=body)
    assert answer.status_code == 422
    assert answer.json()["issue"][0]["expression"] == ["prefetch.conditions"]


def test_what_the_record_holds_but_was_not_read_is_listed_on_the_overview(
        client: TestClient) -> None:
    data = _cards(client, hook_call(BRIAN_L))
    detail = data["cards"][0]["detail"]
    assert "**Not read from the record**" in detail
    assert "`Observation/" in detail  # Brian L's narrative reports are named by id


def test_a_search_result_with_further_pages_is_said_so(client: TestClient) -> None:
    body = hook_call(_example_bundle())
    body["prefetch"]["observations"]["link"] = [
        {"relation": "next", "url": "https://ehr.example.org/Observation?page=2"}]
    detail = _cards(client, body)["cards"][0]["detail"]
    assert "`prefetch.observations`: the search result has further pages" in detail
    plain = _cards(client, hook_call(_example_bundle()))["cards"][0]["detail"]
    assert "further pages" not in plain


def test_a_fhir_server_off_the_issuers_list_is_not_fetched_from() -> None:
    import asyncio

    from secondline._cds_hooks.prefetch import PrefetchError, gather
    from secondline._cds_hooks.service import read_call

    body = {**spec("patient-view-request.json"),
            "fhirServer": "https://fhir.example.org.evil.example/fhir"}
    call, context = read_call(body)
    with pytest.raises(PrefetchError) as caught:
        asyncio.run(gather(call, context.patientId, ["https://fhir.example.org"]))
    assert caught.value.status == 412
    assert "not a server this service may fetch from" in caught.value.problems[0]


def test_where_the_sources_are_silent_is_on_the_overview(client: TestClient) -> None:
    path = ROOT / "examples" / "hcl-late-relapse.yaml"
    case = read_case(str(path))
    result = assess(case.model_copy(update={"as_of": dt.date.today()}))  # a call's day
    assert result.gaps
    detail = _cards(client, hook_call(_example_bundle(path)))["cards"][0]["detail"]
    assert "**Where the sources are silent**" in detail
    assert all(g.text in detail for g in result.gaps)


def test_prefetch_that_is_not_valid_fhir_is_422_naming_the_resource(
        client: TestClient) -> None:
    body = hook_call(_example_bundle())
    body["prefetch"]["observations"]["entry"][0]["resource"]["status"] = 42
    rid = body["prefetch"]["observations"]["entry"][0]["resource"]["id"]
    answer = client.post("/cds-services/secondline", json=body)
    assert answer.status_code == 422
    assert any(e.startswith(f"prefetch Observation/{rid}.status")
               for i in answer.json()["issue"] for e in i.get("expression", []))
    body["prefetch"]["procedures"]["entry"] = [{"resource": {"resourceType": "Spaceship"}}]
    assert client.post("/cds-services/secondline", json=body).status_code == 422
