"""Benchmark: time of one in-process assessment, and of the whole `secondline assess` process.

Run with `make bench` (or `python bench/assess.py`). It prints its figures; it asserts
nothing. Targets from the issue: median <= 100 µs per assessment; whole `assess --json`
process <= 150 ms, printed next to the floor of any Python process (`python -c pass`)
measured in the same run, runs interleaved so that a busy machine slows both alike.

The whole-process runs use a compiled-knowledge cache of their own (a temporary
directory, never the user's): warm for the timed runs, and emptied once for a cold run.
The 10,000 cases are generated from a fixed seed so that runs compare like with like.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from secondline import Case, assess, load_knowledge, parse_case

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "b-all-relapsed-cd19.yaml"
AS_OF = dt.date(2026, 11, 23)
DRUG_NAMES = [
    "cladribine", "Nipent", "Truxima", "interferon", "Blincyto", "Besponsa", "Kymriah",
    "Glivec", "Sprycel", "Iclusig", "nelarabine", "cyclophosphamide", "etoposide",
    "FLAG-IDA", "methotrexate", "prednisolone", "dexamethasone", "vincristine",
]


def _day(rng: random.Random, earliest: dt.date, latest: dt.date) -> dt.date:
    return earliest + dt.timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))


def random_case(rng: random.Random) -> dict[str, Any]:
    presence = ["positive", "negative", "unknown"]
    diagnosed = _day(rng, dt.date(2015, 1, 1), AS_OF - dt.timedelta(days=30))
    treatments = []
    cursor = diagnosed
    for _ in range(rng.randint(0, 3)):
        started = _day(rng, cursor, AS_OF)
        ended = _day(rng, started, AS_OF)
        treatments.append({
            "drugs": rng.sample(DRUG_NAMES, rng.randint(0, 3)),
            "type": rng.choice(["chemotherapy", "targeted", "immunotherapy", "other"]),
            "started": started.isoformat(),
            "ended": ended.isoformat(),
            "response": rng.choice(
                ["complete-remission", "partial-remission", "no-response", "unknown"]
            ),
        })
        cursor = ended
    return {
        "id": f"BENCH-{rng.randint(1, 99999)}",
        "age": rng.randint(1, 95),
        "disease": rng.choice(["B-ALL", "T-ALL", "HCL"]),
        "diagnosed": diagnosed.isoformat(),
        "philadelphia": rng.choice(presence),
        "markers": {m: rng.choice(presence) for m in ("CD19", "CD20", "CD22")},
        "fit_for_intensive_treatment": rng.choice([True, False, None]),
        "treatments": treatments,
        "assessment": {
            "date": _day(rng, cursor, AS_OF).isoformat(),
            "marrow_blasts_percent": rng.choice([0, 2, 4.9, 5, 20, 60]),
            "blood_counts_normal": rng.choice([True, False, None]),
            "extramedullary": rng.choice([[], ["cns"], ["bone"], None]),
            "mrd": rng.choice(presence),
        },
        "relapses": rng.choice([None, 0, 1, 2]),
        "relapse_sites": rng.sample(["bone-marrow", "cns", "testes"], rng.randint(0, 2)),
        "donor": rng.choice(["sibling", "matched-unrelated", "none", "unknown"]),
        "symptoms": rng.sample(["bone-pain", "fever", "bruising"], rng.randint(0, 2)),
        "wishes": {
            "active_treatment": rng.random() > 0.1,
            "clinical_trials": rng.random() > 0.3,
        },
        "region": rng.choice(["UK", "CA", None]),
        "as_of": AS_OF.isoformat(),
    }


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(round(fraction * (len(sorted_values) - 1)), len(sorted_values) - 1)
    return sorted_values[index]


def bench_in_process(count: int) -> None:
    rng = random.Random(20261123)
    raw = [random_case(rng) for _ in range(count)]
    load_knowledge()  # load and compile once, as every interface does
    t0 = time.perf_counter()
    cases: list[Case] = [parse_case(data) for data in raw]
    parse_us = (time.perf_counter() - t0) / count * 1e6
    for case in cases[:200]:  # warm up
        assess(case)
    timings = []
    for case in cases:
        start = time.perf_counter_ns()
        assess(case)
        timings.append((time.perf_counter_ns() - start) / 1000)
    timings.sort()
    print(f"in-process assess() over {count} generated cases:")
    print(f"  median {statistics.median(timings):8.1f} µs   (target <= 100 µs)")
    print(f"  p99    {_percentile(timings, 0.99):8.1f} µs")
    print(f"  max    {timings[-1]:8.1f} µs")
    print(f"  parse_case() mean {parse_us:.1f} µs per case (not included above)")


def _secondline() -> list[str]:
    """The installed command next to this Python, else ``python -m secondline``."""
    script = Path(sys.executable).with_name("secondline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "secondline"]


def _run(command: list[str], env: dict[str, str]) -> float:
    """Milliseconds for one whole process, start to exit."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - start) * 1000


def bench_process(runs: int, cache: str) -> None:
    env = {**os.environ, "SECONDLINE_CACHE_DIR": cache}
    assess_json = [*_secondline(), "assess", str(EXAMPLE), "--json"]
    commands = {
        "python -c pass (the floor)": [sys.executable, "-c", "pass"],
        "python: import pydantic, yaml; one model": [
            sys.executable, "-c",
            "import yaml, pydantic\nclass M(pydantic.BaseModel):\n    x: int",
        ],
        "secondline assess --json": assess_json,
        "secondline assess (rich report)": assess_json[:-1],
    }
    _run(assess_json, env)  # fills the cache, if the in-process run has not
    timings: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):  # interleaved
        for label, command in commands.items():
            timings[label].append(_run(command, env))
    shutil.rmtree(cache)
    cold = _run(assess_json, env)
    bytecode = "not written (PYTHONDONTWRITEBYTECODE)" if sys.dont_write_bytecode else "on"
    print(f"whole process, {runs} interleaved runs each on {EXAMPLE.name}, warm knowledge "
          f"cache; bytecode cache {bytecode}:")
    medians = {label: statistics.median(values) for label, values in timings.items()}
    floor = medians["python -c pass (the floor)"]
    for label, values in timings.items():
        median = medians[label]
        note = "   (target <= 150 ms)" if label == "secondline assess --json" else ""
        print(f"  {label:42s} median {median:6.1f} ms   min {min(values):6.1f} ms   "
              f"{median / floor:5.1f} x the floor{note}")
    print(f"  {'secondline assess --json, cold cache':42s} once   {cold:6.1f} ms   "
          f"{cold / floor:5.1f} x the floor (cache emptied: read, check and cache again)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {sys.platform}")
    # the bench's own compiled-knowledge cache, never the user's
    cache = os.environ["SECONDLINE_CACHE_DIR"] = tempfile.mkdtemp(prefix="secondline-bench-")
    try:
        bench_in_process(args.cases)
        bench_process(args.runs, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
