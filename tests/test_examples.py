"""The example cases, with what a haematologist would check in each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secondline import Assessment, assess, read_case
from secondline._assessment import NotSuggestedOut, OptionOut

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))
AS_OF = dt.date(2026, 11, 23)


def result_for(name: str) -> Assessment:
    result = assess(read_case(str(EXAMPLES / f"{name}.yaml")))
    assert result.as_of == AS_OF  # every example is judged at its own fixed date
    return result


def suggested(result: Assessment) -> dict[str, OptionOut]:
    return {o.id: o for o in result.options}


def not_suggested(result: Assessment) -> dict[str, NotSuggestedOut]:
    return {n.id: n for n in result.not_suggested}


def missing_fields(result: Assessment) -> dict[str, list[str]]:
    return {m.field: m.affects for m in result.missing}


def test_there_are_examples() -> None:
    assert len(ALL_EXAMPLES) == 13


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_assesses(path: Path) -> None:
    case = read_case(str(path))
    assert case.as_of == AS_OF
    result = assess(case)
    assert result.case_id is not None
    assert result.case_id.startswith("MDT-")
    assert result.options, "every example has something to discuss"
    ids = [o.id for o in result.options] + [n.id for n in result.not_suggested]
    assert len(ids) == len(set(ids)), "an option is listed once, either suggested or not"
    for option in result.options:
        assert option.reasons
        assert option.sources
    cited = {c.source for o in result.options for c in o.sources}
    assert cited <= {s.id for s in result.sources}
    # no example uses a drug name the knowledge does not know
    assert not [w for w in result.warnings if "not in the knowledge base" in w]


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("b-all-cns-relapse", "relapsed"),
        ("b-all-declines-treatment", "relapsed"),
        ("b-all-older-car-t-trial", "relapsed"),
        ("b-all-relapsed-cd19", "relapsed"),
        ("b-all-remission-before-transplant", "remission"),
        ("b-all-untreated-ph-positive", "untreated"),
        ("b-all-young-refractory-car-t", "refractory"),
        ("hcl-early-relapse", "relapsed"),
        ("hcl-exactly-two-years", "relapsed"),
        ("hcl-late-relapse", "relapsed"),
        ("hcl-not-fit", "relapsed"),
        ("ph-positive-all-relapsed", "relapsed"),
        ("t-all-relapsed", "relapsed"),
    ],
)
def test_example_state(name: str, state: str) -> None:
    result = result_for(name)
    assert result.status.state == state
    assert result.line == ("first-line" if state == "untreated" else "later-line")


# --- hairy cell leukaemia ---------------------------------------------------------------


def test_hcl_late_relapse_repeats_cladribine() -> None:
    result = result_for("hcl-late-relapse")
    options = suggested(result)
    assert "cladribine" in options
    assert "pentostatin" not in options
    assert "more than 2 years" in " ".join(options["cladribine"].reasons)
    assert "rituximab" in options  # CD20 positive
    assert result.status.months_since_last_treatment is not None
    assert result.status.months_since_last_treatment > 24


def test_hcl_early_relapse_switches_to_pentostatin() -> None:
    result = result_for("hcl-early-relapse")
    options = suggested(result)
    assert "pentostatin" in options
    assert "cladribine" not in options
    assert "cladribine" in not_suggested(result)
    assert "less than 2 years" in " ".join(options["pentostatin"].reasons)
    assert "rituximab" in options
    assert result.status.months_since_last_treatment is not None
    assert result.status.months_since_last_treatment < 24


def test_hcl_not_fit_gets_interferon() -> None:
    result = result_for("hcl-not-fit")
    options = suggested(result)
    assert "interferon-alfa" in options
    assert options["interferon-alfa"].availability == "standard"
    others = not_suggested(result)
    # the 2-year rule points to pentostatin (given more than 2 years ago), so cladribine is
    # not indicated; pentostatin and rituximab would be, but the team judged the person not
    # fit, and the source turns to interferon then: left for the team, with the reason
    assert others["cladribine"].outcome == "not-indicated"
    for held_back in ("pentostatin", "rituximab"):
        assert held_back not in options
        assert others[held_back].outcome == "undecided"
        assert others[held_back].held_by == ["not-fit-for-intensive"]
        assert "interferon" in " ".join(others[held_back].reasons)


def test_ph_positive_relapse_on_imatinib_switches_tki() -> None:
    result = result_for("ph-positive-all-relapsed")
    options = suggested(result)
    assert {"dasatinib", "ponatinib"} <= options.keys()
    imatinib = not_suggested(result)["imatinib"]
    assert imatinib.outcome == "undecided"
    assert imatinib.held_by == ["failed-treatment"]  # it failed: that says the most
    reasons = " ".join(imatinib.reasons)
    assert "episode 1" in reasons
    assert "2026-11-02 while it was being given" in reasons
    glivec = next(t for t in result.treatments if t.drugs == ["Glivec"])
    assert glivec.failed == "came-back"
    assert not any("no TKI" in r for o in result.options for r in o.reasons)


def test_refractory_after_flag_ida_holds_it_back() -> None:
    result = result_for("b-all-young-refractory-car-t")
    flag = not_suggested(result)["flag-ida"]
    assert flag.outcome == "undecided"
    assert "failed-treatment" in flag.held_by
    assert "stronger doses of ones already given" in " ".join(flag.reasons)  # the Canadian page
    assert [t.failed for t in result.treatments] == ["no-response", "no-response"]
    assert "reinduction-chemotherapy" in suggested(result)


def test_every_example_says_how_old_its_assessment_is() -> None:
    for path in ALL_EXAMPLES:
        result = assess(read_case(str(path)))
        status = result.status
        if status.assessment_date is not None:
            assert status.assessment_age_days == (result.as_of - status.assessment_date).days
            assert any(str(status.assessment_date) in r and "days before" in r
                       for r in status.reasons)


def test_hcl_exactly_two_years_shows_both_purine_analogues() -> None:
    result = result_for("hcl-exactly-two-years")
    assert result.status.months_since_last_treatment == 24.0
    options = suggested(result)
    assert "cladribine" in options
    assert "pentostatin" in options
    assert "hcl-exactly-two-years" in {g.id for g in result.gaps}
    rituximab = not_suggested(result)["rituximab"]
    assert rituximab.outcome == "undecided"
    assert "rituximab" in missing_fields(result)["markers.CD20"]


@pytest.mark.parametrize(
    "name", ["hcl-early-relapse", "hcl-exactly-two-years", "hcl-late-relapse", "hcl-not-fit"]
)
def test_hcl_gets_no_all_options(name: str) -> None:
    options = suggested(result_for(name))
    assert not set(options) & {
        "blinatumomab", "inotuzumab-ozogamicin", "tisagenlecleucel", "nelarabine-regimen",
        "imatinib", "dasatinib", "ponatinib", "reinduction-chemotherapy", "flag-ida",
    }


# --- T-cell and Ph+ ALL -----------------------------------------------------------------


def test_t_all_relapsed() -> None:
    result = result_for("t-all-relapsed")
    options = suggested(result)
    assert "nelarabine-regimen" in options
    assert "stem-cell-transplant" in options
    excluded = not_suggested(result)
    for b_cell_only in ("blinatumomab", "tisagenlecleucel", "inotuzumab-ozogamicin"):
        assert b_cell_only not in options
        assert excluded[b_cell_only].outcome == "excluded"


def test_ph_positive_relapse_switches_tki() -> None:
    result = result_for("ph-positive-all-relapsed")
    options = suggested(result)
    assert "dasatinib" in options
    assert "ponatinib" in options
    assert "imatinib" not in options  # given before, as Glivec
    assert "imatinib" in not_suggested(result)
    assert options["tisagenlecleucel"].availability == "clinical-trial"  # age 52


def test_ph_positive_relapse_on_imatinib_is_not_a_zero_month_remission() -> None:
    # The person was in complete remission from 2024 and relapsed in November 2026 while
    # still on imatinib (stopped on the day of the relapse). "The last remission lasted
    # 0.0 months" is wrong, and the remission length is what the sources tie the choice
    # of reinduction drugs to (long: the same drugs may work; short: others are used).
    result = result_for("ph-positive-all-relapsed")
    assert result.status.remission_length_months != 0.0
    reasons = " ".join(suggested(result)["reinduction-chemotherapy"].reasons)
    assert "lasted 0.0 months" not in reasons


# --- B-ALL ------------------------------------------------------------------------------


def test_b_all_cns_relapse_treats_the_cns() -> None:
    result = result_for("b-all-cns-relapse")
    options = suggested(result)
    intrathecal = options["intrathecal-chemotherapy"]
    assert any("here it would be treatment" in r for r in intrathecal.reasons)
    assert not any("prophylaxis" in r.lower() for r in intrathecal.reasons)
    assert "cranial-radiotherapy" in options
    assert any("brain or spinal cord" in r for r in options["cranial-radiotherapy"].reasons)
    assert "high-dose-methotrexate" in options
    assert result.status.remission.no_extramedullary_disease is False
    assert result.status.remission.marrow_blasts_below_5_percent is True


def test_b_all_remission_before_transplant() -> None:
    result = result_for("b-all-remission-before-transplant")
    assert result.status.state == "remission"
    assert result.status.mrd == "negative"
    options = suggested(result)
    assert "stem-cell-transplant" in options
    assert "blinatumomab" not in options
    assert "blinatumomab" in not_suggested(result)
    assert "reinduction-chemotherapy" not in options


def test_b_all_declines_treatment_only_comfort_care() -> None:
    result = result_for("b-all-declines-treatment")
    assert set(suggested(result)) == {"symptom-control", "supportive-care"}
    excluded = not_suggested(result)
    for anti_leukaemia in ("blinatumomab", "reinduction-chemotherapy", "stem-cell-transplant",
                           "tisagenlecleucel"):
        assert excluded[anti_leukaemia].outcome == "excluded"
    assert excluded["clinical-trial"].outcome == "excluded"


def test_b_all_untreated_ph_positive_is_first_line() -> None:
    result = result_for("b-all-untreated-ph-positive")
    assert result.status.state == "untreated"
    assert result.line == "first-line"
    options = suggested(result)
    assert "first-line-treatment" in options
    assert "imatinib" in options
    assert all(o.line == "first-line" for o in result.options)
    for relapse_only in ("blinatumomab", "dasatinib", "ponatinib", "stem-cell-transplant",
                         "reinduction-chemotherapy"):
        assert relapse_only not in options


def test_b_all_young_refractory_car_t_is_standard_in_canada() -> None:
    result = result_for("b-all-young-refractory-car-t")
    car_t = suggested(result)["tisagenlecleucel"]
    assert car_t.availability == "standard"
    assert any("Canada" in r for r in car_t.reasons)
    assert {"blinatumomab", "inotuzumab-ozogamicin"} <= set(suggested(result))


def test_b_all_young_refractory_lists_no_filled_in_field_as_missing() -> None:
    # Both treatments have end dates; there is no remission whose length could be
    # measured (it is refractory). Asking for treatments[].ended would send the team
    # looking for a fact that is already given.
    result = result_for("b-all-young-refractory-car-t")
    assert "treatments[].ended" not in missing_fields(result)


def test_b_all_older_car_t_only_in_a_trial() -> None:
    result = result_for("b-all-older-car-t-trial")
    options = suggested(result)
    assert options["tisagenlecleucel"].availability == "clinical-trial"
    assert {"blinatumomab", "inotuzumab-ozogamicin"} <= set(options)
    # a second transplant (and the TBI before it) is not described by the sources: held
    for held in ("stem-cell-transplant", "total-body-irradiation"):
        entry = not_suggested(result)[held]
        assert entry.outcome == "undecided"
        assert entry.held_by == ["given-before"]
        assert "not a second transplant" in " ".join(entry.reasons)


def test_b_all_relapsed_cd19() -> None:
    result = result_for("b-all-relapsed-cd19")
    options = suggested(result)
    assert "blinatumomab" in options
    assert options["blinatumomab"].availability == "standard"
    assert not_suggested(result)["inotuzumab-ozogamicin"].outcome == "undecided"
    assert "inotuzumab-ozogamicin" in missing_fields(result)["markers.CD22"]
    assert result.status.mrd == "positive"
    assert result.status.mrd_method == "flow-cytometry"


# --- review dates ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_overdue_cited_sources_are_warned_about(path: Path) -> None:
    result = assess(read_case(str(path)))
    for source in result.sources:
        due = source.next_review_due
        expected_overdue = None if due is None else due < result.as_of
        assert source.review_overdue is expected_overdue
        warned = [w for w in result.warnings if source.title in w and "due for review" in w]
        if source.review_overdue:
            assert len(warned) == 1
            assert str(due) in warned[0]
        else:
            assert not warned


@pytest.mark.parametrize(
    "name",
    [p.stem for p in ALL_EXAMPLES if not p.stem.startswith("hcl-")],
)
def test_all_examples_warn_about_the_two_overdue_all_sources(name: str) -> None:
    result = result_for(name)
    overdue = {s.id: s.next_review_due for s in result.sources if s.review_overdue}
    assert overdue == {"cruk-all-rr": dt.date(2025, 7, 27), "lc-all-rr": dt.date(2026, 6, 30)}
    joined = "\n".join(result.warnings)
    assert "2025-07-27" in joined
    assert "2026-06-30" in joined
