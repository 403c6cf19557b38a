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
    #: for set facts whose members are drug ids, checked against drugs.yaml
    drug_set: bool = False

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
            "donor", "enum", "Stem cell donor", "donor",
            ("sibling", "matched-unrelated", "cord-blood", "none"),
        ),
        FactSpec("symptoms", "set", "Symptoms", "symptoms"),
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
            "drugs_received", "set", "Drugs given before", "treatments[].drugs", drug_set=True,
        ),
        FactSpec(
            "last_treatment_drugs", "set", "Drugs in the most recent treatment",
            "treatments[].drugs", drug_set=True,
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
            "reinduction_response", "enum", "Response to treatment given after the first relapse",
            "treatments[].response", _RESPONSES,
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
    if isinstance(value, float):
        text = f"{value:.1f}"
        return f"{text} {spec.unit}".strip()
    if isinstance(value, int):
        return f"{value} {spec.unit}".strip()
    return value
