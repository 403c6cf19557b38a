"""HL7's mCODE pediatric B-ALL example (Brian L), as externally written input: read
without crashing, with everything it could not give listed, resource by resource."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from fhir_bundles import BRIAN_L, ROOT, not_read, read, sources
from secondline import assess
from secondline._fhir.output import Reading, with_input

DATA = json.loads(BRIAN_L.read_text(encoding="utf-8"))
AS_OF = dt.date(2024, 3, 1)


@pytest.fixture(scope="module")
def reading() -> Reading:
    return read(DATA, AS_OF)


def test_it_holds_the_28_instances_of_the_fsh_file() -> None:
    assert len(DATA["entry"]) == 28
    ids = [e["resource"]["id"] for e in DATA["entry"]]
    assert ids[0] == "cancer-patient-brian-l"
    assert ids[-1] == "all-risk-assessment-standard-brian-l"


def test_the_disease_is_b_all_from_snomed_277571004(reading: Reading) -> None:
    assert reading.case.disease == "B-ALL"
    assert sources(reading)["disease"] == ["Condition/primary-cancer-condition-brian-l"]
    assert reading.case.diagnosed == dt.date(2024, 1, 1)


@pytest.mark.parametrize(("as_of", "age"), [
    (dt.date(2024, 3, 1), 3), (dt.date(2023, 12, 31), 2), (dt.date(2024, 1, 1), 3)])
def test_the_age_is_whole_years_from_the_birth_date_on_as_of(as_of: dt.date, age: int) -> None:
    # born 2021-01-01; judged before the diagnosis, the later facts are left out
    reading = read(DATA, as_of)
    assert reading.case.age == age
    assert sources(reading)["age"] == ["Patient/cancer-patient-brian-l"]


def test_the_four_drugs_are_four_treatments_with_their_administrations(reading: Reading) -> None:
    treatments = reading.case.treatments
    assert [t.drugs for t in treatments] == [
        ["cyclophosphamide"], ["idarubicin"], ["vincristine"], ["prednisone"]]
    assert {t.started for t in treatments} == {dt.date(2024, 1, 9)}
    assert {t.ended for t in treatments} == {None}  # the requests are still active
    assert {t.type for t in treatments} == {"chemotherapy"}
    assert {t.response for t in treatments} == {"unknown"}
    assert sources(reading)["treatments[3]"] == [
        "MedicationRequest/cancer-related-medication-request-prednisone-brian-l",
        "MedicationAdministration/cancer-related-medication-admin-prednisone-brian-l"]


def test_what_it_could_not_use_is_listed_by_resource(reading: Reading) -> None:
    notes = not_read(reading)
    text = {k: " ".join(v) for k, v in notes.items()}
    assert "free-text immunophenotype 'positive for CD10, CD79a, TdT, CD19, and CD20' not " \
           "read as CD19" in text["Observation/immunophenotype-brian-l"]
    assert reading.case.markers.CD19 == "unknown"  # never parsed out of the free text
    lumbar = text["Observation/us-core-lumbar-puncture-result-brian-l"]
    assert "coded as a bone marrow aspiration report" in lumbar
    assert "part of Procedure/us-core-procedure-lumbar-puncture-brian-l, a lumbar puncture" \
        in lumbar
    assert "dated 2024-01-07, before Procedure/us-core-procedure-lumbar-puncture-brian-l" \
        in lumbar
    for practitioner in ("kyle-anydoc", "owen-oncologist", "nancy-oncology-nurse"):
        why = text[f"Practitioner/us-core-practitioner-{practitioner}"]
        assert "not in the Bundle" in why
    assert "not read as fitness" in text["Observation/lansky-performance-status-brian-l"]
    assert reading.case.fit_for_intensive_treatment is None
    assert "other than BCR::ABL1" in text[
        "Observation/gx-genomic-variant-fusion-ETV6-RUNX1-brian-l"]
    assert reading.case.philadelphia == "unknown"
    assert "not read as \"blood counts normal\"" in text["Observation/white-blood-cell-brian-l"]
    assert "is a trend, not a response" in text[
        "Observation/cancer-disease-status-improved-brian-l"]
    assert reading.case.assessment is None


def test_every_resource_is_read_or_listed(reading: Reading) -> None:
    read_from = {r for rs in sources(reading).values() for r in rs}
    listed = set(not_read(reading))
    for entry in DATA["entry"]:
        label = f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        assert label in read_from | listed, label


def test_the_assessment_carries_the_reading(reading: Reading) -> None:
    result = with_input(assess(reading.case), reading)
    assert result.input.format == "FHIR R4 Bundle"
    assert result.input.entries == 28
    assert any(w.startswith("FHIR input, Observation/immunophenotype-brian-l: ")
               for w in result.warnings)
    assert len([w for w in result.warnings if w.startswith("FHIR input, ")]) == len(
        reading.input.not_read)


def test_the_command_line_reads_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "secondline", "assess", str(BRIAN_L), "--json",
         "--as-of", "2024-03-01"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["disease"] == "B-ALL"
    assert answer["input"]["read"][0] == {"field": "age",
                                          "resources": ["Patient/cancer-patient-brian-l"]}


def test_judged_before_the_treatments_they_are_left_out_and_said_so() -> None:
    reading = read(DATA, dt.date(2024, 1, 5))
    assert reading.case.treatments == []
    assert "after the date the case is judged at" in " ".join(
        not_read(reading)["MedicationRequest/cancer-related-medication-request-idarubicin-brian-l"])
