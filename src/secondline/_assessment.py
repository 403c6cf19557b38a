"""The assessment: what secondline answers (contract section 3, plus additive fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from secondline._case import Response, TreatmentType
from secondline._schema import Category, Citation

DISCLAIMER = (
    "secondline lists options that the cited patient-information sources describe, for a "
    "person and their team to discuss. It does not prescribe, gives no doses, and supports "
    "but never replaces the judgement of the treating team."
)


Line = Literal["first-line", "later-line"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


_O = TypeVar("_O", bound=_Out)
_new = object.__new__
_set = object.__setattr__


def built(model: type[_O], /, **fields: Any) -> _O:
    """An output model from values the engine has already made to fit its fields.

    This is ``model_construct``: no validation, because every value comes from a valid
    case and a checked knowledge base. pydantic's own ``model_construct`` walks every
    field in Python to fill in defaults (these models have none), which costs more than
    validating; an assessment builds some thirty of these. Every field must be given, with
    the declared type (a list, not a tuple): ``tests/test_startup.py`` validates built
    assessments strictly, field by field, and compares them and their JSON.
    """
    obj = _new(model)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


class RemissionOut(_Out):
    blood_counts_normal: bool | None
    marrow_blasts_below_5_percent: bool | None
    no_extramedullary_disease: bool | None
    in_remission: bool | None


class StatusOut(_Out):
    state: Literal["remission", "relapsed", "refractory", "untreated", "unknown"]
    remission: RemissionOut
    mrd: Literal["positive", "negative", "unknown"]
    mrd_method: Literal["flow-cytometry", "pcr"] | None
    months_since_last_treatment: float | None
    remission_length_months: float | None
    #: from the end of the last treatment to the assessment that found the relapse
    months_from_last_treatment_to_relapse: float | None
    #: the latest assessment the status rests on, and how old it is on ``as_of``
    assessment_date: dt.date | None
    assessment_age_days: int | None
    relapses: int | None
    relapse_sites: list[str]
    reasons: list[str]
    sources: list[Citation]


class DrugOut(_Out):
    id: str
    name: str
    atc: str


class TreatmentOut(_Out):
    """An earlier treatment as secondline understood it, oldest first."""

    drugs: list[str]
    #: the drug ids each name was recognised as; names not recognised are left out
    drug_ids: list[str]
    type: TreatmentType
    started: dt.date | None
    ended: dt.date | None
    response: Response
    #: treatments that overlap in time share an episode number (1 = the first)
    episode: int | None
    #: no-response: it did not work; came-back: the leukaemia came back while it was given
    failed: Literal["no-response", "came-back"] | None


class OptionOut(_Out):
    id: str
    name: str
    category: Category
    availability: Literal["standard", "clinical-trial"]
    line: Line
    summary: str
    how_given: str | None
    drugs: list[DrugOut]
    reasons: list[str]
    sources: list[Citation]
    #: the step of the plan it belongs to (``plan[].step``)
    step: str


class PlanStepOut(_Out):
    """One step of the plan: the suggested options it holds, in the order to show them."""

    step: str
    title: str
    about: str
    #: one: the options are alternatives, one of which is chosen; null otherwise
    choose: Literal["one"] | None
    options: list[str]
    #: preference: the pages prefer the options listed first (``order_reasons`` says how);
    #: not-a-ranking: the knowledge's own order, which the pages do not rank
    order: Literal["preference", "not-a-ranking"]
    order_reasons: list[str]
    sources: list[Citation]


class NotSuggestedOut(_Out):
    id: str
    name: str
    #: excluded: a source rules it out here; not-indicated: its conditions are not met;
    #: undecided: a fact it needs is not known
    outcome: Literal["excluded", "not-indicated", "undecided"]
    reasons: list[str]
    sources: list[Citation]
    #: the holds that left it undecided although its conditions are met (failed-treatment,
    #: not-fit-for-intensive, or the option's own); empty otherwise
    held_by: list[str]


class MissingOut(_Out):
    field: str
    affects: list[str]
    why: str


class PrognosticOut(_Out):
    id: str
    label: str
    value: str
    note: str
    sources: list[Citation]


class RuleTextOut(_Out):
    """What a shared rule says about this case: a gap in the sources, or a caution."""

    id: str
    text: str
    sources: list[Citation]


class SourceOut(_Out):
    id: str
    title: str
    publisher: str
    #: the page's confirmed public address; null when none could be confirmed (no link)
    url: str | None
    last_reviewed: dt.date | None
    next_review_due: dt.date | None
    review_overdue: bool | None


class GuidanceItemOut(_Out):
    """One item of the current-guidance layer that applies to the case."""

    id: str
    publisher: str
    reference: str
    title: str
    url: str
    section: str
    region: Literal["UK", "CA"]
    nation: str | None
    funding: str
    published: dt.date | None
    last_updated: dt.date | None
    #: when the publisher's page was read, and secondline's date to read it again
    checked: dt.date
    review_by: dt.date
    review_overdue: bool
    effect: Literal["narrows", "widens", "adds", "withdrawn", "noted"]
    #: supports / narrows / undecided an option of the pages; widens: one they do not offer
    outcome: Literal["supports", "narrows", "undecided", "widens", "withdrawn", "noted"]
    option: str | None
    option_name: str | None
    text: str
    reasons: list[str]
    plain: str


class GuidanceOut(_Out):
    """The opt-in layer of guidance newer than the pages, kept apart from their answer."""

    layer: Literal["current"]
    items: list[GuidanceItemOut]
    #: facts the layer needs that are not known (the pages' own are under ``missing``)
    missing: list[MissingOut]
    #: items past secondline's date to check them again
    warnings: list[str]


class Assessment(_Out):
    case_id: str | None
    disease: Literal["B-ALL", "T-ALL", "HCL"]
    as_of: dt.date
    line: Line
    #: one plain sentence (at most 300 characters): the state, key facts, the main choices
    summary: str
    status: StatusOut
    #: the suggested options as steps, in the order the pages describe; each option once
    plan: list[PlanStepOut]
    treatments: list[TreatmentOut]
    options: list[OptionOut]
    not_suggested: list[NotSuggestedOut]
    missing: list[MissingOut]
    prognostic_factors: list[PrognosticOut]
    #: figures for groups of people that set the outlook in context; never a prediction
    prognostic_context: list[RuleTextOut]
    gaps: list[RuleTextOut]
    #: things for the team to look at; their texts are also among the warnings
    cautions: list[RuleTextOut]
    warnings: list[str]
    sources: list[SourceOut]
    disclaimer: str
    #: only with ``guidance="current"``; left out of the JSON otherwise
    guidance: GuidanceOut | None = None


def assessment_json(result: Assessment) -> str:
    """The assessment as JSON text, exactly as the CLI prints it and the API returns it."""
    exclude = {"guidance"} if result.guidance is None else None
    return result.model_dump_json(indent=2, exclude=exclude) + "\n"
