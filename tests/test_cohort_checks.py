"""Rows that are not valid cases are set aside with their problems, never stopping the
run, and the rows set aside are exactly those ``parse_case`` refuses."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort_cases import BREAKS, invalid_case, random_cases
from secondline import CaseError, parse_case
from secondline._cohort._read import reader_for
from secondline._cohort._run import split
from secondline._cohort._validate import invalid
from strategies import case_dicts


def _refused(line: str, as_of: dt.date | None) -> bool:
    try:
        parse_case(json.loads(line), as_of)
    except (CaseError, ValueError):
        return True
    return False


def _rejected_rows(path: Path, as_of: dt.date | None = None) -> tuple[set[int], set[int], int]:
    rejected: set[int] = set()
    kept: set[int] = set()
    for batch in reader_for(str(path)).batches(str(path), as_of, 64):
        flagged = set(batch.frame.filter(invalid(as_of))["row"].to_list())
        frame, found, _ = split(batch, as_of)
        rejected |= {r.row for r in found}
        assert flagged <= {r.row for r in found}  # never stricter than parse_case
        kept |= set(frame["row"].to_list())
        assert all(r.problems for r in found)
    return rejected, kept, len(rejected) + len(kept)


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=st.lists(st.tuples(case_dicts(), st.sampled_from((None, *BREAKS)), st.booleans()),
                      min_size=1, max_size=40), rng=st.randoms(use_true_random=False))
def test_the_rows_rejected_are_those_parse_case_refuses(
    drawn: list[tuple[dict[str, Any], str | None, bool]], rng: random.Random,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    lines = []
    for case, how, with_nulls in drawn:
        if not with_nulls:  # as an export that leaves out what is not known
            case = {k: v for k, v in case.items() if v is not None}
        lines.append(json.dumps(invalid_case(rng, case, how) if how else case))
    path = tmp_path_factory.mktemp("checks") / "cases.ndjson"
    _write(path, lines)
    rejected, _, total = _rejected_rows(path)
    assert total == len(lines)
    assert rejected == {n for n, line in enumerate(lines, 1) if _refused(line, None)}


def test_every_way_of_breaking_a_case_is_rejected_by_name(tmp_path: Path) -> None:
    rng = random.Random(3)
    good = random_cases(len(BREAKS), seed=5)
    lines = [json.dumps(invalid_case(rng, case, how)) for case, how in zip(good, BREAKS,
                                                                            strict=True)]
    lines += ["not json", "[1, 2]", '{"age": 1e400, "disease": "HCL"}', "",
              json.dumps(good[0])]
    path = tmp_path / "cases.ndjson"
    _write(path, lines)
    rejected, kept, total = _rejected_rows(path)
    blank = len(BREAKS) + 4
    assert kept == {len(lines)}
    assert rejected == set(range(1, len(lines) + 1)) - {blank, len(lines)}
    assert total == len(lines) - 1  # the blank line is not a row


def test_a_judging_date_given_replaces_each_cases_own(tmp_path: Path) -> None:
    case = {"age": 40, "disease": "B-ALL", "as_of": "2020-01-01",
            "assessment": {"date": "2024-01-01"}}
    path = tmp_path / "cases.ndjson"
    _write(path, [json.dumps(case)])
    assert _rejected_rows(path)[0] == {1}
    assert _rejected_rows(path, dt.date(2025, 1, 1))[0] == set()


def test_parquet_rows_are_checked_the_same_way(tmp_path: Path) -> None:
    rng = random.Random(8)
    cases = random_cases(200, seed=9)
    broken = [invalid_case(rng, c, how) if n % 4 == 0 else c
              for n, (c, how) in enumerate(zip(cases, BREAKS * 10, strict=False))]
    typed = [c for c in broken if not any(
        isinstance(c.get(k), str) for k in ("age",)) and "ended" not in c
        and not isinstance(c.get("id"), int) and "wieght" not in c
        and not any(isinstance(t, str) or "relapses" in t for t in c.get("treatments", []))]
    from secondline._cohort._frame import frame_of

    frame = frame_of(typed).drop("row")
    path = tmp_path / "cases.parquet"
    frame.with_columns(pl.lit(None, dtype=pl.String).alias("notes")).write_parquet(path)
    rejected, _, total = _rejected_rows(path)
    assert total == len(typed)
    assert rejected == {n for n, c in enumerate(typed, 1)
                        if _refused(json.dumps({k: v for k, v in c.items()
                                                if v is not None}), None)}
    assert rejected
