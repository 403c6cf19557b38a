"""Benchmark: reading a FHIR Bundle into a case, and writing one.

Run with `make bench` (or `python bench/fhir_io.py`; a script named `fhir.py` would hide
the fhir package). It prints its figures; it asserts nothing. Figures: the first read in
a fresh process (fhir.resources' R4B models load then); the median of warm reads of HL7's
Brian L example (28 resources), with the FHIR validation within it, and of the exported
Bundle of every example; the median time to write a Bundle; and the wall time of a whole
`secondline assess` process on Brian L next to the same on a case file.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIAN_L = ROOT / "tests" / "fixtures" / "fhir" / "brian-l.json"
EXAMPLE = ROOT / "examples" / "b-all-relapsed-cd19.yaml"
AS_OF = dt.date(2024, 3, 1)
RUNS = 200


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _median(action: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _process(*args: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "secondline", "assess", *args, "--json"],
                       capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    text = BRIAN_L.read_text(encoding="utf-8")
    start = time.perf_counter()
    from secondline._fhir.read import read_bundle

    read_bundle(json.loads(text), AS_OF)
    print(f"first read of Brian L in this process (loads fhir.resources): "
          f"{_ms(time.perf_counter() - start)}")

    from fhir.resources.R4B.bundle import Bundle

    from secondline import read_case
    from secondline._fhir.write import write_bundle

    data = json.loads(text)
    total = _median(lambda: read_bundle(json.loads(text), AS_OF))
    check = _median(lambda: Bundle.model_validate(data))
    print(f"Brian L, 28 resources: {_ms(total)} per read (median of {RUNS}), of which FHIR "
          f"validation {_ms(check)}")
    cases = [read_case(str(p)) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    bundles = [json.dumps(write_bundle(c)) for c in cases]
    per = [_median(lambda b=b: read_bundle(json.loads(b)), RUNS // 4) for b in bundles]
    sizes = [len(json.loads(b)["entry"]) for b in bundles]
    print(f"exported examples ({min(sizes)}-{max(sizes)} resources): median read "
          f"{_ms(statistics.median(per))}, slowest {_ms(max(per))}")
    writes = [_median(lambda c=c: write_bundle(c), 50) for c in cases]
    print(f"write a Bundle: {_ms(statistics.median(writes))} median")
    brian = _process(str(BRIAN_L), "--as-of", AS_OF.isoformat())
    print(f"whole `secondline assess --json` process: Brian L {_ms(brian)}, "
          f"case file {_ms(_process(str(EXAMPLE)))} (median of 5)")


if __name__ == "__main__":
    main()
