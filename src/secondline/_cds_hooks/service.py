"""The CDS service itself: discovery, a hook call answered with cards, feedback read.

Two services, both for ``patient-view`` (hook version 1.0, CDS Hooks 2.0.1 with the 3.0
discovery fields ``version`` and ``hookVersion``):

* ``secondline``: the pages' answer alone;
* ``secondline-current``: the same, plus the opt-in current-guidance layer, its items on
  cards of their own, apart from the pages' cards.

The guidance setting is a second service id rather than a query parameter because an
EHR registers services by what discovery lists, and a JWT's ``aud`` is the service's
exact URL: a setting in the query would be invisible to both. The two ids share the
prefetch templates and the rule base; the same option ids come out of both.

Everything here is the engine's work seen through CDS Hooks; the web layer adds who may
call (``trust``), the override reasons offered on cards and the store for feedback.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import ValidationError

from secondline._cds_hooks import memo
from secondline._cds_hooks.cards import CardContext, cards_for, unreadable_card
from secondline._cds_hooks.models import (
    CardsResponse,
    Discovery,
    Feedback,
    HookRequest,
    PatientViewContext,
    Service,
)
from secondline._cds_hooks.prefetch import TEMPLATES, Gathered, record_bundle
from secondline._errors import CaseError

HOOK = "patient-view"
#: the CDS Hooks specification this service implements, and the hook's version
SPEC_VERSION = "2.0.1"
HOOK_VERSION = "1.0"
#: each service id and the guidance setting it answers with
SERVICES: dict[str, Literal["current"] | None] = {
    "secondline": None,
    "secondline-current": "current",
}
_ABOUT = (
    "Options to discuss for relapsed or refractory B-cell or T-cell acute lymphoblastic "
    "leukaemia and hairy cell leukaemia, from five patient-information pages, each with "
    "its reasons and citations: an overview card, a card per option (one card with a "
    "suggestion per option where the plan's step is a choice of one), and a card of "
    "cautions and pages past their review date. secondline never prescribes and gives "
    "no doses; a record that names none of these diseases gets no cards."
)
_DESCRIPTIONS = {
    "secondline": _ABOUT + " The pages' answer alone; `secondline-current` adds the "
    "newer guidance.",
    "secondline-current": _ABOUT + " With the opt-in current-guidance layer: guidance "
    "newer than the pages (NICE, NHS England, CADTH), each item dated and cited on a card "
    "of its own, apart from the pages' cards; it changes none of the pages' options.",
}
_TITLES = {"secondline": "secondline: options to discuss",
           "secondline-current": "secondline: options to discuss, with current guidance"}


class HookError(Exception):
    """The call cannot be answered with cards: ``status`` and one line a problem
    (``field: message``)."""

    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems


def discovery() -> Discovery:
    return Discovery(services=[
        Service(hook=HOOK, id=service_id, title=_TITLES[service_id],
                description=_DESCRIPTIONS[service_id], prefetch=dict(TEMPLATES),
                usageRequirements="Calls carry a JWT signed by an EHR the service's "
                "trust file names; with no trust file the service answers only on its own "
                "machine (loopback). What the cards list is for the team to discuss.",
                version=SPEC_VERSION, hookVersion=HOOK_VERSION)
        for service_id in SERVICES])


def problem_lines(exc: ValidationError, prefix: str = "") -> list[str]:
    lines = []
    for error in exc.errors()[:30]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{prefix}{where}: {message}")
    return lines


def read_call(data: Any) -> tuple[HookRequest, PatientViewContext]:
    """The hook call a body holds; HookError (422) naming each problem."""
    if not isinstance(data, dict):
        raise HookError(422, ["body: a CDS Hooks call is a JSON object"])
    try:
        call = HookRequest.model_validate(data)
    except ValidationError as exc:
        raise HookError(422, problem_lines(exc)) from None
    if call.hook != HOOK:
        raise HookError(422, [f"hook: this service answers {HOOK}, not "
                              f"{call.hook[:40]!r}"])
    try:
        context = PatientViewContext.model_validate(call.context)
    except ValidationError as exc:
        raise HookError(422, problem_lines(exc, "context.")) from None
    return call, context


def answer(gathered: Gathered, call: HookRequest, service_id: str,
           ctx: CardContext) -> CardsResponse:
    """The cards for the record gathered (CPU work: read, assess, write). What reading
    and assessing a record gives is remembered (``memo``); the cards are made afresh."""
    today = dt.date.today()
    digest = memo.key(gathered.resources, call.fhirServer, service_id, today)
    found = memo.MEMO.get(digest)
    if found is None:
        made = _outcome(gathered, call, service_id, ctx, today)
        if isinstance(made, CardsResponse):
            return made
        memo.MEMO.put(digest, made)
        found = made
    if found.result is None:
        return CardsResponse(cards=[])  # someone else's record: nothing to say
    not_read = list(found.not_read)
    not_read += [f"`prefetch.{key}`: the search result has further pages, which were not "
                 "read; only the first page was" for key in gathered.more_pages]
    return CardsResponse(cards=cards_for(found.result, ctx, not_read))


def _outcome(gathered: Gathered, call: HookRequest, service_id: str, ctx: CardContext,
             today: dt.date) -> memo.Outcome | CardsResponse:
    """The record read and assessed, or the card saying it cannot be read (not kept)."""
    from secondline._engine import assess
    from secondline._fhir.read import NO_DISEASE, read_bundle

    try:
        # the gathered Bundle has no meta, so the case is judged as of today
        reading = read_bundle(record_bundle(gathered, call.fhirServer), today)
    except CaseError as exc:
        invalid = [_named(line, gathered) for line in exc.problems
                   if line.startswith(("entry[", "bundle:"))]
        if invalid:  # not valid FHIR R4: the EHR's data, named by resource
            raise HookError(422, invalid) from None
        if any(p.startswith(NO_DISEASE) for p in exc.problems):
            return memo.outcome(None, [])
        return CardsResponse(cards=[unreadable_card(exc.problems, ctx)])
    result = assess(reading.case, guidance=SERVICES[service_id])
    return memo.outcome(result, [f"`{n.resource}`: {n.why}"
                                 for n in reading.input.not_read])


def _named(line: str, gathered: Gathered) -> str:
    """A problem of the gathered Bundle's ``entry[i].resource`` named by the resource."""
    match = re.match(r"entry\[(\d+)\](\.resource)?", line)
    if match is None or int(match.group(1)) >= len(gathered.resources):
        return line
    resource = gathered.resources[int(match.group(1))]
    name = f"prefetch {resource.get('resourceType')}/{str(resource.get('id', '?'))[:64]}"
    return name + line[match.end():]


def read_feedback(data: Any) -> Feedback:
    if not isinstance(data, dict):
        raise HookError(422, ["body: feedback is a JSON object"])
    try:
        return Feedback.model_validate(data)
    except ValidationError as exc:
        raise HookError(422, problem_lines(exc)) from None


def card_topics(response: CardsResponse) -> dict[str, dict[str, str | None]]:
    """What each card and suggestion uuid was about: the card's topic, and for a
    suggestion the option it proposes (nothing of the patient)."""
    topics: dict[str, dict[str, str | None]] = {}
    for card in response.cards:
        topic = card.source.topic
        if card.uuid and topic is not None:
            topics[card.uuid] = {"system": topic.system, "code": topic.code,
                                 "display": topic.display}
        for suggestion in card.suggestions or []:
            created = [a.resource for a in suggestion.actions or [] if a.resource]
            ids = [i.get("value") for r in created for i in r.get("identifier", [])]
            if suggestion.uuid and ids:
                topics[suggestion.uuid] = {"system": None, "code": str(ids[0]),
                                           "display": suggestion.label}
    return topics
