"""The MDT page's routes: hostile input gets a page naming the problem, never a 500."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DEEP = b"[" * 100_000 + b"]" * 100_000


def load(client: TestClient, content: bytes, name: str = "case.yaml") -> str:
    answer = client.post("/load", files={"file": (name, content, "application/yaml")})
    assert answer.status_code in (200, 422), answer.text[:200]
    return answer.text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_link_on_the_results_page_leads_somewhere(client: TestClient, path: Path) -> None:
    page = load(client, path.read_bytes())
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    targets = set(re.findall(r'href="#([^"]+)"', page))
    assert targets, "the page links to its own parts"
    assert targets <= ids, targets - ids


def test_an_example_without_an_assessment_prompts_for_one(client: TestClient) -> None:
    page = load(client, b"age: 50\ndisease: T-ALL\nrelapses: 2\nas_of: 2026-11-23\n"
                        b"treatments: [{type: chemotherapy, started: 2020-01-01}]\n")
    assert 'href="#f-treatments-0-response"' in page or 'href="#f-assessment-date"' in page
    assert "treatments[]" not in page


@pytest.mark.parametrize(("content", "words"), [
    (DEEP, "nested more than 64 levels deep"),
    (b"age: 3\ndisease: T-ALL\ndiagnosed: 2020-02-30\n", "is not a real date"),
    (b"age: 3\ndisease: T-ALL\ndiagnosed: 2020-01-01 25:00:00\n", "must be a date written"),
    (b"age: 1" + b"0" * 5000 + b"\ndisease: T-ALL\n", "not valid YAML or JSON"),
    (b"[1]: 2\n", "not valid YAML or JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"- 1\n- 2\n", "must be a mapping"),
])
def test_a_bad_file_is_named_not_a_crash(client: TestClient, content: bytes, words: str) -> None:
    page = load(client, content)
    assert words in page
    assert 'id="error-summary"' in page


def test_a_field_the_form_does_not_have_is_reported_in_the_summary_only(
    client: TestClient,
) -> None:
    page = load(client, b"age: 3\ndisease: T-ALL\ncolour: blue\n")
    summary = page.split('id="error-summary"', 1)[1].split("</section>", 1)[0]
    assert "colour: unknown field" in summary
    assert 'href="#f-colour"' not in page


@pytest.mark.parametrize("action", ["add-treatment", "remove-treatment:²",
                                    "remove-treatment:" + "9" * 5000, "remove-treatment:x",
                                    "save-json", "save-yaml", "nonsense"])
def test_crafted_form_actions_never_break_the_page(client: TestClient, action: str) -> None:
    answer = client.post("/", data={"_action": action, "_rows": "²", "age": "3",
                                    "disease": "T-ALL", "age.x": "1", "treatments[0][0]": "x"})
    assert answer.status_code in (200, 422)


def test_two_problems_with_one_field_share_one_message_beside_it(client: TestClient) -> None:
    page = client.post("/", data={"_action": "assess", "disease": "T-ALL",
                                  "treatments[0].started": "2025-06-01",
                                  "treatments[0].ended": "2025-01-01",
                                  "as_of": "2024-01-01"}).text
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "every id on the page is unique"
    assert "f-treatments-0-ended-error" in ids


def test_an_oversized_upload_sent_in_chunks_gets_413(client: TestClient) -> None:
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"big.yaml\"\r\nContent-Type: application/yaml\r\n\r\n").encode()

    def chunks():  # type: ignore[no-untyped-def]
        yield head
        for _ in range(40):
            yield b"#" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post("/load", content=chunks(), headers={
        "content-type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 413
    assert answer.json()["detail"][0]["field"] == "body"
    assert "content-security-policy" in answer.headers


def test_problems_are_said_in_the_form_s_own_words(client: TestClient) -> None:
    fields = {"age": "150", "disease": "B-ALL", "as_of": "2026-11-23",
              "treatments[0].started": "2025-03-01", "treatments[0].ended": "2025-02-01"}
    page = client.post("/", data=fields).text
    summary = page.split('id="error-summary"', 1)[1].split("</section>", 1)[0]
    assert 'href="#f-age">Age</a>: must be 120 or less' in summary
    assert ">Treatment 1: ended</a>: the end date is before the start date" in summary
    assert "treatments[0]" not in summary  # no field paths for people to decode
    age_error = page.split('id="f-age-error"', 1)[1].split("</", 1)[0]
    assert "must be 120 or less" in age_error


def test_a_fhir_bundle_loads_into_the_form_and_says_what_it_did_not_read(
    client: TestClient,
) -> None:
    bundle = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "brian-l.json"
    page = client.post("/load", files={"file": ("brian-l.json", bundle.read_bytes(),
                                                "application/fhir+json")})
    assert page.status_code == 200
    text = page.text
    assert 'id="results"' in text
    assert 'id="fhir-input"' in text
    assert "lumbar puncture" in text.lower()
    # the form holds what was read (the age on today's date, from the birth date), B-ALL
    from secondline._fhir.source import case_from_data

    case, _ = case_from_data(json.loads(bundle.read_text(encoding="utf-8")))
    assert f'name="age" value="{case.age}"' in text
    assert 'value="B-ALL" id="f-disease-1" checked' in text
    # a Bundle that is not valid FHIR is refused by field, not with a crash
    bad = client.post("/load", files={"file": ("bad.json", b'{"resourceType": "Bundle", '
                                               b'"type": "nonsense"}', "application/json")})
    assert bad.status_code == 422
    assert "type" in bad.text
