"""Disease status, worked out from the facts of the case, never from a label."""

from __future__ import annotations

from typing import Any

import pytest

from secondline import assess, load_knowledge, parse_case
from secondline._assessment import StatusOut
from secondline._status import assess_status

AS_OF = "2026-11-23"

CLEAR = {"blood_counts_normal": True, "marrow_blasts_percent": 2, "extramedullary": []}
DISEASE = {"blood_counts_normal": False, "marrow_blasts_percent": 40, "extramedullary": []}


def treatment(response: str, started: str = "2024-01-01", ended: str | None = "2025-01-01",
              drugs: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "drugs": drugs if drugs is not None else ["cytarabine"],
        "type": "chemotherapy",
        "started": started,
        "response": response,
    }
    if ended is not None:
        item["ended"] = ended
    return item


def status_of(**fields: Any) -> StatusOut:
    data: dict[str, Any] = {"age": 40, "disease": "B-ALL", "as_of": AS_OF, **fields}
    return assess(parse_case(data)).status


def text(status: StatusOut) -> str:
    return " ".join(status.reasons)


# --- the three remission criteria -----------------------------------------------------


def test_remission_when_all_three_criteria_hold() -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=CLEAR)
    assert s.state == "remission"
    r = s.remission
    assert (r.blood_counts_normal, r.marrow_blasts_below_5_percent,
            r.no_extramedullary_disease, r.in_remission) == (True, True, True, True)
    assert "All three remission criteria are met." in s.reasons


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"blood_counts_normal": False}, "blood_counts_normal"),
        ({"marrow_blasts_percent": 30}, "marrow_blasts_below_5_percent"),
        ({"extramedullary": ["cns"]}, "no_extramedullary_disease"),
        ({"extramedullary": ["testes"]}, "no_extramedullary_disease"),
    ],
)
def test_one_failing_criterion_means_no_remission(change: dict[str, Any], failing: str) -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment={**CLEAR, **change})
    remission = s.remission.model_dump()
    assert remission[failing] is False
    others = {k: v for k, v in remission.items() if k not in (failing, "in_remission")}
    assert all(v is True for v in others.values()), remission
    assert s.remission.in_remission is False
    assert s.state == "relapsed"


def test_blasts_exactly_5_percent_is_not_below_5() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**CLEAR, "marrow_blasts_percent": 5})
    assert s.remission.marrow_blasts_below_5_percent is False
    assert s.remission.in_remission is False
    assert s.state == "relapsed"
    assert "Marrow blasts 5%: not below the 5% remission criterion." in s.reasons


def test_blasts_just_below_5_percent_is_below() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**CLEAR, "marrow_blasts_percent": 4.9})
    assert s.remission.marrow_blasts_below_5_percent is True
    assert s.state == "remission"


def test_extramedullary_reason_names_the_site() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**CLEAR, "extramedullary": ["cns", "testes"]})
    assert "Leukaemia found outside the marrow: cns, testes." in s.reasons


# --- relapsed / refractory / untreated / unknown --------------------------------------


def test_relapsed_after_a_complete_remission() -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=DISEASE)
    assert s.state == "relapsed"
    assert "A complete remission was reached before and the leukaemia is back." in s.reasons


def test_relapsed_when_relapses_are_recorded_without_responses() -> None:
    s = status_of(treatments=[treatment("unknown")], relapses=1, assessment=DISEASE)
    assert s.state == "relapsed"
    assert "Relapses are recorded" in text(s)


def test_relapsed_stays_relapsed_when_salvage_did_not_work() -> None:
    s = status_of(
        treatments=[
            treatment("complete-remission", "2023-01-01", "2024-01-01"),
            treatment("no-response", "2025-01-01", "2025-03-01"),
        ],
        assessment=DISEASE,
    )
    assert s.state == "relapsed"


@pytest.mark.parametrize(
    "responses",
    [["no-response"], ["partial-remission"], ["no-response", "partial-remission"]],
)
def test_refractory_when_no_complete_remission_was_ever_reached(responses: list[str]) -> None:
    treatments = [
        treatment(r, f"202{4 + i}-01-01", f"202{4 + i}-03-01") for i, r in enumerate(responses)
    ]
    s = status_of(treatments=treatments, assessment=DISEASE)
    assert s.state == "refractory"
    assert "no complete remission was ever reached" in text(s)


def test_untreated_when_nothing_was_given() -> None:
    s = status_of(assessment=DISEASE)
    assert s.state == "untreated"
    assert "No earlier treatment is recorded." in s.reasons
    assert s.months_since_last_treatment is None


def test_untreated_with_zero_relapses() -> None:
    s = status_of(relapses=0, previous_transplant=False, treatments=[], assessment=DISEASE)
    assert s.state == "untreated"


def test_untreated_is_untreated_even_with_normal_findings() -> None:
    assert status_of(assessment=CLEAR).state == "untreated"


def test_unknown_when_responses_are_unknown_and_disease_is_present() -> None:
    s = status_of(treatments=[treatment("unknown")], assessment=DISEASE)
    assert s.state == "unknown"
    assert "responses to earlier treatment are not all recorded" in text(s)


def test_unknown_when_one_of_several_responses_is_unknown() -> None:
    s = status_of(
        treatments=[
            treatment("no-response", "2025-01-01", "2025-02-01"),
            treatment("unknown", "2025-03-01", "2025-04-01"),
        ],
        assessment=DISEASE,
    )
    assert s.state == "unknown"


def test_unknown_when_there_is_no_assessment() -> None:
    s = status_of(treatments=[treatment("complete-remission")])
    assert s.state == "unknown"
    r = s.remission
    assert (r.blood_counts_normal, r.marrow_blasts_below_5_percent,
            r.no_extramedullary_disease, r.in_remission) == (None, None, None, None)
    assert "No disease assessment is recorded, so remission cannot be judged." in s.reasons


@pytest.mark.parametrize(
    ("assessment", "not_recorded"),
    [
        ({"marrow_blasts_percent": 2, "extramedullary": []}, "Blood counts: not recorded."),
        ({"blood_counts_normal": True, "extramedullary": []}, "Marrow blasts: not recorded."),
        (
            {"blood_counts_normal": True, "marrow_blasts_percent": 2},
            "Leukaemia outside the marrow: not recorded.",
        ),
    ],
)
def test_unknown_when_the_assessment_is_partial(
    assessment: dict[str, Any], not_recorded: str
) -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=assessment)
    assert s.remission.in_remission is None
    assert s.state == "unknown"
    assert not_recorded in s.reasons
    assert "The latest assessment does not show all three remission criteria." in s.reasons


def test_a_partial_assessment_with_one_failing_criterion_decides() -> None:
    # blood counts not normal is enough to know it is not a remission
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={"blood_counts_normal": False})
    assert s.remission.in_remission is False
    assert s.state == "relapsed"


def test_transplant_without_recorded_responses_is_not_called_refractory() -> None:
    # Nothing says whether a complete remission was ever reached, so "refractory" (which
    # means it never was) is not supported by the facts; the state should be unknown.
    s = status_of(previous_transplant=True, assessment=DISEASE)
    assert s.state == "unknown"


# --- MRD ------------------------------------------------------------------------------


def test_mrd_and_its_method_are_carried() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**CLEAR, "mrd": "negative", "mrd_method": "pcr"})
    assert s.mrd == "negative"
    assert s.mrd_method == "pcr"
    assert "MRD negative by pcr." in s.reasons


def test_mrd_without_method() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**CLEAR, "mrd": "positive"})
    assert s.mrd == "positive"
    assert s.mrd_method is None
    assert "MRD positive." in s.reasons


def test_mrd_unknown_by_default() -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=CLEAR)
    assert s.mrd == "unknown"
    assert s.mrd_method is None
    assert not [r for r in s.reasons if r.startswith("MRD")]
    assert status_of().mrd == "unknown"


# --- time -----------------------------------------------------------------------------


def test_months_since_last_treatment() -> None:
    s = status_of(treatments=[treatment("complete-remission", "2025-01-01", "2025-09-23")],
                  assessment=DISEASE)
    assert s.months_since_last_treatment == 14.0
    assert "The most recent treatment ended 2025-09-23, 14.0 months ago." in s.reasons


def test_months_since_last_treatment_uses_the_latest_treatment_in_any_order() -> None:
    older = treatment("complete-remission", "2022-01-01", "2022-06-01")
    newer = treatment("no-response", "2025-01-01", "2025-09-23")
    first = status_of(treatments=[older, newer], assessment=DISEASE)
    second = status_of(treatments=[newer, older], assessment=DISEASE)
    assert first.months_since_last_treatment == second.months_since_last_treatment == 14.0


def test_months_since_last_treatment_does_not_depend_on_listing_order() -> None:
    # Contract: treatments are "in any order". Chemotherapy and a TKI started the same
    # day (as in ph-positive-all-relapsed.yaml) must give one answer either way round.
    chemo = treatment("complete-remission", "2024-04-15", "2025-01-31")
    tki = treatment("complete-remission", "2024-04-15", "2026-11-02", drugs=["imatinib"])
    first = status_of(treatments=[chemo, tki], assessment=DISEASE)
    second = status_of(treatments=[tki, chemo], assessment=DISEASE)
    assert first.months_since_last_treatment == second.months_since_last_treatment
    assert first.remission_length_months == second.remission_length_months


def test_months_since_last_treatment_unknown_without_end_date() -> None:
    s = status_of(treatments=[treatment("complete-remission", "2025-01-01", None)],
                  assessment=DISEASE)
    assert s.months_since_last_treatment is None
    assert "The most recent treatment has no end date" in text(s)


def test_remission_length_runs_from_treatment_end_to_the_relapse() -> None:
    s = status_of(
        treatments=[treatment("complete-remission", "2024-01-01", "2025-09-23")],
        assessment={**DISEASE, "date": "2026-09-23"},
    )
    assert s.state == "relapsed"
    assert s.remission_length_months == 12.0
    assert s.months_since_last_treatment == 14.0


def test_remission_length_without_assessment_date_runs_to_as_of() -> None:
    s = status_of(treatments=[treatment("complete-remission", "2024-01-01", "2025-09-23")],
                  assessment=DISEASE)
    assert s.remission_length_months == 14.0


def test_remission_length_uses_the_latest_complete_remission() -> None:
    s = status_of(
        treatments=[
            treatment("complete-remission", "2020-01-01", "2021-01-01"),
            treatment("complete-remission", "2025-01-01", "2025-09-23"),
        ],
        assessment={**DISEASE, "date": "2026-09-23"},
    )
    assert s.remission_length_months == 12.0


@pytest.mark.parametrize(
    ("treatments", "assessment"),
    [
        ([treatment("complete-remission")], CLEAR),  # remission: no relapse to measure to
        ([treatment("no-response")], DISEASE),  # refractory: never a remission
    ],
)
def test_no_remission_length_unless_relapsed(
    treatments: list[dict[str, Any]], assessment: dict[str, Any]
) -> None:
    assert status_of(treatments=treatments, assessment=assessment).remission_length_months is None


def test_relapses_and_sites_are_carried() -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=DISEASE,
                  relapses=2, relapse_sites=["bone-marrow", "cns"])
    assert s.relapses == 2
    assert s.relapse_sites == ["bone-marrow", "cns"]


# --- reasons and the status function itself ------------------------------------------


@pytest.mark.parametrize(
    ("fields", "deciding"),
    [
        ({"treatments": [treatment("complete-remission")], "assessment": CLEAR},
         "All three remission criteria are met."),
        ({"treatments": [treatment("complete-remission")], "assessment": DISEASE},
         "Marrow blasts 40%: not below the 5% remission criterion."),
        ({"treatments": [treatment("no-response")], "assessment": DISEASE},
         "Blood counts: not normal."),
        ({"assessment": DISEASE}, "No earlier treatment is recorded."),
        ({"treatments": [treatment("unknown")]},
         "No disease assessment is recorded, so remission cannot be judged."),
    ],
)
def test_reasons_mention_the_deciding_facts(fields: dict[str, Any], deciding: str) -> None:
    s = status_of(**fields)
    assert s.reasons
    assert all(isinstance(r, str) and r for r in s.reasons)
    assert deciding in s.reasons


def test_assessment_date_appears_in_reasons() -> None:
    s = status_of(treatments=[treatment("complete-remission")],
                  assessment={**DISEASE, "date": "2026-11-17"})
    assert "Blood counts on 2026-11-17: not normal." in s.reasons


def test_status_sources_are_cited() -> None:
    s = status_of(treatments=[treatment("complete-remission")], assessment=DISEASE)
    cited = {c.source for c in s.sources}
    assert "lc-all-rr" in cited


def test_assess_status_directly() -> None:
    case = parse_case({
        "age": 58, "disease": "HCL", "as_of": AS_OF,
        "treatments": [treatment("complete-remission", "2025-09-22", "2025-09-26",
                                 drugs=["cladribine"])],
        "assessment": {"date": "2026-11-13", "blood_counts_normal": False, "extramedullary": []},
        "relapses": 1,
    })
    status = assess_status(case, load_knowledge().definitions)
    assert status.state == "relapsed"
    assert status.remission.marrow_blasts_below_threshold is None
    assert status.remission.in_remission is False
    assert status.relapse_date is not None
    assert status.relapse_date.isoformat() == "2026-11-13"
    assert status.months_since_last_treatment is not None
    assert round(status.months_since_last_treatment, 1) == 13.9


def test_hcl_two_year_rule_does_not_depend_on_listing_order() -> None:
    # Cladribine and rituximab started the same day, listed either way round: the
    # options must be the same (today one order gives cladribine only, the other both).
    cladribine = treatment("complete-remission", "2024-01-02", "2024-01-06", drugs=["cladribine"])
    rituximab = treatment("complete-remission", "2024-01-02", "2024-03-01", drugs=["rituximab"])
    results = []
    for order in ([cladribine, rituximab], [rituximab, cladribine]):
        result = assess(parse_case({
            "age": 60, "disease": "HCL", "as_of": "2026-02-15", "markers": {"CD20": "positive"},
            "fit_for_intensive_treatment": True, "treatments": order, "relapses": 1,
            "assessment": {"blood_counts_normal": False, "extramedullary": []},
        }))
        results.append((result.status.months_since_last_treatment,
                        sorted(o.id for o in result.options)))
    assert results[0] == results[1]


def test_an_assessment_older_than_the_latest_treatment_is_flagged() -> None:
    case = {
        "age": 40, "disease": "B-ALL", "as_of": "2026-11-23",
        "treatments": [
            {"started": "2025-01-01", "ended": "2025-06-01", "response": "complete-remission"},
            {"started": "2026-09-01", "ended": "2026-10-15", "response": "unknown"},
        ],
        "assessment": {"date": "2026-08-20", "marrow_blasts_percent": 30,
                       "blood_counts_normal": False, "extramedullary": []},
    }
    warnings = assess(parse_case(case)).warnings
    assert any("older than the end of the most recent treatment" in w for w in warnings)
    case["assessment"] = {**case["assessment"], "date": "2026-11-01"}
    warnings = assess(parse_case(case)).warnings
    assert not any("older than" in w for w in warnings)


# --- the first treatment after the latest relapse --------------------------------------


def _reinduction(result_case: dict[str, Any]) -> str | None:
    result = assess(parse_case({"age": 40, "disease": "B-ALL", "as_of": AS_OF, **result_case}))
    factor = next((p for p in result.prognostic_factors if p.id == "reinduction-response"), None)
    return None if factor is None else factor.value


def test_reinduction_response_after_a_first_relapse() -> None:
    case = {
        "relapses": 1,
        "treatments": [
            treatment("complete-remission", "2023-01-01", "2024-01-01"),
            treatment("partial-remission", "2025-01-01", "2025-03-01", ["blinatumomab"]),
        ],
        "assessment": DISEASE | {"date": "2026-11-10"},
    }
    assert _reinduction(case) == "partial-remission"


def test_reinduction_response_uses_the_latest_relapse_not_the_first() -> None:
    # remission, relapse, reinduction to a second remission, then a second relapse now:
    # no treatment has followed the latest relapse yet, so the first relapse's reinduction
    # (no response, later complete) must not be shown as this relapse's
    case = {
        "relapses": 2,
        "treatments": [
            treatment("complete-remission", "2021-01-01", "2022-01-01"),
            treatment("complete-remission", "2023-01-01", "2023-04-01", ["blinatumomab"]),
        ],
        "assessment": DISEASE | {"date": "2026-11-10"},
    }
    assert _reinduction(case) == "not known"
    case["treatments"].append(treatment("no-response", "2026-11-12", "2026-11-20", ["FLAG-IDA"]))
    assert _reinduction(case) == "no-response"


def test_reinduction_response_in_a_second_remission_is_the_one_that_brought_it() -> None:
    case = {
        "relapses": 1,
        "treatments": [
            treatment("complete-remission", "2021-01-01", "2022-01-01"),
            treatment("complete-remission", "2023-01-01", "2023-04-01", ["blinatumomab"]),
        ],
        "assessment": CLEAR | {"date": "2026-11-10"},
    }
    assert _reinduction(case) == "complete-remission"


# --- the interval to the relapse, and the age of the assessment -------------------------


def test_months_from_the_last_treatment_to_the_relapse() -> None:
    status = status_of(
        treatments=[treatment("complete-remission", "2024-01-01", "2025-01-01")],
        assessment=DISEASE | {"date": "2026-01-01"},
    )
    assert status.months_from_last_treatment_to_relapse == 12.0
    assert status.months_since_last_treatment == 22.7
    assert "found 12.0 months after the most recent treatment ended" in text(status)


def test_no_interval_to_a_relapse_unless_relapsed() -> None:
    status = status_of(treatments=[treatment("no-response")], assessment=DISEASE)
    assert status.state == "refractory"
    assert status.months_from_last_treatment_to_relapse is None


def test_the_status_says_how_old_the_assessment_is() -> None:
    status = status_of(treatments=[treatment("complete-remission")],
                       assessment=DISEASE | {"date": "2026-11-01"})
    assert (status.assessment_date.isoformat(), status.assessment_age_days) == ("2026-11-01", 22)
    assert "The latest assessment is from 2026-11-01, 22 days before 2026-11-23." in text(status)
    undated = status_of(treatments=[treatment("complete-remission")], assessment=DISEASE)
    assert (undated.assessment_date, undated.assessment_age_days) == (None, None)


@pytest.mark.parametrize(("date", "cautioned"), [("2026-10-24", False), ("2026-10-23", True)])
def test_an_assessment_older_than_secondline_s_own_limit_is_a_caution(
    date: str, cautioned: bool
) -> None:
    limit = load_knowledge().settings.assessment_max_age_days.value
    assert limit == 30  # 2026-10-24 is 30 days before as_of; 2026-10-23 is 31
    result = assess(parse_case({
        "age": 40, "disease": "B-ALL", "as_of": AS_OF,
        "treatments": [treatment("complete-remission")],
        "assessment": DISEASE | {"date": date},
    }))
    shown = [c for c in result.cautions if c.id == "assessment-past-age-limit"]
    assert bool(shown) is cautioned
    if cautioned:
        assert "31 days old" in shown[0].text
        assert "secondline's own limit (the sources set none)" in shown[0].text


def test_reinduction_after_a_relapse_marked_by_a_treatment_that_did_not_bring_remission() -> None:
    # remission, relapse, FLAG-IDA to a partial response, blinatumomab to a remission,
    # then maintenance in remission: the first treatment after the relapse is FLAG-IDA
    case = {
        "relapses": 1,
        "treatments": [
            treatment("complete-remission", "2021-01-01", "2022-01-01"),
            treatment("partial-remission", "2023-01-01", "2023-02-01", ["FLAG-IDA"]),
            treatment("complete-remission", "2023-03-01", "2023-05-01", ["blinatumomab"]),
            treatment("complete-remission", "2023-06-01", "2025-06-01", ["mercaptopurine"]),
        ],
        "assessment": CLEAR | {"date": "2026-11-10"},
    }
    assert _reinduction(case) == "partial-remission"
    result = assess(parse_case({"age": 40, "disease": "B-ALL", "as_of": AS_OF, **case}))
    factor = next(p for p in result.prognostic_factors if p.id == "reinduction-response")
    assert "episode 2" in factor.note


def test_grouping_overlapping_treatments_stays_fast_however_many_overlap() -> None:
    # every treatment overlaps the next: one episode of them all (the case model allows
    # 200; the grouping itself must not grow faster than n log n: 50,000 stay quick, where
    # copying the group at each step took about 7 seconds)
    import time

    from secondline._case import Treatment
    from secondline._history import episodes

    many = [Treatment(started=f"2020-01-{1 + i % 28:02d}", ended="2026-01-01")
            for i in range(50_000)]
    start = time.perf_counter()
    grouped = episodes(many)
    assert time.perf_counter() - start < 2.0
    assert len(grouped) == 1
    assert len(grouped[0].treatments) == 50_000
