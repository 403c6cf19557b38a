"""The timeline picture: well-formed, escaped, and showing what the assessment says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from secondline import Case, assess, parse_case, read_case
from secondline._web.timeline import remission_spans, timeline_svg
from strategies import cases

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_case_draws_a_well_formed_labelled_picture(case: Case) -> None:
    svg = ET.fromstring(timeline_svg(case, assess(case)))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title") is not None
    assert (svg.find(f"{SVG}desc").text or "").strip()  # type: ignore[union-attr]


def test_two_remissions_each_with_its_length_and_the_relapse() -> None:
    case = parse_case({
        "id": "T-2", "age": 40, "disease": "B-ALL", "diagnosed": "2020-01-06",
        "as_of": "2026-11-23",
        "treatments": [
            {"drugs": ["methotrexate"], "type": "chemotherapy", "started": "2020-01-10",
             "ended": "2022-01-10", "response": "complete-remission"},
            {"drugs": ["Blincyto"], "type": "immunotherapy", "started": "2024-01-10",
             "ended": "2024-03-10", "response": "complete-remission"},
        ],
        "assessment": {"date": "2026-11-10", "marrow_blasts_percent": 40,
                       "blood_counts_normal": False, "extramedullary": []},
    })
    result = assess(case)
    spans = remission_spans(result, case.assessment.date if case.assessment else None)
    assert [(s.start.isoformat(), s.end.isoformat(), s.to_relapse) for s in spans] == [
        ("2022-01-10", "2024-01-10", False), ("2024-03-10", "2026-11-10", True)]
    assert spans[0].months == 24.0
    # the last span is the remission the engine measures
    assert result.status.remission_length_months == pytest.approx(spans[1].months)
    labels = " ".join(texts(timeline_svg(case, result)))
    assert "remission 24.0 months" in labels
    assert "then relapse" in labels
    assert "1. methotrexate: complete remission" in labels
    assert "2. Blincyto: complete remission" in labels
    assert "Latest assessment 2026-11-10: relapsed" in labels


def test_refractory_disease_draws_no_remission() -> None:
    case = parse_case({
        "age": 40, "disease": "T-ALL", "as_of": "2026-11-23",
        "treatments": [{"drugs": ["nelarabine"], "started": "2026-05-01",
                        "ended": "2026-08-01", "response": "no-response"}],
        "assessment": {"date": "2026-11-01", "marrow_blasts_percent": 30},
    })
    svg = timeline_svg(case, assess(case))
    assert "remission" not in " ".join(texts(svg))
    assert "no response" in svg


def test_text_from_the_case_is_escaped() -> None:
    case = parse_case({
        "id": "<script>alert(1)</script>", "age": 40, "disease": "B-ALL",
        "as_of": "2026-11-23",
        "treatments": [{"drugs": ["<b>x</b>&y"], "started": "2025-01-01",
                        "ended": "2025-02-01"}],
    })
    svg = timeline_svg(case, assess(case))
    assert "<script>" not in svg
    assert "<b>" not in svg
    ET.fromstring(svg)  # still well-formed


def test_undated_treatments_are_counted_not_drawn() -> None:
    case = parse_case({"age": 40, "disease": "B-ALL", "as_of": "2026-11-23",
                       "treatments": [{"drugs": ["imatinib"]}]})
    svg = timeline_svg(case, assess(case))
    assert "1 treatment(s) without dates are not drawn" in svg
    assert not re.search(r"<rect[^>]*fill=", svg)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_draws(path: Path) -> None:
    case = read_case(str(path))
    result = assess(case)
    svg = timeline_svg(case, result)
    dated = [t for t in result.treatments if t.started or t.ended]
    assert len(re.findall(r"<rect[^>]*fill=", svg)) == len(dated)
