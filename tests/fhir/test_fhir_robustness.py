"""Whatever a Bundle holds, reading it ends in a case or in named problems: never an
exception of another kind. Valid Bundles (HL7's Brian L, and exported examples) are
damaged at random places with values of every kind."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_bundles import BRIAN_L, ROOT, read
from secondline import read_case
from secondline._fhir.bundle import BundleError
from secondline._fhir.output import Reading
from secondline._fhir.write import write_bundle

SEEDS = [json.loads(BRIAN_L.read_text(encoding="utf-8")),
         write_bundle(read_case(str(ROOT / "examples" / "b-all-young-refractory-car-t.yaml"))),
         write_bundle(read_case(str(ROOT / "examples" / "hcl-exactly-two-years.yaml")))]
SEEDS[1:] = [json.loads(json.dumps(seed)) for seed in SEEDS[1:]]
VALUES = st.sampled_from([
    None, "", "x", 0, -1, 1.5, 10**30, True, [], {}, "2024", "2024-13-01", "2999-12-31",
    "1800-01-01", "Patient/nobody", "#nothing", {"reference": "Patient/other"},
    {"text": "T-ALL"}, {"coding": [{"system": "http://loinc.org", "code": "LA6576-8"}]},
])


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*here, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*here, i))
    return found


@given(st.sampled_from(range(len(SEEDS))), st.data())
@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
def test_damaged_bundles_are_read_or_refused_by_name(seed: int, data: st.DataObject) -> None:
    bundle = copy.deepcopy(SEEDS[seed])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(bundle)
        path = data.draw(st.sampled_from(paths))
        target = bundle
        for step in path[:-1]:
            target = target[step]
        if data.draw(st.booleans()) and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(data.draw(VALUES))  # never a shared object
    reading, problems = _outcome(bundle)
    if reading is None:
        assert problems
        assert all(": " in line for line in problems)
    else:
        assert reading.case.disease in ("B-ALL", "T-ALL", "HCL")


def _outcome(bundle: dict[str, Any]) -> tuple[Reading | None, list[str]]:
    try:
        return read(bundle), []
    except BundleError as exc:  # the only exception a reader may raise
        return None, exc.problems
