"""The MDT form, both ways: a case shown in the form and sent back is the same case."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings

from secondline import CaseError, assess, parse_case
from secondline._case import ExtramedullarySite, RelapseSite
from secondline._web.form import FormView, case_from_form, input_id, kind_of
from secondline._web.view import page_context, templates
from strategies import case_dicts


class _Fields(HTMLParser):
    """What a browser would submit from the case form, untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self._in_form = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "form":
            self._in_form = a.get("id") == "case-form"
        if not self._in_form or ("name" not in a and tag != "option"):
            return
        if tag == "input" and a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                self.fields.append((a["name"], a["value"]))
        elif tag == "input" and a.get("type") not in ("submit", "file"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        if tag == "select":
            self._select = None


def rendered(data: dict[str, Any], problems: list[str] | None = None) -> _Fields:
    html = templates.get_template("mdt.html").render(
        form=FormView(data, problems or []), results=None, focus=None, **page_context())
    parser = _Fields()
    parser.feed(html)
    return parser


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_dicts())
def test_a_case_shown_in_the_form_comes_back_with_the_same_assessment(
    data: dict[str, Any],
) -> None:
    """Where the form cannot tell two spellings apart (a blank reference and none; the
    sites ticked in another order; an assessment or a treatment row with nothing in it
    and none), the case is given in the form's spelling."""
    submitted = case_from_form(rendered(data).fields)
    if isinstance(data.get("id"), str) and not data["id"].strip():
        del data["id"]
    if isinstance(data.get("treatments"), list):  # a row with nothing in it is no row
        data["treatments"] = [t for t in data["treatments"] if _recorded(t)]
    recorded = data.get("assessment") or {}
    if all(v is None or (k == "mrd" and v == "unknown") for k, v in recorded.items()):
        data.pop("assessment", None)
    for key, choices in (("relapse_sites", RelapseSite),
                         ("extramedullary", ExtramedullarySite)):
        holder = data.get("assessment") if key == "extramedullary" else data
        if isinstance(holder, dict) and isinstance(holder.get(key), list):
            holder[key] = [c for c in get_args(choices) if c in holder[key]]
    from_form = assess(parse_case(submitted)).model_dump()
    as_given = assess(parse_case(data)).model_dump()
    assert from_form == as_given, _differences(from_form, as_given)


def _recorded(treatment: dict[str, Any]) -> bool:
    return any(v not in (None, [], "") for v in treatment.values())


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _differences(a.get(k), b.get(k),
                                                                       f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def test_typed_values_that_do_not_convert_reach_the_case_model_as_typed() -> None:
    data = case_from_form([("age", "forty"), ("disease", "B-ALL"),
                           ("assessment.marrow_blasts_percent", "lots"),
                           ("treatments[0].started", "2025-13-45")])
    assert data["age"] == "forty"
    with pytest.raises(CaseError) as caught:
        parse_case(data)
    fields = {line.split(":")[0] for line in caught.value.problems}
    assert fields == {"age", "assessment.marrow_blasts_percent", "treatments[0].started"}


def test_empty_rows_and_fields_are_left_out_and_boxes_say_none_found() -> None:
    data = case_from_form([
        ("age", "3"), ("disease", "T-ALL"), ("region", ""),
        ("treatments[0].drugs", ""), ("treatments[0].type", ""),
        ("treatments[1].drugs", "Blincyto, cytarabine"),
        ("assessment.extramedullary", "none-found"), ("relapse_sites", "cns"),
        ("relapse_sites", "testes"), ("wishes.active_treatment", "false"),
    ])
    assert data == {
        "age": 3, "disease": "T-ALL",
        "treatments": [{"drugs": ["Blincyto", "cytarabine"]}],
        "assessment": {"extramedullary": []}, "relapse_sites": ["cns", "testes"],
        "wishes": {"active_treatment": False},
    }
    kept = case_from_form([("treatments[1].drugs", "x")], keep_empty_rows=True)
    assert kept["treatments"] == [{}, {"drugs": ["x"]}]


@pytest.mark.parametrize("names", [
    [("age", "3"), ("age.x", "4")],
    [("treatments", "x"), ("treatments[0].drugs", "y")],
    [("markers[0]", "x"), ("markers.CD19", "positive")],
    [("__class__", "x"), ("a..b", "1"), ("[0]", "2"), ("treatments[9999].drugs", "z")],
])
def test_crafted_field_names_never_break_the_form(names: list[tuple[str, str]]) -> None:
    case_from_form(names)  # no exception, whatever the names


def test_every_problem_the_case_model_names_has_an_input_or_group_to_sit_beside() -> None:
    data = {"age": 200, "disease": "X", "diagnosed": "nope", "philadelphia": "maybe",
            "markers": {"CD19": "x"}, "treatments": [{"started": "2025-06-01",
                                                      "ended": "2025-01-01",
                                                      "type": "magic"}],
            "assessment": {"marrow_blasts_percent": 150, "mrd": "x"}, "relapses": -1,
            "donor": "x", "wishes": {"active_treatment": "x"}}
    with pytest.raises(CaseError) as caught:
        parse_case(data)
    page = rendered(data, caught.value.problems)
    for line in caught.value.problems:
        field = line.split(":")[0]
        assert input_id(field) in page.ids, field
        assert input_id(field) + "-error" in page.ids, field


def test_kind_of_blanks_list_positions() -> None:
    assert kind_of("treatments[12].drugs") == "treatments[].drugs"
    assert input_id("treatments[1].ended") == "f-treatments-1-ended"
