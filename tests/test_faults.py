"""A software fault gives no answer at all, never part of one.

An assessment is built whole or not at all: if anything inside the engine fails, the
command line prints nothing on standard output and writes no leaflet, and the API answers
with an error that holds no assessment and no case contents.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from secondline import _engine
from secondline._cli import main
from secondline.web import create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "b-all-relapsed-cd19.yaml"


class _Fault(RuntimeError):
    """Stands for any bug inside the engine."""


@pytest.fixture
def faulty_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = _engine.holds_for

    def fail_part_way(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:  # some options already evaluated when it fails
            raise _Fault("a bug")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_engine, "holds_for", fail_part_way)


@pytest.mark.usefixtures("faulty_engine")
def test_the_cli_prints_no_partial_assessment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(_Fault):
        main(["assess", str(EXAMPLE), "--json"])
    assert capsys.readouterr().out == ""


@pytest.mark.usefixtures("faulty_engine")
def test_the_cli_writes_no_partial_leaflet(tmp_path: Path) -> None:
    out = tmp_path / "leaflet.html"
    with pytest.raises(_Fault):
        main(["leaflet", str(EXAMPLE), "-o", str(out)])
    assert not out.exists()


@pytest.mark.usefixtures("faulty_engine")
def test_the_api_answers_a_fault_with_no_assessment_and_no_case() -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    body = EXAMPLE.read_text(encoding="utf-8")
    response = client.post("/api/assess", content=body,
                           headers={"content-type": "application/yaml"})
    assert response.status_code == 500
    assert "options" not in response.text
    assert "MDT-01" not in response.text
