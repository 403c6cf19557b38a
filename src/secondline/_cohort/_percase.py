"""The per-case engine as the cohort's fallback, giving rows of the same shape.

Every valid case today lies within what the vectorised engine expresses: the tests hold
the two engines equal on drawn cases, on generated cohorts, on the examples and on every
example case kept beside the knowledge. The fallback is for what the tests cannot see in
advance: a knowledge base the vectorised engine cannot compile (a set fact with more
than 64 members, which its bit masks cannot hold) or an expression Polars cannot run on
a batch. Then that batch is assessed one case at a time by ``assess`` itself, its rows
written in the same columns, and counted in the summary
(``per_case_engine_fallback``), so a cohort row is never a different answer, only a
slower one. The reason is logged without any case's contents.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import polars as pl

from secondline._assessment import Assessment
from secondline._cohort._engine import OUTPUT_SCHEMA, Guidance
from secondline._cohort._frame import ROW, row_case
from secondline._cohort._guidance import GUIDANCE_COLUMNS
from secondline._engine import assess
from secondline._knowledge import load_knowledge
from secondline._parse import parse_case

LOG = logging.getLogger("secondline.cohort")
_NOT = {"excluded": "excluded", "not_indicated": "not-indicated", "undecided": "undecided"}


def schema(guidance: Guidance) -> pl.Schema:
    """The columns of an output row (with the layer's when it is asked for)."""
    extra = list(GUIDANCE_COLUMNS.items()) if guidance else []
    return pl.Schema([*OUTPUT_SCHEMA.items(), *extra])


def row_of(number: int, result: Assessment, order: dict[str, int]) -> dict[str, Any]:
    """One assessment as a cohort row; option ids in the knowledge's order."""
    def ids(found: list[str]) -> list[str]:
        return sorted(found, key=lambda i: order.get(i, len(order)))

    row: dict[str, Any] = {
        ROW: number, "case_id": result.case_id, "disease": result.disease,
        "state": result.status.state,
        "options_standard": ids([o.id for o in result.options
                                 if o.availability == "standard"]),
        "options_clinical_trial": ids([o.id for o in result.options
                                       if o.availability == "clinical-trial"]),
        **{column: ids([n.id for n in result.not_suggested if n.outcome == outcome])
           for column, outcome in _NOT.items()},
        "missing": [{"field": m.field, "affects": sorted(m.affects)}
                    for m in sorted(result.missing, key=lambda m: m.field)],
        "cautions": [c.id for c in result.cautions],
    }
    if result.guidance is not None:
        row["guidance"] = [{"id": i.id, "outcome": i.outcome, "option": i.option}
                           for i in result.guidance.items]
        row["guidance_missing"] = [{"field": m.field, "affects": m.affects}
                                   for m in result.guidance.missing]
    return row


def assess_one_by_one(frame: pl.DataFrame, as_of: dt.date | None, today: dt.date,
                      guidance: Guidance) -> pl.DataFrame:
    """The rows of ``frame`` (valid cases) assessed by the per-case engine."""
    knowledge = load_knowledge()
    order = {c.option.id: i for i, c in enumerate(knowledge.options)}
    rows = []
    for record in frame.iter_rows(named=True):
        data = row_case(record)
        if as_of is None and "as_of" not in data:
            data["as_of"] = today.isoformat()  # as the vectorised engine judges it
        result = assess(parse_case(data, as_of), knowledge, guidance=guidance)
        rows.append(row_of(record[ROW], result, order))
    return pl.DataFrame(rows, schema=schema(guidance), orient="row")
