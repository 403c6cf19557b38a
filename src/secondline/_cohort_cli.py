"""``secondline cohort INPUT --out DIR``: the command line of the cohort engine."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from secondline._errors import CaseError


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser],
               date: Callable[[str], dt.date]) -> None:
    cohort = commands.add_parser(
        "cohort", help="assess a whole cohort (NDJSON or Parquet of cases) at once",
        description="Assess every case of INPUT with the vectorised engine and write "
        "assessments.parquet, rejected.ndjson, summary.json, report.html and the plots "
        "(.svg) into DIR.")
    cohort.add_argument("input", metavar="INPUT",
                        help="NDJSON (.ndjson, .jsonl) or Parquet (.parquet) of native cases")
    cohort.add_argument("--out", required=True, metavar="DIR", help="the output folder")
    cohort.add_argument("--engine", choices=("polars", "dask"), default="polars",
                        help="polars (this process, default) or dask (a cluster)")
    cohort.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask scheduler (tcp://host:8786); default: a local cluster")
    cohort.add_argument("--workers", type=int, default=2, metavar="N",
                        help="worker processes of the local Dask cluster (default 2)")
    cohort.add_argument("--as-of", type=date, metavar="DATE",
                        help="judge every case at this date (default: each case's own)")
    cohort.add_argument("--decisions", metavar="FILE",
                        help="recorded MDT decisions (Parquet or NDJSON), for concordance")
    cohort.add_argument("--input-format", metavar="NAME",
                        help="the reader to use (default: from INPUT's name)")
    cohort.add_argument("--batch-rows", type=int, default=100_000, metavar="N",
                        help="cases per batch (default 100000)")
    cohort.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: on a terminal)")


def main(args: argparse.Namespace) -> int:
    from secondline._cohort._run import Settings, run

    if args.batch_rows < 1 or args.workers < 1:
        raise CaseError(["--batch-rows and --workers: must be 1 or more"])
    if not Path(args.input).exists():
        raise CaseError([f"{args.input}: no such file"])
    if args.decisions and not Path(args.decisions).exists():
        raise CaseError([f"{args.decisions}: no such file"])
    counts = run(Settings(
        source=args.input, out=Path(args.out), engine=args.engine, scheduler=args.scheduler,
        as_of=args.as_of, decisions=args.decisions, reader=args.input_format,
        batch_rows=args.batch_rows, progress=args.progress, workers=args.workers,
    ))
    print(f"{counts.assessed} cases assessed, {counts.rejected} rejected, in "
          f"{counts.seconds:.1f} s; written to {args.out}", file=sys.stderr)
    return 0
