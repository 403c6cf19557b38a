"""With a trust file every hook call needs the EHR's signed JWT: a valid ES384 token is
accepted; expired, wrong audience, unknown kid, ``none`` or HMAC algorithms and replayed
token ids are refused with 401 naming why."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cdskit import SPEC, Signer, hook_call, spec
from secondline import read_case
from secondline._cds_hooks.trust import Refused, TrustError, TrustFile, Verifier, load_trust
from secondline._cli import main
from secondline._fhir.write import write_bundle
from secondline._store import Database, upgrade
from secondline.web import create_app

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "http://testserver/cds-services/secondline"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="module")
def client(signer: Signer, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("trust")
    trust = folder / "trust.json"
    trust.write_text(json.dumps(signer.trust()))
    database = Database(f"sqlite:///{folder / 'store.sqlite3'}")
    upgrade(database)
    database.dispose()
    app = create_app(database.url, cds_trust=str(trust))
    # not a loopback client: with a trust file the token decides, not the address
    return TestClient(app, client=("203.0.113.9", 40000))


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    case = read_case(str(ROOT / "examples" / "b-all-relapsed-cd19.yaml"))
    return hook_call(json.loads(json.dumps(write_bundle(case))))


def _call(client: TestClient, body: dict[str, Any], token: str | None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/cds-services/secondline", json=body, headers=headers)


def test_a_valid_es384_token_is_accepted(client: TestClient, signer: Signer,
                                         body: dict[str, Any]) -> None:
    assert _call(client, body, signer.token(SERVICE)).status_code == 200
    assert _call(client, body, signer.token([SERVICE])).status_code == 200  # aud as a list


def _unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes) -> str:
    def part(data: Any) -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return ".".join((part(header), part(payload), part(signature)))


def _claims(signer: Signer) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": signer.iss, "aud": SERVICE, "iat": now, "exp": now + 300, "jti": "n1"}


@pytest.mark.parametrize(("make", "why"), [
    (lambda s: s.token(SERVICE, now=time.time() - 3600), "expired"),
    (lambda s: s.token("http://testserver/cds-services/other"), "aud"),
    (lambda s: s.token(SERVICE, kid="no-such-kid"), "unknown kid"),
    (lambda s: _unsigned({"alg": "none", "typ": "JWT", "kid": s.kid}, _claims(s), b""),
     "alg 'none'"),
    (lambda s: __import__("jwt").encode(_claims(s), "a-shared-secret-of-32-bytes-long!",
                                        algorithm="HS256",
                                        headers={"kid": s.kid, "typ": "JWT"}), "alg 'HS256'"),
    (lambda s: Signer(kid=s.kid).token(SERVICE), "signature"),
    (lambda s: Signer(iss="https://elsewhere.example").token(SERVICE), "iss"),
    (lambda s: s.token(SERVICE, iat=int(time.time()) - 3600, exp=int(time.time()) + 60),
     "issued more than"),
    (lambda s: "not.a.jwt", "not a JWT"),
])
def test_a_bad_token_is_refused_401_with_the_reason(client: TestClient, signer: Signer,
                                                    body: dict[str, Any], make: Any,
                                                    why: str) -> None:
    answer = _call(client, body, make(signer))
    assert answer.status_code == 401
    assert why in answer.json()["issue"][0]["diagnostics"]
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_replayed_token_is_refused(client: TestClient, signer: Signer,
                                     body: dict[str, Any]) -> None:
    token = signer.token(SERVICE)
    assert _call(client, body, token).status_code == 200
    again = _call(client, body, token)
    assert again.status_code == 401
    assert "replay" in again.text


def test_no_token_is_401_and_feedback_needs_one_too(client: TestClient, signer: Signer,
                                                    body: dict[str, Any]) -> None:
    assert _call(client, body, None).status_code == 401
    feedback = spec("feedback-overridden.json")
    path = "/cds-services/secondline/feedback"
    assert client.post(path, json=feedback).status_code == 401
    wrong = signer.token(SERVICE)  # the service's URL, not the feedback endpoint's
    assert client.post(path, json=feedback,
                       headers={"authorization": f"Bearer {wrong}"}).status_code == 401
    right = signer.token(f"http://testserver{path}")
    assert client.post(path, json=feedback,
                       headers={"authorization": f"Bearer {right}"}).status_code == 200


def test_the_specifications_signed_example_verifies_at_its_own_time() -> None:
    payload = spec("jwt-payload.json")
    trust = TrustFile.model_validate({"issuers": [{"iss": payload["iss"],
                                                   "jwks": spec("jwks.json")}],
                                      "audience_base": "https://cds.example.org"})
    verifier = Verifier(trust, clock=lambda: payload["iat"] + 5)
    token = (SPEC / "jwt-signed-token.txt").read_text().strip()
    caller = asyncio.run(verifier.verify(token, payload["aud"]))
    assert caller.name == f"cds-client:{payload['iss']}"
    with pytest.raises(Refused, match="expired"):
        asyncio.run(Verifier(trust).verify(token, payload["aud"]))  # judged today


def test_keys_at_a_jku_on_the_allow_list_are_fetched_and_others_refused(
        signer: Signer) -> None:
    jku = "https://ehr.example.org/.well-known/jwks.json"
    fetched: list[str] = []

    async def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return {"keys": [signer.jwk]}

    trust = TrustFile.model_validate({"issuers": [{"iss": signer.iss, "jku": [jku]}],
                                      "audience_base": "http://testserver"})
    verifier = Verifier(trust, fetch=fetch)
    asyncio.run(verifier.verify(signer.token(SERVICE), SERVICE))
    assert fetched == [jku]
    with pytest.raises(Refused, match="allow-list"):
        asyncio.run(verifier.verify(signer.token(SERVICE, jku="https://evil.example/k"),
                                    SERVICE))


@pytest.mark.parametrize(("issuer", "named"), [
    ({"iss": "x", "jwks": {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}},
     "only asymmetric keys"),
    ({"iss": "x", "jwks": {"keys": [{"kty": "EC", "kid": "k", "d": "private"}]}},
     "a private key"),
    ({"iss": "x"}, "jwks"),
    ({"iss": "x", "jku": ["http://ehr.example.org/keys"]}, "https only"),
])
def test_an_unusable_trust_file_is_refused_by_field(tmp_path: Path, issuer: dict[str, Any],
                                                    named: str) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(json.dumps({"issuers": [issuer], "audience_base": "https://cds.example"}))
    with pytest.raises(TrustError) as caught:
        load_trust(path)
    assert any(named in p for p in caught.value.problems), caught.value.problems


def test_serve_exits_2_on_an_unusable_trust_file(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text("issuers: []\n")
    assert main(["serve", "--cds-trust", str(path), "--port", "1"]) == 2
    assert "issuers" in capsys.readouterr().err


def test_the_audience_is_the_configured_base_never_the_host_header(
        client: TestClient, signer: Signer, body: dict[str, Any]) -> None:
    """A token made for another service, sent with a Host header naming that service,
    is refused: the URL called is the trust file's base and the path."""
    other = "https://other-service.example/cds-services/secondline"
    answer = client.post("/cds-services/secondline", json=body,
                         headers={"authorization": f"Bearer {signer.token(other)}",
                                  "host": "other-service.example"})
    assert answer.status_code == 401
    assert "aud" in answer.text


def test_a_trust_file_without_its_audience_base_is_refused(tmp_path: Path,
                                                           signer: Signer) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"issuers": signer.trust()["issuers"]}))
    with pytest.raises(TrustError) as caught:
        load_trust(path)
    assert any(p.startswith("audience_base") for p in caught.value.problems)


def test_serve_says_who_may_call_at_start(tmp_path: Path, signer: Signer,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    # recorded as it was, so that whatever serve sets is undone after the test
    monkeypatch.setenv("SECONDLINE_CDS_TRUST", "left by an earlier run")
    assert main(["serve", "--port", "1", "--workers", "1"]) == 0
    assert "answer only clients on this machine (loopback)" in capsys.readouterr().err
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(signer.trust()))
    assert main(["serve", "--port", "1", "--workers", "2", "--cds-trust", str(path)]) == 0
    err = capsys.readouterr().err
    assert "needs a JWT from a trusted issuer (https://ehr.example.org)" in err
    assert "per worker process" in err
    assert len(started) == 2
    import os

    assert os.environ["SECONDLINE_CDS_TRUST"] == str(path.resolve())
