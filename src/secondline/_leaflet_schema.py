"""The shape of leaflet.yaml, the patient leaflet's words, validated when it loads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from secondline._case import Disease, Region
from secondline._schema import Citation, _Strict

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
    latest_results: str
    no_results_date: str
    read_first: str
    #: the first heading when the person has declined treatment of the leukaemia
    your_choice: str
    your_leukaemia: str
    options: str
    trial_options: str
    trial_badge: str
    what_happens: str
    words: str
    #: the section on guidance newer than the pages (only when that layer is asked for)
    newer: str
    newer_intro: str
    newer_none: str
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
