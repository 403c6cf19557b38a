"""A cohort run: read an input a batch at a time, set the invalid rows aside, assess the
rest with the vectorised engine (here, or on a Dask cluster), and write the results.

The batch function, ``assess_batch``, is the same for both engines: Polars runs it in
this process; Dask runs it in its workers, each batch a task, with at most a few batches
in flight so that memory stays bounded whatever the input's size.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from secondline._cohort._engine import cohort_engine
from secondline._cohort._frame import ROW, row_case
from secondline._cohort._read import BATCH_ROWS, Batch, Rejected, check_one, reader_for
from secondline._cohort._validate import invalid

Engine = Literal["polars", "dask"]


@dataclass
class Settings:
    source: str
    out: Path
    engine: Engine = "polars"
    scheduler: str | None = None
    as_of: dt.date | None = None
    decisions: str | None = None
    reader: str | None = None
    batch_rows: int = BATCH_ROWS
    progress: bool | None = None  # None: on a terminal only
    #: workers of a local Dask cluster when no scheduler is given
    workers: int = 2


@dataclass
class Counts:
    read: int = 0
    assessed: int = 0
    rejected: int = 0
    one_by_one: int = 0
    seconds: float = 0.0
    batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def split(batch: Batch, as_of: dt.date | None) -> tuple[pl.DataFrame, list[Rejected], int]:
    """The valid rows of a batch, and the rows rejected with their problems (named by
    ``parse_case``); the third value counts the rows checked one by one."""
    flagged = batch.frame.select(invalid(as_of)).to_series()
    rejected = list(batch.rejected)
    kept = batch.frame.filter(~flagged)
    suspects = batch.frame.filter(flagged)
    rescued = []
    for row in suspects.iter_rows(named=True):
        found = check_one(row[ROW], row_case(row), as_of)
        if isinstance(found, Rejected):
            rejected.append(found)
        else:  # the checks here are stricter than parse_case: it decides
            rescued.append(row[ROW])
    if rescued:
        kept = pl.concat([kept, suspects.filter(pl.col(ROW).is_in(rescued))]).sort(ROW)
    return kept, rejected, batch.one_by_one + len(suspects)


def assess_batch(frame: pl.DataFrame, as_of: dt.date | None, today: dt.date) -> pl.DataFrame:
    """The batch function: valid rows in, one assessment row per case out."""
    return cohort_engine().assess(frame, as_of, today)


class _Progress:
    """A progress bar on a terminal (per batch); nothing otherwise."""

    def __init__(self, enabled: bool, total: int, what: str) -> None:
        self.bar: Any = None
        if enabled:
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn(what), BarColumn(), TaskProgressColumn(),
                                TimeRemainingColumn(), TextColumn("{task.fields[cases]} cases"),
                                transient=False)
            self.task = self.bar.add_task(what, total=total, cases=0)
            self.bar.start()

    def advance(self, size: int, cases: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=size, cases=cases)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _batches(settings: Settings, counts: Counts, rejected_out: Any,
             progress: _Progress) -> Iterator[tuple[pl.DataFrame, int]]:
    reader = reader_for(settings.source, settings.reader)
    for batch in reader.batches(settings.source, settings.as_of, settings.batch_rows):
        kept, rejected, one_by_one = split(batch, settings.as_of)
        counts.read += len(kept) + len(rejected)
        counts.rejected += len(rejected)
        counts.one_by_one += one_by_one
        for r in sorted(rejected, key=lambda r: r.row):
            rejected_out.write(json.dumps({"row": r.row, "problems": r.problems}) + "\n")
        yield kept, batch.size


def _run_polars(settings: Settings, today: dt.date, counts: Counts, parts: Path,
                rejected_out: Any, progress: _Progress) -> None:
    for number, (kept, size) in enumerate(_batches(settings, counts, rejected_out, progress)):
        result = assess_batch(kept, settings.as_of, today)
        result.write_parquet(parts / f"{number:06d}.parquet")
        counts.assessed += len(result)
        counts.batches += 1
        progress.advance(size, counts.read)


def run(settings: Settings) -> Counts:
    """Run a cohort and write ``assessments.parquet``, ``rejected.ndjson``,
    ``summary.json``, ``report.html`` and the plots into ``settings.out``."""
    from secondline._cohort._summary import write_outputs

    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    parts = out / ".parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir()
    reader = reader_for(settings.source, settings.reader)
    enabled = sys.stderr.isatty() if settings.progress is None else settings.progress
    progress = _Progress(enabled, reader.total(settings.source), f"assessing {settings.source}")
    today = settings.as_of or dt.date.today()
    counts = Counts()
    started = time.perf_counter()
    try:
        with (out / "rejected.ndjson").open("w", encoding="utf-8") as rejected_out:
            if settings.engine == "dask":
                from secondline._cohort._dask import run_dask

                run_dask(settings, today, counts, parts, _batches(
                    settings, counts, rejected_out, progress), progress)
            else:
                _run_polars(settings, today, counts, parts, rejected_out, progress)
    finally:
        progress.close()
    files = sorted(parts.glob("*.parquet"))
    target = out / "assessments.parquet"
    if files:
        pl.scan_parquet(files).sink_parquet(target)
    else:
        empty_result().write_parquet(target)
    shutil.rmtree(parts, ignore_errors=True)
    counts.seconds = time.perf_counter() - started
    write_outputs(settings, counts, today)
    return counts


def empty_result() -> pl.DataFrame:
    """The output's columns, with no rows."""
    return assess_batch(_empty_cases(), None, dt.date.today())


def _empty_cases() -> pl.DataFrame:
    from secondline._cohort._frame import frame_of

    return frame_of([])


ProgressHook = Callable[[int, int], None]
