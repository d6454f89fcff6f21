"""A token issuer for development and tests only: a key generated into a directory
(``var/dev-issuer`` under bin/run), its JWK Set beside it, the ``AUTH_ISSUERS`` that trusts
it, and tokens for any role, school and municipality (``skolefravaer token``).

Whoever can read the directory can sign in as anyone: production mode never trusts it
(`services.config.settings.Settings.production_gaps`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from services.config.issuers import DEVELOPMENT

STAFF_ISSUER = DEVELOPMENT + "staff"
SYSTEM_ISSUER = DEVELOPMENT + "system"
AUDIENCE = "skolefravaer"
ALGORITHM = "ES256"
LIFETIME = 3600  # seconds


def ensure(directory: Path) -> None:
    """A private key and its JWK Set in ``directory``, generated the first time."""
    key_file = directory / "key.pem"
    if key_file.exists():
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as written:
        written.write(pem)
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid=_kid(key), use="sig", alg=ALGORITHM)
    (directory / "jwks.json").write_text(json.dumps({"keys": [public]}))


def issuers(directory: Path) -> list[dict[str, Any]]:
    """``AUTH_ISSUERS`` trusting the development issuer (as JSON, with `json.dumps`)."""
    common = {"audience": AUDIENCE, "jwks_file": str((directory / "jwks.json").resolve()),
              "algorithms": [ALGORITHM]}
    return [{"issuer": STAFF_ISSUER, "kind": "staff", **common},
            {"issuer": SYSTEM_ISSUER, "kind": "system", **common,
             "claims": {"subject": "client_id"}}]


def token(directory: Path, kind: Literal["staff", "system"], tenant: str, *,
          subject: str, role: str | None = None, schools: tuple[str, ...] = (),
          classes: tuple[str, ...] = (), scopes: tuple[str, ...] = (),
          lifetime: int = LIFETIME) -> str:
    """A signed access token of the development issuer."""
    now = int(time.time())
    claims: dict[str, Any] = {"aud": AUDIENCE, "iat": now, "exp": now + lifetime,
                              "jti": str(uuid.uuid4()), "tenant": tenant}
    if kind == "staff":
        claims.update(iss=STAFF_ISSUER, sub=subject, client_id="skolefravaer-dev-frontend",
                      role=role, schools=list(schools), classes=list(classes))
    else:
        claims.update(iss=SYSTEM_ISSUER, client_id=subject, scope=" ".join(scopes))
    return sign(directory, claims)


def sign(directory: Path, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """``claims`` signed with the development key, as an RFC 9068 access token."""
    key = serialization.load_pem_private_key((directory / "key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return jwt.encode(claims, key, algorithm=ALGORITHM,
                      headers={"typ": "at+jwt", "kid": _kid(key), **(headers or {})})


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]
