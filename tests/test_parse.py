"""Reading and validating a case: every problem is reported, each line naming its field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from secondline import CaseError, assess, parse_case, read_case

AS_OF = "2026-11-23"
BASE: dict[str, Any] = {"age": 40, "disease": "B-ALL", "as_of": AS_OF}
#: how a date after the judging date is said
AFTER = "is after the date the case is judged at (as_of)"


def problems_of(data: Any, as_of: dt.date | None = None) -> list[str]:
    with pytest.raises(CaseError) as info:
        parse_case(data, as_of)
    problems = info.value.problems
    assert isinstance(problems, list)
    assert problems, "a CaseError must carry at least one problem"
    return problems


def case(**fields: Any) -> dict[str, Any]:
    return {**BASE, **fields}


# --- a valid case --------------------------------------------------------------------


def test_minimal_case_is_valid_and_fills_defaults() -> None:
    parsed = parse_case(case())
    assert parsed.age == 40
    assert parsed.disease == "B-ALL"
    assert parsed.as_of == dt.date(2026, 11, 23)
    assert parsed.philadelphia == "unknown"
    assert (parsed.markers.CD19, parsed.markers.CD20, parsed.markers.CD22) == ("unknown",) * 3
    assert parsed.treatments == []
    assert parsed.assessment is None
    assert parsed.wishes.active_treatment is True
    assert parsed.wishes.clinical_trials is True
    assert parsed.donor == "unknown"


def test_as_of_defaults_to_today() -> None:
    parsed = parse_case({"age": 40, "disease": "HCL"})
    assert parsed.as_of == dt.date.today()


def test_as_of_argument_wins_over_the_cases_own() -> None:
    parsed = parse_case(case(as_of="2026-11-23"), dt.date(2025, 1, 1))
    assert parsed.as_of == dt.date(2025, 1, 1)
    assert assess(parsed).as_of == dt.date(2025, 1, 1)


def test_as_of_argument_is_checked_against_the_dates() -> None:
    data = case(treatments=[{"started": "2026-01-01", "ended": "2026-02-01"}])
    assert parse_case(data).as_of == dt.date(2026, 11, 23)
    assert problems_of(data, dt.date(2026, 1, 15)) == [f"treatments[0].ended: {AFTER}"]


def test_parse_does_not_change_its_input() -> None:
    data = {"age": 40, "disease": "HCL"}
    parse_case(data, dt.date(2026, 1, 1))
    assert data == {"age": 40, "disease": "HCL"}


# --- unknown fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (case(agee=40), "agee: unknown field; did you mean 'age'?"),
        (
            case(markers={"CD19": "positive", "CD21": "positive"}),
            "markers.CD21: unknown field; did you mean 'CD22'?",
        ),
        (
            case(treatments=[{"drugs": ["cytarabine"], "dose": "1 g"}]),
            "treatments[0].dose: unknown field",  # nothing close: no suggestion
        ),
        (
            case(treatments=[{"drugs": []}, {"drugs": [], "cycles": 2}]),
            "treatments[1].cycles: unknown field",
        ),
        (case(assessment={"blasts": 30}), "assessment.blasts: unknown field"),
        (case(wishes={"active": False}), "wishes.active: unknown field"),
    ],
)
def test_unknown_field_is_named(data: dict[str, Any], expected: str) -> None:
    assert problems_of(data) == [expected]


# --- dates ----------------------------------------------------------------------------


def test_treatment_ended_before_started_names_the_second_treatment() -> None:
    data = case(
        treatments=[
            {"drugs": ["cytarabine"], "started": "2025-01-01", "ended": "2025-02-01"},
            {"drugs": ["cytarabine"], "started": "2025-03-01", "ended": "2025-02-01"},
        ]
    )
    assert problems_of(data) == ["treatments[1].ended: the end date is before the start date"]


def test_treatment_ending_on_the_day_it_started_is_fine() -> None:
    parse_case(case(treatments=[{"started": "2025-03-01", "ended": "2025-03-01"}]))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (case(diagnosed="2026-11-24"), f"diagnosed: {AFTER}"),
        (case(assessment={"date": "2027-01-01"}), f"assessment.date: {AFTER}"),
        (case(treatments=[{"started": "2026-12-01"}]), f"treatments[0].started: {AFTER}"),
        (
            case(
                treatments=[
                    {"started": "2025-01-01"},
                    {"started": "2026-01-01", "ended": "2026-12-01"},
                ]
            ),
            "treatments[1].ended: is after the date the case is judged at (as_of)",
        ),
    ],
)
def test_date_after_as_of_is_named(data: dict[str, Any], expected: str) -> None:
    assert problems_of(data) == [expected]


def test_dates_on_as_of_itself_are_fine() -> None:
    parse_case(
        case(
            diagnosed=AS_OF,
            treatments=[{"started": AS_OF, "ended": AS_OF}],
            assessment={"date": AS_OF},
        )
    )


def test_every_date_after_as_of_is_reported() -> None:
    data = case(
        diagnosed="2027-01-01",
        treatments=[{"started": "2027-01-01", "ended": "2027-02-01"}],
        assessment={"date": "2026-12-01"},
    )
    assert problems_of(data) == [
        "diagnosed: is after the date the case is judged at (as_of)",
        "treatments[0].started: is after the date the case is judged at (as_of)",
        "treatments[0].ended: is after the date the case is judged at (as_of)",
        "assessment.date: is after the date the case is judged at (as_of)",
    ]


def test_invalid_date_names_the_field() -> None:
    problems = problems_of(case(treatments=[{"started": "2025-13-01"}]))
    assert len(problems) == 1
    assert problems[0].startswith("treatments[0].started: ")


# --- ranges and values ----------------------------------------------------------------


@pytest.mark.parametrize("blasts", [120, -1, 100.5])
def test_marrow_blasts_out_of_range(blasts: float) -> None:
    problems = problems_of(case(assessment={"marrow_blasts_percent": blasts}))
    assert len(problems) == 1
    assert problems[0].startswith("assessment.marrow_blasts_percent: ")


@pytest.mark.parametrize("blasts", [0, 5, 100, 4.5])
def test_marrow_blasts_in_range(blasts: float) -> None:
    parsed = parse_case(case(assessment={"marrow_blasts_percent": blasts}))
    assert parsed.assessment is not None
    assert parsed.assessment.marrow_blasts_percent == blasts


@pytest.mark.parametrize("age", [130, 121, -1])
def test_age_out_of_range(age: int) -> None:
    problems = problems_of(case(age=age))
    assert len(problems) == 1
    assert problems[0].startswith("age: ")
    assert str(age) in problems[0]


@pytest.mark.parametrize("age", [0, 120])
def test_age_limits_are_allowed(age: int) -> None:
    assert parse_case(case(age=age)).age == age


def test_fractional_age_is_refused() -> None:
    problems = problems_of(case(age=40.5))
    assert len(problems) == 1
    assert problems[0].startswith("age: ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", True),  # `age: yes` in YAML must not become a one-year-old
        ("relapses", True),
    ],
)
def test_boolean_is_not_a_number(field: str, value: bool) -> None:
    problems = problems_of(case(**{field: value}))
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: ")


def test_boolean_is_not_a_blast_percentage() -> None:
    # `true` taken as 1 % would meet the "below 5 %" remission criterion
    problems = problems_of(case(assessment={"marrow_blasts_percent": True}))
    assert len(problems) == 1
    assert problems[0].startswith("assessment.marrow_blasts_percent: ")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (case(disease="AML"), "disease"),
        (case(philadelphia="maybe"), "philadelphia"),
        (case(markers={"CD19": "yes"}), "markers.CD19"),
        (case(donor="brother"), "donor"),
        (case(region="US"), "region"),
        (case(relapses=-1), "relapses"),
        (case(relapse_sites=["brain"]), "relapse_sites[0]"),
        (case(treatments=[{"type": "surgery"}]), "treatments[0].type"),
        (case(treatments=[{"response": "cured"}]), "treatments[0].response"),
        (case(assessment={"extramedullary": ["cns", "brain"]}), "assessment.extramedullary[1]"),
        (case(assessment={"mrd": "low"}), "assessment.mrd"),
        (case(assessment={"mrd_method": "ngs"}), "assessment.mrd_method"),
        (case(symptoms="fever"), "symptoms"),
    ],
)
def test_bad_value_names_the_field(data: dict[str, Any], field: str) -> None:
    problems = problems_of(data)
    assert len(problems) == 1
    assert problems[0].startswith(f"{field}: "), problems


# --- required fields ------------------------------------------------------------------


def test_missing_age_is_named() -> None:
    assert problems_of({"disease": "HCL", "as_of": AS_OF}) == ["age: required"]


def test_missing_disease_is_named() -> None:
    assert problems_of({"age": 63, "as_of": AS_OF}) == ["disease: required"]


def test_empty_case_names_both_required_fields() -> None:
    assert sorted(problems_of({})) == ["age: required", "disease: required"]


# --- several problems at once ---------------------------------------------------------


def test_several_field_problems_are_all_reported() -> None:
    problems = problems_of(
        {
            "age": 130,
            "disease": "AML",
            "agee": 1,
            "markers": {"CD21": "positive"},
            "treatments": [{"started": "2025-03-01", "ended": "2025-02-01"}],
            "assessment": {"marrow_blasts_percent": 120},
        }
    )
    fields = sorted(line.split(": ")[0] for line in problems)
    assert fields == sorted(
        [
            "age",
            "disease",
            "agee",
            "markers.CD21",
            "treatments[0].ended",
            "assessment.marrow_blasts_percent",
        ]
    )
    assert "treatments[0].ended: the end date is before the start date" in problems
    assert "agee: unknown field; did you mean 'age'?" in problems
    assert "markers.CD21: unknown field; did you mean 'CD22'?" in problems


def test_dates_after_as_of_are_reported_alongside_other_problems() -> None:
    # A misspelt field must not hide that the diagnosis is dated after as_of: the
    # contract wants one entry per problem, and the error tree says "every problem".
    problems = problems_of(case(agee=40, diagnosed="2027-01-01"))
    assert "agee: unknown field; did you mean 'age'?" in problems
    assert "diagnosed: is after the date the case is judged at (as_of)" in problems


# --- documents ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[1, 2], "age: 40", 40])
def test_non_mapping_document(data: Any) -> None:
    assert problems_of(data) == ["case: must be a mapping of fields (a YAML or JSON object)"]


def test_an_empty_document_says_it_is_empty() -> None:
    assert problems_of(None) == ["case: empty; a case needs at least its age and disease"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- age: 40\n- disease: HCL\n",
         "case: must be a mapping of fields (a YAML or JSON object)"),
        ("", "{path}: empty; a case needs at least its age and disease"),
        ("  \n\n", "{path}: empty; a case needs at least its age and disease"),
        ("# only a comment\n", "case: empty; a case needs at least its age and disease"),
    ],
)
def test_a_file_that_holds_no_mapping_is_not_a_case(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    assert info.value.problems == [expected.format(path=path)]


def test_yaml_syntax_error_says_where(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("age: 40\ndisease: [HCL\nas_of: 2026-11-23\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: not valid YAML or JSON")
    assert " at line " in problem


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    assert info.value.problems == [f"{path}: no such file"]


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    # A key given twice silently drops the first value (here CD19 positive): the same
    # harm as the unknown-key rule guards against.
    path = tmp_path / "twice.yaml"
    path.write_text(
        "age: 40\ndisease: B-ALL\nas_of: 2026-11-23\n"
        "markers: {CD19: positive}\nmarkers: {CD22: positive}\n",
        encoding="utf-8",
    )
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    assert any("markers" in line for line in info.value.problems)


def test_yaml_and_json_files_read_the_same(tmp_path: Path) -> None:
    data = case(
        id="MDT-17",
        diagnosed="2023-03-08",
        markers={"CD19": "positive"},
        treatments=[
            {
                "drugs": ["cytarabine"],
                "type": "chemotherapy",
                "started": "2023-03-13",
                "ended": "2025-09-19",
                "response": "complete-remission",
            }
        ],
        assessment={"date": "2026-11-17", "marrow_blasts_percent": 38,
                    "blood_counts_normal": False, "extramedullary": []},
        relapses=1,
    )
    json_path = tmp_path / "case.json"
    json_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    yaml_path = tmp_path / "case.yaml"
    yaml_path.write_text(
        "\n".join(
            [
                "id: MDT-17",
                "age: 40",
                "disease: B-ALL",
                "as_of: 2026-11-23",
                "diagnosed: 2023-03-08",
                "markers: {CD19: positive}",
                "treatments:",
                "  - drugs: [cytarabine]",
                "    type: chemotherapy",
                "    started: 2023-03-13",
                "    ended: 2025-09-19",
                "    response: complete-remission",
                "assessment:",
                "  date: 2026-11-17",
                "  marrow_blasts_percent: 38",
                "  blood_counts_normal: false",
                "  extramedullary: []",
                "relapses: 1",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    from_json = read_case(str(json_path))
    from_yaml = read_case(str(yaml_path))
    assert from_json == from_yaml
    assert from_json.treatments[0].ended == dt.date(2025, 9, 19)
    assert assess(from_json).status.state == "relapsed"


def test_read_case_as_of_argument_wins(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case()), encoding="utf-8")
    assert read_case(str(path), dt.date(2026, 1, 2)).as_of == dt.date(2026, 1, 2)


def test_invalid_json_file(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"age": 40, "disease": "HCL",', encoding="utf-8")
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: not valid YAML or JSON")


def test_case_error_message_holds_every_problem() -> None:
    with pytest.raises(CaseError) as info:
        parse_case({})
    assert str(info.value) == "\n".join(info.value.problems)


# --- drug names -----------------------------------------------------------------------


def _relapsed_with(drugs: list[str]) -> dict[str, Any]:
    return case(
        treatments=[
            {
                "drugs": drugs,
                "type": "chemotherapy",
                "started": "2024-01-01",
                "ended": "2025-01-01",
                "response": "complete-remission",
            }
        ],
        assessment={"marrow_blasts_percent": 40, "blood_counts_normal": False,
                    "extramedullary": []},
    )


def test_unknown_drug_name_is_kept_and_warned_about() -> None:
    parsed = parse_case(_relapsed_with(["cytarabine", "Zorbulimab"]))
    assert parsed.treatments[0].drugs == ["cytarabine", "Zorbulimab"]
    warnings = assess(parsed).warnings
    assert [w for w in warnings if "Zorbulimab" in w], warnings
    assert not [w for w in warnings if "cytarabine" in w.lower()]


@pytest.mark.parametrize("name", ["Blincyto", "glivec", "GLIVEC", "Imatinib", " blinatumomab "])
def test_brand_and_generic_names_are_recognised(name: str) -> None:
    warnings = assess(parse_case(_relapsed_with([name]))).warnings
    assert not [w for w in warnings if "not in the knowledge base" in w], warnings


def test_brand_name_counts_as_the_drug() -> None:
    """Glivec given before means imatinib was given before (Ph+ relapse on it)."""
    data = _relapsed_with(["Glivec"])
    data["philadelphia"] = "positive"
    result = assess(parse_case(data))
    suggested = {o.id for o in result.options}
    assert "imatinib" not in suggested
    assert {"dasatinib", "ponatinib"} <= suggested


def test_treatment_or_assessment_before_diagnosis_is_refused() -> None:
    data = {
        "age": 40, "disease": "B-ALL", "as_of": "2026-11-23", "diagnosed": "2025-06-01",
        "treatments": [{"started": "2025-05-01", "ended": "2025-07-01"}],
        "assessment": {"date": "2025-01-01"},
    }
    with pytest.raises(CaseError) as caught:
        parse_case(data)
    assert caught.value.problems == [
        "treatments[0].started: is before the date of diagnosis",
        "assessment.date: is before the date of diagnosis",
    ]


@pytest.mark.parametrize("written", [0, 1700000000, 2025.5, "1700000000", "2025/03/02", True])
def test_a_date_must_be_a_calendar_date_not_a_number(written: object) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case({"age": 30, "disease": "T-ALL", "diagnosed": written,
                    "as_of": "2026-11-23"})
    assert caught.value.problems == ["diagnosed: must be a date written YYYY-MM-DD"]


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
def test_dates_outside_the_calendar_secondline_can_count_in_are_refused(day: str) -> None:
    with pytest.raises(CaseError) as caught:
        parse_case({"age": 30, "disease": "T-ALL", "as_of": day})
    assert caught.value.problems == ["as_of: must be between 1900-01-01 and 2999-12-31"]


def test_the_edges_of_that_calendar_assess() -> None:
    for first, last in (("1900-01-01", "1902-03-01"), ("2997-01-01", "2999-12-31")):
        case = parse_case({
            "age": 30, "disease": "HCL", "as_of": last, "diagnosed": first,
            "treatments": [{"drugs": ["cladribine"], "started": first, "ended": first,
                            "response": "complete-remission"}],
            "assessment": {"date": last, "blood_counts_normal": False},
        })
        assert assess(case).status.state == "relapsed"


# --- first contact ---------------------------------------------------------------------


def test_a_whole_number_written_with_a_decimal_point_is_whole() -> None:
    assert parse_case(case(age=13.0)).age == 13
    assert parse_case(case(relapses=2.0)).relapses == 2
    assert problems_of(case(age=13.5)) == ["age: must be a whole number (got 13.5)"]
    assert problems_of(case(age=True))[0].startswith("age: must be a whole number")


def test_an_impossible_date_written_without_quotes_names_its_field_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("age: 40\ndisease: B-ALL\ntreatments:\n  - drugs: [Blincyto]\n"
                    "    started: 2024-02-30\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    assert info.value.problems == [
        f"treatments[0].started: is not a real date (got '2024-02-30') (line 5 of {path})"
    ]


def test_an_unknown_key_suggests_the_nearest_known_one() -> None:
    assert problems_of(case(philadelphai="positive")) == [
        "philadelphai: unknown field; did you mean 'philadelphia'?"]
    assert problems_of(case(treatments=[{"respnse": "no-response"}])) == [
        "treatments[0].respnse: unknown field; did you mean 'response'?"]
    assert problems_of(case(zzz=1)) == ["zzz: unknown field"]  # nothing close: no guess


def test_yaml_aliases_are_refused_in_a_case(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("base: &b [bone-pain]\nage: 40\ndisease: B-ALL\nsymptoms: *b\n",
                    encoding="utf-8")
    with pytest.raises(CaseError) as info:
        read_case(str(path))
    (problem,) = info.value.problems
    assert "anchors and aliases" in problem
    assert "(line 4)" in problem


@pytest.mark.parametrize(("field", "value", "words"), [
    ("id", "x" * 201, "id: at most 200 characters"),
    ("symptoms", ["fever"] * 51, "symptoms: at most 50 entries"),
    ("treatments", [{}] * 201, "treatments: at most 200 entries"),
])
def test_lists_and_texts_have_bounds_no_real_case_reaches(
    field: str, value: Any, words: str
) -> None:
    assert problems_of(case(**{field: value})) == [words]
    assert parse_case(case(**{field: value[:-1]}))  # one fewer is fine
