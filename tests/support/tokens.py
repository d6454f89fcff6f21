"""Access tokens for tests: minted with a test key (the development issuer's code, in a
directory of this test process), and validated by the service's own code path.

``ENVIRON`` is what a test service needs to trust them; the clients of tests/support/http.py
send a token by default, so tests that do not care about sign-in stay as short as before.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from services.config import dev_issuer

DIRECTORY = Path(tempfile.mkdtemp(prefix="skolefravaer-test-issuer-"))
atexit.register(shutil.rmtree, DIRECTORY, ignore_errors=True)
dev_issuer.ensure(DIRECTORY)
ENVIRON = {"AUTH_ISSUERS": json.dumps(dev_issuer.issuers(DIRECTORY))}

TENANT = "3101"  # tests/support/events.py's and the README example's municipality
PLATFORM = "integration-platform"


def staff(role: str = "municipal_director", *, tenant: str = TENANT,
          schools: tuple[str, ...] = ("school-1",), classes: tuple[str, ...] = ("9A",),
          person: str | None = None) -> str:
    """A member of staff's token (default: the municipal director, who reads it all); by
    default at the school and in the class of tests/support/events.py's pupils."""
    return dev_issuer.token(DIRECTORY, "staff", tenant, subject=person or f"{role}-1",
                            role=role, schools=schools, classes=classes)


def system(*scopes: str, tenant: str = TENANT, client: str = PLATFORM) -> str:
    """A system's token (Maskinporten-style), by default allowed to post events."""
    return dev_issuer.token(DIRECTORY, "system", tenant, subject=client,
                            scopes=scopes or ("events.write",))


def signed(claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
    """Any claims, signed with the test key: for tokens that must fail."""
    return dev_issuer.sign(DIRECTORY, claims, headers)


def staff_claims(**changed: Any) -> dict[str, Any]:
    """A principal's valid claims, with ``changed`` (None removes a claim)."""
    now = int(time.time())
    claims = {"iss": dev_issuer.STAFF_ISSUER, "aud": dev_issuer.AUDIENCE, "iat": now,
              "exp": now + 600, "jti": str(uuid.uuid4()), "sub": "principal-1",
              "tenant": TENANT, "role": "principal", "schools": ["school-1"], **changed}
    return {name: value for name, value in claims.items() if value is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def default_for(method: str, path: str) -> str:
    """The token a test that does not care sends: the platform posts, Prometheus scrapes,
    the municipal director reads."""
    if method.upper() == "POST" and path.startswith("/v1/events"):
        return _default("events.write")
    if path.startswith("/metrics"):
        return _default("metrics")
    return _default(None)


@functools.cache
def _default(scope: str | None) -> str:
    """One token of each default kind per test session (they are valid for an hour)."""
    return system(scope) if scope else staff()
