"""CDS Hooks over HTTP: ``GET /cds-services``, ``POST /cds-services/{id}`` and
``POST /cds-services/{id}/feedback``.

Who may call a service or send feedback:

* with a trust file (``secondline serve --cds-trust FILE``), every call carries a JWT
  from a trusted issuer whose ``aud`` is the exact URL called, else 401 naming why;
* without one, only clients on this machine (loopback), else 403.

Loopback is judged by the client address the server sees: behind a reverse proxy on
the same machine every caller looks local, so such a deployment needs a trust file.

Discovery lists no patient data and is open to any client that reaches the server
(the specification's text asks for a JWT on discovery too; an EHR that sends one is not
refused, and the sandbox and several EHRs call discovery without one).

Problems answer as a FHIR OperationOutcome (what CDS Hooks 3.0 recommends), one issue a
problem, each naming its field; nothing of a body reaches a log. Feedback goes to the
case store's audit trail (``secondline._store.record_feedback``), with what the card
was about when this worker process made it (the uuids are remembered per process, at
most ``MAX_TOPICS``; feedback that reaches another worker is kept without its topic).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from secondline import _store as store
from secondline._cds_hooks.cards import CardContext
from secondline._cds_hooks.models import OverrideReason
from secondline._cds_hooks.prefetch import PrefetchError, gather
from secondline._cds_hooks.service import (
    SERVICES,
    HookError,
    answer,
    card_topics,
    discovery,
    read_call,
    read_feedback,
)
from secondline._cds_hooks.trust import Caller, Refused, Verifier
from secondline._errors import CaseError
from secondline._fhir.apply import operation_outcome
from secondline._web.body import decode, read_body
from secondline._web.fhir_api import OUTCOME
from secondline._web.problems import Problems


def _outcome(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": OUTCOME}}}


_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: _outcome("With a trust file: no valid JWT from a trusted EHR (the reason named)"),
    403: _outcome("Without a trust file: a client not on this machine"),
    404: _outcome("No CDS service by that id"),
    413: {"model": Problems, "description": "Body larger than 1 MiB"},
    422: _outcome("Invalid call: one issue per problem, naming the field"),
}
router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])
_CARDS = {200: {"description": "The cards (CDS Hooks 2.0.1)", "content": {
    "application/json": {"schema": {"type": "object", "required": ["cards"]}}}},
    412: _outcome("The record cannot be gathered: a prefetch key neither sent nor "
                  "fetched from the fhirServer"), **_ANSWERS}
_FEEDBACK = {200: {"description": "How many feedback items were kept", "content": {
    "application/json": {"schema": {"type": "object", "required": ["recorded"]}}}},
    503: _outcome("The case store is not set up"), **_ANSWERS}
LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: card and suggestion uuids remembered for feedback (what each was about), at most
MAX_TOPICS = 20_000
_CODES = {401: "login", 403: "forbidden", 404: "not-found", 412: "incomplete",
          422: "invalid", 503: "transient"}


def problem(status: int, problems: list[str]) -> JSONResponse:
    answer = JSONResponse(operation_outcome(problems, at="", code=_CODES.get(status,
                                                                              "invalid")),
                          status_code=status)
    if status == 401:
        answer.headers["www-authenticate"] = 'Bearer error="invalid_token"'
    return answer


def endpoint_url(verifier: Verifier, request: Request) -> str:
    """The URL called, as the JWT's ``aud`` must give it: the trust file's
    ``audience_base`` and the path (never the request's own Host header)."""
    return verifier.trust.audience_base.rstrip("/") + request.url.path


def mdt_url(request: Request) -> str:
    """The MDT page (nothing of the patient in it)."""
    verifier: Verifier | None = request.app.state.cds_verifier
    if verifier is not None:
        return verifier.trust.audience_base.rstrip("/") + "/"
    return str(request.base_url)


async def caller(request: Request) -> Caller | JSONResponse:
    verifier: Verifier | None = request.app.state.cds_verifier
    if verifier is None:
        host = request.client.host if request.client else ""
        if host in LOOPBACK or host.startswith("127."):
            return Caller("cds-client:loopback")
        return problem(403, ["client: no trust file is configured (secondline serve "
                             "--cds-trust FILE), so the CDS services answer only on this "
                             "machine"])
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(401, ["authorization: send the EHR's JWT as 'Authorization: "
                             "Bearer <JWT>'"])
    try:
        return await verifier.verify(token.strip(), endpoint_url(verifier, request))
    except Refused as exc:
        return problem(401, [f"authorization: {exc}"])


#: bodies up to this size are answered on the event loop (a few milliseconds of work,
#: less than a thread hand-off costs under load); larger ones in a worker thread
SMALL_CALL = 64 * 1024


async def _json(raw: bytes) -> Any:
    if len(raw) > SMALL_CALL:
        return await run_in_threadpool(decode, raw, "application/json")
    return decode(raw, "application/json")


@router.get("", summary="CDS Hooks discovery: the patient-view services and their "
            "prefetch templates", responses={200: {"description": "The services",
                                                  "content": {"application/json": {
                                                      "schema": {"type": "object"}}}}},
            response_class=Response)
async def services() -> JSONResponse:
    return JSONResponse(discovery().model_dump(exclude_none=True))


def _unknown(service_id: str) -> JSONResponse:
    return problem(404, [f"service: no CDS service {service_id[:64]!r} (these are: "
                         f"{', '.join(SERVICES)})"])


async def _admitted(service_id: str, request: Request) -> Caller | JSONResponse:
    """Who is calling a known service, or the answer refusing the call (404, 401, 403)."""
    if service_id not in SERVICES:
        return _unknown(service_id)
    return await caller(request)


def _override_reasons() -> tuple[OverrideReason, ...]:
    return tuple(OverrideReason(system=r.system, code=r.code, display=r.display)
                 for r in store.override_reasons())


def _remember(request: Request, topics: dict[str, dict[str, str | None]]) -> None:
    kept: OrderedDict[str, dict[str, str | None]] = request.app.state.cds_topics
    kept.update(topics)
    while len(kept) > MAX_TOPICS:
        kept.popitem(last=False)


@router.post("/{service_id}", summary="Call a CDS service (patient-view): the options as "
             "cards", response_class=Response, responses=_CARDS)
async def call_service(service_id: str, request: Request) -> Response:
    who = await _admitted(service_id, request)
    if isinstance(who, JSONResponse):
        return who
    try:
        raw, _ = await read_body(request)
        call, context = read_call(await _json(raw))
        servers = who.issuer.fhir_servers if who.issuer is not None else None
        gathered = await gather(call, context.patientId, servers)
        ctx = CardContext(service_id, call.hookInstance, context.patientId,
                          mdt_url(request), _override_reasons())
        if len(raw) > SMALL_CALL:
            response = await run_in_threadpool(answer, gathered, call, service_id, ctx)
        else:
            response = answer(gathered, call, service_id, ctx)
    except (HookError, PrefetchError) as exc:
        return problem(exc.status, exc.problems)
    except CaseError as exc:
        return problem(422, exc.problems)
    _remember(request, card_topics(response))
    return Response(response.model_dump_json(exclude_none=True),
                    media_type="application/json")


@router.post("/{service_id}/feedback", summary="What the clinician did with the cards: "
             "kept in the case store's audit trail", response_class=Response,
             responses=_FEEDBACK)
async def feedback(service_id: str, request: Request) -> Response:
    who = await _admitted(service_id, request)
    if isinstance(who, JSONResponse):
        return who
    try:
        given = read_feedback(await _json((await read_body(request))[0]))
    except HookError as exc:
        return problem(exc.status, exc.problems)
    except CaseError as exc:
        return problem(422, exc.problems)
    topics: OrderedDict[str, dict[str, str | None]] = request.app.state.cds_topics
    entries = [store.FeedbackEntry(
        card=item.card, outcome=item.outcome, outcome_timestamp=item.outcomeTimestamp,
        accepted_suggestions=[s.id for s in item.acceptedSuggestions or []],
        reason=(item.overrideReason.reason.model_dump()
                if item.overrideReason and item.overrideReason.reason else None),
        comment=item.overrideReason.userComment if item.overrideReason else None,
        topic=topics.get(item.card)) for item in given.feedback]
    try:
        kept = await run_in_threadpool(store.record_feedback, request.app.state.store,
                                       who.name, service_id, entries)
    except store.StoreError as exc:
        status = 503 if isinstance(exc, store.NotReady) else 422
        return problem(status, exc.problems)
    return JSONResponse({"recorded": kept})
