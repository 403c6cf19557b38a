"""The case as a table: one row per case, the contract's fields as nested columns.

Every reader (NDJSON and Parquet of native cases, FHIR Bulk Data, the case store)
produces a frame of this schema, and nothing else: the vectorised engine reads
only these columns. A null means the value was not given (as a key left out of a case).

Numbers that must be whole (``age``, ``relapses``) are read as floats, so that ``13.0``
is accepted as 13 exactly as ``parse_case`` accepts it, and ``13.5`` is refused by the
checks rather than by the reader. Dates are text until they are checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from secondline._case import Case

_TEXT: pl.DataType = pl.String()
MARKERS = pl.Struct({"CD19": _TEXT, "CD20": _TEXT, "CD22": _TEXT})
TREATMENT = pl.Struct({
    "drugs": pl.List(_TEXT),
    "type": _TEXT,
    "started": _TEXT,
    "ended": _TEXT,
    "response": _TEXT,
})
ASSESSMENT = pl.Struct({
    "date": _TEXT,
    "marrow_blasts_percent": pl.Float64,
    "blood_counts_normal": pl.Boolean,
    "extramedullary": pl.List(_TEXT),
    "mrd": _TEXT,
    "mrd_method": _TEXT,
    "mrd_percent": pl.Float64,
})
WISHES = pl.Struct({"active_treatment": pl.Boolean, "clinical_trials": pl.Boolean})

#: the native case as columns, in the contract's order
_COLUMNS: dict[str, pl.DataType] = {
    "as_of": _TEXT,
    "id": _TEXT,
    "age": pl.Float64(),
    "disease": _TEXT,
    "diagnosed": _TEXT,
    "philadelphia": _TEXT,
    "markers": MARKERS,
    "fit_for_intensive_treatment": pl.Boolean(),
    "treatments": pl.List(TREATMENT),
    "assessment": ASSESSMENT,
    "relapses": pl.Float64(),
    "relapse_sites": pl.List(_TEXT),
    "previous_transplant": pl.Boolean(),
    "transplant_eligible": pl.Boolean(),
    "t315i": _TEXT,
    "donor": _TEXT,
    "symptoms": pl.List(_TEXT),
    "wishes": WISHES,
    "region": _TEXT,
}
CASE_SCHEMA = pl.Schema(_COLUMNS)

#: the column that numbers the rows of the input (1 = the first line or row)
ROW = "row"


def _plain(value: Any) -> Any:
    """Dates as ISO text, whole floats as they were written in a case."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def case_row(case: Mapping[str, Any]) -> dict[str, Any]:
    """A case mapping (as a file gives it) as a row of ``CASE_SCHEMA``; keys outside the
    schema are left out (a reader reports them before this)."""
    row: dict[str, Any] = {}
    for name, dtype in CASE_SCHEMA.items():
        value = case.get(name)
        if isinstance(dtype, pl.Struct) and isinstance(value, Mapping):
            value = {f.name: _plain(value.get(f.name)) for f in dtype.fields}
        elif name == "treatments" and isinstance(value, list):
            value = [{f: _plain(t.get(f)) for f in TREATMENT.to_schema()} for t in value]
        row[name] = _plain(value)
    return row


def frame_of(cases: Iterable[Mapping[str, Any]], first_row: int = 1) -> pl.DataFrame:
    """Case mappings as a frame of ``CASE_SCHEMA``, numbered from ``first_row``."""
    rows = [case_row(c) for c in cases]
    frame = pl.DataFrame(rows, schema=CASE_SCHEMA, orient="row") if rows else (
        pl.DataFrame(schema=CASE_SCHEMA))
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def row_case(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the frame as the case mapping it stands for: nulls are values not given."""
    return {k: _drop_nulls(v) for k, v in row.items() if k != ROW and v is not None}


def canonical(case: Case) -> dict[str, Any]:
    """A valid case as the mapping that gives it back exactly (defaults written out)."""
    found: dict[str, Any] = case.model_dump(mode="json", exclude_none=True)
    return found
