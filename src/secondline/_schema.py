"""The shapes of the knowledge files, validated by pydantic when they load."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from secondline._case import Disease, Region
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
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    url: str
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


class Drug(_Strict):
    id: str
    name: str
    brands: list[str] = Field(default_factory=list)
    also_called: list[str] = Field(default_factory=list)
    drug_class: str = Field(alias="class")
    atc: str = Field(pattern=r"^[A-Z]\d\d[A-Z][A-Z](\d\d)?$")
    targets: list[Literal["CD19", "CD20", "CD22", "BCR-ABL1"]] = Field(default_factory=list)
    sources: list[Citation] = Field(min_length=1)


class Regimen(_Strict):
    id: str
    names: list[str] = Field(min_length=1)
    drugs: list[str] = Field(min_length=1)
    sources: list[Citation] = Field(min_length=1)


class DrugsFile(_Strict):
    format: Literal[1]
    drugs: list[Drug]
    regimens: list[Regimen] = Field(default_factory=list)


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
    targets: list[Literal["CD19", "CD20", "CD22", "BCR-ABL1"]] = Field(default_factory=list)
    anti_leukaemia: bool
    #: clinical-trial: only ever within a trial; trial_only_when can also make it so
    availability: Literal["standard", "clinical-trial"] = "standard"
    rank: int
    suggest_when: Condition
    trial_only_when: Condition | None = None
    not_when: list[Exclusion] = Field(default_factory=list)
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


class RulesFile(_Strict):
    format: Literal[1]
    exclusions: list[GlobalExclusion] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    cautions: list[Caution] = Field(default_factory=list)
    prognostic_factors: list[PrognosticFactor] = Field(default_factory=list)


# --- the patient leaflet (leaflet.yaml) ----------------------------------------------------

State = Literal["remission", "relapsed", "refractory", "untreated", "unknown"]


class Passage(_Strict):
    """Patient words shown when the case matches every filter given; each cites its facts."""

    text: str
    diseases: list[Disease] | None = None
    states: list[State] | None = None
    regions: list[Region] | None = None
    mrd: list[Literal["positive", "negative", "unknown"]] | None = None
    #: treatment: the person wants anti-leukaemia treatment; declined: they do not
    audience: Literal["any", "treatment", "declined"] = "any"
    sources: list[Citation] = Field(min_length=1)


class LeafletOption(_Strict):
    """An option in plain words: what it is, and what happens as far as the sources say."""

    description: str
    what_happens: str
    sources: list[Citation] = Field(min_length=1)


class Helpline(_Strict):
    """A helpline recorded in sources.yaml (under ``source``), with words on what it offers."""

    source: str
    text: str
    sources: list[Citation] = Field(min_length=1)


class LeafletLabels(_Strict):
    """Headings and labels: words that state no fact, so they cite nothing."""

    title: str
    reference: str
    based_on: str
    read_first: str
    your_leukaemia: str
    options: str
    trial_options: str
    trial_badge: str
    what_happens: str
    words: str
    remission: str
    mrd: str
    questions: str
    support: str
    sources: str
    sources_intro: str
    last_reviewed: str
    next_review_due: str
    not_given: str
    overdue: str
    in_date: str
    no_review_date: str


class LeafletFile(_Strict):
    """The patient leaflet's words, in the order the leaflet shows them."""

    format: Literal[1]
    labels: LeafletLabels
    disease_names: dict[Disease, str]
    disclaimer: list[Passage] = Field(min_length=1)
    about: list[Passage] = Field(min_length=1)
    states: list[Passage] = Field(min_length=1)
    declined: list[Passage] = Field(min_length=1)
    options_intro: list[Passage] = Field(min_length=1)
    trial_intro: list[Passage] = Field(min_length=1)
    no_options: list[Passage] = Field(min_length=1)
    options: dict[str, LeafletOption]
    remission: list[Passage] = Field(min_length=1)
    mrd: list[Passage] = Field(min_length=1)
    questions_intro: list[Passage] = Field(min_length=1)
    questions: list[Passage] = Field(min_length=1)
    support: list[Passage] = Field(min_length=1)
    helplines: list[Helpline] = Field(min_length=1)
