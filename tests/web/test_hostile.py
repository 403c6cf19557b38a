"""Nothing one request sends can hurt the next: hostile input and heavy load get a bounded,
named answer from a real server, and the server stays up and answering for everyone.

Each test sends the input the reliability review found and checks the answer: its status,
and the time or memory where that is the point (with generous limits: the figures
themselves are for bench/serve.py).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server import Server, running_server

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0

#: aliases nested five deep: 100,000 values from a few hundred bytes
LAUGHS = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "age: 40\ndisease: B-ALL\nsymptoms: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
)


def _worst_case() -> dict[str, Any]:
    """A valid case with every list at its limit, all treatments overlapping."""
    names = ["Blincyto", "Glivec", "methotrexate", "cytarabine", "FLAG-IDA", "Kymriah"]
    return {
        "id": "X" * 200, "age": 30, "disease": "B-ALL", "philadelphia": "positive",
        "markers": {"CD19": "positive", "CD22": "positive"},
        "treatments": [
            {"drugs": [names[j % 6] if j % 5 else f"drug-{i}-{j}" for j in range(30)],
             "started": "2020-01-01", "ended": "2026-11-10",
             "response": ("no-response", "complete-remission", "unknown")[i % 3]}
            for i in range(200)
        ],
        "assessment": {"date": "2026-11-10", "marrow_blasts_percent": 40,
                       "blood_counts_normal": False, "extramedullary": []},
        "symptoms": [f"symptom {i}" for i in range(50)], "as_of": "2026-11-23",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    env = {"SECONDLINE_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
           "SECONDLINE_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    with running_server(log, workers=1, env=env) as running:
        yield running


def _post(server: Server, path: str, body: bytes, content_type: str = "application/json",
          timeout: float = 30) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(server.url + path, data=body,
                                     headers={"content-type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _worker_pid(server: Server) -> int:
    """The worker serving requests (uvicorn's child when there is one)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    pids = children.read_text().split() if children.exists() else []
    return int(pids[0]) if pids else server.process.pid


# --- 1 and 3: YAML aliases -----------------------------------------------------------------


@pytest.mark.parametrize(("path", "content_type"), [
    ("/api/assess", "application/yaml"), ("/api/leaflet?format=pdf", "application/yaml"),
])
def test_yaml_aliases_are_refused_by_name_at_once(
    server: Server, path: str, content_type: str
) -> None:
    start = time.monotonic()
    status, body, _ = _post(server, path, LAUGHS.encode(), content_type)
    assert status == 422
    assert "aliases" in json.loads(body)["detail"][0]["message"]
    assert time.monotonic() - start < 2


def test_billion_laughs_through_the_file_upload_is_refused_at_once(server: Server) -> None:
    boundary = "secondline-test"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"laughs.yaml\"\r\nContent-Type: application/yaml\r\n\r\n{LAUGHS}\r\n"
            f"--{boundary}--\r\n").encode()
    start = time.monotonic()
    status, body, _ = _post(server, "/load", form, f"multipart/form-data; boundary={boundary}")
    assert status == 422
    assert b"aliases" in body
    assert time.monotonic() - start < 2


# --- 2: form rows from 1,000 on --------------------------------------------------------------


def test_form_rows_past_the_limit_are_bounded_and_named(server: Server) -> None:
    fields = [("age", "40"), ("disease", "B-ALL"), ("as_of", "2026-11-23")]
    fields += [(f"treatments[{i}].drugs", "Blincyto") for i in range(995, 1500)]
    body = "&".join(f"{k}={v}" for k, v in fields).encode()
    start = time.monotonic()
    status, page, _ = _post(server, "/", body, "application/x-www-form-urlencoded")
    assert status == 422
    assert time.monotonic() - start < 5
    assert len(page) < 2_000_000, len(page)  # was 491 MB: every input held the whole case
    assert b"at most 200 entries" in page
    assert b"{&#39;age&#39;" not in page  # no input shows the whole case


# --- 4: work off the event loop, and bounded -------------------------------------------------


def test_oversized_histories_are_refused_by_name(server: Server) -> None:
    case = {"age": 40, "disease": "B-ALL", "treatments": [{}] * 50_000}
    start = time.monotonic()
    status, body, _ = _post(server, "/api/assess", json.dumps(case).encode())
    assert status == 422
    assert {"field": "treatments", "message": "at most 200 entries"} in json.loads(body)["detail"]
    assert time.monotonic() - start < 5


def test_health_answers_while_the_worst_case_is_being_assessed(server: Server) -> None:
    body = json.dumps(_worst_case()).encode()
    done: list[float] = []

    def heavy() -> None:
        for _ in range(4):
            start = time.monotonic()
            assert _post(server, "/api/assess", body)[0] == 200
            done.append(time.monotonic() - start)

    worker = threading.Thread(target=heavy)
    worker.start()
    waits = []
    while worker.is_alive():
        start = time.monotonic()
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as answer:
            assert answer.status == 200
        waits.append(time.monotonic() - start)
        time.sleep(0.02)
    worker.join()
    assert len(done) == 4
    assert max(done) < 10
    assert waits
    assert max(waits) < 1.0, waits  # the loop stays free while the CPU work runs


def test_memory_is_not_kept_after_big_requests(server: Server) -> None:
    pid = _worker_pid(server)
    body = json.dumps(_worst_case()).encode()
    assert _post(server, "/api/assess", body)[0] == 200  # allocate once
    before = _rss_mb(pid)
    for _ in range(20):
        assert _post(server, "/api/assess", body)[0] == 200
    assert _rss_mb(pid) - before < 50, (before, _rss_mb(pid))


# --- 5: PDF leaflets ------------------------------------------------------------------------


def test_a_huge_reference_never_reaches_the_pdf_renderer(server: Server) -> None:
    case = {"id": "X" * (1024 * 1000), "age": 40, "disease": "B-ALL"}
    start = time.monotonic()
    status, body, _ = _post(server, "/api/leaflet?format=pdf", json.dumps(case).encode())
    assert status == 422
    assert json.loads(body)["detail"][0] == {"field": "id",
                                              "message": "at most 200 characters"}
    assert time.monotonic() - start < 3


# --- 7: aborted uploads, idle and slow connections -------------------------------------------


def test_an_aborted_upload_leaves_no_traceback_in_the_log(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", _port(server))) as s:
        s.sendall(b"POST /api/assess HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 1000\r\n\r\n{\"age\": 3")
    time.sleep(0.5)
    assert _post(server, "/api/assess", b'{"age": 3, "disease": "T-ALL"}')[0] == 200
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection (without answering) in time."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", _port(server))) as s:
        assert _closed_within(s, HEAD_TIMEOUT + 3)


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(server: Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", _port(server))) as s:
        start = time.monotonic()
        cut_off = False
        for byte in head:  # 200 bytes at 20 a second: ten seconds, were it let through
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                cut_off = True  # the server closed it while it was still trickling in
                break
            time.sleep(0.05)
        assert cut_off
        assert time.monotonic() - start < HEAD_TIMEOUT + 5


def test_a_body_that_stalls_gets_408(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", _port(server))) as s:
        s.sendall(b"POST /api/assess HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 100\r\n\r\n{\"age\"")
        s.settimeout(BODY_TIMEOUT + 5)
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
