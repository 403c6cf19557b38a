"""The case: what a team, a patient or a system tells secondline (contract section 1).

Unknown keys are refused so that a misspelt field can never silently drop a fact.
Cross-field checks (dates in order, nothing after ``as_of``) live here too, because
they are about the case being coherent, not about medicine.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Disease = Literal["B-ALL", "T-ALL", "HCL"]
Presence = Literal["positive", "negative", "unknown"]
TreatmentType = Literal[
    "chemotherapy",
    "targeted",
    "immunotherapy",
    "car-t",
    "stem-cell-transplant",
    "radiotherapy",
    "other",
]
Response = Literal["complete-remission", "partial-remission", "no-response", "unknown"]
RelapseSite = Literal["bone-marrow", "cns", "testes", "other"]
ExtramedullarySite = Literal["cns", "testes", "bone", "skin", "lymph-nodes", "other"]
Donor = Literal["sibling", "matched-unrelated", "cord-blood", "none", "unknown"]
MrdMethod = Literal["flow-cytometry", "pcr"]
Region = Literal["UK", "CA"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Markers(_Strict):
    """Surface proteins on the leukaemia cells; a marker left out is ``unknown``."""

    CD19: Presence = "unknown"
    CD20: Presence = "unknown"
    CD22: Presence = "unknown"


class Treatment(_Strict):
    """One earlier treatment, as the team records it."""

    drugs: list[str] = Field(default_factory=list)
    type: TreatmentType = "other"
    started: dt.date | None = None
    ended: dt.date | None = None
    response: Response = "unknown"

    @model_validator(mode="after")
    def _ended_after_started(self) -> Treatment:
        if self.started and self.ended and self.ended < self.started:
            raise ValueError("ended: before started")
        return self


class Assessment(_Strict):
    """The latest disease assessment (marrow, blood, sites outside the marrow, MRD)."""

    date: dt.date | None = None
    marrow_blasts_percent: float | None = Field(default=None, ge=0, le=100)
    blood_counts_normal: bool | None = None
    extramedullary: list[ExtramedullarySite] | None = None
    mrd: Presence = "unknown"
    mrd_method: MrdMethod | None = None


class Wishes(_Strict):
    """What the person wants; both default to ``true``."""

    active_treatment: bool = True
    clinical_trials: bool = True


class Case(_Strict):
    """A case as described in the contract, section 1."""

    id: str | None = None
    age: int = Field(ge=0, le=120)
    disease: Disease
    diagnosed: dt.date | None = None
    philadelphia: Presence = "unknown"
    markers: Markers = Field(default_factory=Markers)
    fit_for_intensive_treatment: bool | None = None
    treatments: list[Treatment] = Field(default_factory=list)
    assessment: Assessment | None = None
    relapses: int | None = Field(default=None, ge=0)
    relapse_sites: list[RelapseSite] = Field(default_factory=list)
    previous_transplant: bool | None = None
    donor: Donor = "unknown"
    symptoms: list[str] = Field(default_factory=list)
    wishes: Wishes = Field(default_factory=Wishes)
    region: Region | None = None
    as_of: dt.date | None = None

    @model_validator(mode="after")
    def _dates_not_after_as_of(self) -> Case:
        if self.as_of is None:
            return self
        problems: list[str] = []
        if self.diagnosed and self.diagnosed > self.as_of:
            problems.append("diagnosed: after as_of")
        for i, treatment in enumerate(self.treatments):
            for name in ("started", "ended"):
                value = getattr(treatment, name)
                if value and value > self.as_of:
                    problems.append(f"treatments[{i}].{name}: after as_of")
        if self.assessment and self.assessment.date and self.assessment.date > self.as_of:
            problems.append("assessment.date: after as_of")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def judged_on(self) -> dt.date:
        """The date the case is judged at: ``as_of``, or today."""
        return self.as_of or dt.date.today()
