"""CDS Hooks 2.0 shapes as pydantic models, with the specification's own rules.

The rules are those of the specification's text (HL7/cds-hooks tag v2.0.1,
``input/pagecontent/index.md``) and its machine-checkable invariants (the 3.0 ballot's
``input/fsh/invariants``):

* a card's ``summary`` is under 140 characters; ``indicator`` is info, warning or
  critical; ``source`` (with a ``label``) is required;
* cds-resp-1: with ``selectionBehavior: at-most-one``, at most one suggestion is
  recommended; cds-resp-6: suggestions need a ``selectionBehavior``;
* cds-resp-2: a ``delete`` action names a ``resourceId`` and no resource; a ``create``
  holds its resource; cds-resp-5: every action has a ``description``;
* cds-resp-3: ``appContext`` only on ``smart`` links; cds-resp-4: override reasons
  have a ``display``;
* cds-r-1: ``fhirAuthorization`` needs ``fhirServer``;
* cds-fb-1..3: feedback is accepted or overridden; accepted names the suggestions; an
  override reason holds a reason, a comment or both.

What secondline sends is built with these models (so it cannot break a rule); what it
receives is read with them (so a broken request is refused by field, never a 500).
Inbound models ignore fields they do not know (the specification reserves
``extension``); outbound ones forbid them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: a FHIR id (the patient's, an encounter's)
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"
MAX_SUMMARY = 139  # "<140 characters"
MAX_TEXT = 2000


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- the request --------------------------------------------------------------------------


class FhirAuthorization(_In):
    access_token: str = Field(min_length=1, max_length=8192)
    token_type: Literal["Bearer", "bearer"]
    expires_in: int = Field(ge=0)
    scope: str = Field(max_length=4096)
    subject: str = Field(max_length=200)
    patient: str | None = Field(None, max_length=64)


class PatientViewContext(_In):
    userId: str = Field(pattern=r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/"
                        r"[A-Za-z0-9\-.]{1,64}$")
    patientId: str = Field(pattern=FHIR_ID)
    encounterId: str | None = Field(None, pattern=FHIR_ID)


class HookRequest(_In):
    hook: str = Field(max_length=100)
    hookInstance: str = Field(min_length=1, max_length=100)
    fhirServer: str | None = Field(None, max_length=500, pattern=r"^https?://[^\s]+$")
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _r1(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given, so fhirServer is required (cds-r-1)")
        return self


# -- the response -------------------------------------------------------------------------


class Coding(_Out):
    system: str | None = None
    code: str = Field(min_length=1)
    display: str | None = None


class OverrideReason(Coding):
    display: str = Field(min_length=1)  # cds-resp-4


class Source(_Out):
    label: str = Field(min_length=1)
    url: str | None = Field(None, pattern=r"^https?://")
    icon: str | None = Field(None, pattern=r"^https?://")
    topic: Coding | None = None


class Action(_Out):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)  # cds-resp-5
    resource: dict[str, Any] | None = None
    resourceId: str | list[str] | None = None

    @model_validator(mode="after")
    def _r2(self) -> Action:
        if self.type == "delete" and (self.resourceId is None or self.resource is not None):
            raise ValueError("a delete action names a resourceId and no resource (cds-resp-2)")
        if self.type in ("create", "update") and self.resource is None:
            raise ValueError(f"a {self.type} action holds the resource")
        return self


class Suggestion(_Out):
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Out):
    label: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None

    @model_validator(mode="after")
    def _r3(self) -> Link:
        if self.appContext is not None and self.type != "smart":
            raise ValueError("appContext is only for smart links (cds-resp-3)")
        return self


class Card(_Out):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[OverrideReason] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _r1_r6(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("suggestions need a selectionBehavior (cds-resp-6)")
        if self.selectionBehavior == "at-most-one" and sum(
                1 for s in self.suggestions or [] if s.isRecommended) > 1:
            raise ValueError("at-most-one: at most one suggestion is recommended (cds-resp-1)")
        return self


class CardsResponse(_Out):
    cards: list[Card]
    systemActions: list[Action] | None = None


# -- discovery ----------------------------------------------------------------------------


class Service(_Out):
    hook: str
    title: str | None = None
    description: str
    id: str = Field(pattern=r"^[A-Za-z0-9\-._~]{1,64}$")
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None
    #: 3.0: the CDS Hooks specification version the service implements; the hook's version
    version: str | None = None
    hookVersion: str | None = None
    extension: dict[str, Any] | None = None


class Discovery(_Out):
    services: list[Service]


# -- feedback -----------------------------------------------------------------------------


class AcceptedSuggestion(_In):
    id: str = Field(min_length=1, max_length=100)


class FeedbackCoding(_In):
    system: str | None = Field(None, max_length=200)
    code: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._\-]+$")
    display: str | None = Field(None, max_length=200)


class OverrideReasonGiven(_In):
    reason: FeedbackCoding | None = None
    userComment: str | None = Field(None, max_length=MAX_TEXT)

    @model_validator(mode="after")
    def _fb3(self) -> OverrideReasonGiven:
        if self.reason is None and not self.userComment:
            raise ValueError("an overrideReason holds a reason, a userComment or both "
                             "(cds-fb-3)")
        return self


class FeedbackItem(_In):
    card: str = Field(min_length=1, max_length=80)  # the audit trail's target: 80
    outcome: Literal["accepted", "overridden"]  # cds-fb-1
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(None, max_length=50)
    overrideReason: OverrideReasonGiven | None = None
    outcomeTimestamp: dt.datetime

    @field_validator("outcomeTimestamp")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("outcomeTimestamp is an ISO 8601 time in UTC (with its Z)")
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _fb2(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an accepted card names its acceptedSuggestions (cds-fb-2)")
        return self


class Feedback(_In):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)
