"""The current-guidance layer through the API, the MDT page and the CLI: opt-in, and the
same answer through every door."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
PH = ROOT / "examples" / "ph-positive-all-relapsed.yaml"
YOUNG = ROOT / "examples" / "b-all-young-refractory-car-t.yaml"


def _cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "secondline", *args], capture_output=True,
                          text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("path", [PH, YOUNG], ids=lambda p: p.stem)
def test_the_api_answers_what_the_cli_prints_with_and_without_the_layer(
    client: TestClient, path: Path
) -> None:
    body = path.read_bytes()
    plain = client.post("/api/assess", content=body,
                        headers={"content-type": "application/yaml"})
    layered = client.post("/api/assess?guidance=current", content=body,
                          headers={"content-type": "application/yaml"})
    assert plain.status_code == layered.status_code == 200
    assert plain.text == _cli("assess", str(path), "--json")
    assert layered.text == _cli("assess", str(path), "--json", "--guidance", "current")
    assert "guidance" not in plain.json()
    data = layered.json()
    assert data["guidance"]["layer"] == "current"
    data.pop("guidance")
    assert data == plain.json()


def test_an_unknown_layer_is_refused_by_name(client: TestClient) -> None:
    answer = client.post("/api/assess?guidance=latest", content=PH.read_bytes(),
                         headers={"content-type": "application/yaml"})
    assert answer.status_code == 422
    assert "guidance" in json.dumps(answer.json())


def test_the_mdt_page_shows_the_layer_apart_only_when_switched_on(client: TestClient) -> None:
    upload = {"file": ("case.yaml", PH.read_bytes(), "application/yaml")}
    page = client.post("/load", files=upload)
    assert page.status_code == 200
    assert 'id="guidance"' not in page.text
    form = {"_action": "assess", "_guidance": "current", "age": "52", "disease": "B-ALL",
            "region": "UK", "philadelphia": "positive", "markers.CD19": "positive",
            "treatments[0].drugs": "imatinib, prednisolone",
            "treatments[0].type": "chemotherapy", "treatments[0].started": "2024-04-15",
            "treatments[0].ended": "2025-11-01",
            "treatments[0].response": "complete-remission", "assessment.date": "2026-11-02",
            "assessment.marrow_blasts_percent": "30", "assessment.blood_counts_normal": "false",
            "assessment.extramedullary": "none-found", "relapses": "1",
            "as_of": "2026-11-23", "t315i": "unknown"}
    page = client.post("/", data=form)
    assert page.status_code == 200
    text = page.text
    assert 'id="guidance"' in text
    assert "Current guidance: a separate layer, newer than the pages" in text
    assert "NICE TA451" in text
    assert "cannot tell yet" in text
    assert "to be checked again by" in text
    # the switch stays on, and the pages' plan is still there, above the layer
    assert 'name="_guidance" value="current" id="f-guidance-current" ' in text
    assert 'checked' in text.split('id="f-guidance-current"')[1][:60]
    assert text.index('id="plan"') < text.index('id="guidance"')


def test_the_leaflet_from_the_api_says_what_is_newer(client: TestClient) -> None:
    answer = client.post("/api/leaflet?format=html&guidance=current",
                         content=YOUNG.read_bytes(),
                         headers={"content-type": "application/yaml"})
    assert answer.status_code == 200
    assert "Newer guidance" in answer.text
    assert "Your team will know what is available where you are treated" in answer.text
