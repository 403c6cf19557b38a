"""Readers: an input, a batch at a time, as frames of ``CASE_SCHEMA``.

A reader is registered by name with a test of whether it takes an input (a path, or a
database address) and a function yielding ``Batch``es. NDJSON and Parquet of native
cases are here; the FHIR Bulk Data reader (``_fhir_bulk``) and the case store
(``_store_read``) register theirs the same way (``register``).

Rows a frame cannot hold faithfully are checked by ``parse_case`` itself, one by one: in
NDJSON, a line that is not JSON, a key the case does not know (or in the wrong place), a
value of another JSON type where text is expected, a key given as null (null and
absent differ for some fields), a key given twice; in Parquet, a value in a column the
case does not know. Fast tests over the raw lines find them (they may flag a valid row
too: it is then only checked more slowly). Such a row, if valid, joins the frame as the
case ``parse_case`` made of it; if not, it is rejected with its problems.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from secondline._cohort._frame import (
    ASSESSMENT,
    CASE_SCHEMA,
    MARKERS,
    ROW,
    TREATMENT,
    WISHES,
    canonical,
    frame_of,
)
from secondline._errors import CaseError
from secondline._parse import parse_case

#: rows in a batch: enough to keep Polars busy, few enough to bound memory
BATCH_ROWS = 100_000


@dataclass
class Rejected:
    row: int
    problems: list[str]
    #: the file of a multi-file input (FHIR Bulk Data) the row number counts lines of
    file: str | None = None


@dataclass
class Batch:
    """Rows of an input: a frame of ``CASE_SCHEMA`` (with ``row``), the rows already
    rejected while reading, how many rows were checked one by one, and how much of the
    input this batch covers (for the progress bar)."""

    frame: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)
    one_by_one: int = 0
    size: int = 0
    #: where each row came from, when the input has its own references (``row``,
    #: ``source_ref``): a FHIR Patient, a stored case
    refs: pl.DataFrame | None = None
    #: counts the reader adds to the summary
    notes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reader:
    name: str
    takes: Callable[[str], bool]
    batches: Callable[[str, dt.date | None, int], Iterator[Batch]]
    #: the whole input's size in the units of ``Batch.size`` (for the progress bar)
    total: Callable[[str], int]


READERS: dict[str, Reader] = {}


def register(reader: Reader) -> None:
    READERS[reader.name] = reader


def reader_for(source: str, name: str | None = None) -> Reader:
    """The reader named, or the first that takes ``source``; ``CaseError`` if none does."""
    if name is not None:
        if name not in READERS:
            raise CaseError([f"--input-format: unknown reader '{name}'; one of "
                             f"{', '.join(sorted(READERS))}"])
        return READERS[name]
    for reader in READERS.values():
        if reader.takes(source):
            return reader
    raise CaseError([f"INPUT: cannot tell what {source} is; give a .ndjson, .jsonl or "
                     ".parquet file, or a folder of FHIR Bulk Data files with "
                     "Patient.ndjson (or --input-format)"])


def check_one(row: int, data: Any, as_of: dt.date | None) -> dict[str, Any] | Rejected:
    """One row checked by ``parse_case``: the case as a mapping, or its problems."""
    try:
        return canonical(parse_case(data, as_of))
    except CaseError as exc:
        return Rejected(row, exc.problems)


def _checked(rows: list[tuple[int, Any]], as_of: dt.date | None) -> Batch:
    valid: list[tuple[int, dict[str, Any]]] = []
    rejected: list[Rejected] = []
    for row, data in rows:
        found = check_one(row, data, as_of)
        if isinstance(found, Rejected):
            rejected.append(found)
        else:
            valid.append((row, found))
    frame = frame_of([case for _, case in valid]).with_columns(
        pl.Series(ROW, [row for row, _ in valid], dtype=pl.Int64))
    return Batch(frame, rejected, len(rows))


# -- NDJSON --------------------------------------------------------------------------

#: text fields, whose JSON value must be a string (or a list of strings)
_TEXT_KEYS = ("as_of|id|disease|diagnosed|philadelphia|CD19|CD20|CD22|type|started|ended|"
              "response|date|mrd|mrd_method|donor|region|t315i")
#: keys for which null is not a value (for the others, null is the same as left out)
_NOT_NULL = ("age|disease|philadelphia|markers|treatments|donor|symptoms|wishes|CD19|CD20|"
             "CD22|drugs|type|response|mrd|active_treatment|clinical_trials|t315i")
_IRREGULAR = "|".join((
    rf'"(?:{_NOT_NULL})"\s*:\s*null\b',               # null where a value is needed
    rf'"(?:{_TEXT_KEYS})"\s*:\s*[-0-9tf\[{{]',      # text given as another type
    r'"(?:drugs|extramedullary|relapse_sites|symptoms)"\s*:\s*\[\s*[-0-9tfn\[{]',
    r',\s*[-0-9tfn\[]',                             # a list item that is not text
    r',\s*\{\s*\}',                                 # an empty object after a comma
))
_KEY = r'"(?:[^"\\]|\\.)*"\s*:\s*[^\sn]'


def _given(column: pl.Expr, dtype: pl.Struct) -> pl.Expr:
    return pl.sum_horizontal(column.struct.field(f.name).is_not_null().cast(pl.Int32)
                             for f in dtype.fields)


def _keys_given() -> pl.Expr:
    """How many keys of each row the frame holds with a value."""
    top = pl.sum_horizontal(pl.col(n).is_not_null().cast(pl.Int32) for n in CASE_SCHEMA)
    treatments = pl.col("treatments").list.eval(pl.sum_horizontal(
        pl.element().struct.field(f.name).is_not_null().cast(pl.Int32)
        for f in TREATMENT.fields)).list.sum().fill_null(0)
    return (top + _given(pl.col("markers"), MARKERS) + _given(pl.col("assessment"), ASSESSMENT)
            + _given(pl.col("wishes"), WISHES) + treatments)


def _decode(lines: list[bytes], rows: list[int], as_of: dt.date | None) -> Batch:
    """Lines as a frame; where the fast reader cannot take them, halves until it can, and
    single lines that still fail are checked one by one."""
    try:
        frame = pl.read_ndjson(io.BytesIO(b"\n".join(lines)), schema=CASE_SCHEMA)
        text = pl.Series("line", lines, dtype=pl.Binary).cast(pl.String)
    except Exception:  # any failure of the fast reader: the lines are looked at closer
        if len(lines) <= 16:
            return _checked([(row, _json(line)) for row, line in zip(rows, lines,
                                                                      strict=True)], as_of)
        half = len(lines) // 2
        return _merge([_decode(lines[:half], rows[:half], as_of),
                       _decode(lines[half:], rows[half:], as_of)])
    if len(frame) != len(lines):  # a line the reader split or skipped: look closer
        return _checked([(row, _json(line)) for row, line in zip(rows, lines, strict=True)],
                        as_of)
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64), text.alias("__line"))
    line = pl.col("__line")
    irregular = line.str.contains(_IRREGULAR) | (line.str.count_matches(_KEY) != _keys_given())
    misplaced = _misplaced(text.filter(text.str.contains(_NULL)))
    if misplaced is None:
        irregular = irregular | line.str.contains(_NULL)
    elif misplaced:
        names = "|".join(re.escape(name) for name in sorted(misplaced))
        irregular = irregular | line.str.contains(rf'"(?:{names})"\s*:')
    frame = frame.with_columns(irregular.alias("__irregular"))
    odd = frame.filter(pl.col("__irregular"))
    regular = Batch(frame.filter(~pl.col("__irregular")).drop("__line", "__irregular")
                    .select(ROW, *CASE_SCHEMA))
    if odd.is_empty():
        return regular
    closer = _checked([(row, _json(line.encode())) for row, line in
                       odd.select(ROW, "__line").iter_rows()], as_of)
    return _merge([regular, closer])


_NULL = r'"\s*:\s*null\b'


def _misplaced(lines: pl.Series) -> set[str] | None:
    """The names of keys given as null somewhere the case does not have them (a null
    elsewhere is a value left out): found from the structure Polars infers for the lines
    that hold a null; None when it cannot tell."""
    if lines.is_empty():
        return set()
    try:
        inferred = lines.str.json_decode(infer_schema_length=None).dtype
    except Exception:  # lines it cannot read together: each is looked at closer
        return None
    found: set[str] = set()

    def walk(dtype: Any, expected: Any) -> None:
        if isinstance(dtype, pl.Struct) and isinstance(expected, pl.Struct):
            known = expected.to_schema()
            for f in dtype.fields:
                if f.name not in known:
                    found.add(f.name)
                else:
                    walk(f.dtype, known[f.name])
        elif isinstance(dtype, pl.List) and isinstance(expected, pl.List):
            walk(dtype.inner, expected.inner)
        elif isinstance(dtype, pl.Struct):  # an object where the case has none
            found.update(f.name for f in dtype.fields)

    walk(inferred, pl.Struct(CASE_SCHEMA))
    return found


class _NotJson:
    """A line that is not JSON: ``parse_case`` refuses it as not a mapping."""


def _json(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return _NotJson()


def _merge(batches: list[Batch]) -> Batch:
    frames = [b.frame.select(ROW, *CASE_SCHEMA) for b in batches]
    return Batch(pl.concat(frames).sort(ROW),
                 [r for b in batches for r in b.rejected],
                 sum(b.one_by_one for b in batches))


def _ndjson_batches(source: str, as_of: dt.date | None, size: int) -> Iterator[Batch]:
    with Path(source).open("rb") as stream:
        number = 0
        while True:
            lines = stream.readlines(size * 512)  # about ``size`` cases of half a KiB
            if not lines:
                return
            read = sum(len(line) for line in lines)
            kept, rows = [], []
            for line in lines:
                number += 1
                if line.strip():
                    kept.append(line.rstrip(b"\r\n"))
                    rows.append(number)
            batch = _decode(kept, rows, as_of) if kept else Batch(
                pl.DataFrame(schema={ROW: pl.Int64, **CASE_SCHEMA}))
            batch.size = read
            yield batch


register(Reader(
    "ndjson", lambda s: s.lower().endswith((".ndjson", ".jsonl", ".json")),
    _ndjson_batches, lambda s: Path(s).stat().st_size,
))


# -- Parquet -------------------------------------------------------------------------

def _parquet_batches(source: str, as_of: dt.date | None, size: int) -> Iterator[Batch]:
    scan = pl.scan_parquet(source)
    names = scan.collect_schema().names()
    unknown = [n for n in names if n not in CASE_SCHEMA and n != ROW]
    # a column left out is a value never given; a date column is read as its ISO text
    columns = [
        (pl.col(n).cast(d) if n in names else pl.lit(None, dtype=d)).alias(n)
        for n, d in CASE_SCHEMA.items()
    ]
    total = scan.select(pl.len()).collect().item()
    for offset in range(0, total, size):
        part = scan.slice(offset, size).collect()
        rows = pl.int_range(offset + 1, offset + 1 + len(part), dtype=pl.Int64)
        frame = part.select(rows.alias(ROW), *columns)
        if not unknown:
            yield Batch(frame, size=len(part))
            continue
        odd = pl.any_horizontal(pl.col(n).is_not_null() for n in unknown)
        flagged = part.with_columns(rows.alias(ROW)).filter(odd)
        closer = _checked([(r[ROW], {k: v for k, v in r.items() if k != ROW and v is not None})
                           for r in flagged.iter_rows(named=True)], as_of)
        batch = _merge([Batch(frame.filter(~pl.Series(part.select(odd).to_series()))), closer])
        batch.size = len(part)
        yield batch


register(Reader(
    "parquet", lambda s: s.lower().endswith((".parquet", ".pq")), _parquet_batches,
    lambda s: int(pl.scan_parquet(s).select(pl.len()).collect().item()),
))
