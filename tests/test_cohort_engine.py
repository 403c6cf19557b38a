"""The vectorised engine gives, row by row, what ``assess`` gives case by case: the state,
the options by availability, the outcome of every option not suggested, the missing
fields with the options they affect, and the cautions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort_cases import random_cases
from cohort_compare import from_assessment, from_row
from secondline import assess, parse_case, read_case
from secondline._cohort import cohort_engine, frame_of
from secondline._cohort._dates import with_months
from secondline._cohort._frame import canonical
from secondline._dates import months_between, whole_years_between
from secondline._knowledge import KNOWLEDGE_DIR
from strategies import case_dicts, guided_case_dicts

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
TODAY = dt.date(2026, 11, 30)


def _compare(cases: list[dict[str, Any]], as_of: dt.date | None = None,
             guidance: Literal["current"] | None = None) -> None:
    rows = cohort_engine().assess(frame_of(cases), as_of, TODAY, guidance).to_dicts()
    assert len(rows) == len(cases)
    for number, (data, row) in enumerate(zip(cases, rows, strict=True), 1):
        assert row["row"] == number
        expected = from_assessment(assess(parse_case(data, as_of), guidance=guidance))
        assert from_row(row) == expected, json.dumps(data, default=str)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(case_dicts(), min_size=1, max_size=50))
def test_drawn_cases_agree(cases: list[dict[str, Any]]) -> None:
    _compare(cases)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(guided_case_dicts(), min_size=1, max_size=40),
       st.sampled_from((None, "current")))
def test_drawn_cases_with_the_guidance_facts_agree_with_and_without_the_layer(
    cases: list[dict[str, Any]], guidance: Literal["current"] | None,
) -> None:
    _compare(cases, guidance=guidance)


def test_many_generated_cases_agree_in_one_frame() -> None:
    _compare(random_cases(3000, seed=13))


def test_many_generated_cases_agree_with_the_current_guidance() -> None:
    cases = random_cases(2000, seed=15)
    _compare(cases, guidance="current")
    rows = cohort_engine().assess(frame_of(cases), None, TODAY, "current")
    outcomes = set(rows["guidance"].explode().struct.field("outcome").drop_nulls())
    assert {"supports", "narrows", "undecided", "widens", "noted"} <= outcomes


def _knowledge_cases() -> list[dict[str, Any]]:
    """Every example case kept beside the knowledge: under ``cases:`` in an option, a
    rule or a guidance item."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "cases" and isinstance(value, list):
                    found.extend(c["case"] for c in value
                                 if isinstance(c, dict) and isinstance(c.get("case"), dict))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(KNOWLEDGE_DIR.rglob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return [canonical(parse_case(case)) for case in found]


@pytest.mark.parametrize("guidance", [None, "current"])
def test_every_example_kept_beside_the_knowledge_agrees(
        guidance: Literal["current"] | None) -> None:
    cases = _knowledge_cases()
    assert len(cases) > 100
    _compare(cases, guidance=guidance)


def test_the_judging_date_given_for_all_agrees() -> None:
    _compare(random_cases(300, seed=14), as_of=dt.date(2031, 1, 1))


@pytest.mark.parametrize("guidance", [None, "current"])
def test_every_example_agrees(guidance: Literal["current"] | None) -> None:
    cases = [read_case(str(path)).model_dump(mode="json", exclude_none=True)
             for path in EXAMPLES]
    assert len(cases) == 13
    _compare(cases, guidance=guidance)


def test_a_case_without_as_of_is_judged_on_the_day_given() -> None:
    case = {"age": 40, "disease": "HCL", "treatments": [
        {"drugs": ["cladribine"], "started": "2024-11-23", "ended": "2024-11-30",
         "response": "complete-remission"}], "assessment": {"blood_counts_normal": False}}
    row = cohort_engine().assess(frame_of([case]), None, TODAY).to_dicts()[0]
    expected = from_assessment(assess(parse_case(case, TODAY)))
    assert from_row(row) == expected
    assert "cladribine" in row["options_standard"]  # exactly 2 years before the day


def test_no_cases_give_no_rows_with_every_column() -> None:
    out = cohort_engine().assess(frame_of([]), None, TODAY)
    assert out.is_empty()
    assert out.schema["missing"] == pl.List(pl.Struct({"field": pl.String,
                                                       "affects": pl.List(pl.String)}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31)),
                          st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31))),
                min_size=1, max_size=20))
def test_months_between_is_the_same_float(pairs: list[tuple[dt.date, dt.date]]) -> None:
    frame = with_months(pl.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}),
                        [("a", "b", "months"), ("a", "b", "years")])
    assert frame["months"].to_list() == [months_between(a, b) for a, b in pairs]
    assert [y for y, (a, b) in zip(frame["years"], pairs, strict=True) if b >= a] == [
        whole_years_between(a, b) for a, b in pairs if b >= a]
