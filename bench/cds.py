"""Benchmark: CDS Hooks calls with full prefetch beside `GET /healthz`, on a real server.

Run with `make bench` (or `python bench/cds.py`). It starts `secondline serve` on a free
loopback port (no trust file: the CDS services answer loopback clients), then, for each
of `/healthz` (the floor), a `patient-view` call for Brian L's record (HL7's mCODE
example) and one for an example case (`examples/b-all-relapsed-cd19.yaml` written as
FHIR), runs 20 closed-loop keep-alive clients for a fixed time and prints p50/p99
latency, throughput and errors, and the ratios to the floor. Every prefetch key is sent,
so nothing is fetched from a FHIR server. The target is p99 <= 50 ms for the hook calls;
whether it is met is printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cdskit import hook_call  # the hook calls the tests make
from serve import Run, with_server  # the same server and client as serve.py
from serve import fixed_rate_with as fixed_rate
from serve import saturate_with as saturate

ROOT = Path(__file__).resolve().parents[1]

TARGET_P99_MS = 50.0


def _bodies() -> dict[str, dict[str, Any]]:
    from secondline import read_case
    from secondline._fhir.write import write_bundle

    brian = json.loads((ROOT / "tests/fixtures/fhir/brian-l.json").read_text())
    example = json.loads(json.dumps(write_bundle(read_case(
        str(ROOT / "examples/b-all-relapsed-cd19.yaml")))))
    return {"Brian L": hook_call(brian), "example b-all-relapsed-cd19": hook_call(example)}


def _renamed(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The same record under new resource ids: a record the server has not seen."""
    renamed: dict[str, Any] = json.loads(json.dumps(body))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("resourceType"), str) and "id" in value:
                value["id"] = f"{value['id']}-{n}"
            if isinstance(value.get("reference"), str):
                value["reference"] = f"{value['reference']}-{n}"
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(renamed["prefetch"])
    renamed["context"]["patientId"] = renamed["prefetch"]["patient"]["id"]
    return renamed


def _requests(port: int, body: dict[str, Any] | None, new_records: bool = False,
              count: int = 50) -> list[bytes]:
    host = f"Host: 127.0.0.1:{port}\r\n"
    if body is None:
        return [f"GET /healthz HTTP/1.1\r\n{host}\r\n".encode()]
    out = []
    for n in range(count):  # each call its own hookInstance, as an EHR sends them
        record = _renamed(body, n) if new_records else body
        data = json.dumps({**record, "hookInstance": str(uuid.uuid4())}).encode()
        head = (f"POST /cds-services/secondline HTTP/1.1\r\n{host}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
        out.append(head.encode() + data)
    return out


def _line(label: str, run: Run, floor: Run | None) -> str:
    ratios = ""
    if floor is not None:
        ratios = (f"   x floor: p50 {run.pct(0.5) / floor.pct(0.5):5.1f}  "
                  f"p99 {run.pct(0.99) / floor.pct(0.99):5.1f}")
    return (f"  {label:<36} {run.rate():7.0f} req/s   p50 {run.pct(0.50):6.1f} ms   "
            f"p99 {run.pct(0.99):6.1f} ms   errors {run.errors}{ratios}")


async def measure(port: int, args: argparse.Namespace) -> None:
    print(f"{args.clients} concurrent closed-loop keep-alive clients, {args.seconds:.0f} s "
          f"each after {args.warmup:.0f} s warm-up; full prefetch, no FHIR server fetch")
    floor = await saturate(port, _requests(port, None), args.clients, args.seconds,
                           args.warmup)
    print(_line("GET /healthz (the floor)", floor, None))
    met = True
    print("  a chart opened again (the same record: its reading and assessment remembered):")
    for label, body in _bodies().items():
        size = len(json.dumps(body))
        run = await saturate(port, _requests(port, body), args.clients, args.seconds,
                             args.warmup)
        print(_line(f"POST /cds-services ({label})", run, floor)
              + f"   body {size / 1024:.0f} KiB")
        met = met and run.pct(0.99) <= TARGET_P99_MS and run.errors == 0
    print("  a chart never seen before (every resource validated as FHIR R4, read and assessed):")
    for label, body in _bodies().items():
        # more distinct records than the run sends calls, so none is seen twice
        run = await saturate(port, _requests(port, body, new_records=True,
                                             count=args.new_records),
                             args.clients, args.seconds, args.warmup)
        print(_line(f"POST /cds-services ({label})", run, floor))
        met = met and run.pct(0.99) <= TARGET_P99_MS and run.errors == 0
    print(f"  target p99 <= {TARGET_P99_MS:.0f} ms for the hook calls at {args.clients} "
          f"concurrent: {'met' if met else 'NOT met'}")
    brian = _bodies()["Brian L"]
    for rate in args.rates:
        print(f"fixed rate {rate:.0f} calls/s (open loop, {args.seconds:.0f} s), Brian L, "
              "a chart opened again:")
        run = await fixed_rate(port, _requests(port, brian), rate, args.seconds)
        print(_line("POST /cds-services (Brian L)", run, floor))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--new-records", type=int, default=1500,
                        help="distinct records for the never-seen runs")
    parser.add_argument("--rates", type=float, nargs="*", default=[20.0, 50.0],
                        help="offered rates (calls per second) for the open-loop runs")
    args = parser.parse_args()
    with_server(args, measure)


if __name__ == "__main__":
    main()
