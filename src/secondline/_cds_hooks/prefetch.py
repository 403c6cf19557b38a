"""The record behind a hook call: its prefetch, and what is missing fetched from the EHR.

Each prefetch key the service asks for (``TEMPLATES``) may arrive as a resource, a
searchset Bundle, ``null`` (no data: nothing of that kind), or not at all (the client
did not run it); an OperationOutcome in its place means the data was not available.
Only the page sent (or fetched) of a search result is read: a result with further pages
is read as far as it goes and said so on the overview card, never silently.
A key not sent, or not available, is fetched from the call's ``fhirServer`` with its
``fhirAuthorization.access_token`` as a bearer token (a 5-second timeout, at most 2 MiB
an answer, one page, never a link from the answer followed); without a ``fhirServer``,
or when the fetch fails, the call answers 412 naming the key.

The resources gathered become one ``collection`` Bundle, which the FHIR reader reads as it
reads any record.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from secondline._cds_hooks.models import HookRequest

#: the service's prefetch templates: the Patient and the resources the reader uses
TEMPLATES = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
}
FETCH_TIMEOUT = 5.0
MAX_ANSWER = 2 * 1024 * 1024
#: a value sent for a key that says nothing was sent (told apart from null)
_ABSENT = object()


class PrefetchError(Exception):
    """The record cannot be gathered: ``status`` (412 or 422) and one line a problem."""

    def __init__(self, status: int, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.status = status
        self.problems = problems


@dataclass
class Gathered:
    resources: list[dict[str, Any]] = field(default_factory=list)
    #: keys fetched from the FHIR server (the rest came with the call)
    fetched: list[str] = field(default_factory=list)
    #: keys whose search result has further pages, which are not read
    more_pages: list[str] = field(default_factory=list)


def _available(value: Any) -> bool:
    return not (value is _ABSENT or (isinstance(value, dict)
                                     and value.get("resourceType") == "OperationOutcome"))


def resources_of(key: str, value: Any) -> list[dict[str, Any]]:
    """The resources one prefetch value holds; PrefetchError (422) for a wrong shape."""
    if value is None:
        return []
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise PrefetchError(422, [f"prefetch.{key}: must be a FHIR resource, a Bundle or "
                                  "null"])
    if value["resourceType"] != "Bundle":
        return [value]
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        raise PrefetchError(422, [f"prefetch.{key}.entry: must be a list"])
    found = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise PrefetchError(422, [f"prefetch.{key}.entry[{i}]: has no resource"])
        if resource.get("resourceType") != "OperationOutcome":  # a search's own messages
            found.append(resource)
    return found


def _has_next_page(value: Any) -> bool:
    links = value.get("link") if isinstance(value, dict) else None
    return isinstance(links, list) and any(
        isinstance(link, dict) and link.get("relation") == "next" for link in links)


def query(key: str, patient_id: str) -> str:
    return TEMPLATES[key].replace("{{context.patientId}}", patient_id)


async def _fetch(client: Any, base: str, key: str, patient_id: str,
                 headers: dict[str, str]) -> Any:
    url = f"{base.rstrip('/')}/{query(key, patient_id)}"
    try:
        async with client.stream("GET", url, headers=headers) as answer:
            if answer.status_code == 404 and key != "patient":
                return None
            if answer.status_code != 200:
                raise PrefetchError(412, [f"prefetch.{key}: not sent, and the FHIR server "
                                          f"answered {answer.status_code}"])
            body = b""
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER:
                    raise PrefetchError(412, [f"prefetch.{key}: the FHIR server's answer is "
                                              f"larger than {MAX_ANSWER // 1024 // 1024} MiB"])
    except PrefetchError:
        raise
    except Exception as exc:  # timeouts, refused connections, broken answers
        raise PrefetchError(412, [f"prefetch.{key}: not sent, and the FHIR server could not "
                                  f"be reached ({exc.__class__.__name__})"]) from None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise PrefetchError(412, [f"prefetch.{key}: the FHIR server's answer is not "
                                  "JSON"]) from None


async def gather(request: HookRequest, patient_id: str,
                 fhir_servers: list[str] | None = None) -> Gathered:
    """Every resource the templates ask for, from the prefetch or the FHIR server."""
    sent = request.prefetch or {}
    values = {key: sent.get(key, _ABSENT) for key in TEMPLATES}
    wanted = [key for key, value in values.items() if not _available(value)]
    gathered = Gathered()
    if wanted:
        base = request.fhirServer
        if base is None:
            raise PrefetchError(412, [f"prefetch.{key}: not sent (or not available), and no "
                                      "fhirServer to fetch it from" for key in wanted])
        if fhir_servers is not None and not any(
                base.rstrip("/") + "/" == s.rstrip("/") + "/" or
                base.startswith(s.rstrip("/") + "/") for s in fhir_servers):
            raise PrefetchError(412, ["fhirServer: not a server this service may fetch "
                                      "from for the calling EHR (see the trust file)"])
        import httpx2

        headers = {"accept": "application/fhir+json"}
        auth = request.fhirAuthorization
        if auth is not None:
            headers["authorization"] = f"Bearer {auth.access_token}"
        timeout = httpx2.Timeout(FETCH_TIMEOUT, connect=2.0)
        async with httpx2.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            answers = await asyncio.gather(*(_fetch(client, base, key, patient_id, headers)
                                             for key in wanted), return_exceptions=True)
        problems = [line for a in answers if isinstance(a, PrefetchError) for line in a.problems]
        if problems:
            raise PrefetchError(412, problems)
        for key, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer
            values[key] = answer
            if not _available(answer):
                raise PrefetchError(412, [f"prefetch.{key}: not available from the FHIR "
                                          "server either"])
        gathered.fetched = wanted
    seen: set[tuple[str, str]] = set()
    for key, value in values.items():
        if _has_next_page(value):
            gathered.more_pages.append(key)
        for resource in resources_of(key, value):
            ident = (str(resource.get("resourceType")), str(resource.get("id", "")))
            if ident[1] and ident in seen:
                continue
            seen.add(ident)
            gathered.resources.append(resource)
    return gathered


def record_bundle(gathered: Gathered, fhir_server: str | None) -> dict[str, Any]:
    """The resources as one collection Bundle; each with its server address where known,
    so that references between them resolve."""
    entries = []
    for resource in gathered.resources:
        entry: dict[str, Any] = {"resource": resource}
        rid = resource.get("id")
        if fhir_server and isinstance(rid, str) and rid:
            entry["fullUrl"] = f"{fhir_server.rstrip('/')}/{resource['resourceType']}/{rid}"
        entries.append(entry)
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
