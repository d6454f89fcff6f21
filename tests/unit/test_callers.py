"""A verified token's claims read as its issuer's configuration says: the README's
Maskinporten-style and Feide-style issuers, and tokens that name too little."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.envelope import Role
from services.config import Settings
from services.config.issuers import Issuer
from services.http.context.callers import Caller, caller_of
from services.http.context.tokens import InvalidToken, Verified

MASKINPORTEN = {"issuer": "https://maskinporten.no/", "kind": "system",
                "audience": "https://skolefravaer.halden.kommune.no/",
                "jwks_url": "https://maskinporten.no/jwk", "algorithms": ["RS256"],
                "require_at_jwt": False,
                "claims": {"subject": "client_id", "tenant": "consumer.ID"},
                "tenants": {"0192:944383565": "3101"},
                "scope_prefix": "halden:skolefravaer/"}
FEIDE = {"issuer": "https://login.halden.kommune.no/", "kind": "staff",
         "audience": "skolefravaer", "tenant": "3101",
         "jwks_url": "https://login.halden.kommune.no/.well-known/jwks.json",
         "algorithms": ["RS256", "ES256"],
         "claims": {"subject": "sub", "role": "skolefravaer_rolle", "schools": "skoler",
                    "classes": "basisgrupper"},
         "roles": {"rektor": "principal", "kontaktlaerer": "contact_teacher",
                   "faglaerer": "subject_teacher",
                   "helsesykepleier": "school_health_service"}}


def issuer(config: dict[str, Any]) -> Issuer:
    [read] = Settings.from_environ({"AUTH_ISSUERS": json.dumps([config])}).auth_issuers
    return read


def caller(config: dict[str, Any], claims: dict[str, Any]) -> Caller:
    return caller_of(Verified(issuer(config), claims))


def test_a_maskinporten_token_names_the_platform_its_municipality_and_scopes() -> None:
    claims = {"client_id": "vigilo-sync", "scope": "halden:skolefravaer/events.write "
              "halden:skolefravaer/reads nav:other/scope",
              "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:944383565"}}

    assert caller(MASKINPORTEN, claims) == Caller(
        "system", "vigilo-sync", "3101", Role.INTEGRATION_PLATFORM,
        scopes=frozenset({"events.write", "reads"}))


def test_an_organisation_no_municipality_is_mapped_to_is_refused() -> None:
    claims = {"client_id": "x", "scope": "", "consumer": {"ID": "0192:999999999"}}

    with pytest.raises(InvalidToken, match="municipality"):
        caller(MASKINPORTEN, claims)


def test_a_feide_token_names_the_person_their_role_schools_and_classes() -> None:
    claims = {"sub": "f8a7c2e0", "skolefravaer_rolle": "kontaktlaerer",
              "skoler": ["halden-ungdomsskole"], "basisgrupper": ["9B", "9C"]}

    assert caller(FEIDE, claims) == Caller(
        "staff", "f8a7c2e0", "3101", Role.CONTACT_TEACHER,
        schools=frozenset({"halden-ungdomsskole"}), classes=frozenset({"9B", "9C"}))


@pytest.mark.parametrize("role", ["vaktmester", "skolefravaer", "integration_platform",
                                  ["rektor", "kontaktlaerer"], None])
def test_a_role_the_service_does_not_know_for_a_person_is_no_role(role: object) -> None:
    found = caller(FEIDE, {"sub": "x", "skolefravaer_rolle": role})

    assert found.role is None  # allowed nothing by the policy table


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": ["a"]}, {"sub": "x" * 201}])
def test_a_token_that_names_no_caller_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken, match="names no caller"):
        caller(FEIDE, claims)
