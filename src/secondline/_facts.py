"""The facts the knowledge may test, and how each is said in words.

This is the vocabulary between the case and the knowledge files: the engine derives
these values from a case (``_derive.py``); condition trees may name only these.
A value of ``None`` means the case does not tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

FactValue: TypeAlias = str | float | int | bool | frozenset[str] | None
Kind = Literal["enum", "number", "bool", "set"]


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    kind: Kind
    label: str
    #: the case field a person would fill in to make the fact known
    field: str
    values: tuple[str, ...] | None = None
    unit: str = ""
    #: for set facts whose members come from a knowledge file (drug ids from drugs.yaml,
    #: symptom ids from symptoms.yaml), checked against it when the knowledge loads
    vocabulary: Literal["drugs", "symptoms"] | None = None

    def accepts(self, value: Any) -> bool:
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.values is None:
            return isinstance(value, str)
        return value in self.values


_PRESENCE = ("positive", "negative")
_RESPONSES = ("complete-remission", "partial-remission", "no-response")

FACTS: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec("disease", "enum", "Disease", "disease", ("B-ALL", "T-ALL", "HCL")),
        FactSpec("age", "number", "Age", "age", unit="years"),
        FactSpec("philadelphia", "enum", "Philadelphia chromosome", "philadelphia", _PRESENCE),
        FactSpec("markers.CD19", "enum", "CD19 on the leukaemia cells", "markers.CD19", _PRESENCE),
        FactSpec("markers.CD20", "enum", "CD20 on the leukaemia cells", "markers.CD20", _PRESENCE),
        FactSpec("markers.CD22", "enum", "CD22 on the leukaemia cells", "markers.CD22", _PRESENCE),
        FactSpec(
            "fit_for_intensive_treatment", "bool", "Judged fit for intensive treatment",
            "fit_for_intensive_treatment",
        ),
        FactSpec(
            "state", "enum", "Disease status", "assessment",
            ("remission", "relapsed", "refractory", "untreated"),
        ),
        FactSpec("relapses", "number", "Number of relapses", "relapses"),
        FactSpec(
            "relapse_sites", "set", "Sites of relapse", "relapse_sites",
            ("bone-marrow", "cns", "testes", "other"),
        ),
        FactSpec(
            "extramedullary", "set", "Leukaemia found outside the marrow",
            "assessment.extramedullary", ("cns", "testes", "bone", "skin", "lymph-nodes", "other"),
        ),
        FactSpec(
            "cns_involved", "bool", "Leukaemia in the brain or spinal cord (CNS)",
            "assessment.extramedullary",
        ),
        FactSpec(
            "previous_transplant", "bool", "Has had a stem cell transplant", "previous_transplant"
        ),
        FactSpec(
            "transplant_eligible", "bool", "Eligible for an allogeneic stem cell transplant",
            "transplant_eligible",
        ),
        FactSpec("t315i", "enum", "BCR-ABL1 T315I mutation", "t315i", _PRESENCE),
        FactSpec(
            "mrd_percent", "number", "MRD level", "assessment.mrd_percent", unit="%",
        ),
        FactSpec(
            "donor", "enum", "Stem cell donor", "donor",
            ("sibling", "matched-unrelated", "cord-blood", "none"),
        ),
        FactSpec("symptoms", "set", "Symptoms", "symptoms", vocabulary="symptoms"),
        FactSpec(
            "relapse_symptoms_recorded", "bool", "Symptoms that can mark a relapse recorded",
            "symptoms",
        ),
        FactSpec(
            "wishes.active_treatment", "bool", "Wants anti-leukaemia treatment",
            "wishes.active_treatment",
        ),
        FactSpec(
            "wishes.clinical_trials", "bool", "Open to a clinical trial", "wishes.clinical_trials",
        ),
        FactSpec("region", "enum", "Region of care", "region", ("UK", "CA")),
        FactSpec(
            "months_since_last_treatment", "number", "Time since the last treatment ended",
            "treatments[].ended", unit="months",
        ),
        FactSpec(
            "remission_length_months", "number",
            "Time from the end of the treatment that brought the last remission to relapse",
            "treatments[].ended", unit="months",
        ),
        FactSpec(
            "months_from_last_treatment_to_relapse", "number",
            "Time from the end of the last treatment to the assessment that found the relapse",
            "treatments[].ended", unit="months",
        ),
        FactSpec(
            "drugs_received", "set", "Drugs given before", "treatments[].drugs",
            vocabulary="drugs",
        ),
        FactSpec(
            "last_treatment_drugs", "set", "Drugs in the most recent treatment",
            "treatments[].drugs", vocabulary="drugs",
        ),
        FactSpec(
            "targets_received", "set", "Targets of the drugs given before",
            "treatments[].drugs", ("CD19", "CD20", "CD22", "BCR-ABL1"),
        ),
        FactSpec(
            "kinds_received", "set", "Kinds of treatment given before", "treatments[].type",
            ("chemotherapy", "targeted", "immunotherapy", "car-t", "stem-cell-transplant",
             "radiotherapy", "other"),
        ),
        FactSpec(
            "unrecognised_drugs_given", "bool", "A drug in the history is not recognised",
            "treatments[].drugs",
        ),
        FactSpec(
            "failed_drugs", "set", "Drugs in treatments that did not work",
            "treatments[].response", vocabulary="drugs",
        ),
        FactSpec(
            "failed_kinds", "set", "Kinds of treatment that did not work",
            "treatments[].response",
            ("chemotherapy", "targeted", "immunotherapy", "car-t", "stem-cell-transplant",
             "radiotherapy", "other"),
        ),
        FactSpec(
            "best_response", "enum", "Best response so far", "treatments[].response", _RESPONSES,
        ),
        FactSpec(
            "last_response", "enum", "Response to the most recent treatment",
            "treatments[].response", _RESPONSES,
        ),
        FactSpec("mrd", "enum", "Measurable residual disease (MRD)", "assessment.mrd", _PRESENCE),
        FactSpec(
            "months_from_diagnosis_to_relapse", "number", "Time from diagnosis to relapse",
            "diagnosed", unit="months",
        ),
        FactSpec("age_at_diagnosis", "number", "Age at diagnosis", "diagnosed", unit="years"),
        FactSpec(
            "reinduction_response", "enum",
            "Response to the first treatment after the latest relapse",
            "treatments[].response", _RESPONSES,
        ),
        FactSpec(
            "reinduction_episode", "number",
            "The episode given first after the latest relapse", "treatments[].started",
        ),
        FactSpec(
            "assessment_age_days", "number", "Age of the latest assessment", "assessment.date",
            unit="days",
        ),
        FactSpec(
            "assessment_past_age_limit", "bool",
            "Latest assessment older than secondline's own limit", "assessment.date",
        ),
        FactSpec(
            "assessment_predates_latest_treatment", "bool",
            "Latest assessment older than the end of the most recent treatment",
            "assessment.date",
        ),
    )
}


def describe(spec: FactSpec, value: FactValue) -> str:
    """The fact and its value in plain words, e.g. 'CD19 on the leukaemia cells: positive'."""
    if value is None:
        return f"{spec.label}: not known"
    return f"{spec.label}: {format_value(spec, value)}"


def format_value(spec: FactSpec, value: FactValue) -> str:
    if value is None:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) if value else "none"
    if isinstance(value, float) and spec.unit == "%":
        return f"{value:g}%"
    if isinstance(value, float):
        text = f"{value:.1f}"
        return f"{text} {spec.unit}".strip()
    if isinstance(value, int):
        unit = spec.unit.removesuffix("s") if value == 1 else spec.unit
        return f"{value} {unit}".strip()
    return value
