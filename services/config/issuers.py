"""The token issuers the service trusts (``AUTH_ISSUERS``), and how each one's claims name
the caller's municipality, role, schools and scopes.

Two kinds of issuer, as Norwegian municipalities have them: ``system`` (Maskinporten: a
client credentials token naming the organisation and its scopes) and ``staff`` (the
municipality's sign-in, Feide or ID-porten behind its front end: the token names the person,
and claims give role, schools, classes and municipality). The README shows an example of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# Asymmetric algorithms only: a symmetric one (HS256) would let anyone holding the
# issuer's public key sign tokens with it, and "none" signs nothing.
Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                    "ES256", "ES384", "ES512", "EdDSA"]
# A kommunenummer: four ASCII digits (pydantic's regex engine ends "$" at the very end: no
# trailing newline gets through, as it would with Python's re).
Tenant = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
NOT_A_PERSON = ("skolefravaer", "integration_platform")  # roles no person's token may have
DEVELOPMENT = "skolefravaer-dev/"  # the issuers of services/config/dev_issuer.py


class ClaimNames(BaseModel):
    """Where in the token each thing is; a dotted name reaches into an object
    (Maskinporten's ``consumer.ID``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = "sub"  # the person (staff) or the client (system)
    tenant: str = "tenant"  # the municipality, as `Issuer.tenants` maps it, else 4 digits
    role: str = "role"  # staff: one role, mapped by `Issuer.roles`
    schools: str = "schools"  # staff: the school ids they work at (list or space-separated)
    classes: str = "classes"  # staff: the class ids (basis groups) they teach
    scope: str = "scope"  # system: space-separated scopes (RFC 9068)


class Issuer(BaseModel):
    """One trusted issuer of access tokens (RFC 9068 JWTs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1)  # the exact ``iss``
    kind: Literal["system", "staff"]
    audience: str = Field(min_length=1)  # the ``aud`` this service is known by there
    jwks_url: AnyHttpUrl | None = None
    jwks_file: Path | None = None  # a JWK Set on disk (read again when a kid is unknown)
    algorithms: tuple[Algorithm, ...] = Field(("RS256",), min_length=1)
    leeway: int = Field(30, ge=0, le=300)  # seconds of clock skew allowed on exp/iat/nbf
    require_at_jwt: bool = True  # RFC 9068: header typ "at+jwt"
    claims: ClaimNames = ClaimNames()
    tenant: Tenant | None = None  # every caller of this issuer is of this municipality
    tenants: dict[str, Tenant] = {}  # claim value (an organisation number) -> kommunenummer
    roles: dict[str, str] = {}  # claim value -> role (default: the role's own name)
    scope_prefix: str = ""  # stripped from each scope: "kommune:skolefravaer/" + "reads"

    @model_validator(mode="after")
    def _one_key_source(self) -> Issuer:
        if (self.jwks_url is None) == (self.jwks_file is None):
            raise ValueError("give exactly one of jwks_url and jwks_file")
        return self

    @field_validator("roles")
    @classmethod
    def _staff_roles(cls, roles: dict[str, str]) -> dict[str, str]:
        # Imported here: `skolefravaer status` reads the settings without the domain.
        from domain.envelope import Role

        for claimed, role in roles.items():
            if role not in set(Role) or role in NOT_A_PERSON:
                raise ValueError(f"{claimed!r} cannot map to {role!r}: not a person's role")
        return roles
