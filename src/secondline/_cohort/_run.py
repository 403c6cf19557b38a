"""A cohort run: read an input a batch at a time, set the invalid rows aside, assess the
rest with the vectorised engine (here, or on a Dask cluster), and write the results.

The batch function, ``assess_batch``, is the same for both engines: Polars runs it in
this process, two batches at a time in threads; Dask runs it in its workers, each batch
a task, with at most a few batches in flight so that memory stays bounded whatever the
input's size. The input is read and checked a batch or two ahead, in a thread, while
the current batches are assessed; the results are written, in order, into one Parquet
file as they come.

Rows read are those assessed plus those rejected; resources of a FHIR export that belong
to no case are rejected too (with their file), and counted apart.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from secondline._cohort import _fhir_bulk, _store_read
from secondline._cohort._engine import Guidance, cohort_engine
from secondline._cohort._frame import ROW, row_case
from secondline._cohort._percase import LOG, assess_one_by_one
from secondline._cohort._read import BATCH_ROWS, Batch, Rejected, check_one, reader_for
from secondline._cohort._tally import Tally
from secondline._cohort._validate import invalid

#: the readers that register themselves on import, besides NDJSON and Parquet
READERS = (_fhir_bulk.__name__, _store_read.__name__)

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
    #: "current": add the current-guidance layer's columns
    guidance: Guidance = None


@dataclass
class Counts:
    read: int = 0
    assessed: int = 0
    rejected: int = 0
    one_by_one: int = 0
    #: rows assessed by the per-case engine (``_percase``)
    per_case: int = 0
    seconds: float = 0.0
    batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    #: the summary's counts, batch by batch
    tally: Tally = field(default_factory=Tally)


def split(batch: Batch, as_of: dt.date | None) -> tuple[pl.DataFrame, list[Rejected], int]:
    """The valid rows of a batch, and the rows rejected with their problems (named by
    ``parse_case``); the third value counts the rows checked one by one."""
    flagged = batch.frame.lazy().select(invalid(as_of)).collect().to_series()
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


def assess_batch(frame: pl.DataFrame, as_of: dt.date | None, today: dt.date,
                 guidance: Guidance = None) -> tuple[pl.DataFrame, int]:
    """The batch function: valid rows in, one assessment row per case out; and how many
    rows the per-case engine assessed (all of the batch, when the vectorised engine
    could not)."""
    try:
        return cohort_engine().assess(frame, as_of, today, guidance), 0
    except (pl.exceptions.PolarsError, ValueError, OverflowError) as exc:
        LOG.warning("the vectorised engine could not assess a batch of %d cases (%s); "
                    "assessing them one by one", len(frame), exc.__class__.__name__)
        return assess_one_by_one(frame, as_of, today, guidance), len(frame)


def finish(result: pl.DataFrame, refs: pl.DataFrame | None) -> pl.DataFrame:
    """An assessed batch with where each row came from (``source_ref``; null for native
    cases, which carry their own ``id``)."""
    if refs is None:
        return result.with_columns(pl.lit(None, dtype=pl.String).alias("source_ref"))
    return result.join(refs, on=ROW, how="left", maintain_order="left")


class _Progress:
    """A progress bar on a terminal (per batch); nothing otherwise."""

    def __init__(self, enabled: bool, total: int, what: str) -> None:
        self.bar: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            # on standard error: standard output stays free for what a command prints
            self.bar = Progress(TextColumn(what), BarColumn(), TaskProgressColumn(),
                                TimeRemainingColumn(), TextColumn("{task.fields[cases]} cases"),
                                console=Console(stderr=True), transient=False)
            self.task = self.bar.add_task(what, total=total, cases=0)
            self.bar.start()

    def advance(self, size: int, cases: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=size, cases=cases)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


Work = tuple[pl.DataFrame, pl.DataFrame | None, int]


def _batches(settings: Settings, counts: Counts, rejected_out: Any,
             progress: _Progress) -> Iterator[Work]:
    """Each batch's valid rows, their references and the input it covers; the rejected
    rows written as they come (a row never stops the run)."""
    reader = reader_for(settings.source, settings.reader)
    for batch in reader.batches(settings.source, settings.as_of, settings.batch_rows):
        kept, rejected, one_by_one = split(batch, settings.as_of)
        rows = sum(r.file is None for r in rejected)
        counts.read += len(kept) + rows
        counts.rejected += rows
        if len(rejected) > rows:  # resources of an export that belong to no case
            counts.extra["fhir_resources_rejected"] = (
                counts.extra.get("fhir_resources_rejected", 0) + len(rejected) - rows)
        counts.one_by_one += one_by_one
        for name, value in batch.notes.items():
            counts.extra[name] = counts.extra.get(name, 0) + value
        for r in sorted(rejected, key=lambda r: (r.file or "", r.row)):
            line = {"row": r.row, "problems": r.problems}
            rejected_out.write(json.dumps(line if r.file is None else {"file": r.file, **line})
                               + "\n")
        yield kept, batch.refs, batch.size


def counted(result: pl.DataFrame, per_case: int, counts: Counts) -> pl.DataFrame:
    """An assessed batch, counted as it goes to the output."""
    counts.tally.add(result)
    counts.assessed += len(result)
    counts.per_case += per_case
    counts.batches += 1
    return result


def write_all(results: Generator[pl.DataFrame, None, None], target: Path,
              schema: pl.Schema) -> None:
    """The assessed batches written into one Parquet file as they come: Polars pulls
    them one by one from ``results`` and writes each, so only a batch or two is held at
    a time and nothing is written twice. A problem raised while making them is raised
    here as it was."""
    from polars.io.plugins import register_io_source

    failure: list[BaseException] = []

    def source(with_columns: list[str] | None, predicate: pl.Expr | None,
               n_rows: int | None, _batch_size: int | None) -> Iterator[pl.DataFrame]:
        try:
            for frame in results:
                if with_columns is not None:
                    frame = frame.select(with_columns)
                if predicate is not None:
                    frame = frame.filter(predicate)
                if n_rows is not None:
                    frame = frame.head(n_rows)
                    n_rows -= len(frame)
                yield frame
                if n_rows is not None and n_rows <= 0:
                    return
        except BaseException as exc:
            failure.append(exc)
            raise

    try:
        register_io_source(source, schema=schema).sink_parquet(target)
    except BaseException:
        if failure:
            raise failure[0] from None
        raise
    finally:
        results.close()  # its cluster closed, its reader stopped, whatever happened


_END = object()


def prefetched(work: Iterator[Work], depth: int = 2) -> Iterator[Work]:
    """``work`` read ahead in a thread: the next batches are read and checked while this
    one is assessed (Polars leaves Python's lock while it works, so the two overlap on
    two cores). A problem raised while reading is raised here, in its order."""
    found: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in work:
                while not stop.is_set():
                    try:
                        found.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            found.put(_END)
        except BaseException as exc:  # handed to the consumer, raised in its thread
            found.put(exc)

    reader = threading.Thread(target=read, name="cohort-reader", daemon=True)
    reader.start()
    try:
        while (item := found.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=5)


#: batches assessed at once by the Polars engine: much of its work runs on one core at a
#: time, so two batches side by side keep two cores busy
IN_STEP = 2


def _run_polars(settings: Settings, today: dt.date, counts: Counts,
                batches: Iterator[Work], progress: _Progress
                ) -> Generator[pl.DataFrame, None, None]:
    from concurrent.futures import Future, ThreadPoolExecutor

    pending: deque[tuple[Future[tuple[pl.DataFrame, int]], pl.DataFrame | None, int]] = deque()

    def done() -> pl.DataFrame:
        future, refs, size = pending.popleft()
        result, per_case = future.result()
        found = counted(finish(result, refs), per_case, counts)
        progress.advance(size, counts.read)
        return found

    with ThreadPoolExecutor(IN_STEP, thread_name_prefix="cohort-engine") as pool:
        for kept, refs, size in prefetched(batches):
            pending.append((pool.submit(assess_batch, kept, settings.as_of, today,
                                        settings.guidance), refs, size))
            if len(pending) >= IN_STEP:
                yield done()
        while pending:
            yield done()


def run(settings: Settings) -> Counts:
    """Run a cohort and write ``assessments.parquet``, ``rejected.ndjson``,
    ``summary.json``, ``report.html`` and the plots into ``settings.out``."""
    from secondline._cohort._summary import write_outputs

    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    _plotting_ready()
    reader = reader_for(settings.source, settings.reader)
    enabled = sys.stderr.isatty() if settings.progress is None else settings.progress
    what = "the case store" if settings.reader == "store" else settings.source  # no password
    progress = _Progress(enabled, reader.total(settings.source), f"assessing {what}")
    today = settings.as_of or dt.date.today()
    counts = Counts()
    started = time.perf_counter()
    try:
        with (out / "rejected.ndjson").open("w", encoding="utf-8") as rejected_out:
            batches = _batches(settings, counts, rejected_out, progress)
            if settings.engine == "dask":
                from secondline._cohort._dask import run_dask

                results = run_dask(settings, today, counts, batches, progress)
            else:
                results = _run_polars(settings, today, counts, batches, progress)
            write_all(results, out / "assessments.parquet",
                      empty_result(settings.guidance).schema)
    finally:
        progress.close()
    counts.seconds = time.perf_counter() - started
    write_outputs(settings, counts, today)
    return counts


def _plotting_ready() -> None:
    """Start importing what draws the report's plots, in a thread, while the cases are
    assessed (Polars leaves Python's lock while it works, so the two overlap)."""

    def load() -> None:
        import matplotlib.figure  # noqa: F401

    threading.Thread(target=load, name="cohort-plots-import", daemon=True).start()


def empty_result(guidance: Guidance = None) -> pl.DataFrame:
    """The output's columns, with no rows."""
    return finish(assess_batch(_empty_cases(), None, dt.date.today(), guidance)[0], None)


def _empty_cases() -> pl.DataFrame:
    from secondline._cohort._frame import frame_of

    return frame_of([])

