"""Benchmark: `POST /api/assess` on a real `secondline serve`, from 50 concurrent clients.

Run with `make bench` (or `python bench/serve.py`). It starts the server on a free
loopback port, drives it for a fixed time with keep-alive connections (each client
sends its next request as soon as the last answer arrives), stops by itself and
prints requests per second and latency percentiles. It asserts nothing.
Target from the issue: p99 <= 50 ms on a 2-core machine.

The bodies are 200 generated cases (fixed seed) as JSON, sent in turn, so the server
does real work on varied cases rather than one answer over and over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess import random_case  # the same case generator as bench/assess.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(port: int, count: int) -> list[bytes]:
    rng = random.Random(20261123)
    out = []
    for _ in range(count):
        body = json.dumps(random_case(rng)).encode()
        head = (f"POST /api/assess HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def _client(port: int, requests: list[bytes], offset: int, until: float,
                  warm_until: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while (now := time.perf_counter()) < until:
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if now >= warm_until:
                latencies.append(time.perf_counter() - now)
                if status != b"200":
                    errors.append(status.decode())
    finally:
        writer.close()


async def _load(port: int, clients: int, seconds: float, warmup: float) -> tuple[
        list[float], list[str], float]:
    requests = _requests(port, 200)
    start = time.perf_counter()
    warm_until, until = start + warmup, start + warmup + seconds
    latencies: list[float] = []
    errors: list[str] = []
    await asyncio.gather(*(
        _client(port, requests, n * 4, until, warm_until, latencies, errors)
        for n in range(clients)
    ))
    return latencies, errors, time.perf_counter() - warm_until


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped before it answered")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer /healthz within 30 s")


def _pct(values: list[float], fraction: float) -> float:
    return values[min(round(fraction * (len(values) - 1)), len(values) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "secondline", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )
    try:
        _wait_healthy(url, server)
        latencies, errors, elapsed = asyncio.run(
            _load(port, args.clients, args.seconds, args.warmup))
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    print(f"POST /api/assess, {args.clients} concurrent keep-alive clients, "
          f"{args.seconds:.0f} s after {args.warmup:.0f} s warm-up, {os.cpu_count()} CPUs:")
    print(f"  requests {len(latencies)}   non-200 answers {len(errors)}")
    print(f"  throughput {len(latencies) / elapsed:8.1f} requests/s")
    print(f"  latency p50 {_pct(latencies, 0.50):6.1f} ms   p90 {_pct(latencies, 0.90):6.1f} ms"
          f"   p99 {_pct(latencies, 0.99):6.1f} ms   max {latencies[-1] * 1000:6.1f} ms"
          "   (target p99 <= 50 ms)")


if __name__ == "__main__":
    main()
