"""`secondline serve`: loopback by default, and no case contents in its log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from secondline._cli import _parser
from server import running_server


def test_serve_binds_to_loopback_unless_told_otherwise() -> None:
    args = _parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)


def _post(url: str, body: dict[str, object] | bytes, kind: str = "application/json") -> int:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"content-type": kind})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("path", ["/api/assess", "/api/leaflet?format=html"])
def test_the_log_holds_requests_but_no_case_contents(tmp_path: Path, path: str) -> None:
    secrets = ["PSEUDONYM-7731", "zebra-rash", "1968-02-29"]
    valid = {"id": secrets[0], "age": 58, "disease": "B-ALL", "symptoms": [secrets[1]],
             "diagnosed": "2024-02-29", "as_of": "2026-11-23"}
    invalid = {"id": secrets[0], "age": 58, "disease": "B-ALL", "diagnosed": secrets[2],
               "symptoms": [secrets[1]], "as_of": "1960-01-01"}
    log = tmp_path / "server.log"
    with running_server(log) as server:
        assert _post(server.url + path, valid) == 200
        assert _post(server.url + path, invalid) == 422
    text = log.read_text()
    assert f"POST {path} HTTP/1.1\" 200" in text
    assert "422" in text
    for secret in secrets:
        assert secret not in text


def test_the_pages_log_no_case_contents_either(tmp_path: Path) -> None:
    from urllib.parse import urlencode

    secrets = ["PSEUDONYM-8842", "otter-cough"]
    form = urlencode({"_action": "assess", "id": secrets[0], "age": "61", "disease": "B-ALL",
                      "symptoms": secrets[1]}).encode()
    boundary = "b0undary"
    upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
              f"filename=\"{secrets[0]}.yaml\"\r\nContent-Type: application/yaml\r\n\r\n"
              f"id: {secrets[0]}\nage: 200\ndisease: B-ALL\nsymptoms: [{secrets[1]}]\n"
              f"\r\n--{boundary}--\r\n").encode()
    log = tmp_path / "server.log"
    with running_server(log) as server:
        assert _post(server.url + "/", form, "application/x-www-form-urlencoded") == 200
        # the upload's age is out of range, so its problems are shown
        assert _post(server.url + "/load", upload,
                     f"multipart/form-data; boundary={boundary}") == 422
    text = log.read_text()
    assert '"POST /load HTTP/1.1" 422' in text
    for secret in secrets:
        assert secret not in text


def test_the_store_routes_log_no_case_contents(tmp_path: Path) -> None:
    import re

    import httpx2

    from secondline._store import Actor, Database, add_user, issue_token, upgrade

    secrets = ["PSEUDONYM-9917", "heron-itch", "Dr Secretname", "note-kestrel"]
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    database = Database(url)
    upgrade(database)
    admin = Actor("os:test", "admin")
    add_user(database, admin, "carol", "a long enough password", "clinician")
    token = {"Authorization": f"Bearer {issue_token(database, admin, 'carol')}"}
    database.dispose()
    case = {"id": secrets[0], "age": 58, "disease": "HCL", "symptoms": [secrets[1]],
            "as_of": "2026-11-23"}
    log = tmp_path / "server.log"
    with running_server(log, env={"SECONDLINE_DB": url}) as server, httpx2.Client(
            base_url=server.url, timeout=30) as http:
        ref = http.post("/api/cases", json=case, headers=token).json()["ref"]
        assert http.post("/api/cases", json={**case, "age": 500},
                         headers=token).status_code == 422
        meeting = http.post("/api/meetings", headers=token, json={
            "date": "2026-12-01", "name": "MDT",
            "attendees": [{"role": "haematologist", "name": secrets[2]}]}).json()["ref"]
        http.post(f"/api/meetings/{meeting}/cases", json={"cases": [ref]}, headers=token)
        assert http.post("/api/decisions", headers=token, json={
            "case": ref, "meeting": meeting, "options": ["cladribine"],
            "note": secrets[3]}).status_code == 201
        login = http.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        http.post("/login", data={"username": "carol", "password": "a long enough password",
                                  "csrf": csrf})
        for path in (f"/meetings/{meeting}", f"/meetings/{meeting}/pack", f"/cases/{ref}",
                     "/cases", f"/api/cases/{ref}", "/api/decisions?format=csv"):
            answer = http.get(path, headers=token if path.startswith("/api") else {})
            assert answer.status_code == 200, path
            assert secrets[0] in answer.text or path.endswith("csv"), path
    text = log.read_text()
    assert '"POST /api/decisions HTTP/1.1" 201' in text
    assert f'"GET /meetings/{meeting}/pack HTTP/1.1" 200' in text
    for secret in secrets:
        assert secret not in text
