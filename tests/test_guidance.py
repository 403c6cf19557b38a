"""The current-guidance layer: opt-in, apart, dated, cited; each item's own example cases,
the situations the issue names, and the property that it never rewrites the pages' answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from knowledge_files import read_yaml, write_yaml
from secondline import Assessment, Case, assess, load_knowledge, parse_case, read_case
from secondline._assessment import GuidanceItemOut, assessment_json
from secondline._knowledge import check_knowledge
from secondline._leaflet import leaflet_text
from strategies import cases

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
KNOWLEDGE = load_knowledge()
ITEMS = [c.item for c in KNOWLEDGE.guidance.items]


def _by_id(result: Assessment) -> dict[str, GuidanceItemOut]:
    assert result.guidance is not None
    return {item.id: item for item in result.guidance.items}


def _without(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    data.pop("guidance", None)
    return data


def test_the_layer_loads_with_the_knowledge_and_holds_the_items() -> None:
    ids = {item.id for item in ITEMS}
    assert {"nice-ta975", "nice-ta1116", "nice-ta893", "nice-ta451",
            "cadth-tisagenlecleucel"} <= ids
    for item in ITEMS:
        assert item.url.startswith("https://")
        assert item.dates.checked < item.dates.review_by
        assert item.verified.strip()


@pytest.mark.parametrize(
    ("item", "example"),
    [(item, case) for item in ITEMS for case in item.cases],
    ids=lambda v: v.id if hasattr(v, "id") else v.name,
)
def test_each_item_s_own_example(item: Any, example: Any) -> None:
    result = assess(parse_case(example.case), guidance="current")
    found = _by_id(result).get(item.id)
    if example.expect == "does-not-apply":
        assert found is None, found
    else:
        assert found is not None, f"{item.id} does not apply"
        assert found.outcome == example.expect, found.text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_without_the_layer_the_answer_is_the_pages_alone_byte_for_byte(path: Path) -> None:
    case = read_case(str(path))
    plain = assessment_json(assess(case))
    assert '"guidance"' not in plain
    golden = ROOT / "tests" / "golden" / f"{path.stem}.json"
    assert plain == golden.read_text(encoding="utf-8"), (
        f"{path.name}: the answer without the layer changed; regenerate tests/golden only "
        "for a change that is meant")
    with_layer = assessment_json(assess(case, guidance="current"))
    assert _without(with_layer) == json.loads(plain), "the layer never rewrites the pages"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_layer_only_ever_adds_beside_the_pages(case: Case) -> None:
    plain = assess(case)
    layered = assess(case, guidance="current")
    assert layered.guidance is not None
    assert layered.model_copy(update={"guidance": None}) == plain
    suggested = {o.id for o in plain.options}
    for item in layered.guidance.items:
        if item.outcome in ("supports", "narrows") and item.effect != "widens":
            assert item.option in suggested, "it speaks only about a suggested option"
        if item.outcome == "widens":
            assert item.option not in suggested
            assert case.wishes.active_treatment, "nothing is added for someone who declined"
        assert item.review_overdue == (plain.as_of > item.review_by)
        assert item.text
        assert item.url.startswith("https://")
    fields = {m.field for m in layered.guidance.missing}
    undecided = [i for i in layered.guidance.items if i.outcome == "undecided"]
    assert bool(fields) == bool(undecided)


BASE: dict[str, Any] = {
    "disease": "B-ALL", "region": "UK", "markers": {"CD19": "positive"},
    "treatments": [{"drugs": ["prednisolone", "vincristine"], "type": "chemotherapy",
                    "started": "2024-01-10", "ended": "2025-09-01",
                    "response": "complete-remission"}],
    "assessment": {"date": "2026-11-10", "marrow_blasts_percent": 40,
                   "blood_counts_normal": False, "extramedullary": []},
    "relapses": 1, "as_of": "2026-11-23",
}


def _case(**changes: Any) -> Case:
    return parse_case({**BASE, **changes})


def test_a_19_year_old_in_first_relapse_without_a_transplant() -> None:
    result = assess(_case(age=19, previous_transplant=False), guidance="current")
    assert "tisagenlecleucel" in {o.id for o in result.options}, "the pages offer it"
    ta975 = _by_id(result)["nice-ta975"]
    assert ta975.outcome == "narrows"
    assert "does not cover a first relapse without a transplant" in ta975.text
    assert ta975.option == "tisagenlecleucel"
    assert (ta975.checked, ta975.nation) == (dt.date(2026, 11, 30), "England and Wales")


def test_the_same_after_a_transplant_is_supported() -> None:
    result = assess(_case(age=19, previous_transplant=True), guidance="current")
    ta975 = _by_id(result)["nice-ta975"]
    assert ta975.outcome == "supports"
    assert "It has come back after a transplant." in ta975.reasons


def test_a_40_year_old_gains_obe_cel_and_sees_ta893_with_its_funding() -> None:
    result = assess(_case(age=40), guidance="current")
    items = _by_id(result)
    obe = items["nice-ta1116"]
    assert obe.outcome == "widens"
    assert obe.option == "obecabtagene-autoleucel"
    assert obe.option not in {o.id for o in result.options}, "the pages' list is unchanged"
    ta893 = items["nice-ta893"]
    assert ta893.outcome == "noted"
    assert "Cancer Drugs Fund" in ta893.funding
    assert "no conclusion" in ta893.text


def test_ph_positive_relapsing_on_imatinib_without_t315i_known() -> None:
    case = _case(age=52, philadelphia="positive", treatments=[
        {"drugs": ["imatinib", "prednisolone"], "type": "chemotherapy",
         "started": "2024-04-15", "ended": "2025-11-01", "response": "complete-remission"}])
    result = assess(case, guidance="current")
    assert "ponatinib" in {o.id for o in result.options}
    ta451 = _by_id(result)["nice-ta451"]
    assert ta451.outcome == "undecided"
    for condition in ("resists dasatinib", "cannot be tolerated", "T315I"):
        assert condition in ta451.text
    assert result.guidance is not None
    assert [(m.field, m.affects) for m in result.guidance.missing] == [
        ("t315i", ["nice-ta451"])]
    assert "t315i" not in {m.field for m in result.missing}, "the pages' missing list is theirs"


def test_a_canadian_24_year_old_not_eligible_for_transplant() -> None:
    result = assess(_case(age=24, region="CA", previous_transplant=False,
                          transplant_eligible=False), guidance="current")
    items = _by_id(result)
    cadth = items["cadth-tisagenlecleucel"]
    assert cadth.outcome == "supports"
    assert "wider than England's NICE TA975" in cadth.text
    assert "The team judges an allogeneic transplant not possible." in cadth.reasons
    assert "nice-ta975" not in items, "England's guidance does not apply in Canada"
    eligible = assess(_case(age=24, region="CA", previous_transplant=False,
                            transplant_eligible=True), guidance="current")
    assert _by_id(eligible)["cadth-tisagenlecleucel"].outcome == "narrows"


def test_an_item_past_its_own_review_date_is_warned_about() -> None:
    result = assess(_case(age=40, as_of="2027-06-01",
                          assessment={**BASE["assessment"], "date": "2027-05-25"}),
                    guidance="current")
    assert result.guidance is not None
    overdue = [i for i in result.guidance.items if i.review_overdue]
    assert overdue
    assert any("TA1116" in w and "2027-05-30" in w for w in result.guidance.warnings)


def test_the_leaflet_says_what_is_newer_only_when_asked() -> None:
    case = _case(age=40)
    plain = leaflet_text(case)
    assert "Newer guidance" not in plain
    layered = leaflet_text(case, assess(case, guidance="current"))
    assert "Some guidance is newer than the pages this leaflet is based on" in layered
    assert "Your team will know what is available where you are treated" in layered
    assert "obecabtagene autoleucel" in layered


def test_a_broken_guidance_file_is_reported_with_the_rest(knowledge_copy: Path) -> None:
    path = knowledge_copy / "guidance" / "nice-ta975.yaml"
    data = read_yaml(path)
    data["option"] = "tisagenlecleucell"
    data["covered_when"]["any"][0]["fact"] = "no_such_fact"
    data["dates"]["review_by"] = "2026-01-01"
    data["cases"] = [c for c in data["cases"] if c["expect"] != "does-not-apply"]
    write_yaml(path, data)
    other = knowledge_copy / "guidance" / "nice-ta893.yaml"
    broken = read_yaml(other)
    del broken["funding"]
    write_yaml(other, broken)
    _, problems = check_knowledge(knowledge_copy)
    shown = "\n".join(problems)
    for expected in ("unknown option 'tisagenlecleucell'", "unknown fact 'no_such_fact'",
                     "review_by must come after", "where it applies and where it does not",
                     "guidance/nice-ta893.yaml"):
        assert expected in shown, expected
