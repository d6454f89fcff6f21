"""Who calls: a verified token's claims read as its issuer's configuration says
(services/config/issuers.py) — a system with scopes, or a member of staff with a role,
schools and classes; both of exactly one municipality."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from domain.envelope import Actor, Role
from domain.privacy import Staff
from services.config.issuers import NOT_A_PERSON, Issuer
from services.http.context.tokens import InvalidToken, Verified

KOMMUNENUMMER = re.compile(r"[0-9]{4}")
MAX_ID = 200  # characters of an id kept in the log


@dataclass(frozen=True)
class Caller:
    kind: Literal["staff", "system"]
    id: str  # the person (staff) or the client (system), as the issuer names them
    tenant: str
    role: Role | None  # None: a role the service does not know (allowed nothing)
    schools: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        """The caller as the log names them (only asked of a caller the policy admitted,
        who has a role)."""
        assert self.role is not None
        return Actor(self.id, self.role)

    @property
    def staff(self) -> Staff:
        return Staff(self.id, self.schools, self.classes)


def caller_of(verified: Verified) -> Caller:
    """The caller a verified token names; `InvalidToken` when it lacks who or where."""
    issuer, claims = verified.issuer, verified.claims
    names = issuer.claims
    subject = claim(claims, names.subject)
    if not isinstance(subject, str) or not 0 < len(subject) <= MAX_ID:
        raise InvalidToken(f"the token names no caller ({names.subject})")
    tenant = _tenant(issuer, claims)
    if issuer.kind == "system":
        scopes = _words(claim(claims, names.scope))
        return Caller("system", subject, tenant, Role.INTEGRATION_PLATFORM, scopes=frozenset(
            s.removeprefix(issuer.scope_prefix) for s in scopes
            if s.startswith(issuer.scope_prefix)))
    return Caller("staff", subject, tenant, _role(issuer, claim(claims, names.role)),
                  schools=_words(claim(claims, names.schools)),
                  classes=_words(claim(claims, names.classes)))


def claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by its (dotted) name: ``consumer.ID`` is ``claims["consumer"]["ID"]``."""
    found: Any = claims
    for part in name.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _tenant(issuer: Issuer, claims: dict[str, Any]) -> str:
    if issuer.tenant is not None:
        return issuer.tenant
    value = claim(claims, issuer.claims.tenant)
    if isinstance(value, str) and issuer.tenants:
        value = issuer.tenants.get(value)
    if not isinstance(value, str) or not KOMMUNENUMMER.fullmatch(value):
        raise InvalidToken(f"the token names no municipality this service knows "
                           f"({issuer.claims.tenant})")
    return value


def _role(issuer: Issuer, value: Any) -> Role | None:
    if not isinstance(value, str):
        return None
    named = issuer.roles.get(value, value)
    if named in NOT_A_PERSON or named not in set(Role):
        return None
    return Role(named)


def _words(value: Any) -> frozenset[str]:
    """A list of strings, or one string of space-separated words (as ``scope`` is)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()
