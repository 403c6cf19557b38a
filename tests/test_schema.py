"""The published JSON Schemas agree with what the code accepts and produces."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from secondline import assess, case_json_schema, read_case
from secondline._parse import assessment_json_schema

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


def _as_json(data: Any) -> Any:
    """YAML dates become the ISO strings a JSON client would send."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat()))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_against_the_case_schema(path: Path) -> None:
    jsonschema.validate(_as_json(yaml.safe_load(path.read_text())), case_json_schema())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_assessment_validates_against_the_assessment_schema(path: Path) -> None:
    result = json.loads(assess(read_case(str(path))).model_dump_json())
    jsonschema.validate(result, assessment_json_schema())


def test_the_case_schema_refuses_what_the_code_refuses() -> None:
    schema = case_json_schema()
    good = {"age": 40, "disease": "HCL", "as_of": dt.date(2026, 11, 23).isoformat()}
    jsonschema.validate(good, schema)
    for bad in (
        {**good, "agee": 41},
        {**good, "disease": "AML"},
        {**good, "age": 121},
        {**good, "age": True},
        {**good, "markers": {"CD21": "positive"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
