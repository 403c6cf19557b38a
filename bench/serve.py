"""Benchmark: `POST /api/assess` beside `GET /healthz` on a real `secondline serve`.

Run with `make bench` (or `python bench/serve.py`). It starts the server on a free
loopback port (one worker process per core, as `secondline serve` does by default), then
for each endpoint:

1. **saturation**: many keep-alive clients, each sending its next request as soon as the
   last answer arrives, for a fixed time: the most requests per second it serves;
2. **fixed rate**: requests sent on a schedule at an offered rate, whatever the answers
   (open loop), at the same rates for both endpoints: half of /healthz's saturation
   rate, and more. Latency runs from when a request was due, not when it was sent, so a
   server that falls behind is charged for the wait (no coordinated omission).

It prints throughput, p50/p99 latency and errors side by side, and the two ratios the
issue sets targets for. The client runs on the same machine, so its own CPU use is part
of the picture; the same client measures both endpoints. Figures are printed, never
asserted.

The /api/assess bodies are 200 generated cases (fixed seed) as JSON, sent in turn.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assess import random_case  # the same case generator as bench/assess.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _requests(port: int, endpoint: str, count: int) -> list[bytes]:
    if endpoint == "/healthz":
        return [f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()]
    rng = random.Random(20261123)
    out = []
    for _ in range(count):
        body = json.dumps(random_case(rng)).encode()
        head = (f"POST /api/assess HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> bytes:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return head[9:12]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, fraction: float) -> float:
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        return values[min(round(fraction * (len(values) - 1)), len(values) - 1)] * 1000


async def saturate(port: int, endpoint: str, clients: int, seconds: float,
                   warmup: float) -> Run:
    return await saturate_with(port, _requests(port, endpoint, 200), clients, seconds, warmup)


async def saturate_with(port: int, requests: list[bytes], clients: int, seconds: float,
                        warmup: float) -> Run:
    """``clients`` closed-loop keep-alive clients sending ``requests`` in turn."""
    run = Run()
    start = time.perf_counter()
    warm_until, until = start + warmup, start + warmup + seconds

    async def client(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while (now := time.perf_counter()) < until:
                status = await _exchange(reader, writer, requests[i % len(requests)])
                i += 1
                if now >= warm_until:
                    run.latencies.append(time.perf_counter() - now)
                    run.errors += status != b"200"
        finally:
            writer.close()

    await asyncio.gather(*(client(n * 7) for n in range(clients)))
    run.elapsed = time.perf_counter() - warm_until
    return run


async def fixed_rate(port: int, endpoint: str, rate: float, seconds: float,
                     pool: int = 256) -> Run:
    return await fixed_rate_with(port, _requests(port, endpoint, 200), rate, seconds, pool)


async def fixed_rate_with(port: int, requests: list[bytes], rate: float, seconds: float,
                          pool: int = 256) -> Run:
    """Requests due every 1/rate seconds whatever the answers (open loop), each on a free
    connection (opened as needed); latency runs from when a request was due."""
    run = Run()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened = 0
    start = time.perf_counter()
    total = int(rate * seconds)
    tasks = []

    async def one(i: int, due: float) -> None:
        nonlocal opened
        try:
            if idle:
                conn = idle.pop()
            elif opened < pool:
                opened += 1
                conn = await asyncio.open_connection("127.0.0.1", port)
            else:
                run.errors += 1  # the client ran out of connections: the server is behind
                return
            status = await _exchange(*conn, requests[i % len(requests)])
            run.latencies.append(time.perf_counter() - due)
            run.errors += status != b"200"
            idle.append(conn)
        except (OSError, asyncio.IncompleteReadError):
            run.errors += 1

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    run.elapsed = time.perf_counter() - start
    for _, writer in idle:
        writer.close()
    return run


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


def _line(label: str, run: Run) -> str:
    return (f"  {label:<34} {run.rate():8.0f} req/s   p50 {run.pct(0.50):7.1f} ms   "
            f"p99 {run.pct(0.99):7.1f} ms   errors {run.errors}")


async def measure(port: int, args: argparse.Namespace) -> None:
    print(f"saturation: {args.clients} closed-loop keep-alive clients, {args.seconds:.0f} s "
          f"after {args.warmup:.0f} s warm-up")
    health = await saturate(port, "/healthz", args.clients, args.seconds, args.warmup)
    assess = await saturate(port, "/api/assess", args.clients, args.seconds, args.warmup)
    print(_line("GET /healthz", health))
    print(_line("POST /api/assess", assess))
    ratio = assess.rate() / health.rate()
    print(f"  saturation ratio assess/healthz: {ratio:.2f}   (target >= 0.8)")
    half = health.rate() / 2
    for fraction in (0.25, 0.5):
        rate = health.rate() * fraction
        print(f"fixed rate {rate:.0f} req/s ({fraction:.0%} of /healthz saturation), "
              f"{args.seconds:.0f} s each:")
        h = await fixed_rate(port, "/healthz", rate, args.seconds)
        a = await fixed_rate(port, "/api/assess", rate, args.seconds)
        print(_line("GET /healthz", h))
        print(_line("POST /api/assess", a))
        if rate == half:
            print(f"  p99 ratio assess/healthz at half of /healthz saturation: "
                  f"{a.pct(0.99) / h.pct(0.99):.2f}   (target <= 2)")


def with_server(args: argparse.Namespace,
                measure: Callable[[int, argparse.Namespace], Awaitable[None]]) -> None:
    """Start ``secondline serve`` with ``args.workers`` workers on a free loopback port,
    run ``measure(port, args)`` against it, and stop it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "secondline", "serve", "--port", str(port),
         "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
    )
    try:
        _wait_healthy(url, server)
        print(f"secondline serve, {args.workers} worker processes, {os.cpu_count()} CPUs, "
              "client on the same machine")
        asyncio.run(measure(port, args))
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with_server(args, measure)


if __name__ == "__main__":
    main()
