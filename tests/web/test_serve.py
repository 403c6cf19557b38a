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
