"""Safety properties of the holds: what already happened to the person is never ignored.

- A treatment that failed (no response, or the leukaemia came back while it was being
  given) is never suggested again, as standard or within a trial; one given before is
  never standard again unless the option cites a source that allows it, and says so.
- A TKI already given is never standard again when Ph+ ALL comes back.
- Nothing the pages describe as intensive is suggested for someone the team has judged not
  fit for intensive treatment; while fitness is not judged, it is named as missing.
- Declining treatment never takes away radiotherapy to relieve bone pain.
- No reason says something the history contradicts.

Which treatments failed is worked out here again, independently of the engine, from the
case as written; which options are intensive, and how an earlier treatment counts as an
option, is read from the knowledge, so a new option is covered without touching this file.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secondline import Assessment, assess, load_knowledge, parse_case
from secondline._schema import Option
from strategies import case_dicts

KNOWLEDGE = load_knowledge()
PROPERTY = settings(max_examples=300, deadline=None)
OPTIONS = {c.option.id: c.option for c in KNOWLEDGE.options}
REPEATABLE = sorted(oid for oid, o in OPTIONS.items() if o.same_treatment is not None)
INTENSIVE = sorted(oid for oid, o in OPTIONS.items() if o.intensive is not None)
TKIS = sorted(oid for oid, o in OPTIONS.items() if "BCR-ABL1" in o.targets)
DRUGS = KNOWLEDGE.drug_by_id


def run(case: dict[str, Any]) -> Assessment:
    return assess(parse_case(case))


def standard(result: Assessment) -> set[str]:
    return {o.id for o in result.options if o.availability == "standard"}


def suggested(result: Assessment) -> set[str]:
    return {o.id for o in result.options}


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def drug_ids(treatment: dict[str, Any]) -> set[str]:
    return {i for name in treatment.get("drugs", []) for i in KNOWLEDGE.canonical_drugs(name)}


def kinds(treatment: dict[str, Any]) -> set[str]:
    found = {treatment.get("type", "other")}
    return found | {kind for i in drug_ids(treatment) if (kind := DRUGS[i].kind)}


def failed_treatments(case: dict[str, Any], result: Assessment) -> Iterator[dict[str, Any]]:
    """The treatments that failed, worked out from the case as written."""
    found = result.status.assessment_date or result.as_of
    for t in case.get("treatments", []):
        started, ended = _day(t.get("started")), _day(t.get("ended"))
        if t.get("response") == "no-response" or (
            result.status.state == "relapsed"
            and t.get("response") == "complete-remission"
            and (started or ended)
            and (started is None or started < found)
            and (ended is None or ended >= found)
        ):
            yield t


def is_option(option: Option, treatment: dict[str, Any]) -> bool:
    """Whether one treatment, on its own, is the option given (a weaker test than the
    engine's, which also joins the treatments of one episode)."""
    same = option.same_treatment
    assert same is not None
    if kinds(treatment) & set(same.kinds):
        return True
    given_ = drug_ids(treatment) & set(same.drugs)
    return bool(given_) and (same.match == "any" or given_ == set(same.drugs))


def test_every_repeatable_option_has_a_relapsed_example() -> None:
    assert {oid for oid, _ in RELAPSED_EXAMPLES} == set(REPEATABLE)


def test_the_option_sets_are_not_empty() -> None:
    # guards every property below against passing vacuously
    assert {"blinatumomab", "tisagenlecleucel", "imatinib", "cladribine",
            "stem-cell-transplant"} <= set(REPEATABLE)
    assert {"reinduction-chemotherapy", "flag-ida", "nelarabine-regimen",
            "high-dose-methotrexate", "stem-cell-transplant", "total-body-irradiation",
            "cladribine", "pentostatin", "rituximab"} == set(INTENSIVE)
    assert set(TKIS) == {"imatinib", "dasatinib", "ponatinib"}


# --- 1. a treatment that failed ------------------------------------------------------------


@PROPERTY
@given(case_dicts())
def test_a_failed_treatment_is_never_suggested_again(case: dict[str, Any]) -> None:
    result = run(case)
    failed = list(failed_treatments(case, result))
    for oid in suggested(result) & set(REPEATABLE):
        again = [t for t in failed if is_option(OPTIONS[oid], t)]
        assert not again, f"{oid} suggested although it failed: {again}"


@PROPERTY
@given(case_dicts())
def test_a_treatment_given_before_is_standard_again_only_where_a_source_allows_it(
    case: dict[str, Any],
) -> None:
    result = run(case)
    for option in result.options:
        same = OPTIONS[option.id].same_treatment
        if same is None or option.availability != "standard":
            continue
        if not any(is_option(OPTIONS[option.id], t) for t in case.get("treatments", [])):
            continue
        if same.given_before == "note":  # the history cannot tell this use of the drug
            assert any("has been given before" in r for r in option.reasons), option.reasons
        else:
            assert same.allowed_when is not None, f"{option.id} standard again"
            assert " ".join(same.allowed_when.reason.split()) in option.reasons, option


def _suggested_examples() -> Iterator[tuple[str, dict[str, Any]]]:
    for oid in REPEATABLE:
        for example in OPTIONS[oid].cases:
            if example.expect == "suggested":
                yield oid, example.case


SUGGESTED_EXAMPLES = list(_suggested_examples())
#: those where the leukaemia has come back or not responded, so a failure does not change
#: the state (a failure added to an untreated case makes its state unknown instead)
RELAPSED_EXAMPLES = [
    (oid, case) for oid, case in SUGGESTED_EXAMPLES
    if run(case).status.state in ("relapsed", "refractory")
]


def _failure(option: Option, case: dict[str, Any], how: str, name_at: int) -> dict[str, Any]:
    """A treatment that is the option, which failed ``how``, dated around the assessment."""
    same = option.same_treatment
    assert same is not None
    as_of = _day(str(case["as_of"]))
    assert as_of is not None
    found = _day(str((case.get("assessment") or {}).get("date") or "")) or as_of
    drugs = list(same.drugs if same.match == "all" else same.drugs[:1])
    names = []
    for drug_id in drugs:
        drug = DRUGS[drug_id]
        choices = [drug.id, drug.name, *drug.brands, *drug.also_called]
        names.append(choices[name_at % len(choices)])
    treatment: dict[str, Any] = {
        "drugs": names, "type": same.kinds[0] if same.kinds and not names else "other",
        "started": (found - dt.timedelta(days=40)).isoformat(),
    }
    if how == "no-response":
        treatment |= {"ended": (found - dt.timedelta(days=20)).isoformat(),
                      "response": "no-response"}
    elif how == "came-back-running":
        treatment["response"] = "complete-remission"
    else:  # came back on the last day it was given
        treatment |= {"ended": found.isoformat(), "response": "complete-remission"}
    return treatment


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SUGGESTED_EXAMPLES),
    st.sampled_from(("no-response", "came-back-running", "came-back-on-last-day")),
    st.integers(0, 20),
)
def test_adding_a_failure_of_a_suggested_option_takes_it_away(
    example: tuple[str, dict[str, Any]], how: str, name_at: int
) -> None:
    oid, base = example
    case = copy.deepcopy(base)
    failure = _failure(OPTIONS[oid], case, how, name_at)
    case["treatments"] = [*case.get("treatments", []), failure]
    case.pop("diagnosed", None)
    result = run(case)
    if how != "no-response" and result.status.state != "relapsed":
        return  # a relapse found during it is a failure only when the leukaemia is back
    assert oid not in suggested(result), (oid, failure)
    entry = next(n for n in result.not_suggested if n.id == oid)
    if entry.outcome == "undecided" and entry.held_by:
        assert "failed-treatment" in entry.held_by, entry
        assert any("did not work" in reason for reason in entry.reasons), entry.reasons


@pytest.mark.parametrize(("oid", "case"), RELAPSED_EXAMPLES,
                         ids=[f"{oid}-{i}" for i, (oid, _) in enumerate(RELAPSED_EXAMPLES)])
def test_a_dated_failure_holds_back_every_repeatable_option(oid: str, case: dict[str, Any]) -> None:
    # the property above allows other reasons not to suggest; here each suggested example
    # with a plain failure of its option added must be held for that failure by name
    case = copy.deepcopy(case)
    case["treatments"] = [*case.get("treatments", []),
                          _failure(OPTIONS[oid], case, "no-response", 0)]
    case.pop("diagnosed", None)
    entry = next(n for n in run(case).not_suggested if n.id == oid)
    assert entry.outcome == "undecided", entry
    assert "failed-treatment" in entry.held_by, entry


# --- 2. a TKI already given ----------------------------------------------------------------


@PROPERTY
@given(case_dicts())
def test_no_tki_already_given_is_standard_at_relapse(case: dict[str, Any]) -> None:
    result = run(case)
    if result.status.state not in ("relapsed", "refractory"):
        return
    given_ = {i for t in case.get("treatments", []) for i in drug_ids(t)}
    for oid in standard(result) & set(TKIS):
        assert not set(OPTIONS[oid].drugs) & given_, f"{oid} again at relapse: {given_}"
        if oid == "imatinib":
            assert not {i for i in given_ if "BCR-ABL1" in DRUGS[i].targets}, given_


# --- 3. fitness ----------------------------------------------------------------------------


@PROPERTY
@given(case_dicts(), st.sampled_from((False, None)))
def test_nothing_intensive_is_suggested_unless_the_team_judged_the_person_fit(
    case: dict[str, Any], fit: bool | None
) -> None:
    result = run({**case, "fit_for_intensive_treatment": fit})
    intensive = suggested(result) & set(INTENSIVE)
    if fit is False:
        assert not intensive, f"intensive options for a person judged not fit: {intensive}"
        held = {n.id for n in result.not_suggested if "not-fit-for-intensive" in n.held_by}
        for entry in result.not_suggested:
            if entry.id in held:
                assert entry.outcome == "undecided"
                assert "not fit for intensive treatment" in " ".join(entry.reasons)
    else:
        missing = {m.field: set(m.affects) for m in result.missing}
        assert intensive <= missing.get("fit_for_intensive_treatment", set()), (intensive, missing)


# --- 6. declining treatment keeps radiotherapy for bone pain -------------------------------


@PROPERTY
@given(case_dicts(), st.booleans())
def test_declining_treatment_never_removes_radiotherapy_for_bone_pain(
    case: dict[str, Any], bone: bool
) -> None:
    case = copy.deepcopy(case)
    if bone and case["disease"] != "HCL":
        case["symptoms"] = [*case.get("symptoms", []), "bone pain"]
        assessment = case.setdefault("assessment", {})
        assessment["extramedullary"] = sorted({*(assessment.get("extramedullary") or []), "bone"})
    wanted = run({**case, "wishes": {"active_treatment": True}})
    declined = run({**case, "wishes": {"active_treatment": False}})
    kept = "palliative-radiotherapy" in suggested(wanted)
    assert kept == ("palliative-radiotherapy" in suggested(declined))
    if bone and case["disease"] != "HCL":
        assert "palliative-radiotherapy" in suggested(declined)


# --- no reason contradicts the history -----------------------------------------------------

_NOTHING_GIVEN = re.compile(r"\bno (?P<what>[A-Za-z][\w -]*?) (?:has|is recorded as) (?:yet )?"
                            r"(?:been )?given\b", re.IGNORECASE)
_GIVEN = re.compile(r"\b(?P<what>[A-Z][\w-]*(?: [a-z][\w-]*)?) has been given before\b")
_EPISODE = re.compile(r"\bepisode (?P<n>\d+) \(")


def _claims(result: Assessment) -> Iterator[str]:
    for option in result.options:
        yield from option.reasons
    for entry in result.not_suggested:
        yield from entry.reasons


@PROPERTY
@given(case_dicts())
def test_no_reason_contradicts_the_history(case: dict[str, Any]) -> None:
    result = run(case)
    given_ = {i for t in case.get("treatments", []) for i in drug_ids(t)}
    tkis_given = {i for i in given_ if "BCR-ABL1" in DRUGS[i].targets}
    episodes = {t.episode for t in result.treatments}
    failed_episodes = {t.episode for t in result.treatments if t.failed}
    for reason in _claims(result):
        for match in _NOTHING_GIVEN.finditer(reason):
            what = match["what"]
            if what.upper() == "TKI":
                assert not tkis_given, (reason, tkis_given)
            else:
                ids = set(KNOWLEDGE.canonical_drugs(what))
                assert not ids & given_, (reason, given_)
        for match in _GIVEN.finditer(reason):
            ids = set(KNOWLEDGE.canonical_drugs(match["what"]))
            if ids:
                assert ids & given_, (reason, given_)
            elif match["what"] == "Another TKI":
                assert tkis_given - {"imatinib"}, (reason, given_)
        for match in _EPISODE.finditer(reason):
            assert int(match["n"]) in episodes, (reason, episodes)
            if "did not work: episode" in reason:
                assert int(match["n"]) in failed_episodes, (reason, failed_episodes)


def test_the_claim_patterns_find_the_knowledge_s_claims() -> None:
    # guards the property above: the patterns must read the sentences the knowledge says
    assert _NOTHING_GIVEN.search("No TKI is recorded as given before.")
    assert _GIVEN.search("Imatinib has been given before.")["what"] == "Imatinib"  # type: ignore[index]
    assert _GIVEN.search("Another TKI has been given before.")
    ph = {"age": 52, "disease": "B-ALL", "philadelphia": "positive",
          "treatments": [{"drugs": ["Glivec"], "started": "2024-04-15", "ended": "2026-11-02",
                          "response": "complete-remission"}],
          "assessment": {"date": "2026-11-02", "marrow_blasts_percent": 18,
                         "blood_counts_normal": False, "extramedullary": []},
          "as_of": "2026-11-23"}
    assert _EPISODE.search(" ".join(_claims(run(ph))))
    no_tki = {**ph, "treatments": [{**ph["treatments"][0], "drugs": ["prednisolone"]}]}
    assert _NOTHING_GIVEN.search(" ".join(_claims(run(no_tki))))


# --- 4 and 5. hairy cell leukaemia: non-response, and the two readings of the 2-year rule --

PURINE_ANALOGUES = ("cladribine", "pentostatin")


def _hcl(drug: str, ended: dt.date, response: str, found: dt.date, as_of: dt.date,
         ) -> dict[str, Any]:
    return {
        "age": 60, "disease": "HCL", "fit_for_intensive_treatment": True,
        "treatments": [{"drugs": [drug], "type": "chemotherapy",
                        "started": (ended - dt.timedelta(days=6)).isoformat(),
                        "ended": ended.isoformat(), "response": response}],
        "assessment": {"date": found.isoformat(), "blood_counts_normal": False},
        "as_of": as_of.isoformat(),
    }


@PROPERTY
@given(st.sampled_from(PURINE_ANALOGUES), st.integers(1, 2000), st.integers(0, 400),
       st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)))
def test_hcl_that_did_not_respond_gets_neither_purine_analogue_as_standard(
    drug: str, days_to_finding: int, days_to_judging: int, ended: dt.date
) -> None:
    found = ended + dt.timedelta(days=days_to_finding)
    result = run(_hcl(drug, ended, "no-response", found, found + dt.timedelta(days_to_judging)))
    assert not standard(result) & set(PURINE_ANALOGUES), standard(result)
    assert "hcl-no-response" in {gap.id for gap in result.gaps}
    for entry in result.not_suggested:
        if entry.id in PURINE_ANALOGUES:
            assert entry.outcome == "undecided", entry


def _two_years_after(day: dt.date) -> dt.date:
    return day.replace(year=day.year + 2)


@PROPERTY
@given(st.sampled_from(PURINE_ANALOGUES),
       st.dates(dt.date(2022, 1, 1), dt.date(2028, 12, 31)).filter(
           lambda d: (d.month, d.day) != (2, 29)),
       st.one_of(st.just(0), st.integers(-200, 200)), st.one_of(st.just(0), st.integers(0, 400)))
def test_hcl_two_readings_of_the_time_since_the_last_treatment(
    drug: str, ended: dt.date, found_shift: int, judged_after: int
) -> None:
    anniversary = _two_years_after(ended)
    found = anniversary + dt.timedelta(days=found_shift)
    as_of = found + dt.timedelta(days=judged_after)
    result = run(_hcl(drug, ended, "complete-remission", found, as_of))
    other = next(d for d in PURINE_ANALOGUES if d != drug)
    readings = {(found > anniversary) - (found < anniversary),
                (as_of > anniversary) - (as_of < anniversary)}
    offered = standard(result)
    if readings == {1}:  # more than 2 years, read either way: the same drug again
        assert drug in offered
        assert other not in offered
    elif readings == {-1}:  # less than 2 years either way: the other drug
        assert other in offered
        assert drug not in offered
    else:  # exactly 2 years on one reading, or the two readings disagree: both, said aloud
        assert {drug, other} <= offered
        gaps = {gap.id for gap in result.gaps}
        assert gaps & {"hcl-exactly-two-years", "hcl-two-readings"}, gaps
    assert result.status.months_from_last_treatment_to_relapse is not None


# --- cases from the clinical review, kept as they were found ------------------------------

_RELAPSED_B_ALL = {
    "age": 50, "disease": "B-ALL", "philadelphia": "positive", "relapses": 1,
    "markers": {"CD19": "positive", "CD22": "positive"}, "fit_for_intensive_treatment": True,
    "assessment": {"date": "2026-11-10", "marrow_blasts_percent": 40,
                   "blood_counts_normal": False, "extramedullary": []},
    "as_of": "2026-11-23",
}


def test_a_tki_the_knowledge_does_not_know_leaves_every_tki_undecided() -> None:
    case = {**_RELAPSED_B_ALL, "treatments": [
        {"drugs": ["Tasigna", "prednisolone"], "type": "targeted", "started": "2023-01-10",
         "ended": "2025-06-01", "response": "complete-remission"}]}
    result = run(case)
    assert not standard(result) & set(TKIS)
    for entry in result.not_suggested:
        if entry.id in TKIS:
            assert "unrecognised-drug" in entry.held_by, entry
    assert not any("no TKI has been given" in r for o in result.options for r in o.reasons)
    assert any("'Tasigna'" in w for w in result.warnings)


def test_a_treatment_still_running_when_the_leukaemia_is_found_has_not_failed_yet() -> None:
    # a day-7 marrow during blinatumomab that shows leukaemia is not a failure of it: the
    # leukaemia was there when it started; it is a treatment given before, held as such
    case = {**_RELAPSED_B_ALL, "philadelphia": "negative", "treatments": [
        {"drugs": ["prednisolone"], "started": "2023-01-10", "ended": "2024-06-01",
         "response": "complete-remission"},
        {"drugs": ["Blincyto"], "started": "2026-11-03", "response": "unknown"}]}
    result = run(case)
    blina = next(n for n in result.not_suggested if n.id == "blinatumomab")
    assert blina.held_by == ["given-before"]
    assert not any(t.failed for t in result.treatments)
    assert "assessment-predates-latest-treatment" not in {c.id for c in result.cautions}


def test_an_assessment_before_a_treatment_still_going_on_is_a_caution() -> None:
    case = {**_RELAPSED_B_ALL, "philadelphia": "negative", "treatments": [
        {"drugs": ["prednisolone"], "started": "2023-01-10", "ended": "2024-06-01",
         "response": "complete-remission"},
        {"drugs": ["Blincyto"], "started": "2026-11-15", "response": "unknown"}]}
    result = run(case)
    assert "assessment-predates-latest-treatment" in {c.id for c in result.cautions}


def test_hcl_after_rituximab_keeps_the_purine_analogue_given_before_for_the_team() -> None:
    case = {"age": 65, "disease": "HCL", "markers": {"CD20": "positive"},
            "fit_for_intensive_treatment": True, "as_of": "2026-11-23",
            "treatments": [
                {"drugs": ["cladribine", "rituximab"], "started": "2025-01-10",
                 "ended": "2025-03-01", "response": "partial-remission"},
                {"drugs": ["Truxima"], "started": "2025-09-01", "ended": "2025-11-01",
                 "response": "no-response"}],
            "assessment": {"date": "2026-11-01", "blood_counts_normal": False}}
    result = run(case)
    assert "pentostatin" in standard(result)  # never given: the 2-year rule does not bar it
    cladribine = next(n for n in result.not_suggested if n.id == "cladribine")
    assert cladribine.held_by == ["given-before"]
    rituximab = next(n for n in result.not_suggested if n.id == "rituximab")
    assert rituximab.held_by == ["failed-treatment"]


def test_refractory_hcl_asks_for_nothing_already_recorded() -> None:
    case = {"age": 70, "disease": "HCL", "fit_for_intensive_treatment": True,
            "as_of": "2026-11-23",
            "treatments": [{"drugs": ["cladribine"], "started": "2022-02-01",
                            "ended": "2022-02-07", "response": "partial-remission"}],
            "assessment": {"date": "2026-11-01", "blood_counts_normal": False}}
    result = run(case)
    assert result.status.state == "refractory"
    assert "cladribine" in standard(result)  # more than 2 years: the same drug, allowed
    assert "pentostatin" in {n.id for n in result.not_suggested}
    assert "treatments[].ended" not in {m.field for m in result.missing}
