"""Nothing lost, nothing half-written: a writer killed with SIGKILL mid-stream leaves every
acknowledged case whole, and no part of any other; SQLite's integrity check passes.

Two writers are killed: a process adding cases in a loop (printing each reference once
its transaction has committed), and ``secondline serve`` under 20 concurrent clients
(each reference counted once the server answered 201). Both on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import sqlalchemy as sa

from secondline._store import Actor, Database, add_user, issue_token
from server import free_port
from storekit import EXAMPLES

CASE = (EXAMPLES / "hcl-late-relapse.yaml").read_bytes()
LOOP = """
import sys
from secondline import read_case
from secondline._store import Actor, Database, add_case
database, case = Database(sys.argv[1]), read_case(sys.argv[2])
while True:
    print(add_case(database, Actor("loop", "clinician"), case), flush=True)
"""


def check_whole(url: str, acknowledged: set[str]) -> int:
    """Every acknowledged case is there, whole; no row is an orphan; the audit trail has
    one row per case. Returns the number of cases found."""
    database = Database(url)
    with database.read() as connection:
        refs = set(connection.execute(sa.text("SELECT ref FROM cases")).scalars())
        assert acknowledged <= refs, acknowledged - refs
        for orphan_query in (
            # a case without a version, a version without an assessment
            "SELECT c.id FROM cases c LEFT JOIN case_versions v ON v.case_id = c.id "
            "WHERE v.id IS NULL",
            "SELECT v.id FROM case_versions v LEFT JOIN assessments a "
            "ON a.case_version_id = v.id WHERE a.id IS NULL",
            # an assessment or version pointing nowhere
            "SELECT a.id FROM assessments a LEFT JOIN case_versions v "
            "ON v.id = a.case_version_id WHERE v.id IS NULL",
            "SELECT v.id FROM case_versions v LEFT JOIN cases c ON c.id = v.case_id "
            "WHERE c.id IS NULL",
        ):
            assert connection.execute(sa.text(orphan_query)).all() == [], orphan_query
        added = connection.execute(sa.text(
            "SELECT count(*) FROM audit_events WHERE action = 'case.add'")).scalar_one()
        assert added == len(refs)
        if database.is_sqlite:
            assert connection.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    database.dispose()
    return len(refs)


def test_a_loop_killed_mid_write_loses_nothing_it_printed(db: Database,
                                                          tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    case_file.write_bytes(CASE)
    printed: set[str] = set()
    for round_number in range(3):
        out = tmp_path / f"printed-{round_number}.txt"
        with out.open("wb") as sink:
            loop = subprocess.Popen([sys.executable, "-c", LOOP, db.url, str(case_file)],
                                    stdout=sink, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 60
            # let it write a while, then kill it at a moment of its choosing
            while len(out.read_bytes().splitlines()) < 15 * (round_number + 1):
                assert loop.poll() is None, loop.stderr.read() if loop.stderr else ""
                assert time.monotonic() < deadline, "the loop wrote too slowly"
                time.sleep(0.02)
            time.sleep(0.013 * round_number)
            loop.send_signal(signal.SIGKILL)
            loop.wait(timeout=30)
            assert loop.stderr is not None
            loop.stderr.close()
        lines = out.read_text().split("\n")
        # a reference is acknowledged once its line is whole
        printed |= {line for line in lines[:-1] if line}
        assert len(printed) >= 15
        assert check_whole(db.url, printed) >= len(printed)


@contextmanager
def serving(url: str, log: Path) -> Iterator[str]:
    """``secondline serve`` on a free port, in its own process group."""
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "secondline", "serve", "--port", str(port),
             "--workers", "1", "--db", url],
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


CLIENTS = 20


def test_a_server_killed_under_twenty_writing_clients_loses_nothing_it_acknowledged(
    db: Database, tmp_path: Path,
) -> None:
    add_user(db, Actor("os:test", "admin"), "writer", "a long enough password", "clinician")
    headers = {"Authorization": f"Bearer {issue_token(db, Actor('os:test', 'admin'), 'writer')}",
               "content-type": "application/yaml"}
    acknowledged: set[str] = set()
    answers: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    log = tmp_path / "server.log"

    def client(base: str) -> None:
        with httpx2.Client(base_url=base, timeout=30) as http:
            while not stop.is_set():
                try:
                    answer = http.post("/api/cases", content=CASE, headers=headers)
                except httpx2.HTTPError:
                    continue  # the server is gone: this one was never acknowledged
                with lock:
                    answers.append(answer.status_code)
                    if answer.status_code == 201:
                        acknowledged.add(answer.json()["ref"])

    with serving(db.url, log) as base:
        threads = [threading.Thread(target=client, args=(base,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        # killed while the clients are still sending: some writes are in flight
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acknowledged) >= 60
    assert set(answers) == {201}, sorted(set(answers))
    assert check_whole(db.url, acknowledged) >= len(acknowledged)
    # restarted, the server answers for every acknowledged case
    with serving(db.url, log) as base:
        listed = httpx2.get(f"{base}/api/cases", headers=headers, timeout=30).json()
    assert acknowledged <= {row["ref"] for row in listed}
    assert "Traceback" not in log.read_text()
