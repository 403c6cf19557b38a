"""The case: what a team, a patient or a system tells secondline (contract section 1).

Unknown keys are refused so that a misspelt field can never silently drop a fact.
Cross-field checks (dates in order, nothing after ``as_of``) live here too, because
they are about the case being coherent, not about medicine.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

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


def _whole(value: object) -> object:
    """13.0 is the whole number 13 however it is written; 13.5 is not whole."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# Strict: YAML's `yes` must not become age 1, nor `true` a blast count of 1 %.
Whole = Annotated[int, BeforeValidator(_whole), Strict()]
Number = Annotated[float, Strict()]
YesNo = Annotated[bool, Strict()]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Bounds on what one case may hold. None is a clinical limit: each is far above what a
# real history reaches (a first treatment is a handful of phases, each relapse adds a few
# courses; a regimen names a dozen drugs), and together they bound the work one request
# can cause, whatever it sends.
#: treatments in the history
MAX_TREATMENTS = 200
#: drug names in one treatment
MAX_DRUGS = 30
#: symptoms recorded
MAX_SYMPTOMS = 50
#: characters in a reference, a drug name or a symptom
MAX_TEXT = 200
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


def _iso_day(value: object) -> object:
    """Only a calendar date or ISO text (2025-03-02): a number is not read as a date."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("must be a date written YYYY-MM-DD")


#: Dates a case can hold. Not medicine: calendar arithmetic (months between dates, two
#: years back) must stay inside what a date can be, and no real case falls outside.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _in_range(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be between {FIRST_DAY} and {LAST_DAY}")
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_day), AfterValidator(_in_range)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Markers(_Strict):
    """Surface proteins on the leukaemia cells; a marker left out is ``unknown``."""

    CD19: Presence = Field("unknown", description="CD19 on the leukaemia cells")
    CD20: Presence = Field("unknown", description="CD20 on the leukaemia cells")
    CD22: Presence = Field("unknown", description="CD22 on the leukaemia cells")


class Treatment(_Strict):
    """One earlier treatment, as the team records it."""

    drugs: list[Text] = Field(
        default_factory=list, max_length=MAX_DRUGS,
        description="drug, brand or regimen names, any case (Blincyto = blinatumomab); "
        "empty for a transplant or radiotherapy",
    )
    type: TreatmentType = "other"
    started: Day | None = None
    ended: Day | None = None
    response: Response = Field("unknown", description="the best response to this treatment")

    @model_validator(mode="after")
    def _ended_after_started(self) -> Treatment:
        if self.started and self.ended and self.ended < self.started:
            raise ValueError("ended: before started")
        return self


class Assessment(_Strict):
    """The latest disease assessment (marrow, blood, sites outside the marrow, MRD)."""

    date: Day | None = None
    marrow_blasts_percent: Number | None = Field(default=None, ge=0, le=100)
    blood_counts_normal: YesNo | None = None
    extramedullary: list[ExtramedullarySite] | None = Field(
        default=None, max_length=len(get_args(ExtramedullarySite)),
        description="sites where leukaemia is found outside the marrow; [] = none found, "
        "absent = not assessed",
    )
    mrd: Presence = Field("unknown", description="measurable residual disease")
    mrd_method: MrdMethod | None = None
    mrd_percent: Number | None = Field(
        default=None, ge=0, le=100,
        description="the MRD level as a percentage of cells, where measured; used only by "
        "the current-guidance layer",
    )


class Wishes(_Strict):
    """What the person wants; both default to ``true``."""

    active_treatment: YesNo = Field(
        True, description="false: the person has decided not to have anti-leukaemia treatment"
    )
    clinical_trials: YesNo = Field(True, description="open to taking part in a clinical trial")


class Case(_Strict):
    """A case as described in the contract, section 1."""

    # Declared first so that the date checks below can see it.
    as_of: Day | None = Field(None, description="the date the case is judged at; today")
    id: Text | None = Field(None, description="the case's own reference (MDT list number)")
    age: Whole = Field(ge=0, le=120, description="age in years today")
    disease: Disease
    diagnosed: Day | None = Field(None, description="date of first diagnosis")
    philadelphia: Presence = Field("unknown", description="Philadelphia chromosome / BCR-ABL1")
    markers: Markers = Field(default_factory=Markers)
    fit_for_intensive_treatment: YesNo | None = Field(
        None, description="the team's view of general health and fitness; null = not judged"
    )
    treatments: list[Treatment] = Field(
        default_factory=list, max_length=MAX_TREATMENTS,
        description="earlier treatments, in any order",
    )
    assessment: Assessment | None = Field(None, description="the latest disease assessment")
    relapses: Whole | None = Field(
        default=None, ge=0, description="relapses so far, this one included"
    )
    relapse_sites: list[RelapseSite] | None = Field(
        None, max_length=len(get_args(RelapseSite)),
        description="where the disease has come back; absent = not recorded",
    )
    previous_transplant: YesNo | None = None
    transplant_eligible: YesNo | None = Field(
        None, description="eligible for an allogeneic stem cell transplant, in the team's view; "
        "null = not judged; used only by the current-guidance layer",
    )
    t315i: Presence = Field(
        "unknown", description="BCR-ABL1 T315I mutation (ABL1 kinase domain); used only by "
        "the current-guidance layer",
    )
    donor: Donor = Field("unknown", description="stem cell donor found so far")
    symptoms: list[Text] = Field(
        default_factory=list, max_length=MAX_SYMPTOMS, description="e.g. bone-pain, fever"
    )
    wishes: Wishes = Field(default_factory=Wishes)
    region: Region | None = Field(None, description="where care is given")

    # Field by field rather than on the whole case, so that a date after as_of is
    # reported together with every other problem, not only once the rest is valid.
    @field_validator("diagnosed")
    @classmethod
    def _diagnosed_by_as_of(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        as_of = info.data.get("as_of")
        if value and as_of and value > as_of:
            raise ValueError("after as_of")
        return value

    @field_validator("treatments")
    @classmethod
    def _treatments_by_as_of(cls, value: list[Treatment], info: ValidationInfo) -> list[Treatment]:
        as_of, diagnosed = info.data.get("as_of"), info.data.get("diagnosed")
        problems = []
        for i, treatment in enumerate(value):
            for name in ("started", "ended"):
                when = getattr(treatment, name)
                if when and as_of and when > as_of:
                    problems.append(f"[{i}].{name}: after as_of")
                elif when and diagnosed and when < diagnosed:
                    problems.append(f"[{i}].{name}: before diagnosed")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("assessment")
    @classmethod
    def _assessment_by_as_of(
        cls, value: Assessment | None, info: ValidationInfo
    ) -> Assessment | None:
        as_of, diagnosed = info.data.get("as_of"), info.data.get("diagnosed")
        if value and value.date and as_of and value.date > as_of:
            raise ValueError("date: after as_of")
        if value and value.date and diagnosed and value.date < diagnosed:
            raise ValueError("date: before diagnosed")
        return value

    def judged_on(self) -> dt.date:
        """The date the case is judged at: ``as_of``, or today."""
        return self.as_of or dt.date.today()
