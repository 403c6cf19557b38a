"""``secondline cohort INPUT -o DIR``: the command line of the cohort engine.

Every problem with the arguments is an exit 2 naming the argument, before anything is
read; problems with rows of the input never stop the run (``rejected.ndjson``).
"""

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
        "cohort", help="assess a whole cohort at once (NDJSON, Parquet, FHIR Bulk Data, "
        "the case store)",
        description="Assess every case of INPUT with the vectorised engine and write "
        "assessments.parquet, rejected.ndjson, summary.json, report.html and the plots "
        "(.svg) into DIR.")
    cohort.add_argument("input", metavar="INPUT", nargs="?",
                        help="NDJSON (.ndjson, .jsonl) or Parquet (.parquet) of native cases, "
                        "or a folder of FHIR Bulk Data files (Patient.ndjson, ...); "
                        "leave out with --db")
    cohort.add_argument("-o", "--out", required=True, metavar="DIR", help="the output folder")
    cohort.add_argument("--db", metavar="URL",
                        help="read the case store instead of INPUT: each case's latest "
                        "version, and its latest MDT decision for the concordance")
    cohort.add_argument("--as-of", type=date, metavar="DATE",
                        help="judge every case at this date (default: each case's own, "
                        "else today)")
    cohort.add_argument("--guidance", choices=("current",),
                        help="current: add the dated layer of guidance newer than the pages")
    cohort.add_argument("--engine", choices=("polars", "dask"), default="polars",
                        help="polars (this process, default) or dask (a cluster; "
                        "pip install 'secondline[dask]')")
    cohort.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask scheduler (tcp://host:8786); default: a local cluster")
    cohort.add_argument("--workers", type=int, default=2, metavar="N",
                        help="worker processes of the local Dask cluster (default 2)")
    cohort.add_argument("--decisions", metavar="FILE",
                        help="recorded MDT decisions (Parquet or NDJSON), for concordance")
    cohort.add_argument("--input-format", choices=("ndjson", "parquet", "fhir-bulk"),
                        help="the reader to use (default: from INPUT)")
    cohort.add_argument("--batch-rows", type=int, default=100_000, metavar="N",
                        help="cases per batch (default 100000)")
    cohort.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="show a progress bar (default: when standard error is a "
                        "terminal)")


def _check(args: argparse.Namespace) -> None:
    """Every problem with the arguments, at once, each naming its argument."""
    problems = []
    if args.batch_rows < 1:
        problems.append("--batch-rows: must be 1 or more")
    if args.workers < 1:
        problems.append("--workers: must be 1 or more")
    if (args.input is None) == (args.db is None):
        problems.append("INPUT: give either INPUT or --db URL, not both")
    elif args.input is not None and not Path(args.input).exists():
        problems.append(f"INPUT: {args.input}: no such file or folder")
    elif args.input is not None:
        from secondline._cohort._read import reader_for
        from secondline._cohort._run import READERS

        assert READERS  # imported, every reader has registered itself
        try:
            reader_for(args.input, args.input_format)
        except CaseError as exc:
            problems += exc.problems
    if args.db is not None and (args.decisions or args.input_format):
        problems.append("--db: the store gives its own decisions and format; leave out "
                        "--decisions and --input-format")
    if args.decisions and not Path(args.decisions).is_file():
        problems.append(f"--decisions: {args.decisions}: no such file")
    if args.scheduler and args.engine != "dask":
        problems.append("--scheduler: only with --engine dask")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        problems.append(f"--out: {args.out} is a file, not a folder")
    if args.engine == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            problems.append("--engine: dask needs Dask, which is not installed here; "
                            "pip install 'secondline[dask]'")
    if problems:
        raise CaseError(problems)


def main(args: argparse.Namespace) -> int:
    from secondline._cohort._run import Settings, run

    _check(args)
    counts = run(Settings(
        source=args.db if args.db is not None else args.input, out=Path(args.out),
        engine=args.engine, scheduler=args.scheduler, as_of=args.as_of,
        decisions=args.decisions, reader="store" if args.db is not None else args.input_format,
        batch_rows=args.batch_rows, progress=args.progress, workers=args.workers,
        guidance=args.guidance,
    ))
    print(f"{counts.assessed} cases assessed, {counts.rejected} rejected, in "
          f"{counts.seconds:.1f} s; written to {args.out}", file=sys.stderr)
    return 0
