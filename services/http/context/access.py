"""The one mechanism that enforces the policy table: before every request, the bearer token
is validated (401), the caller's role or scopes looked up in `POLICY` for the endpoint (403),
and a pupil or school in the path checked against the caller's reach (404, as for a pupil
nobody knows: nothing is revealed about other schools or municipalities).

Endpoints then read the caller from here — never from the request: the municipality, the
role that unlocks health details (PRIV-1) and safeguarding records, the reader of PRIV-3.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from flask import Flask, current_app, g, request

from domain.privacy import Place, Reach, Sight, places_of, reaches
from domain.pupil import Pupil, pupil_aggregate_id
from domain.records import AddressProtection
from services.http.context import once, service
from services.http.context.callers import Caller, caller_of
from services.http.context.policy import OPEN, POLICY, Operation, reach_of
from services.http.context.tokens import InvalidToken, KeysUnavailable, TokenValidator
from services.http.problems import ProblemError, not_found, unavailable
from services.intake.authority import Author
from services.reads.history import Reader

log = logging.getLogger(__name__)

VALIDATOR = "skolefravaer.tokens"
REALM = 'Bearer realm="skolefravaer"'


@dataclass(frozen=True)
class Access:
    """The signed-in caller and what the policy grants them for this request."""

    caller: Caller
    operation: Operation
    reach: Reach

    def reaches(self, places: Iterable[Place]) -> bool:
        return reaches(self.reach, self.caller.staff, places)


def install(app: Flask) -> None:
    # The validator of the service's issuers, built with the service (after the fork).
    app.extensions[VALIDATOR] = once(lambda: TokenValidator(service().settings.auth_issuers))
    app.before_request(_admit)


def _admit() -> None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN:  # unrouted: 404 or 405 follows
        return
    operation = POLICY.get(endpoint)
    caller = _authenticated()
    reach = reach_of(operation, caller.role, caller.scopes) if operation else None
    if operation is None or reach is None:
        raise ProblemError(403, "Forbidden", "the caller's role or scopes do not allow this",
                           kind="forbidden", headers={"WWW-Authenticate": _challenge(
                               "insufficient_scope", "the token does not allow this")})
    g.access = Access(caller, operation, reach)
    arguments = request.view_args or {}
    if isinstance(arguments.get("pupil_id"), UUID):
        require_pupil(arguments["pupil_id"])
    if isinstance(arguments.get("school_id"), str):
        require_school(arguments["school_id"])


def _authenticated() -> Caller:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "Unauthorized", "a bearer access token is required",
                           kind="unauthorized", headers={"WWW-Authenticate": REALM})
    validator: TokenValidator = current_app.extensions[VALIDATOR]()
    try:
        return caller_of(validator.validate(token.strip()))
    except InvalidToken as error:
        log.info("token refused: %s", error)
        raise ProblemError(401, "Unauthorized", str(error), kind="invalid-token", headers={
            "WWW-Authenticate": _challenge("invalid_token", str(error))}) from None
    except KeysUnavailable as error:
        log.warning("token keys unavailable: issuer %s", error)
        raise unavailable("the token issuer's keys cannot be fetched now", "keys-unavailable",
                          retry_after=5) from None


def _challenge(code: str, description: str) -> str:
    """RFC 6750 section 3: the error and a description without quotes or backslashes."""
    text = description.replace('"', "'").replace("\\", "/")
    return f'{REALM}, error="{code}", error_description="{text}"'


def access() -> Access:
    """This request's caller and grant (set by the policy check before the endpoint)."""
    granted: Access = g.access
    return granted


def caller() -> Caller:
    return access().caller


def current_reader(pupil_id: UUID) -> Reader:
    """The caller as a reader of a pupil's data, and what of it they may see (PRIV-1,
    PRIV-2, PRIV-3)."""
    who = caller()
    return Reader(who.actor, Sight.of(who.role, protection_of(pupil_id)))


def protection_of(pupil_id: UUID) -> AddressProtection | None:
    """PRIV-2: how the pupil's (or a guardian's) address is protected, from the latest
    enrolment."""
    return service().app.peek(pupil_aggregate_id(caller().tenant, pupil_id), _protection)


def _protection(pupil: Pupil) -> AddressProtection | None:
    return pupil.latest_enrolment().protection if pupil.enrolments else None


def record_read(what: str, *pupil_ids: UUID) -> None:
    """PRIV-3: the caller's read of these pupils' data, stored (one append for all of
    them) before the answer is sent; an answer that cannot be recorded is not sent."""
    if pupil_ids:
        service().history.record_reads(caller().tenant, pupil_ids, caller().actor, what)


def author() -> Author:
    """The caller as the author of a batch: what the events they post may say."""
    granted = access()
    who = granted.caller
    types = granted.operation.event_types.get(who.role) if who.role else None
    return Author(who.tenant, who.actor, on_behalf=who.kind == "system", reach=granted.reach,
                  staff=who.staff, event_types=types)


def pupil_places(pupil_id: UUID) -> list[Place] | None:
    """Where a pupil of the caller's municipality is enrolled; None: no such pupil."""
    return service().app.peek(pupil_aggregate_id(caller().tenant, pupil_id),
                              lambda pupil: places_of(pupil.enrolments.values()))


def in_reach(pupil_id: UUID) -> bool:
    granted = access()
    if granted.reach is Reach.MUNICIPALITY:
        return True  # every lookup is of the caller's municipality
    places = pupil_places(pupil_id)
    return places is not None and granted.reaches(places)


def pupils_in_reach(pupil_ids: Iterable[str]) -> set[str]:
    """Those of ``pupil_ids`` in the caller's reach, each looked up once."""
    return {pupil_id for pupil_id in set(pupil_ids) if in_reach(UUID(pupil_id))}


def require_pupil(pupil_id: UUID) -> None:
    """404 for a pupil outside the caller's reach, as for one nobody knows."""
    if not in_reach(pupil_id):
        raise not_found("no event is about this pupil_id", "unknown-pupil")


def require_school(school_id: str) -> None:
    if not access().reaches([Place(school_id)]):
        raise not_found("no school with this id is in reach", "unknown-school")
