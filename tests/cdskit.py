"""What the CDS Hooks tests share: the specification's rules as a plain checker, hook
calls made from any FHIR Bundle, a stub FHIR server, and signed test tokens."""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "fixtures" / "cds-hooks"
PATIENT_VIEW_KEYS = {
    "conditions": "Condition", "observations": "Observation",
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration", "procedures": "Procedure",
}


def spec(name: str) -> Any:
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


# -- the specification's rules, written apart from the service's own models -------------


def card_problems(response: Any) -> list[str]:
    """Every way a cards response breaks CDS Hooks 2.0.1 (index.md, Card attributes) and
    the 3.0 invariants cds-resp-1..6; empty when it keeps them all."""
    problems: list[str] = []
    if not isinstance(response, dict) or not isinstance(response.get("cards"), list):
        return ["the response has no list of cards"]
    uuids: list[str] = []
    for i, card in enumerate(response["cards"]):
        at = f"cards[{i}]"
        summary = card.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) >= 140:
            problems.append(f"{at}.summary: required, under 140 characters")
        if card.get("indicator") not in ("info", "warning", "critical"):
            problems.append(f"{at}.indicator: info, warning or critical")
        source = card.get("source")
        if not isinstance(source, dict) or not isinstance(source.get("label"), str) \
                or not source["label"]:
            problems.append(f"{at}.source.label: required")
        if "detail" in card and not isinstance(card["detail"], str):
            problems.append(f"{at}.detail: markdown text")
        if "uuid" in card:
            uuids.append(card["uuid"])
        suggestions = card.get("suggestions")
        if suggestions:
            behaviour = card.get("selectionBehavior")
            if behaviour not in ("at-most-one", "any"):
                problems.append(f"{at}.selectionBehavior: required with suggestions")
            if behaviour == "at-most-one" and sum(
                    1 for s in suggestions if s.get("isRecommended")) > 1:
                problems.append(f"{at}: at-most-one with several recommended (cds-resp-1)")
            for j, suggestion in enumerate(suggestions):
                if not suggestion.get("label"):
                    problems.append(f"{at}.suggestions[{j}].label: required")
                if "uuid" in suggestion:
                    uuids.append(suggestion["uuid"])
                for k, action in enumerate(suggestion.get("actions", [])):
                    where = f"{at}.suggestions[{j}].actions[{k}]"
                    if action.get("type") not in ("create", "update", "delete"):
                        problems.append(f"{where}.type: create, update or delete")
                    if not action.get("description"):
                        problems.append(f"{where}.description: required (cds-resp-5)")
                    if action.get("type") == "delete" and "resourceId" not in action:
                        problems.append(f"{where}: delete names a resourceId (cds-resp-2)")
        for j, reason in enumerate(card.get("overrideReasons", [])):
            if not reason.get("code") or not reason.get("display"):
                problems.append(f"{at}.overrideReasons[{j}]: code and display (cds-resp-4)")
        for j, link in enumerate(card.get("links", [])):
            if not link.get("label") or not link.get("url"):
                problems.append(f"{at}.links[{j}]: label and url required")
            if link.get("type") not in ("absolute", "smart"):
                problems.append(f"{at}.links[{j}].type: absolute or smart")
            if "appContext" in link and link.get("type") != "smart":
                problems.append(f"{at}.links[{j}].appContext: smart links only (cds-resp-3)")
    if len(set(uuids)) != len(uuids):
        problems.append("uuids: not unique")
    for u in uuids:
        try:
            uuid.UUID(u)
        except (ValueError, TypeError):
            problems.append(f"uuid {u!r}: not a UUID")
    return problems


# -- hook calls from a Bundle -------------------------------------------------------------


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r} for r in resources]}


def _server_shaped(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The Bundle's resources as an EHR's FHIR server holds them: each with an id, and
    each reference relative (``Patient/123``) rather than to a Bundle's ``urn:uuid``."""
    resources = copy.deepcopy([e["resource"] for e in bundle["entry"]])
    named: dict[str, str] = {}
    for i, (entry, resource) in enumerate(zip(bundle["entry"], resources, strict=True)):
        resource.setdefault("id", f"r{i}")
        if entry.get("fullUrl"):
            named[entry["fullUrl"]] = f"{resource['resourceType']}/{resource['id']}"

    def relink(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (named.get(v, v) if k == "reference" and isinstance(v, str)
                        else relink(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [relink(v) for v in value]
        return value

    return [relink(r) for r in resources]


def split(bundle: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The patient's id and the full prefetch for a record held as one Bundle."""
    resources = _server_shaped(bundle)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    prefetch: dict[str, Any] = {"patient": patient}
    for key, kind in PATIENT_VIEW_KEYS.items():
        prefetch[key] = searchset([r for r in resources if r["resourceType"] == kind])
    return patient["id"], prefetch


def hook_call(bundle: dict[str, Any], **more: Any) -> dict[str, Any]:
    patient_id, prefetch = split(bundle)
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": patient_id},
            "prefetch": prefetch, **more}


def option_ids_of_cards(response: dict[str, Any]) -> set[str]:
    """The options the cards put forward: option cards by their topic, choice cards by
    the option id on each suggestion's draft request."""
    found: set[str] = set()
    for card in response["cards"]:
        topic = card["source"].get("topic") or {}
        if topic.get("system", "").endswith("/CodeSystem/option"):
            found.add(topic["code"])
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                for ident in action.get("resource", {}).get("identifier", []):
                    found.add(ident["value"])
    return found


def option_ids_of_plan(bundle: dict[str, Any]) -> set[str]:
    """The options a plan Bundle proposes: the requests of the plan steps' actions."""
    group = next(e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "RequestGroup")
    contained = {r["id"]: r for r in group.get("contained", [])}
    found: set[str] = set()
    for step in group["action"]:
        if not step.get("id", "").startswith("step-"):
            continue
        for action in step["action"]:
            request = contained[action["resource"]["reference"].removeprefix("#")]
            assert request["intent"] == "option"
            assert not request.get("doNotPerform")
            found |= {i["value"] for i in request["identifier"]}
    return found


# -- a stub FHIR server -------------------------------------------------------------------


@dataclass
class StubFhir:
    url: str
    resources: list[dict[str, Any]]
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    status: int = 200


@contextmanager
def stub_fhir_server(resources: list[dict[str, Any]]) -> Iterator[StubFhir]:
    """A FHIR server on a free loopback port answering reads and ``?patient=`` searches
    from ``resources``; it records each path and Authorization header it was sent."""
    state = StubFhir("", resources)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("authorization")))
            parts = urlsplit(self.path)
            kind, _, rid = parts.path.removeprefix("/fhir").strip("/").partition("/")
            if state.status != 200:
                body, status = b'{"resourceType": "OperationOutcome"}', state.status
            elif rid:
                found = [r for r in state.resources
                         if r["resourceType"] == kind and r.get("id") == rid]
                body = json.dumps(found[0]).encode() if found else b"{}"
                status = 200 if found else 404
            else:
                patient = parse_qs(parts.query).get("patient", [""])[0]
                found = [r for r in state.resources if r["resourceType"] == kind
                         and patient in json.dumps(r.get("subject", {}))]
                body, status = json.dumps(searchset(found)).encode(), 200
            self.send_response(status)
            self.send_header("content-type", "application/fhir+json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- signed test tokens ---------------------------------------------------------------------


@dataclass
class Signer:
    """An EHR's ES384 key pair; its public half goes in the trust file."""

    iss: str = "https://ehr.example.org"
    kid: str = "test-key-1"

    def __post_init__(self) -> None:
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec

        self.private = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": self.kid, "alg": "ES384", "use": "sig"}

    def token(self, aud: str | list[str], *, alg: str = "ES384", kid: str | None = None,
              now: float | None = None, jku: str | None = None, **claims: Any) -> str:
        import jwt

        issued = time.time() if now is None else now
        payload = {"iss": self.iss, "aud": aud, "iat": int(issued),
                   "exp": int(issued) + 300, "jti": str(uuid.uuid4()), **claims}
        headers = {"kid": kid or self.kid, "typ": "JWT", **({"jku": jku} if jku else {})}
        return jwt.encode(payload, self.private, algorithm=alg, headers=headers)

    def trust(self) -> dict[str, Any]:
        return {"issuers": [{"iss": self.iss, "jwks": {"keys": [self.jwk]}}],
                "audience_base": "http://testserver"}
