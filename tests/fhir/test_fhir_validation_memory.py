"""A resource found valid once is not validated again; nothing invalid is remembered, so
a changed or broken resource is always refused by name."""

from __future__ import annotations

import copy

import pytest

from fhir_bundles import bundle, condition, read
from secondline._fhir import bundle as door
from secondline._fhir.bundle import BundleError


def test_a_valid_resource_is_remembered_and_an_invalid_one_never() -> None:
    door._VALID.clear()
    good = bundle()  # a Patient and a B-ALL Condition
    read(good)
    assert len(door._VALID) == 2
    broken = copy.deepcopy(good)
    broken["entry"][0]["resource"]["birthDate"] = "not a date"
    for _ in range(2):  # refused the second time too: the broken one was not remembered
        with pytest.raises(BundleError) as caught:
            read(broken)
        assert any(p.startswith("entry[0].resource.birthDate") for p in caught.value.problems)
    assert len(door._VALID) == 2


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    door._VALID.clear()
    monkeypatch.setattr(door, "MAX_REMEMBERED", 3)
    for i in range(5):
        read(bundle(condition(rid=f"c{i}"), with_disease=False))
    assert len(door._VALID) <= 3
