"""The shapes of the knowledge files, validated by pydantic when they load."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from secondline._case import Disease, TreatmentType
from secondline._conditions import Condition

Category = Literal[
    "chemotherapy",
    "immunotherapy",
    "car-t",
    "targeted",
    "stem-cell-transplant",
    "radiotherapy",
    "cns-directed",
    "supportive",
    "clinical-trial",
    "symptom-control",
]
Outcome = Literal["suggested", "clinical-trial", "excluded", "not-indicated", "undecided"]


class _Strict(BaseModel):
    # defer_build: the validators are built on the first validation, so a process that
    # loads the knowledge from its cache never pays for building them
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Citation(_Strict):
    """A source id from sources.yaml and a section heading on that page.

    ``diseases`` limits a citation to cases of those diseases (an option shared by ALL
    and HCL cites each disease's own page).
    """

    source: str
    section: str
    diseases: tuple[Disease, ...] | None = Field(default=None, exclude=True)


class Source(_Strict):
    id: str
    publisher: str
    title: str
    #: the page's public address, confirmed from a stored copy of the publisher's public
    #: page; None when no public address could be confirmed (then no link is shown)
    url: str | None
    #: the address printed on the copy used, kept as provenance even when it is not public
    printed_url: str | None = None
    #: when the public address was confirmed, and how
    url_checked: dt.date | None = None
    url_evidence: str | None = None
    #: as printed on the page; None where the page gives none
    last_reviewed: dt.date | None
    next_review_due: dt.date | None
    region: Literal["UK", "CA"]
    helpline: str | None = None
    note: str | None = None
    sections: list[str] = Field(min_length=1)


class SourcesFile(_Strict):
    format: Literal[1]
    sources: list[Source]


Target = Literal["CD19", "CD20", "CD22", "BCR-ABL1"]


class AtcReference(_Strict):
    """Where an ATC code was checked: a published ATC index or a regulator's page."""

    url: str
    checked: dt.date
    #: what the page shows, in a few words
    shows: str


class Drug(_Strict):
    id: str
    name: str
    brands: list[str] = Field(default_factory=list)
    also_called: list[str] = Field(default_factory=list)
    drug_class: str = Field(alias="class")
    atc: str = Field(pattern=r"^[A-Z]\d\d[A-Z][A-Z](\d\d)?$")
    targets: list[Target] = Field(default_factory=list)
    #: a kind of treatment this drug is, beyond its class (a CAR T-cell product is car-t),
    #: so that a failed product is recognised as a failed treatment of that kind
    kind: TreatmentType | None = None
    #: False: listed only so that treatment histories are understood; no page names it
    named_by_sources: bool = True
    #: where the pages name the drug (or, for a steroid, its class); empty when not named
    sources: list[Citation] = Field(default_factory=list)
    atc_reference: AtcReference | None = None


class Regimen(_Strict):
    id: str
    names: list[str] = Field(min_length=1)
    drugs: list[str] = Field(min_length=1)
    sources: list[Citation] = Field(min_length=1)


class DrugsFile(_Strict):
    format: Literal[1]
    drugs: list[Drug]
    regimens: list[Regimen] = Field(default_factory=list)


class Symptom(_Strict):
    """A symptom a case may record, with the other ways people write it."""

    id: str
    name: str
    also_called: list[str] = Field(default_factory=list)
    #: the sources list it among the signs that ALL may have come back
    sign_of_relapse: bool
    #: False: listed only so that records are understood; no page names it, no rule uses it
    named_by_sources: bool = True
    sources: list[Citation] = Field(default_factory=list)


class SymptomsFile(_Strict):
    format: Literal[1]
    symptoms: list[Symptom] = Field(min_length=1)


class Setting(_Strict):
    """A value secondline chooses for itself where the sources give none."""

    value: float
    unit: str
    why: str


class SettingsFile(_Strict):
    """secondline's own settings: not medicine from the sources, and never shown as such."""

    format: Literal[1]
    assessment_max_age_days: Setting


class Note(_Strict):
    """Words added to an option's reasons when ``when`` holds (always, if no ``when``)."""

    when: Condition | None = None
    text: str
    sources: list[Citation] = Field(min_length=1)


class RuleCase(_Strict):
    """A worked example for a shared rule: does the rule apply to this case?"""

    name: str
    case: dict[str, Any]
    applies: bool


class Exclusion(_Strict):
    """A reason an option is not suggested, with the page that says so."""

    when: Condition
    reason: str
    sources: list[Citation] = Field(min_length=1)


class Hold(Exclusion):
    """A reason an option that would otherwise be suggested is left for the team to decide."""

    id: str


class Intensive(_Strict):
    """Why the pages describe an option as intensive treatment."""

    reason: str
    sources: list[Citation] = Field(min_length=1)


class SameTreatment(_Strict):
    """How an earlier treatment is recognised as this option, so that one that failed is
    not suggested again as if it had not (by drug; by kind for a transplant or CAR-T)."""

    drugs: list[str] = Field(default_factory=list)
    #: any: one of the drugs is enough; all: every drug, in the same episode (a regimen)
    match: Literal["any", "all"] = "any"
    kinds: list[TreatmentType] = Field(default_factory=list)
    #: given before without failing: hold the option for the team (the sources describe no
    #: repeat), or only say so among its reasons (when the history cannot tell this option
    #: from another use of the drug, such as methotrexate by mouth or into a vein)
    given_before: Literal["hold", "note"] = "hold"
    #: a source sentence that allows giving it again; never lifts the hold on a failure
    allowed_when: Hold | None = None
    #: said with the reasons when an earlier treatment holds the option back
    notes: list[Note] = Field(default_factory=list)


class Need(_Strict):
    """A fact to report as missing when unknown, only while ``when`` holds."""

    fact: str
    when: Condition


class ExampleCase(_Strict):
    """A worked example kept beside the rule and run by pytest."""

    name: str
    case: dict[str, Any]
    expect: Outcome
    reason_includes: str | None = None


class StepRef(_Strict):
    """The step of the plan (plan.yaml) an option belongs to, and the page that puts it there."""

    id: str
    sources: list[Citation] = Field(min_length=1)


class Option(_Strict):
    id: str
    name: str
    category: Category
    diseases: list[Disease] = Field(min_length=1)
    #: other diseases for which it is listed as not suggested, with the reason
    explain_for: list[Disease] = Field(default_factory=list)
    summary: str
    how_given: str | None = None
    drugs: list[str] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    anti_leukaemia: bool
    #: clinical-trial: only ever within a trial; trial_only_when can also make it so
    availability: Literal["standard", "clinical-trial"] = "standard"
    rank: int
    #: its step in the plan
    step: StepRef
    suggest_when: Condition
    trial_only_when: Condition | None = None
    not_when: list[Exclusion] = Field(default_factory=list)
    #: when one holds, the option is not suggested but left undecided, with its reason
    undecided_when: list[Hold] = Field(default_factory=list)
    #: set when the pages describe the option as intensive treatment
    intensive: Intensive | None = None
    #: how an earlier treatment counts as this option (for treatments that failed)
    same_treatment: SameTreatment | None = None
    #: facts reported under `missing` when unknown (the option's own conditions count too)
    needs: list[str | Need] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    sources: list[Citation] = Field(min_length=1)
    cases: list[ExampleCase] = Field(default_factory=list)


class GlobalExclusion(Exclusion):
    """An exclusion that applies to every option with ``anti_leukaemia`` set as given."""

    id: str
    anti_leukaemia: bool
    #: the diseases it applies to; all when left out
    diseases: list[Disease] | None = None
    cases: list[RuleCase] = Field(default_factory=list)


class Gap(_Strict):
    """A place where the sources are silent, said aloud when ``when`` holds."""

    id: str
    when: Condition
    text: str
    sources: list[Citation] = Field(min_length=1)
    cases: list[RuleCase] = Field(default_factory=list)


class Caution(Gap):
    """Something the team should look at, said as a warning when ``when`` holds."""


class PrognosticFactor(_Strict):
    id: str
    label: str
    fact: str
    diseases: list[Disease] = Field(min_length=1)
    when: Condition | None = None
    note: str
    sources: list[Citation] = Field(min_length=1)
    cases: list[RuleCase] = Field(default_factory=list)


class RemissionCriteria(_Strict):
    marrow_blasts_below_percent: float = Field(gt=0, le=100)
    sources: list[Citation] = Field(min_length=1)


class Definitions(_Strict):
    """What remission, relapse and refractory mean, with where the sources say so."""

    format: Literal[1]
    remission: RemissionCriteria
    relapsed: list[Citation] = Field(min_length=1)
    refractory: list[Citation] = Field(min_length=1)
    mrd: list[Citation] = Field(min_length=1)


class FailedTreatment(_Strict):
    """What is said when an option would repeat a treatment that failed.

    ``text`` names the episodes through ``{episodes}``; each episode is said with
    ``no_response`` or ``came_back`` (``{relapse}`` is the date it came back).
    """

    id: str
    text: str
    #: said among the reasons of a suggested regimen when only part of it failed before
    partly: str
    partly_sources: list[Citation] = Field(min_length=1)
    no_response: str
    came_back: str
    came_back_no_end: str
    sources: list[Citation] = Field(min_length=1)
    cases: list[RuleCase] = Field(default_factory=list)


class GivenBefore(_Strict):
    """What is said when an option would repeat a treatment given before that did not fail.

    ``{episodes}`` names them; each is said with ``response`` (``{response}`` in words).
    """

    id: str
    text: str
    #: said among the reasons instead, for an option whose file says given_before: note
    note: str
    response: str
    sources: list[Citation] = Field(min_length=1)
    cases: list[RuleCase] = Field(default_factory=list)


class NotFitHold(_Strict):
    """Intensive options when the team has judged the person not fit for intensive treatment."""

    id: str
    when: Condition
    reason: str
    closing: str
    sources: list[Citation] = Field(min_length=1)
    cases: list[RuleCase] = Field(default_factory=list)


class SharedHolds(_Strict):
    failed_treatment: FailedTreatment
    given_before: GivenBefore
    not_fit_for_intensive: NotFitHold


class RulesFile(_Strict):
    format: Literal[1]
    exclusions: list[GlobalExclusion] = Field(default_factory=list)
    holds: SharedHolds
    gaps: list[Gap] = Field(default_factory=list)
    cautions: list[Caution] = Field(default_factory=list)
    prognostic_factors: list[PrognosticFactor] = Field(default_factory=list)
    #: figures for groups of people that set the outlook in context (never a prediction)
    prognostic_context: list[Gap] = Field(default_factory=list)
