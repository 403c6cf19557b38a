"""One rule base, every door: for every example (and Brian L's FHIR record), the options
from the native case, from its exported Bundle read back, from ``$apply`` and from the
CDS Hooks cards are the same set, with and without the current-guidance layer.

A CDS Hooks call is judged on the day it is made (its record carries no ``as_of``), so
the cards are compared with the case judged today; the other doors with the case's own
date. The hypothesis round trip native -> Bundle -> native (the same whole assessment)
is ``tests/fhir/test_fhir_roundtrip.py``."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

from cdskit import card_problems, hook_call, option_ids_of_cards, option_ids_of_plan
from secondline import Case, assess, read_case
from secondline._cli import main
from secondline._fhir.read import read_bundle
from secondline.web import create_app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BRIAN_L = ROOT / "tests" / "fixtures" / "fhir" / "brian-l.json"
Guidance = Literal["current"] | None


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), client=("127.0.0.1", 40000))


def _ids(case: Case, guidance: Guidance) -> set[str]:
    return {o.id for o in assess(case, guidance=guidance).options}


def _exported(path: Path) -> dict[str, Any]:
    """``secondline export-fhir CASE``, as a user runs it."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export-fhir", str(path)]) == 0
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _apply(client: TestClient, bundle: dict[str, Any], guidance: Guidance) -> set[str]:
    parameters: list[dict[str, Any]] = [{"name": "data", "resource": bundle}]
    if guidance:
        parameters.append({"name": "guidance", "valueCode": guidance})
    answer = client.post("/fhir/PlanDefinition/secondline/$apply",
                         json={"resourceType": "Parameters", "parameter": parameters},
                         headers={"content-type": "application/fhir+json"})
    assert answer.status_code == 200, answer.text
    return option_ids_of_plan(answer.json())


def _cards(client: TestClient, bundle: dict[str, Any], guidance: Guidance) -> set[str]:
    service = "secondline-current" if guidance else "secondline"
    answer = client.post(f"/cds-services/{service}", json=hook_call(bundle))
    assert answer.status_code == 200, answer.text
    assert card_problems(answer.json()) == []  # every answer keeps the spec's rules
    return option_ids_of_cards(answer.json())


@pytest.mark.parametrize("guidance", [None, "current"])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_door_gives_the_same_options(client: TestClient, path: Path,
                                           guidance: Guidance) -> None:
    case = read_case(str(path))
    native = _ids(case, guidance)
    assert native  # every example has options; an empty set would prove nothing
    bundle = _exported(path)
    assert _ids(read_bundle(bundle).case, guidance) == native
    assert _apply(client, bundle, guidance) == native
    today = case.model_copy(update={"as_of": dt.date.today()})
    assert _cards(client, bundle, guidance) == _ids(today, guidance)


@pytest.mark.parametrize("guidance", [None, "current"])
def test_brian_ls_record_gives_the_same_options_through_every_door(
        client: TestClient, guidance: Guidance) -> None:
    bundle = json.loads(BRIAN_L.read_text(encoding="utf-8"))
    reading = read_bundle(bundle)
    native = _ids(reading.case, guidance)
    assert native  # the check means something only if options come out
    assert _apply(client, bundle, guidance) == native
    today = reading.case.model_copy(update={"as_of": dt.date.today()})
    assert _cards(client, bundle, guidance) == _ids(today, guidance)
