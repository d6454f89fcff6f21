"""Bearer access tokens (RFC 6750, JWTs of the RFC 9068 profile), validated with PyJWT.

Only the configured issuers are trusted; each token must be signed by a key of its issuer's
JWK Set (found by ``kid``, so a rotated key is picked up), with an algorithm of the issuer's
allow-list (asymmetric only), for this service's audience, and unexpired (``exp`` and ``iat``
required, with the issuer's leeway for clock skew).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKClientConnectionError, PyJWKClientError, PyJWKSet

from services.config.issuers import Issuer

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]
AT_JWT = ("at+jwt", "application/at+jwt")  # RFC 9068 section 2.1
JWKS_TIMEOUT = 3.0  # seconds; a caller waits for this at most, then hears 503


class InvalidToken(Exception):
    """The token cannot be trusted (401); the text says why and holds nothing secret."""


class KeysUnavailable(Exception):
    """The issuer's keys cannot be fetched now (503): nothing is known about the token."""


@dataclass(frozen=True)
class Verified:
    """A token whose signature, issuer, audience and times were checked."""

    issuer: Issuer
    claims: dict[str, Any]


class KeySource(Protocol):
    def get_signing_key_from_jwt(self, token: str) -> PyJWK: ...


class JwksFile:
    """An issuer's JWK Set kept in a file; read again when a token names a kid it lacks
    (the key was rotated) and the file changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._read: tuple[int, PyJWKSet] | None = None

    def get_signing_key_from_jwt(self, token: str) -> PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        with self._lock:
            for key in self._keys().keys:
                if key.key_id == kid and key.public_key_use in ("sig", None):
                    return key
        raise PyJWKClientError(f"no signing key has the kid {kid!r}")

    def _keys(self) -> PyJWKSet:
        try:
            modified = self.path.stat().st_mtime_ns
            if self._read is None or self._read[0] != modified:
                self._read = modified, PyJWKSet.from_dict(json.loads(self.path.read_text()))
        except OSError as error:
            raise PyJWKClientConnectionError(f"cannot read {self.path}: {error}") from error
        return self._read[1]


def key_source(issuer: Issuer) -> KeySource:
    if issuer.jwks_file is not None:
        return JwksFile(issuer.jwks_file)
    # The set is cached for 5 minutes; an unknown kid fetches it again (at most every 30 s).
    return PyJWKClient(str(issuer.jwks_url), timeout=JWKS_TIMEOUT)


class TokenValidator:
    """Validates bearer tokens against the trusted issuers."""

    def __init__(self, issuers: Sequence[Issuer]) -> None:
        self.issuers = {issuer.issuer: issuer for issuer in issuers}
        self.keys = {issuer.issuer: key_source(issuer) for issuer in issuers}

    def validate(self, token: str) -> Verified:
        """The verified token, or `InvalidToken` (401) / `KeysUnavailable` (503)."""
        issuer = self._issuer_of(token)
        try:
            key = self.keys[issuer.issuer].get_signing_key_from_jwt(token)
        except PyJWKClientConnectionError as error:
            raise KeysUnavailable(issuer.issuer) from error
        except (PyJWKClientError, jwt.PyJWTError):
            raise InvalidToken("no key of the issuer has the token's kid") from None
        try:
            claims = jwt.decode(token, key.key, algorithms=list(issuer.algorithms),
                                audience=issuer.audience, issuer=issuer.issuer,
                                leeway=issuer.leeway, options={"require": REQUIRED_CLAIMS})
        except jwt.PyJWTError as error:  # signature, expiry, audience, algorithm, ...
            raise InvalidToken(_reason(error)) from None
        return Verified(issuer, claims)

    def _issuer_of(self, token: str) -> Issuer:
        """The trusted issuer the token names, once its header passes the issuer's rules.
        Nothing read here is trusted until `validate` has checked the signature."""
        try:
            header = jwt.get_unverified_header(token)
            claimed = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a well-formed JWT") from None
        issuer = self.issuers.get(claimed) if isinstance(claimed, str) else None
        if issuer is None:
            raise InvalidToken("the token's issuer is not trusted")
        if header.get("alg") not in issuer.algorithms:
            raise InvalidToken("the token's algorithm is not allowed for its issuer")
        if issuer.require_at_jwt and header.get("typ") not in AT_JWT:
            raise InvalidToken('the token is not an access token (typ "at+jwt")')
        if not isinstance(header.get("kid"), str):
            raise InvalidToken("the token names no key (kid)")
        return issuer


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(error, jwt.InvalidAudienceError):
        return "the token is not meant for this service (aud)"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token lacks the claim {error.claim!r}"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "the token is not valid yet"
    if isinstance(error, jwt.InvalidSignatureError):
        return "the token's signature does not verify"
    return "the token is not valid"
