"""The case store as a cohort (``secondline cohort --db URL``): read only.

Each stored case is read at its latest version (a case is never overwritten, only
versioned; the newest version is what the team works from), in the order the cases were
stored; row ``n`` is the ``n``-th case, and ``source_ref`` its reference in the store
(``C-…``). A version that is no longer a valid case at the date asked for (``--as-of``
before its events) is rejected with its problems, as ``secondline assess`` would.

The decisions for the concordance are the recorded MDT decisions, each case's latest
one (the one that goes with its latest version), with the options chosen, whether the
team recorded them as among the suggestions, and the override reason's display text
(else its code). A choice written in the team's own words is counted as ``(other)``:
never among the suggested options, and its text is never copied out.

Nothing here writes to the store (not even its audit trail): the store is opened for
reading only through ``Database.read``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import polars as pl
import sqlalchemy as sa

from secondline._cohort._frame import ROW, frame_of
from secondline._cohort._read import Batch, Reader, Rejected, check_one, register
from secondline._errors import CaseError

#: the decisions table the concordance reads (``_summary.concordance``)
DECISIONS = pl.Schema([(ROW, pl.Int64()), ("chosen", pl.List(pl.String())),
                       ("among_suggested", pl.Boolean()), ("override_reason", pl.String())])


def _database(url: str) -> Any:
    from secondline._store import Database, StoreError

    db = Database(url)
    try:
        db.check_ready()
    except StoreError as exc:
        raise CaseError([f"--db: {p.removeprefix('db: ')}" for p in exc.problems]) from None
    return db


def _newest() -> Any:
    from secondline._store.tables import case_versions, cases

    newest = (sa.select(sa.func.max(case_versions.c.id))
              .group_by(case_versions.c.case_id).scalar_subquery())
    return (sa.select(cases.c.id, cases.c.ref, case_versions.c.data)
            .join(case_versions, case_versions.c.case_id == cases.c.id)
            .where(case_versions.c.id.in_(newest)).order_by(cases.c.id))


def _batches(source: str, as_of: dt.date | None, size: int) -> Iterator[Batch]:
    db = _database(source)
    try:
        with db.read() as connection:
            result = connection.execution_options(yield_per=size).execute(_newest())
            number = 0
            for chunk in result.partitions():
                kept: list[dict[str, Any]] = []
                rows: list[int] = []
                refs: list[str] = []
                rejected: list[Rejected] = []
                for _, ref, data in chunk:
                    number += 1
                    found = check_one(number, json.loads(data), as_of)
                    if isinstance(found, Rejected):
                        rejected.append(found)
                    else:
                        kept.append(found)
                        rows.append(number)
                        refs.append(ref)
                frame = frame_of(kept).with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
                yield Batch(frame, rejected, len(chunk), len(chunk), refs=pl.DataFrame(
                    {ROW: rows, "source_ref": refs},
                    schema={ROW: pl.Int64, "source_ref": pl.String}))
    finally:
        db.dispose()


def _total(source: str) -> int:
    from secondline._store.tables import cases

    db = _database(source)
    try:
        with db.read() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(cases))
                       .scalar_one())
    finally:
        db.dispose()


def store_decisions(url: str) -> pl.DataFrame:
    """Each stored case's latest decision, keyed by the case's row in the cohort."""
    from secondline._store.tables import cases, decisions

    db = _database(url)
    latest = (sa.select(sa.func.max(decisions.c.id)).group_by(decisions.c.case_id)
              .scalar_subquery())
    order = sa.select(cases.c.id, sa.func.row_number().over(order_by=cases.c.id)
                      .label("row")).subquery()
    try:
        with db.read() as connection:
            found = connection.execute(
                sa.select(order.c.row, decisions.c.chosen, decisions.c.among_suggested,
                          decisions.c.reason_display, decisions.c.reason_code)
                .join(order, order.c.id == decisions.c.case_id)
                .where(decisions.c.id.in_(latest)).order_by(order.c.row)).all()
    finally:
        db.dispose()
    return pl.DataFrame([
        {ROW: int(r.row),
         "chosen": [c.get("id") or "(other)" for c in json.loads(r.chosen)],
         "among_suggested": bool(r.among_suggested),
         "override_reason": r.reason_display or r.reason_code} for r in found
    ], schema=DECISIONS, orient="row")


register(Reader("store", lambda source: False, _batches, _total))
