"""What is read from which code, and what is only listed: one behaviour a test.

Every code here is one the mapping lists (knowledge/fhir-mapping.yaml), written as a
sending system would write it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fhir_bundles import (
    ATC,
    B_ALL,
    EXT,
    ICD10,
    ICD10CM,
    LOINC,
    NEGATIVE,
    POSITIVE,
    PROJECT,
    SNOMED,
    SUBJECT,
    bundle,
    concept,
    condition,
    not_read,
    observation,
    patient,
    read,
    request,
    sources,
)
from secondline._fhir.bundle import BundleError

T_ALL_TEXT = {"text": "T-cell acute lymphoblastic leukaemia"}


def _disease(code: dict[str, Any]) -> str:
    return read(bundle(condition(code), with_disease=False)).case.disease


@pytest.mark.parametrize(("system", "code"), [
    (ICD10, "C91.0"), (ICD10CM, "C91.0"), (ICD10CM, "C91.00"), (ICD10CM, "C91.01"),
    (ICD10CM, "C91.02")])
def test_icd10_all_takes_its_lineage_from_snomed_or_the_text(system: str, code: str) -> None:
    assert _disease({"coding": [{"system": system, "code": code}, *B_ALL["coding"]]}) == "B-ALL"
    assert _disease({"coding": [{"system": system, "code": code}], **T_ALL_TEXT}) == "T-ALL"
    with pytest.raises(BundleError, match="without its lineage"):
        _disease(concept(system, code))


@pytest.mark.parametrize(("system", "code"), [
    (ICD10, "C91.4"), (ICD10CM, "C91.4"), (ICD10CM, "C91.40"), (ICD10CM, "C91.41"),
    (ICD10CM, "C91.42")])
def test_icd10_hairy_cell_leukaemia(system: str, code: str) -> None:
    assert _disease(concept(system, code)) == "HCL"


@pytest.mark.parametrize(("code", "state"), [
    ("C91.00", "not having achieved remission"), ("C91.01", "in remission"),
    ("C91.02", "in relapse"), ("C91.42", "in relapse")])
def test_the_icd10cm_fifth_digit_is_listed_never_used(code: str, state: str) -> None:
    data = bundle(condition({"coding": [{"system": ICD10CM, "code": code},
                                        *B_ALL["coding"]]}), with_disease=False)
    if code.startswith("C91.4"):
        data = bundle(condition(concept(ICD10CM, code)), with_disease=False)
    reading = read(data)
    assert f"ICD-10-CM {code} says '{state}'; not used" in not_read(reading)["Condition/c1"][0]
    assert reading.case.assessment is None  # nothing about the state was made up


@pytest.mark.parametrize("text", ["T-ALL", "t-cell  acute lymphoblastic LEUKEMIA",
                                  "T-lymphoblastic leukaemia/lymphoma"])
def test_t_all_by_its_whole_text(text: str) -> None:
    assert _disease({"text": text}) == "T-ALL"


def test_text_is_never_searched_inside_longer_text() -> None:
    with pytest.raises(BundleError, match="no Condition names"):
        _disease({"text": "suspected T-ALL, awaiting flow"})


def test_an_unverified_code_is_never_read_and_the_refusal_says_why() -> None:
    with pytest.raises(BundleError, match=r"118613001.*has not verified"):
        _disease(concept(SNOMED, "118613001"))


def test_performance_status_is_recorded_never_turned_into_fitness() -> None:
    data = bundle(observation("ecog", concept(LOINC, "89247-1"), valueInteger=1,
                              effectiveDateTime="2026-11-01"),
                  observation("kps", concept(LOINC, "89243-0"), valueInteger=90))
    reading = read(data)
    assert reading.case.fit_for_intensive_treatment is None
    notes = not_read(reading)
    assert notes["Observation/ecog"] == [
        "ECOG performance status 1 (2026-11-01) recorded; not read as fitness for intensive "
        "treatment, which is the team's judgement (the sources give no threshold)"]
    assert "Karnofsky performance status 90 (undated)" in notes["Observation/kps"][0]


def test_the_teams_judgement_of_fitness_is_read_from_the_projects_extension() -> None:
    judged = patient(extension=[{"url": EXT + "fit-for-intensive-treatment",
                                 "valueBoolean": False}])
    data = bundle(judged, observation("ecog", concept(LOINC, "89247-1"), valueInteger=0),
                  with_patient=False)
    reading = read(data)
    assert reading.case.fit_for_intensive_treatment is False
    assert sources(reading)["fit_for_intensive_treatment"] == ["Patient/p1"]


def test_markers_latest_result_wins_and_earlier_ones_are_listed() -> None:
    data = bundle(
        observation("cd19-old", concept(PROJECT, "cd19"), valueCodeableConcept=POSITIVE,
                    effectiveDateTime="2025-01-01"),
        observation("cd19-new", {"text": "CD19"}, valueCodeableConcept=NEGATIVE,
                    effectiveDateTime="2026-10-01"),
        observation("cd22", {"text": "CD22"}, valueString="positive"),
        observation("cd20", concept(PROJECT, "cd20"), valueQuantity={"value": 80, "unit": "%"}))
    reading = read(data)
    markers = reading.case.markers
    assert (markers.CD19, markers.CD22, markers.CD20) == ("negative", "positive", "unknown")
    assert sources(reading)["markers.CD19"] == ["Observation/cd19-new"]
    notes = not_read(reading)
    assert notes["Observation/cd19-old"] == [
        "markers.CD19 of 2025-01-01 not used: a later result is of 2026-10-01"]
    assert "sets no threshold" in notes["Observation/cd20"][0]


def test_results_of_one_date_that_disagree_leave_the_marker_unknown() -> None:
    data = bundle(*(observation(rid, concept(PROJECT, "cd22"), valueCodeableConcept=value,
                                effectiveDateTime="2026-10-01")
                    for rid, value in (("a", POSITIVE), ("b", NEGATIVE))))
    reading = read(data)
    assert reading.case.markers.CD22 == "unknown"
    assert "disagrees" in not_read(reading)["Observation/a"][0]


def test_cd20_cell_counts_are_not_cd20_on_the_leukaemia_cells() -> None:
    reading = read(bundle(observation("count", concept(LOINC, "9558-8"),
                                      valueQuantity={"value": 120})))
    assert reading.case.markers.CD20 == "unknown"
    assert "a count of CD20 cells" in not_read(reading)["Observation/count"][0]


def test_philadelphia_from_a_bcr_abl1_test_or_a_genomic_variant() -> None:
    present = {"coding": [{"system": LOINC, "code": "LA9633-4"}]}
    absent = {"coding": [{"system": LOINC, "code": "LA9634-2"}]}
    fish = observation("fish", concept(LOINC, "51867-0"), valueCodeableConcept=present)
    assert read(bundle(fish)).case.philadelphia == "positive"
    genes = [{"code": concept(LOINC, "48018-6"),
              "valueCodeableConcept": concept("http://www.genenames.org", gene)}
             for gene in ("HGNC:1014", "HGNC:76")]
    variant = observation("gv", concept(LOINC, "69548-6"), valueCodeableConcept=absent,
                          component=genes)
    assert read(bundle(variant)).case.philadelphia == "negative"


def test_the_assessment_is_the_latest_date_of_its_results() -> None:
    flow = concept(PROJECT, "flow-cytometry")
    data = bundle(
        observation("blasts", concept(PROJECT, "marrow-blasts"), effectiveDateTime="2026-11-02",
                    valueQuantity={"value": 42.5, "unit": "%",
                                   "system": "http://unitsofmeasure.org", "code": "%"}),
        observation("mrd", {"text": "MRD"}, effectiveDateTime="2026-11-02",
                    valueCodeableConcept=POSITIVE, method=flow),
        observation("mrd-old", concept(PROJECT, "mrd"), effectiveDateTime="2025-06-01",
                    valueCodeableConcept=NEGATIVE),
        observation("em", concept(PROJECT, "extramedullary"), effectiveDateTime="2026-11-02",
                    component=[{"code": concept(PROJECT, "site-cns"),
                                "valueCodeableConcept": POSITIVE}]))
    reading = read(data)
    a = reading.case.assessment
    assert a is not None
    assert (a.date, a.marrow_blasts_percent, a.mrd, a.mrd_method, a.extramedullary) == (
        dt.date(2026, 11, 2), 42.5, "positive", "flow-cytometry", ["cns"])
    assert "not used: the latest assessment is of 2026-11-02" in \
        not_read(reading)["Observation/mrd-old"][0]


def test_the_unverified_marrow_blast_code_is_not_read() -> None:
    data = bundle(observation("b", concept(LOINC, "11150-0"), valueQuantity={"value": 40}))
    reading = read(data)
    assert reading.case.assessment is None
    assert "has not verified" in not_read(reading)["Observation/b"][0]


def test_medicines_by_text_atc_or_verified_rxnorm() -> None:
    data = bundle(
        request("r1", {"text": "Blincyto"}, "2026-01-01", "2026-02-01"),
        request("r2", concept(ATC, "L01FB01"), "2026-03-01", "2026-04-01"),
        request("r3", concept("http://www.nlm.nih.gov/research/umls/rxnorm", "11202")),
        request("r4", {"coding": [{"system": "http://example.org/drugs", "code": "77",
                                   "display": "Zorbalimab 10 MG"}]}))
    case = read(data).case
    assert [t.drugs for t in case.treatments] == [
        ["Blincyto"], ["inotuzumab ozogamicin"], ["vincristine"], ["Zorbalimab 10 MG"]]
    assert [t.type for t in case.treatments] == [
        "immunotherapy", "immunotherapy", "chemotherapy", "other"]


def test_no_response_from_the_status_reason() -> None:
    stopped = request("r1", {"text": "dasatinib"}, "2026-01-01", "2026-03-01",
                      status="stopped", statusReason=concept(SNOMED, "266721009"))
    assert read(bundle(stopped)).case.treatments[0].response == "no-response"


def test_a_remission_status_gives_the_response_of_the_treatment_before_it() -> None:
    full = concept(SNOMED, "550991000124107")
    data = bundle(
        request("first", {"text": "methotrexate"}, "2025-01-01", "2025-06-01"),
        request("second", {"text": "Blincyto"}, "2026-01-01", "2026-02-01"),
        observation("ds", concept(LOINC, "97509-4"), effectiveDateTime="2025-07-01",
                    valueCodeableConcept=full))
    reading = read(data)
    assert [t.response for t in reading.case.treatments] == ["complete-remission", "unknown"]
    assert sources(reading)["treatments[0].response"] == ["Observation/ds"]


def test_requests_ordered_together_are_one_treatment() -> None:
    group = {"system": "urn:example:orders", "value": "induction-1"}
    data = bundle(*(request(f"r{i}", {"text": name}, "2025-01-01", "2025-03-01",
                            groupIdentifier=group)
                    for i, name in enumerate(["prednisolone", "vincristine"])))
    case = read(data).case
    assert [t.drugs for t in case.treatments] == [["prednisolone", "vincristine"]]


def test_what_was_never_given_is_not_a_treatment() -> None:
    data = bundle(request("p", {"text": "ponatinib"}, intent="proposal"),
                  request("c", {"text": "imatinib"}, status="cancelled"))
    reading = read(data)
    assert reading.case.treatments == []
    assert "proposed, not given" in not_read(reading)["MedicationRequest/p"][0]


def test_an_administration_and_a_referenced_medication() -> None:
    medication = {"resourceType": "Medication", "id": "m1", "code": {"text": "nelarabine"}}
    given = {"resourceType": "MedicationAdministration", "id": "a1", "status": "completed",
             "medicationReference": {"reference": "Medication/m1"}, "subject": SUBJECT,
             "effectivePeriod": {"start": "2026-02-01", "end": "2026-02-05"}}
    case = read(bundle(medication, given)).case
    t = case.treatments[0]
    assert (t.drugs, t.started, t.ended) == (["nelarabine"], dt.date(2026, 2, 1),
                                             dt.date(2026, 2, 5))


@pytest.mark.parametrize(("code", "kind"), [
    (concept(PROJECT, "stem-cell-transplant"), "stem-cell-transplant"),
    (concept(SNOMED, "1217123003"), "radiotherapy")])
def test_procedures_that_are_treatments(code: dict[str, Any], kind: str) -> None:
    done = {"resourceType": "Procedure", "id": "x", "status": "completed", "code": code,
            "subject": SUBJECT, "performedDateTime": "2025-05-05"}
    t = read(bundle(done)).case.treatments[0]
    assert (t.type, t.drugs, t.started) == (kind, [], dt.date(2025, 5, 5))


def test_an_unverified_transplant_code_is_listed_not_read() -> None:
    done = {"resourceType": "Procedure", "id": "x", "status": "completed", "subject": SUBJECT,
            "code": concept(SNOMED, "234336002")}
    reading = read(bundle(done))
    assert reading.case.treatments == []
    assert "234336002" in not_read(reading)["Procedure/x"][0]


def test_resources_about_someone_else_are_left_out() -> None:
    other = observation("o", concept(PROJECT, "cd19"), valueCodeableConcept=POSITIVE,
                        subject={"reference": "Patient/someone-else"})
    reading = read(bundle(other))
    assert reading.case.markers.CD19 == "unknown"
    assert "is not the Patient of the Bundle" in not_read(reading)["Observation/o"][0]


def test_a_searchset_page_and_a_transaction_delete_are_noted() -> None:
    page = bundle(kind="searchset", link=[{"relation": "next", "url": "https://x/page2"}])
    assert "further page" in not_read(read(page))["Bundle.link"][0]
    deleting = bundle(kind="transaction")
    deleting["entry"].append({"request": {"method": "DELETE", "url": "Observation/9"}})
    assert not_read(read(deleting))["entry[2]"] == ["a request to delete; nothing to read"]


def test_as_of_from_the_bundle_unless_the_caller_gives_one() -> None:
    data = bundle(meta={"extension": [{"url": EXT + "as-of", "valueDate": "2020-06-15"}]})
    assert read(data, as_of=None).case.as_of == dt.date(2020, 6, 15)
    assert read(data, as_of=None).case.age == 40
    assert read(data, as_of=dt.date(2021, 6, 15)).case.as_of == dt.date(2021, 6, 15)


def test_symptoms_by_name_and_over_ones_listed() -> None:
    data = bundle(condition({"text": "Bone pain"}, rid="s1"),
                  condition({"text": "bruising"}, rid="s2", clinicalStatus=concept(
                      "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved")),
                  condition({"text": "asthma"}, rid="s3"))
    reading = read(data)
    assert reading.case.symptoms == ["Bone pain"]
    notes = not_read(reading)
    assert "recorded as over" in notes["Condition/s2"][0]
    assert "a condition the case has no field for" in notes["Condition/s3"][0]


def test_a_diagnosis_dated_after_a_treatment_is_not_read() -> None:
    data = bundle(condition(B_ALL, rid="late", onsetDateTime="2026-01-01"),
                  request("r", {"text": "imatinib"}, "2025-01-01", "2025-02-01"),
                  with_disease=False)
    reading = read(data)
    assert reading.case.diagnosed is None
    assert "the date of diagnosis is not read" in not_read(reading)["Condition/late"][0]


def test_a_medication_contained_in_the_request() -> None:
    given = request("r", None, "2026-01-01", "2026-01-20",  # type: ignore[arg-type]
                    contained=[{"resourceType": "Medication", "id": "m",
                                "code": concept(ATC, "L01EA05")}],
                    medicationReference={"reference": "#m"})
    del given["medicationCodeableConcept"]
    assert read(bundle(given)).case.treatments[0].drugs == ["ponatinib"]
