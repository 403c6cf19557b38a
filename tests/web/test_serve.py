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


def _post(url: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
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
