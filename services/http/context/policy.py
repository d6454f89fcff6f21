"""The one policy table: which role (staff) or scope (systems) may call each endpoint, and
over whose data (reach: own pupils, own school, whole municipality — PRIV, need to know).

`services.http.context.guard` enforces it for every request; the README's table and each
OpenAPI operation's roles and scopes are generated from it. An endpoint missing here is
refused to everyone. Where the guideline is silent, least privilege: a subject teacher sees
her pupils' tallies, not their cases; systems write, and read nothing personal; auditors
read histories, dossiers and the audit log; guardians and pupils have no grant until their
own sign-in (ID-porten, PRIV-2) is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from apispec import BasePlugin

from domain.envelope import Role
from domain.privacy import Reach
from services.config.issuers import NOT_A_PERSON


class Scope(StrEnum):
    """What a system's token may be issued for (Maskinporten scopes, after the prefix)."""

    EVENTS_WRITE = "events.write"
    READS = "reads"  # what is not personal: the guideline's templates, schools' routines
    AUDIT = "audit"  # the tamper-evident log: verify, key, checkpoints, proofs
    METRICS = "metrics"


Grantee = Role | Scope
OWN, S, M = Reach.OWN_PUPILS, Reach.OWN_SCHOOL, Reach.MUNICIPALITY
R = Role
STAFF = tuple(role for role in Role if role not in (*NOT_A_PERSON, R.GUARDIAN, R.PUPIL))
RECORDING_ABSENCE = frozenset({"AbsenceRecorded", "LateArrivalRecorded", "LeftSchoolRecorded"})


@dataclass(frozen=True)
class Operation:
    summary: str
    grants: Mapping[Grantee, Reach]
    # Per role, the event types it may post, where not all (writes only).
    event_types: Mapping[Role, frozenset[str]] = field(default_factory=dict)


def _everyone(reach: Reach, *scopes: Scope) -> dict[Grantee, Reach]:
    """Every member of staff and the given scopes: for what is not personal."""
    return {**dict.fromkeys(STAFF, reach), **dict.fromkeys(scopes, reach)}


_CASE_WORK: dict[Grantee, Reach] = {R.CONTACT_TEACHER: OWN, R.SOCIAL_TEACHER: S, R.PRINCIPAL: S,
              R.SCHOOL_LEADERSHIP: S, R.MUNICIPAL_DIRECTOR: M}
"""Who follows a pupil's case up (contact teacher, social teacher, leadership, director)."""
_SUPPORT: dict[Grantee, Reach] = {R.SCHOOL_HEALTH_SERVICE: S, R.PPT_ADVISOR: S,
                                  R.CONSULTATION_TEAM: S}
"""The services a school draws in (each for the schools it is assigned to)."""
_LEADERS: dict[Grantee, Reach] = {R.PRINCIPAL: S, R.SCHOOL_LEADERSHIP: S, R.MUNICIPAL_DIRECTOR: M}
_RECORD: dict[Grantee, Reach] = {R.AUDITOR: M, R.MUNICIPAL_DIRECTOR: M}

POLICY: dict[str, Operation] = {
    "events.post_events": Operation(
        "record events", {R.SUBJECT_TEACHER: OWN, **_CASE_WORK, **_SUPPORT,
                          R.CHILD_WELFARE_CONTACT: S, Scope.EVENTS_WRITE: M},
        event_types={R.SUBJECT_TEACHER: RECORDING_ABSENCE}),
    "pupils.get_absence": Operation("a pupil's absence tally",
                                    {R.SUBJECT_TEACHER: OWN, **_CASE_WORK, **_SUPPORT}),
    "pupils.get_diploma": Operation("a pupil's diploma figures", _CASE_WORK),
    "pupils.get_concerns": Operation("a pupil's concerns", {**_CASE_WORK, **_SUPPORT}),
    "pupils.get_case": Operation("a pupil's follow-up case",
                                 {**_CASE_WORK, **_SUPPORT, R.CHILD_WELFARE_CONTACT: S}),
    "tasks.get_tasks": Operation("deadlines across pupils",
                                 {**_CASE_WORK, R.SCHOOL_HEALTH_SERVICE: S}),
    "leave.get_leave_application": Operation("a leave application", _CASE_WORK),
    "schools.get_routine": Operation(
        "a school's absence routine", {R.CONTACT_TEACHER: S, R.SOCIAL_TEACHER: S,
                                       **_LEADERS, Scope.READS: M}),
    "templates.get_guides": Operation("the conversation guides", _everyone(M, Scope.READS)),
    "templates.get_measures": Operation("the measure catalogue", _everyone(M, Scope.READS)),
    "history.get_history": Operation("a pupil's history", {**_LEADERS, **_RECORD}),
    "dossier.get_dossier": Operation("a pupil's case presentation", {**_LEADERS, **_RECORD}),
    "dossier.issue_dossier": Operation("issue a pupil's case presentation", _LEADERS),
    "dossier.get_issued_dossier": Operation("an issued case presentation",
                                           {**_LEADERS, **_RECORD}),
    "history.get_reads": Operation("who read a pupil's data (PRIV-3)",
                                   {**_LEADERS, **_RECORD}),
    "audit.get_verify": Operation("re-hash the whole audit log", {**_RECORD,
                                                                  Scope.AUDIT: M}),
    "audit.get_public_key": Operation("the checkpoint key", _everyone(M, *Scope)),
    "audit.get_checkpoint": Operation("the latest checkpoint", _everyone(M, *Scope)),
    "audit.get_consistency": Operation("a consistency proof", _everyone(M, *Scope)),
    "health.get_metrics": Operation("Prometheus metrics", {Scope.METRICS: M}),
}

OPEN = frozenset({"health.healthz", "health.readyz", "api-docs.openapi_json",
                  "api-docs.openapi_swagger_ui", "api-docs-assets.asset"})
"""Endpoints anyone may call: the platform's probes and the API's description (the
document, and Swagger UI with its assets)."""


def reach_of(operation: Operation, role: Role | None, scopes: frozenset[str]) -> Reach | None:
    """The widest reach the caller's role or scopes are granted; None: not allowed."""
    granted = [reach for grantee, reach in operation.grants.items()
               if (isinstance(grantee, Role) and grantee == role)
               or (isinstance(grantee, Scope) and grantee.value in scopes)]
    order = list(Reach)
    return max(granted, key=order.index) if granted else None


class PolicyInOpenAPI(BasePlugin):
    """Each operation of the OpenAPI document says, from `POLICY`, that it takes a bearer
    token and which roles (with their reach) and scopes it admits."""

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        operation = POLICY.get(getattr(rule, "endpoint", ""))
        if operation is None or not operations:
            return
        roles = sorted(f"{g.value} ({r.value})" for g, r in operation.grants.items()
                       if isinstance(g, Role))
        scopes = sorted(g.value for g in operation.grants if isinstance(g, Scope))
        for documented in operations.values():
            documented["security"] = [{BEARER: []}]
            documented["x-roles"], documented["x-scopes"] = roles, scopes
            documented["description"] = (documented.get("description", "") + "\n\n"
                                         f"Roles: {', '.join(roles) or 'none'}. "
                                         f"Scopes: {', '.join(scopes) or 'none'}.").strip()


BEARER = "bearer"
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                 "description": "An OAuth 2.0 access token (RFC 9068) of a trusted issuer "
                                "(AUTH_ISSUERS): Maskinporten for systems, the "
                                "municipality's sign-in for staff."}


def markdown_table(paths: Mapping[str, str]) -> str:
    """The policy as the README shows it: a row per endpoint (``paths``: endpoint -> "GET
    /v1/…"), a column per role and scope."""
    columns: list[Grantee] = [*STAFF, *Scope]
    mark = {OWN: "own pupils", S: "own school", M: "all"}
    lines = ["| | " + " | ".join(f"`{c.value}`" for c in columns) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for endpoint, operation in POLICY.items():
        cells = [mark[operation.grants[c]] if c in operation.grants else "—" for c in columns]
        lines.append(f"| `{paths[endpoint]}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
