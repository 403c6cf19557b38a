"""The checker of CDS Hooks' rules accepts the specification's own examples and refuses
each broken rule; the service's models read the specification's requests and feedback."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cdskit import card_problems, spec
from secondline._cds_hooks.models import CardsResponse, Discovery, Feedback, HookRequest
from secondline._cds_hooks.service import HookError, read_call


def test_the_checker_accepts_the_specifications_card_response() -> None:
    assert card_problems(spec("card-response.json")) == []
    CardsResponse.model_validate(spec("card-response.json"))  # and so do the models


def test_the_specifications_autolaunchable_example_lacks_only_its_indicator() -> None:
    """The example in index.md (l.793-816) has no ``indicator``, which the Card table
    of the same page makes REQUIRED; the checker names that and nothing else."""
    assert card_problems(spec("card-response-autolaunchable.json")) == [
        "cards[0].indicator: info, warning or critical"]
    fixed = copy.deepcopy(spec("card-response-autolaunchable.json"))
    fixed["cards"][0]["indicator"] = "info"
    assert card_problems(fixed) == []
    CardsResponse.model_validate(fixed)


def _broken(change: Any) -> dict[str, Any]:
    response = copy.deepcopy(spec("card-response.json"))
    change(response["cards"][0])
    return response


@pytest.mark.parametrize(("change", "named"), [
    (lambda c: c.update(summary="x" * 140), "summary"),
    (lambda c: c["source"].pop("label"), "source.label"),
    (lambda c: c.update(indicator="danger"), "indicator"),
    (lambda c: c.update(suggestions=[{"label": "a"}]), "selectionBehavior"),
    (lambda c: c["links"][0].update(type="absolute", appContext="x"), "appContext"),
    (lambda c: c.update(uuid="not-a-uuid"), "not a UUID"),
    (lambda c: c.update(overrideReasons=[{"code": "x"}]), "cds-resp-4"),
])
def test_the_checker_refuses_each_broken_rule(change: Any, named: str) -> None:
    problems = card_problems(_broken(change))
    assert any(named in p for p in problems), problems


def test_the_checker_refuses_a_uuid_used_twice() -> None:
    response = copy.deepcopy(spec("card-response.json"))
    response["cards"].append(copy.deepcopy(response["cards"][0]))
    response["cards"][0]["uuid"] = response["cards"][1]["uuid"] = (
        "4e0a3a1e-3283-4575-ab82-028d55fe2719")
    assert "uuids: not unique" in card_problems(response)


def test_the_models_read_the_specifications_discovery_and_request() -> None:
    services = Discovery.model_validate(spec("discovery.json")).services
    assert next(s.hook for s in services) == "patient-view"
    call, context = read_call(spec("patient-view-request.json"))
    assert call.fhirAuthorization is not None
    assert call.fhirAuthorization.access_token == "some-opaque-fhir-access-token"
    assert (context.patientId, context.encounterId) == ("1288992", "89284")
    assert HookRequest.model_validate(spec("patient-view-request.json")).prefetch


@pytest.mark.parametrize("name", ["feedback-accepted.json", "feedback-overridden.json",
                                  "feedback-overridden-with-reason.json"])
def test_the_models_read_the_specifications_feedback(name: str) -> None:
    given = Feedback.model_validate(spec(name))
    assert given.feedback[0].card
    assert given.feedback[0].outcomeTimestamp.tzinfo is not None


@pytest.mark.parametrize(("change", "named"), [
    (lambda r: r.pop("fhirServer"), "fhirServer is required"),
    (lambda r: r.update(hook="order-sign"), "hook"),
    (lambda r: r["context"].pop("patientId"), "context.patientId"),
    (lambda r: r["context"].update(userId="nobody"), "context.userId"),
    (lambda r: r.update(hookInstance=""), "hookInstance"),
])
def test_a_broken_call_is_refused_by_field(change: Any, named: str) -> None:
    request = copy.deepcopy(spec("patient-view-request.json"))
    change(request)
    with pytest.raises(HookError) as caught:
        read_call(request)
    assert caught.value.status == 422
    assert any(named in p for p in caught.value.problems), caught.value.problems
