"""Benchmark: whole cohorts, side by side with the floor of only reading them.

Run with `make bench` (or `python bench/cohort.py`; `--sizes 200000,1000000` by
default). It prints its figures and whether each target of the cohort issue is met; it
asserts nothing.

For each size it generates that many cases (``tests/cohort_cases.random_cases``, seeded)
as NDJSON and as Parquet in a temporary folder, then measures:

* the floor: Polars reading each file into a DataFrame of the case columns, nothing else
  (``pl.read_ndjson(schema=...)``, ``pl.read_parquet``);
* ``secondline cohort`` end to end from each file (reading, checking, assessing, writing
  ``assessments.parquet``, ``summary.json``, ``report.html`` and the plots), and its
  ratio to the floor;
* peak memory: the maximum resident set size of the process that made the run
  (``ru_maxrss`` from ``os.wait4``, i.e. getrusage of that child), so each run is
  measured in a fresh process of its own, imports included in memory but not in time;
* the Dask engine on a local cluster of 2 worker processes, from Parquet: the cluster's
  start and the run apart, and its overhead over the Polars engine;
* the per-case engine (``parse_case`` then ``assess``, one case at a time) on a sample
  of ``SAMPLE`` cases, scaled up linearly to the size (time per case x cases).

Targets (issue 13): 1,000,000 cases from Parquet end to end in at most 5 s; from NDJSON
in at most 3 x the bare NDJSON read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

SAMPLE = 5_000
SEED = 20261130

#: one step in a fresh process: prints JSON with its wall time (the bench itself stays
#: small, so that a child's peak memory is its own: Linux carries a parent's high-water
#: mark into a child it forks)
_CHILD = r"""
import json, sys, time
from pathlib import Path
what, source, out = sys.argv[1:4]
sys.path.insert(0, out)
import polars as pl
from secondline._cohort._frame import CASE_SCHEMA
from secondline._cohort._run import Settings, run
from secondline._cohort._engine import cohort_engine
if what == "generate":
    from cohort_cases import random_cases
    size, seed, sample = (int(n) for n in source.split(","))
    start = time.perf_counter()
    cases = random_cases(size, seed=seed)
    folder = Path(sys.argv[4])
    with (folder / f"cases-{size}.ndjson").open("w", encoding="utf-8") as stream:
        for case in cases:
            stream.write(json.dumps(case) + "\n")
    (folder / f"sample-{size}.json").write_text(json.dumps(cases[:sample]))
    del cases
    pl.read_ndjson(folder / f"cases-{size}.ndjson", schema=CASE_SCHEMA).write_parquet(
        folder / f"cases-{size}.parquet")
    rows = size
elif what == "per-case":
    from secondline import assess, parse_case
    sample = json.loads(Path(source).read_text())
    assess(parse_case(sample[0]))  # the knowledge loaded
    start = time.perf_counter()
    for case in sample:
        assess(parse_case(case))
    rows = len(sample)
elif what == "read-ndjson":
    start = time.perf_counter()
    rows = len(pl.read_ndjson(source, schema=CASE_SCHEMA))
elif what == "read-parquet":
    start = time.perf_counter()
    rows = len(pl.read_parquet(source))
else:
    cohort_engine()  # the knowledge, loaded once per process as any run does
    engine, scheduler = (what.split(":", 1) + [None])[:2]
    start = time.perf_counter()
    counts = run(Settings(source, Path(out), engine=engine, scheduler=scheduler,
                          progress=False))
    rows = counts.assessed
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def _measure(what: str, source: Path | str, out: Path, *more: str) -> dict[str, Any]:
    """One step in its own process: its time and peak resident memory."""
    process = subprocess.Popen([sys.executable, "-c", _CHILD, what, str(source), str(out),
                                *more], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    text = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{what} failed ({process.returncode})")
    found: dict[str, Any] = json.loads(text)
    found["peak_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    return found


def _generate(size: int, folder: Path) -> tuple[Path, Path, Path, float]:
    found = _measure("generate", f"{size},{SEED},{SAMPLE}", ROOT / "tests", str(folder))
    return (folder / f"cases-{size}.ndjson", folder / f"cases-{size}.parquet",
            folder / f"sample-{size}.json", found["seconds"])


def _dask(parquet: Path, out: Path) -> tuple[float, dict[str, Any]]:
    from distributed import LocalCluster

    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None)
    started = time.perf_counter() - start
    try:
        return started, _measure(f"dask:{cluster.scheduler_address}", parquet, out)
    finally:
        cluster.close()


def _line(name: str, seconds: float, peak: float | None = None, note: str = "") -> None:
    memory = f"{peak:8.0f} MiB" if peak is not None else " " * 12
    print(f"  {name:<44} {seconds:8.2f} s  {memory}  {note}")


def bench(size: int, folder: Path) -> None:
    print(f"\n{size:,} cases")
    ndjson, parquet, sample, made = _generate(size, folder)
    print(f"  (generated in {made:.1f} s: NDJSON "
          f"{ndjson.stat().st_size / 2**20:.0f} MiB, Parquet "
          f"{parquet.stat().st_size / 2**20:.0f} MiB)")
    floor_n = _measure("read-ndjson", ndjson, folder / "x")
    floor_p = _measure("read-parquet", parquet, folder / "x")
    run_p = _measure("polars", parquet, folder / "out-p")
    run_n = _measure("polars", ndjson, folder / "out-n")
    _line("floor: Polars reads the NDJSON", floor_n["seconds"], floor_n["peak_mib"])
    _line("floor: Polars reads the Parquet", floor_p["seconds"], floor_p["peak_mib"])
    _line("cohort end to end from Parquet", run_p["seconds"], run_p["peak_mib"],
          f"{run_p['seconds'] / floor_p['seconds']:.1f} x its floor")
    ratio = run_n["seconds"] / floor_n["seconds"]
    _line("cohort end to end from NDJSON", run_n["seconds"], run_n["peak_mib"],
          f"{ratio:.2f} x its floor")
    started, dask = _dask(parquet, folder / "out-d")
    _line("dask: start a 2-worker local cluster", started)
    _line("dask: cohort from Parquet on it", dask["seconds"], dask["peak_mib"],
          f"overhead over Polars {dask['seconds'] - run_p['seconds']:+.2f} s "
          f"({dask['seconds'] / run_p['seconds']:.1f} x); client memory only")
    one = _measure("per-case", sample, folder / "x")
    per_case = one["seconds"] / one["rows"]
    _line("per-case engine, scaled up", per_case * size, None,
          f"{per_case * 1e3:.3f} ms a case (parse + assess) over {one['rows']:,} cases, "
          f"x {size:,}")
    if size == 1_000_000:
        print(f"  target: Parquet end to end <= 5 s: {run_p['seconds']:.2f} s, "
              f"{'met' if run_p['seconds'] <= 5 else 'NOT met'}")
    print(f"  target: NDJSON end to end <= 3 x the bare read: {ratio:.2f} x, "
          f"{'met' if ratio <= 3 else 'NOT met'}")
    for path in (ndjson, parquet, sample):
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200000,1000000")
    args = parser.parse_args()
    print(f"secondline cohort benchmark ({os.cpu_count()} cores); times are wall clock, "
          "memory the peak resident set of the process that ran the step")
    with tempfile.TemporaryDirectory(prefix="secondline-cohort-bench-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            bench(size, Path(folder))


if __name__ == "__main__":
    main()
