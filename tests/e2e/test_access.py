"""Nobody gets in who shouldn't: the whole policy table walked with real tokens, each
validated by the service's own code (tests/support/tokens.py mints them).

For every endpoint and every kind of caller — no token, an expired one, a wrong issuer or
audience, ``alg: none``, a tampered signature, another municipality, another school,
another class, each role and each scope — the answer is what `POLICY` says: 401, 403,
404 (outside the caller's reach, as for a pupil nobody knows) or 200.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.envelope import Role
from domain.privacy import Reach, sees_health_details
from services.bootstrap import Service, build
from services.config import Settings
from services.http.app import create_app
from services.http.context.policy import (
    OPEN,
    POLICY,
    STAFF,
    Operation,
    Scope,
    markdown_table,
    reach_of,
)
from tests.conftest import ROOT, free_port, sqlite_environ
from tests.support import http, tokens
from tests.support.events import (
    SCHOOL,
    absent,
    applied_for_leave,
    enrolled,
    new_pupil,
    school_days,
)

PUPIL = new_pupil()
APPLICATION = "leave-1"
DOSSIER: list[str] = []  # the id of the dossier the fixture issues
DAYS = iter(school_days(400, start="2026-09-14"))  # one day per posted absence
IDS = count(1)


@dataclass(frozen=True)
class Case:
    """A kind of caller: its token, and whose data it reaches."""

    name: str
    token: Callable[[], str]
    role: Role | None = None
    scopes: frozenset[str] = frozenset()
    refused: bool = False  # 401: the token is not to be trusted
    outside: tuple[Reach, ...] = ()  # the reaches with which the pupil is out of reach
    school_outside: tuple[Reach, ...] = ()  # … and with which its school is

    @property
    def actor(self) -> dict[str, str]:
        if self.role is None or self.scopes:
            return {"id": "vigilo-sync", "role": "integration_platform"}
        return {"id": f"{self.role.value}-1", "role": self.role.value}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered() -> str:
    header, payload, signature = tokens.staff().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return ".".join([header, _b64({**claims, "tenant": "0301"}), signature])


def _alg_none() -> str:
    return ".".join([_b64({"alg": "none", "typ": "at+jwt", "kid": "x"}),
                     _b64(tokens.staff_claims(role="municipal_director")), ""])


REFUSED = [
    Case("no token", lambda: "", refused=True),
    Case("expired", lambda: tokens.signed(tokens.staff_claims(
        iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)), refused=True),
    Case("wrong issuer", lambda: tokens.signed(tokens.staff_claims(iss="https://evil.example/")),
         refused=True),
    Case("wrong audience", lambda: tokens.signed(tokens.staff_claims(aud="another-service")),
         refused=True),
    Case("alg none", _alg_none, refused=True),
    Case("tampered signature", _tampered, refused=True),
    Case("not an access token", lambda: tokens.signed(tokens.staff_claims(),
                                                      headers={"typ": "JWT"}), refused=True),
    Case("no expiry", lambda: tokens.signed(tokens.staff_claims(exp=None)), refused=True),
]
EVERY_REACH = (Reach.OWN_PUPILS, Reach.OWN_SCHOOL, Reach.MUNICIPALITY)
ELSEWHERE = [
    Case("other municipality", lambda: tokens.staff(tenant="0301"),
         role=Role.MUNICIPAL_DIRECTOR, outside=EVERY_REACH),
    Case("other school", lambda: tokens.staff("principal", schools=("school-2",)),
         role=Role.PRINCIPAL, outside=EVERY_REACH[:2], school_outside=EVERY_REACH[:2]),
    Case("other class", lambda: tokens.staff("contact_teacher", classes=("10C",),
                                             person="teacher-9"),
         role=Role.CONTACT_TEACHER, outside=EVERY_REACH[:1]),
]
ROLES = [Case(role.value, lambda role=role: tokens.staff(role.value), role=role)  # type: ignore[misc]
         for role in (*STAFF, Role.GUARDIAN, Role.PUPIL)]
SCOPES = [Case(f"scope {scope.value}", lambda scope=scope: tokens.system(scope.value),  # type: ignore[misc]
               role=Role.INTEGRATION_PLATFORM, scopes=frozenset({scope.value}))
          for scope in Scope]
CASES = [*REFUSED, *ELSEWHERE, *ROLES, *SCOPES]


def request_for(endpoint: str, case: Case) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, body) that would answer 200 to a caller allowed it."""
    if endpoint == "events.post_events":
        event = absent(PUPIL, next(DAYS), event_id=f"00000000-0000-4000-8000-{next(IDS):012d}")
        event["actor"] = case.actor
        return "POST", "/v1/events", {"events": [event]}
    pupil = f"/v1/pupils/{PUPIL}"
    if endpoint == "dossier.issue_dossier":
        return "POST", f"{pupil}/dossiers", None
    return "GET", {
        "pupils.get_absence": f"{pupil}/absence", "pupils.get_diploma": f"{pupil}/diploma",
        "pupils.get_concerns": f"{pupil}/concerns", "pupils.get_case": f"{pupil}/case",
        "tasks.get_tasks": "/v1/tasks",
        "leave.get_leave_application": f"/v1/leave-applications/{APPLICATION}",
        "schools.get_routine": f"/v1/schools/{SCHOOL}/routine",
        "templates.get_guides": "/v1/templates/conversation-guides",
        "templates.get_measures": "/v1/templates/measures",
        "history.get_history": f"{pupil}/history", "history.get_reads": f"{pupil}/reads",
        "dossier.get_dossier": f"{pupil}/dossier",
        "dossier.get_issued_dossier": f"/v1/dossiers/{DOSSIER[0]}",
        "audit.get_verify": "/v1/audit/verify",
        "audit.get_public_key": "/v1/audit/public-key",
        "audit.get_checkpoint": "/v1/audit/checkpoint",
        "audit.get_consistency": "/v1/audit/consistency?old_size=1",
        "health.get_metrics": "/metrics",
    }[endpoint], None


def expected(endpoint: str, operation: Operation, case: Case) -> int:
    """What the table says this caller gets."""
    if case.refused:
        return 401
    reach = reach_of(operation, case.role, case.scopes)
    if reach is None:
        return 403
    about_pupil = ("{pupil_id}" in _path(endpoint) or endpoint.startswith("leave.")
                   or endpoint == "dossier.get_issued_dossier")
    if about_pupil and reach in case.outside:
        return 404
    if endpoint == "schools.get_routine" and reach in case.school_outside:
        return 404
    if _shielded(endpoint, case):
        return 403
    return 201 if endpoint == "dossier.issue_dossier" else 200


def _shielded(endpoint: str, case: Case) -> bool:
    """The fixture's dossier was issued by the municipal director, who sees health details
    (PRIV-1): a role that does not may not read it."""
    return endpoint == "dossier.get_issued_dossier" and not (
        case.role is not None and sees_health_details(case.role))


def _path(endpoint: str) -> str:
    return next(rule.rule.replace("<uuid:pupil_id>", "{pupil_id}")
                for rule in create_app(lambda: None).url_map.iter_rules()  # type: ignore[arg-type,return-value]
                if rule.endpoint == endpoint)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    folder = tmp_path_factory.mktemp("access")
    service = build(Settings.from_environ(sqlite_environ(folder / "s.sqlite")))
    signed_in = http.client(service)
    setup = [enrolled(PUPIL), *(absent(PUPIL, day) for day in school_days(3)),
             applied_for_leave(PUPIL, APPLICATION, "2026-10-05", "2026-10-06")]
    answer = signed_in.post("/v1/events", json={"events": setup}).get_json()
    assert answer["accepted"] == len(setup), answer
    _settle(service)
    issued = signed_in.post(f"/v1/pupils/{PUPIL}/dossiers")
    assert issued.status_code == 201, issued.get_json()
    DOSSIER[:] = [issued.get_json()["dossier_id"]]
    yield signed_in
    service.close()


def _settle(service: Service) -> None:
    for worker in (service.pupil_views, service.audit_log):
        worker.catch_up()


@pytest.mark.parametrize("endpoint", list(POLICY))
def test_every_caller_gets_what_the_policy_table_says(client: FlaskClient,
                                                      endpoint: str) -> None:
    wrong = []
    for case in CASES:
        method, path, body = request_for(endpoint, case)
        response = client.open(path, method=method, json=body,
                               headers={"Authorization": f"Bearer {case.token()}"
                                        if case.token() else ""})
        want = expected(endpoint, POLICY[endpoint], case)
        if response.status_code != want:
            wrong.append((case.name, response.status_code, want))
        elif want == 401:
            assert response.headers["WWW-Authenticate"].startswith('Bearer realm="skolefravaer"')
            assert response.mimetype == "application/problem+json"
        elif want == 403 and _shielded(endpoint, case) and reach_of(
                POLICY[endpoint], case.role, case.scopes) is not None:
            assert response.get_json()["type"].endswith("/shielded-dossier")
        elif want == 403:
            assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
        elif endpoint == "events.post_events":
            wrong += _write_outcome(case, response.get_json())
        elif endpoint == "tasks.get_tasks":
            wrong += _tasks_seen(case, response.get_json()["tasks"])
    assert wrong == []


def _write_outcome(case: Case, answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A write allowed the caller is accepted when the pupil is in reach, else rejected."""
    [result] = answer["results"]
    want = "rejected" if case.outside else "accepted"
    return [] if result["status"] == want else [(case.name, result["status"], want)]


def _tasks_seen(case: Case, tasks: list[dict[str, Any]]) -> list[tuple[str, bool, bool]]:
    seen = any(task["pupil_id"] == PUPIL for task in tasks)
    return [] if seen == (not case.outside) else [(case.name, seen, not case.outside)]


def test_every_endpoint_is_in_the_table_or_open() -> None:
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}

    assert endpoints - OPEN == set(POLICY)


def test_the_open_endpoints_answer_without_a_token(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json"):
        assert client.get(path, headers={"Authorization": ""}).status_code == 200


def test_each_operation_says_in_the_openapi_document_which_roles_and_scopes_it_takes(
        client: FlaskClient) -> None:
    spec = json.loads(client.get("/openapi.json").data)  # more fields than a request may have

    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    verify = spec["paths"]["/v1/audit/verify"]["get"]
    assert verify["security"] == [{"bearer": []}]
    assert verify["x-roles"] == ["auditor (municipality)", "municipal_director (municipality)"]
    assert verify["x-scopes"] == ["audit"]
    absence = spec["paths"]["/v1/pupils/{pupil_id}/absence"]["get"]
    assert "subject_teacher (own_pupils)" in absence["x-roles"]
    assert absence["x-scopes"] == []  # systems read nothing personal
    assert "Roles: " in absence["description"]


def test_a_staff_token_without_a_municipality_is_refused(client: FlaskClient) -> None:
    response = client.get("/v1/templates/measures", headers=tokens.bearer(
        tokens.signed(tokens.staff_claims(tenant="0301\n"))))

    assert response.status_code == 401
    assert "municipality" in response.get_json()["detail"]


def test_a_key_rotated_at_the_issuer_is_found_by_its_kid(tmp_path: Path) -> None:
    from services.config import dev_issuer

    old, new = tmp_path / "old", tmp_path / "new"
    dev_issuer.ensure(old)
    dev_issuer.ensure(new)
    jwks = old / "jwks.json"
    issuers = dev_issuer.issuers(old)
    service = build(Settings.from_environ(sqlite_environ(
        tmp_path / "s.sqlite", AUTH_ISSUERS=json.dumps(issuers))))
    try:
        signed_in = http.client(service)

        def status(directory: Path) -> int:
            token = dev_issuer.token(directory, "staff", "3101", subject="p",
                                     role="principal")
            return int(signed_in.get("/v1/templates/measures",
                                     headers=tokens.bearer(token)).status_code)

        before = status(new)
        both = json.loads(jwks.read_text())["keys"] + json.loads(
            (new / "jwks.json").read_text())["keys"]
        jwks.write_text(json.dumps({"keys": both}))
        assert (before, status(new), status(old)) == (401, 200, 200)
    finally:
        service.close()


def test_the_readme_shows_the_policy_table_as_it_is() -> None:
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    paths = {rule.endpoint: f"{sorted(rule.methods - {'HEAD', 'OPTIONS'})[0]} "
                            + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
             for rule in app.url_map.iter_rules()}

    assert markdown_table(paths) in (ROOT / "README.md").read_text(encoding="utf-8")


def test_an_issuer_whose_keys_cannot_be_fetched_answers_503_not_401(tmp_path: Path) -> None:
    unreachable = {**json.loads(tokens.ENVIRON["AUTH_ISSUERS"])[0], "jwks_file": None,
                   "jwks_url": f"http://127.0.0.1:{free_port()}/jwks"}
    service = build(Settings.from_environ(sqlite_environ(
        tmp_path / "s.sqlite", AUTH_ISSUERS=json.dumps([unreachable]))))
    try:
        response = http.client(service).get("/v1/templates/measures")
    finally:
        service.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["type"].endswith("/keys-unavailable")
