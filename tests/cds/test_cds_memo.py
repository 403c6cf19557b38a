"""What the reader and the engine made of a record is remembered (``memo``): an answer
from memory is the answer made afresh, a changed record is read again, two patients
never share an answer, and the bound holds."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cdskit import ROOT, hook_call
from secondline import read_case
from secondline._cds_hooks import memo
from secondline._fhir.write import write_bundle
from secondline.web import create_app

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = tmp_path_factory.mktemp("store") / "store.sqlite3"
    return TestClient(create_app(f"sqlite:///{db}"), client=("127.0.0.1", 40000))


def _bundle(name: str) -> dict[str, Any]:
    path: Path = EXAMPLES / f"{name}.yaml"
    return json.loads(json.dumps(write_bundle(read_case(str(path)))))


def _post(client: TestClient, body: dict[str, Any],
          service: str = "secondline") -> dict[str, Any]:
    answer = client.post(f"/cds-services/{service}", json=body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _fresh(client: TestClient, body: dict[str, Any],
           service: str = "secondline") -> dict[str, Any]:
    """The answer with nothing remembered."""
    memo.MEMO.clear()
    return _post(client, body, service)


@pytest.mark.parametrize("service", ["secondline", "secondline-current"])
def test_an_answer_from_memory_is_the_answer_made_afresh(client: TestClient,
                                                         service: str) -> None:
    body = hook_call(_bundle("b-all-relapsed-cd19"))
    made = _fresh(client, body, service)
    assert len(memo.MEMO) == 1
    assert _post(client, body, service) == made


def test_cards_from_memory_carry_the_calls_own_uuids_and_patient(
        client: TestClient) -> None:
    body = hook_call(_bundle("hcl-late-relapse"))
    _fresh(client, body)
    other = {**copy.deepcopy(body), "hookInstance": "another-instance",
             "context": {**body["context"], "patientId": "someone-else"}}
    remembered = _post(client, other)
    assert remembered == _fresh(client, other)
    first = {c["uuid"] for c in _post(client, body)["cards"]}
    assert not first & {c["uuid"] for c in remembered["cards"]}
    subjects = {a["resource"]["subject"]["reference"] for c in remembered["cards"]
                for s in c.get("suggestions", []) for a in s["actions"]}
    assert subjects == {"Patient/someone-else"}


def test_a_changed_record_is_read_again(client: TestClient) -> None:
    body = hook_call(_bundle("b-all-relapsed-cd19"))
    before = _fresh(client, body)
    changed = copy.deepcopy(body)
    condition = changed["prefetch"]["conditions"]["entry"][0]["resource"]
    condition["code"] = {"text": "Hairy cell leukaemia"}
    remembered = _post(client, changed)
    assert len(memo.MEMO) == 2  # read and kept beside the first
    assert remembered != before
    assert remembered == _fresh(client, changed)


def test_two_patients_never_share_an_answer(client: TestClient) -> None:
    late, early = (hook_call(_bundle(n)) for n in ("hcl-late-relapse", "hcl-early-relapse"))
    assert late["context"]["patientId"] == early["context"]["patientId"]  # the same id
    early["hookInstance"] = late["hookInstance"]
    alone = _fresh(client, early)
    _post(client, late)
    assert _post(client, early) == alone
    assert _post(client, late) != alone


def test_the_key_is_the_content_the_service_and_the_day() -> None:
    resources = [{"resourceType": "Patient", "id": "a", "birthDate": "1970-01-01"}]
    today = dt.date(2026, 1, 1)
    base = memo.key(resources, None, "secondline", today)
    assert memo.key(copy.deepcopy(resources), None, "secondline", today) == base
    reordered = [{"birthDate": "1970-01-01", "id": "a", "resourceType": "Patient"}]
    assert memo.key(reordered, None, "secondline", today) == base
    assert len({base, memo.key([{**resources[0], "id": "b"}], None, "secondline", today),
                memo.key(resources, "https://ehr.example/fhir", "secondline", today),
                memo.key(resources, None, "secondline-current", today),
                memo.key(resources, None, "secondline", dt.date(2026, 1, 2))}) == 5
    # what orjson does not write (a lone surrogate, an integer past 64 bits) still has a key
    odd = [{"resourceType": "Patient", "id": "a", "name": [{"text": "\ud800"}]}]
    big = [{"resourceType": "Observation", "id": "a", "valueInteger": 2 ** 70}]
    assert len({memo.key(r, None, "secondline", today) for r in (odd, big, resources)}) == 3
    assert memo.key(big, None, "secondline", today) == memo.key(copy.deepcopy(big), None,
                                                                   "secondline", today)


def test_the_bound_holds_in_entries_and_in_bytes() -> None:
    kept = memo.Memo(max_entries=3, max_bytes=1000)
    for n in range(10):
        kept.put(bytes([n]), memo.Outcome(None, (), 100))
        assert len(kept) <= 3
        assert kept.bytes <= 1000
    assert kept.get(bytes([9])) is not None
    assert kept.get(bytes([0])) is None
    kept.get(bytes([7]))  # used: the least recently used goes first
    kept.put(b"big", memo.Outcome(None, (), 900))  # 8 and 9 go; 7 was used since
    assert kept.bytes == 1000
    assert len(kept) == 2
    assert kept.get(bytes([7])) is not None
    assert kept.get(bytes([9])) is None
    kept.put(b"too big", memo.Outcome(None, (), 1001))
    assert kept.get(b"too big") is None
    assert kept.get(b"big") is not None
    kept.put(b"big", memo.Outcome(None, (), 500))  # kept again: counted once
    assert kept.bytes == 600
    assert len(kept) == 2
