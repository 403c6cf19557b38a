"""Feedback on cards is kept in the case store's audit trail: the outcome, the
suggestions accepted, the override reason (from the store's list) and the comment, with
what the card was about; a broken feedback body is refused by field."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cdskit import hook_call, spec
from secondline._fhir.write import write_bundle
from secondline._store import Database, override_reasons, upgrade
from secondline._store.core import audit_rows
from secondline.web import create_app
from storekit import example

PATH = "/cds-services/secondline/feedback"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def client(store: Database) -> TestClient:
    return TestClient(create_app(store.url), client=("127.0.0.1", 40000))


def _feedback_rows(store: Database) -> list[dict[str, Any]]:
    with store.read() as connection:
        return [r for r in audit_rows(connection) if r["action"] == "cds-feedback"]


def _cards(client: TestClient, name: str) -> list[dict[str, Any]]:
    bundle = json.loads(json.dumps(write_bundle(example(name))))
    answer = client.post("/cds-services/secondline", json=hook_call(bundle))
    assert answer.status_code == 200
    cards: list[dict[str, Any]] = answer.json()["cards"]
    return cards


def test_an_override_with_a_listed_reason_is_kept_with_the_cards_topic(
        client: TestClient, store: Database) -> None:
    card = next(c for c in _cards(client, "b-all-relapsed-cd19")
                if c["source"]["topic"]["code"] == "blinatumomab")
    offered = card["overrideReasons"]
    assert [r["code"] for r in offered] == [r.code for r in override_reasons()]
    body = {"feedback": [{"card": card["uuid"], "outcome": "overridden",
                          "overrideReason": {"reason": offered[0],
                                             "userComment": "Discussed at the MDT"},
                          "outcomeTimestamp": "2026-11-30T09:00:00Z"}]}
    answer = client.post(PATH, json=body)
    assert answer.json() == {"recorded": 1}
    [row] = _feedback_rows(store)
    assert (row["actor"], row["target"]) == ("cds-client:loopback", card["uuid"])
    detail = row["detail"]
    assert detail["outcome"] == "overridden"
    assert detail["override_reason"]["code"] == offered[0]["code"]
    assert detail["override_reason"]["offered"] is True
    assert detail["user_comment"] == "Discussed at the MDT"
    assert detail["topic"]["code"] == "blinatumomab"
    assert detail["service"] == "secondline"


def test_an_accepted_suggestion_is_kept(client: TestClient, store: Database) -> None:
    card = next(c for c in _cards(client, "hcl-late-relapse") if c.get("suggestions"))
    chosen = card["suggestions"][0]["uuid"]
    body = {"feedback": [{"card": card["uuid"], "outcome": "accepted",
                          "acceptedSuggestions": [{"id": chosen}],
                          "outcomeTimestamp": "2026-11-30T09:00:00Z"}]}
    assert client.post(PATH, json=body).status_code == 200
    [row] = _feedback_rows(store)
    assert row["detail"]["accepted_suggestions"] == [chosen]
    assert row["detail"]["topic"]["code"] == "hcl-treatment"


@pytest.mark.parametrize("name", ["feedback-accepted.json", "feedback-overridden.json",
                                  "feedback-overridden-with-reason.json"])
def test_the_specifications_feedback_is_kept(client: TestClient, store: Database,
                                             name: str) -> None:
    assert client.post(PATH, json=spec(name)).status_code == 200
    rows = _feedback_rows(store)
    assert [r["target"] for r in rows] == [f["card"] for f in spec(name)["feedback"]]
    assert "topic" not in rows[0]["detail"]  # a card this process never made


@pytest.mark.parametrize(("change", "named"), [
    (lambda f: f.pop("acceptedSuggestions"), "cds-fb-2"),
    (lambda f: f.update(outcome="ignored"), "outcome"),
    (lambda f: f.update(outcomeTimestamp="2020-12-11T00:00:00"), "UTC"),
    (lambda f: f.update(outcome="overridden", overrideReason={}), "cds-fb-3"),
    (lambda f: f.update(card="x" * 81), "card"),
])
def test_broken_feedback_is_refused_by_field(client: TestClient, store: Database,
                                             change: Any, named: str) -> None:
    body = copy.deepcopy(spec("feedback-accepted.json"))
    change(body["feedback"][0])
    answer = client.post(PATH, json=body)
    assert answer.status_code == 422
    assert named in answer.text
    assert _feedback_rows(store) == []


def test_a_comment_with_control_characters_keeps_nothing(client: TestClient,
                                                         store: Database) -> None:
    body = copy.deepcopy(spec("feedback-overridden-with-reason.json"))
    body["feedback"][0]["overrideReason"]["userComment"] = "bad\x00comment"
    answer = client.post(PATH, json=body)
    assert answer.status_code == 422
    assert "userComment" in answer.text
    assert _feedback_rows(store) == []


def test_feedback_without_a_store_set_up_is_503(tmp_path: Path) -> None:
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'none.sqlite3'}"),
                        client=("127.0.0.1", 40000))
    answer = client.post(PATH, json=spec("feedback-overridden.json"))
    assert answer.status_code == 503
    assert "secondline db upgrade" in answer.text
