"""Who may call the CDS service: the trust file, and the EHR's JWT checked against it.

The trust file (``secondline serve --cds-trust FILE``, YAML or JSON)::

    issuers:
      - iss: https://ehr.example.org/          # the JWT's iss, exactly
        jwks: {keys: [{kty: EC, crv: P-384, kid: k1, x: ..., y: ..., alg: ES384}]}
      - iss: https://sandbox.cds-hooks.org
        jku: [https://sandbox.cds-hooks.org/.well-known/jwks.json]   # allow-list
        fhir_servers: [https://fhir.example.org/]   # optional: where prefetch may be fetched
    audience_base: https://cds.example.org   # the base URL the EHRs call (required)

Each call's token (``Authorization: Bearer <JWT>``) must have, or the answer is 401:

* a header with ``typ: JWT``, a ``kid``, and an asymmetric ``alg`` (ES256/384/512,
  RS256/384/512, PS256/384/512 or EdDSA; never ``none`` nor HMAC) that the key allows;
* a trusted ``iss``, and a key with that ``kid`` among the issuer's inline keys or at a
  ``jku`` on the issuer's allow-list (a ``jku`` in the header must be on it; key sets are
  fetched with a timeout and a size cap, and kept for five minutes);
* a signature that verifies; ``aud`` equal to the exact URL called (string or list),
  that is ``audience_base`` and the path. The base is configured, never taken from the
  request's Host header: a token an EHR made for another service would otherwise pass
  here with a Host header naming that service;
* ``exp`` not passed, ``iat`` neither in the future nor older than five minutes (each
  with 30 seconds' leeway for clocks), and a ``jti`` not seen before while the token
  lives. Seen ``jti`` are kept in this process's memory: with several worker processes, a
  replayed token could reach another worker within its lifetime (run one worker, or keep
  tokens short-lived, where that matters).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from secondline import _yaml
from secondline._errors import CaseError

ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384",
              "PS512", "EdDSA")
LEEWAY = 30
MAX_AGE = 300
JWKS_TTL = 300
#: seen token ids kept at most; beyond it (after dropping expired ones) calls are refused
MAX_SEEN = 100_000
MAX_TOKEN = 8192


class TrustError(CaseError):
    """The trust file is unusable; each line names its field."""


class Refused(Exception):
    """The call's token is not acceptable; ``str(exc)`` says why (no secrets in it)."""


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)


class Issuer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    iss: str = Field(min_length=1, max_length=500)
    jwks: dict[str, Any] | None = None
    jku: list[str] = Field(default_factory=list, max_length=10)
    fhir_servers: list[str] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _keys(self) -> Issuer:
        if self.jwks is None and not self.jku:
            raise ValueError("give the issuer's public keys inline (jwks) or a jku allow-list")
        for url in self.jku:
            if not _https_or_loopback(url):
                raise ValueError(f"jku {url[:80]!r}: https only (http for loopback tests)")
        if self.jwks is not None:
            _key_set(self.jwks)
        return self


class TrustFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    issuers: list[Issuer] = Field(min_length=1, max_length=100)
    audience_base: str = Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$", max_length=300)


def _key_set(data: Any) -> dict[str, dict[str, Any]]:
    """Public, asymmetric keys by kid; ValueError for anything else."""
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise ValueError("a JWK Set is an object with a list of keys")
    found: dict[str, dict[str, Any]] = {}
    for key in keys[:100]:
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str):
            raise ValueError("every key has a kid")
        if key.get("kty") not in ("EC", "RSA", "OKP"):
            raise ValueError(f"key {key['kid'][:40]!r}: only asymmetric keys (EC, RSA, OKP)")
        if "d" in key:
            raise ValueError(f"key {key['kid'][:40]!r}: a private key; keep only public keys")
        found[key["kid"]] = key
    return found


def load_trust(path: str | Path) -> TrustFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TrustError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        return TrustFile.model_validate(_yaml.load(text))
    except ValidationError as exc:
        raise TrustError([f"{'.'.join(str(p) for p in e['loc']) or 'trust'}: "
                          f"{e['msg'].removeprefix('Value error, ')}"
                          for e in exc.errors()]) from None
    except ValueError as exc:
        raise TrustError([f"{path}: {exc}"]) from None


@dataclass(frozen=True)
class Caller:
    """Who called: a trusted issuer (from its token), or a loopback client."""

    name: str
    issuer: Issuer | None = None


#: fetches a jku: the URL in, the JWK Set out (ValueError when it cannot)
FetchKeys = Callable[[str], Awaitable[dict[str, Any]]]


async def fetch_keys(url: str) -> dict[str, Any]:
    import httpx2

    timeout = httpx2.Timeout(5.0, connect=2.0)
    async with httpx2.AsyncClient(timeout=timeout) as client, client.stream(
            "GET", url, headers={"accept": "application/json"}) as got:
        if got.status_code != 200:
            raise ValueError(f"the key set answered {got.status_code}")
        body = b""
        async for chunk in got.aiter_bytes():
            body += chunk
            if len(body) > 256 * 1024:
                raise ValueError("the key set is larger than 256 KiB")
    import json

    data: dict[str, Any] = json.loads(body)
    return data


@dataclass
class Verifier:
    trust: TrustFile
    fetch: FetchKeys = fetch_keys
    clock: Callable[[], float] = time.time
    _fetched: dict[str, tuple[float, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    _seen: dict[tuple[str, str], float] = field(default_factory=dict)

    def issuer(self, iss: Any) -> Issuer | None:
        return next((i for i in self.trust.issuers if i.iss == iss), None)

    async def _jku_keys(self, url: str, fresh: bool) -> dict[str, dict[str, Any]]:
        now = self.clock()
        cached = self._fetched.get(url)
        if cached and now - cached[0] < (60 if fresh else JWKS_TTL):
            return cached[1]
        try:
            keys = _key_set(await asyncio.wait_for(self.fetch(url), 10))
        except (ValueError, TimeoutError, OSError) as exc:
            raise Refused(f"the issuer's key set at {url} could not be used ({exc})"[:300]) \
                from None
        except Exception as exc:  # httpx2's transport errors
            raise Refused(f"the issuer's key set at {url} could not be fetched "
                          f"({exc.__class__.__name__})") from None
        self._fetched[url] = (now, keys)
        return keys

    async def _key(self, issuer: Issuer, header: dict[str, Any]) -> dict[str, Any]:
        kid = header["kid"]
        if issuer.jwks is not None and kid in (inline := _key_set(issuer.jwks)):
            return inline[kid]
        jku = header.get("jku")
        if jku is not None and jku not in issuer.jku:
            raise Refused("the token's jku is not on the issuer's allow-list")
        for url in [jku] if jku else issuer.jku:
            for fresh in (False, True):  # a key not found may be a new one: fetch again
                keys = await self._jku_keys(url, fresh)
                if kid in keys:
                    return keys[kid]
        raise Refused("unknown kid: no key of the issuer has it")

    async def verify(self, token: str, audience: str) -> Caller:
        import jwt

        if len(token) > MAX_TOKEN:
            raise Refused("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Refused("not a JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise Refused(f"alg {str(alg)[:20]!r} is not allowed; asymmetric algorithms only")
        if not isinstance(kid, str) or not kid:
            raise Refused("the token's header has no kid")
        if str(header.get("typ", "")).upper() != "JWT":
            raise Refused("the token's header typ is not JWT")
        issuer = self.issuer(claims.get("iss"))
        if issuer is None:
            raise Refused("iss is not a trusted issuer")
        jwk = await self._key(issuer, header)
        if jwk.get("alg", alg) != alg:
            raise Refused("the key does not allow the token's alg")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg)
            jwt.decode(token, key=key, algorithms=[alg], audience=audience, issuer=issuer.iss,
                       options={"require": ["iss", "aud", "exp", "iat", "jti"],
                                "verify_exp": False, "verify_iat": False,
                                "verify_nbf": False})
        except jwt.InvalidAudienceError:
            raise Refused(f"aud is not the URL called ({audience})") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Refused(f"the token has no {exc.claim}") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Refused("the signature does not verify with the issuer's key") from None
        return self._times(issuer, claims)

    def _times(self, issuer: Issuer, claims: dict[str, Any]) -> Caller:
        now = self.clock()
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not all(isinstance(v, int | float) for v in (exp, iat)) or not isinstance(jti, str):
            raise Refused("exp and iat are numbers and jti a string")
        if exp < now - LEEWAY:
            raise Refused("the token has expired")
        if iat > now + LEEWAY:
            raise Refused("the token is issued in the future")
        if iat < now - MAX_AGE - LEEWAY:
            raise Refused(f"the token was issued more than {MAX_AGE // 60} minutes ago")
        if claims.get("nbf") is not None and claims["nbf"] > now + LEEWAY:
            raise Refused("the token is not valid yet")
        key = (issuer.iss, jti[:200])
        if len(self._seen) >= MAX_SEEN:
            self._seen = {k: e for k, e in self._seen.items() if e >= now - LEEWAY}
        if key in self._seen:
            raise Refused("the token's jti was seen before (a replay)")
        if len(self._seen) >= MAX_SEEN:
            raise Refused("too many live tokens; try again shortly")
        self._seen[key] = float(exp)
        return Caller(f"cds-client:{issuer.iss}", issuer)
