"""Benchmark: the case store on SQLite and PostgreSQL, side by side.

Run with `make bench` (or `python bench/store.py`). For each backend it makes a new,
migrated store (SQLite: a file in a temporary folder, WAL, synchronous=FULL;
PostgreSQL: a throwaway cluster on loopback with fsync on, started and stopped here,
as the tests do) and measures:

1. **cases stored per second**: `add_case` one after another (each a transaction that
   assesses the case and writes the case, its version, its assessment and an audit
   row), and from 8 threads at once; beside the **floor**, a bare transaction that
   inserts one row into a scratch table and commits, on the same database;
2. **opening a meeting of 50 cases**: `show_meeting` (one read of the list with each
   case's newest assessment, plus its audit row), and the whole meeting page through
   the web application (signed in, rendered); beside the **floor**, a bare `SELECT 1`
   round trip.

Times are medians; ratios are against the floor measured in the same run, so they say
how much the store adds over the database itself. Figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from secondline import read_case
from secondline._store import (
    Actor,
    Database,
    add_case,
    add_cases,
    add_user,
    new_meeting,
    show_meeting,
    upgrade,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from pgcluster import running_postgres  # noqa: E402  the tests' throwaway server

CASE = read_case(str(ROOT / "examples" / "b-all-relapsed-cd19.yaml"))
ADMIN = Actor("bench", "admin")
SEQUENTIAL, THREADS, PER_THREAD, OPENS = 200, 8, 25, 30


def _median_seconds(work: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _floor_insert(database: Database) -> float:
    """Bare committed one-row transactions per second."""
    with database.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE bench_scratch (id INTEGER PRIMARY KEY, "
                                   "note VARCHAR(40))"))
    count = 300
    start = time.perf_counter()
    for i in range(count):
        database.write(lambda c, i=i: c.execute(sa.text(
            "INSERT INTO bench_scratch (id, note) VALUES (:i, 'x')"), {"i": i}))
    return count / (time.perf_counter() - start)


def _floor_select(database: Database) -> float:
    def one() -> None:
        with database.read() as connection:
            connection.execute(sa.text("SELECT 1")).scalar_one()

    return _median_seconds(one, 200)


def _cases_per_second(database: Database) -> tuple[float, float, list[str]]:
    refs: list[str] = []
    start = time.perf_counter()
    for _ in range(SEQUENTIAL):
        refs.append(add_case(database, ADMIN, CASE))
    sequential = SEQUENTIAL / (time.perf_counter() - start)

    def writer() -> None:
        for _ in range(PER_THREAD):
            add_case(database, ADMIN, CASE)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = THREADS * PER_THREAD / (time.perf_counter() - start)
    return sequential, concurrent, refs


def _open_meeting(database: Database, refs: list[str]) -> tuple[float, float]:
    import re

    from fastapi.testclient import TestClient

    from secondline.web import create_app

    meeting = new_meeting(database, ADMIN, CASE.as_of, "Bench MDT")
    add_cases(database, ADMIN, meeting, refs[:50])
    store_only = _median_seconds(lambda: show_meeting(database, ADMIN, meeting), OPENS)
    add_user(database, ADMIN, "bench", "a long enough password", "clinician")
    with TestClient(create_app(database.url)) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"username": "bench", "password": "a long enough password",
                                    "csrf": token.group(1)})
        assert client.get(f"/meetings/{meeting}").text.count("meeting-case") == 50
        page = _median_seconds(lambda: client.get(f"/meetings/{meeting}"), OPENS)
    return store_only, page


@contextmanager
def backend(name: str) -> Iterator[Database]:
    if name == "SQLite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{folder}/store.sqlite3")
            upgrade(database)
            yield database
            database.dispose()
        return
    with running_postgres(fsync=True) as cluster:
        database = Database(cluster.new_database())
        upgrade(database)
        yield database
        database.dispose()


def measure(name: str) -> dict[str, float]:
    with backend(name) as database:
        insert_floor = _floor_insert(database)
        select_floor = _floor_select(database)
        sequential, concurrent, refs = _cases_per_second(database)
        store_open, page_open = _open_meeting(database, refs)
    return {"insert_floor": insert_floor, "sequential": sequential,
            "concurrent": concurrent, "select_floor": select_floor,
            "store_open": store_open, "page_open": page_open}


def main() -> None:
    assess_time = _median_seconds(lambda: __import__("secondline").assess(CASE), 200)
    results = {name: measure(name) for name in ("SQLite", "PostgreSQL")}
    rows = [
        ("floor: bare one-row transactions per second", "insert_floor", "{:,.0f}/s"),
        (f"cases stored per second, one writer ({SEQUENTIAL})", "sequential", "{:,.0f}/s"),
        (f"cases stored per second, {THREADS} threads", "concurrent", "{:,.0f}/s"),
        ("floor: SELECT 1 round trip (median)", "select_floor", "{:.2f} ms"),
        ("open a meeting of 50 cases: store read", "store_open", "{:.1f} ms"),
        ("open a meeting of 50 cases: the web page", "page_open", "{:.1f} ms"),
    ]
    print(f"{'':52} {'SQLite':>14} {'PostgreSQL':>14}")
    for label, key, form in rows:
        cells = []
        for name in results:
            value = results[name][key]
            cells.append(form.format(value * 1000 if "ms" in form else value))
        print(f"{label:52} {cells[0]:>14} {cells[1]:>14}")
    print()
    print("ratios against the floor measured in the same run:")
    for name, r in results.items():
        print(f"  {name}: a stored case costs {r['insert_floor'] / r['sequential']:.1f} bare "
              f"transactions; opening the meeting (store read) costs "
              f"{r['store_open'] / r['select_floor']:.0f} SELECT 1 round trips, the page "
              f"{r['page_open'] / r['select_floor']:.0f}")
    print(f"  (one assessment alone, in process: {assess_time * 1000:.2f} ms, part of every "
          "stored case)")


if __name__ == "__main__":
    main()
