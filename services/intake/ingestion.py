"""Ingestion of posted events: validate each, apply it to its aggregate, store the batch.

Each event of a batch is validated and applied on its own, in order; every accepted
event (with its idempotency receipt) is then written in one transaction, in batch
order. When that transaction loses a race with another writer, the whole batch is
decided again against the fresh state, so what is answered is what is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from marshmallow import Schema

from domain.case import case_aggregate_id
from domain.disposal import DataDisposed
from domain.envelope import Actor, Envelope, Role
from domain.errors import RuleViolation
from domain.municipality import municipality_aggregate_id
from domain.pupil import pupil_aggregate_id
from services.intake.authority import Author
from services.intake.contract import (
    DATA_SCHEMAS,
    ENVELOPE,
    INTERNAL_SCHEMAS,
)
from services.intake.handlers import HANDLERS
from services.intake.loading import InvalidData, load
from services.store.application import Skolefravaer
from services.store.lookups import positions
from services.store.outages import OUTAGES
from services.store.unit_of_work import UnitOfWork

rejection_log = logging.getLogger("skolefravaer.rejections")

MAX_FUTURE = timedelta(minutes=5)
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """Why one event was rejected: machine-readable ``code`` and ``rule``, a text."""

    code: str
    detail: str
    field: str | None = None
    rule: str | None = None


@dataclass
class Outcome:
    index: int
    event_id: str | None
    status: str  # accepted | duplicate | rejected
    position: int | None = None
    problems: list[Problem] = field(default_factory=list)
    original: tuple[UUID, int] | None = None
    """A duplicate's original event: (aggregate id, version)."""


class StoreUnavailable(Exception):
    """The event store could not take the batch now; nothing was stored. Retry later."""


class Rejected(Exception):
    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].detail)
        self.problems = list(problems)


def content_hash(raw: dict[str, Any]) -> str:
    """Hash of the event as posted, so "same id, same content" survives key order."""
    canonical = {**raw, "type_version": raw.get("type_version", 1)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Ingestor:
    """Decides and stores batches of posted events."""

    def __init__(self, app: Skolefravaer, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 attempts: int = 12) -> None:
        self.app = app
        self.clock = clock
        self.attempts = attempts

    def ingest(self, raw_events: list[dict[str, Any]], *, author: Author | None = None,
               internal: bool = False) -> list[Outcome]:
        """Decide and store a batch posted by ``author`` (every HTTP caller is one; None:
        the envelopes are trusted, as a caller inside the process — tests, benchmarks —
        wrote them); ``internal`` admits the service's own event types and role."""
        schemas = {**DATA_SCHEMAS, **INTERNAL_SCHEMAS} if internal else DATA_SCHEMAS
        poster = _Poster(author, schemas, internal)
        for attempt in range(self.attempts):
            try:
                # Deciding reads receipts and aggregates: an outage there is an outage too.
                # One batch of the process at a time: deciding holds the GIL, so threads
                # gain nothing by deciding together, and batches about the same pupils
                # would only lose races to each other (another process's still can).
                with self.app.writing:
                    outcomes, recordings = self._attempt(raw_events, poster)
            except IntegrityError:
                # Another writer stored an event of the same pupil or the same event_id
                # first; decide again against what is now stored, after a jittered pause
                # so that writers racing for the same pupils fall out of step.
                if attempt:
                    time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
                continue
            except DataDisposed:
                # A pupil of the batch was disposed of since this process cached it (its
                # key is gone): decide again from the store, which refuses its events.
                continue
            except OUTAGES as error:
                # eventsourcing has already retried (lock timeout, lost connection).
                raise StoreUnavailable(type(error).__name__) from error
            self._place(outcomes, recordings)
            self._log_rejections(raw_events, outcomes)
            return outcomes
        raise StoreUnavailable("the batch kept conflicting with concurrent writers")

    def _attempt(self, raw_events: list[dict[str, Any]], poster: _Poster
                 ) -> tuple[list[Outcome], list[Any]]:
        """Decide the batch and store it. Its aggregates are changed in place, not copied:
        whatever fails (a lost race, an outage, a bug), they are dropped, and the next
        attempt (or batch) reads them again from the store."""
        ids = {UUID(e) for e in map(_event_id_of, raw_events) if e is not None}
        uow = UnitOfWork(self.app, ids, _named(raw_events))  # each in one query
        try:
            outcomes = self._decide(uow, raw_events, poster)
            # The events in batch order, with the aggregates, whose snapshots are taken.
            recordings = self.app.record(uow.pending, uow.aggregates) if uow.pending else []
        except BaseException:
            uow.drop()
            raise
        uow.keep()
        return outcomes, recordings

    def _decide(self, uow: UnitOfWork, raw_events: list[dict[str, Any]], poster: _Poster
                ) -> list[Outcome]:
        now = self.clock()
        outcomes = []
        for index, raw in enumerate(raw_events):
            try:
                outcomes.append(self._decide_one(uow, index, raw, now, poster))
            except Rejected as rejection:
                uow.undo_half_done()
                outcomes.append(Outcome(index, _event_id_of(raw), "rejected",
                                        problems=rejection.problems))
        return outcomes

    def _decide_one(self, uow: UnitOfWork, index: int, raw: dict[str, Any], now: datetime,
                    poster: _Poster) -> Outcome:
        # A re-post is answered from its receipt before anything else is asked: what was
        # accepted stays accepted, whatever the domain (or a stricter schema) says now.
        event_id = _event_id_of(raw)
        stored = uow.receipt(UUID(event_id)) if event_id is not None else None
        if stored is not None:
            if stored.content_hash != content_hash(raw):
                raise Rejected(Problem("event_id_conflict", "this event_id was already "
                                       "accepted with other content", "event_id"))
            return Outcome(index, event_id, "duplicate", original=stored.subject_event)
        envelope, command = self._envelope_and_command(raw, now, poster)
        try:
            if poster.author is not None:
                poster.author.check_reach(uow, command)
            changed = HANDLERS[type(command)](uow, envelope, command)
        except RuleViolation as violation:
            raise _refused(violation) from None
        except InvalidData as invalid:  # a correction's replacement data
            raise _invalid(invalid) from None
        # The posted event first, then what the service decided on it (its case).
        first = uow.stage(*changed)
        uow.issue_receipt(envelope.event_id, content_hash(raw), changed[0].id, first)
        return Outcome(index, event_id, "accepted", position=first)

    def _envelope_and_command(self, raw: dict[str, Any], now: datetime,
                              poster: _Poster) -> tuple[Envelope, Any]:
        """The checked envelope, stamped with our clock and naming the actor the author is
        (or records for), and the typed command of its data."""
        fields = _load(ENVELOPE, raw, prefix="")
        event_type, schemas = fields["type"], poster.schemas
        actor = poster.actor_of(fields)
        if event_type not in schemas:
            raise Rejected(Problem("unknown_type", f"unknown event type {event_type!r}; "
                                   f"accepted: {', '.join(sorted(DATA_SCHEMAS))}", "type"))
        if fields["type_version"] != 1:
            raise Rejected(Problem("unknown_type_version", f"{event_type} has no type_version "
                                   f"{fields['type_version']}", "type_version"))
        if fields["occurred_at"] > now + MAX_FUTURE:
            raise Rejected(Problem("occurred_in_future", "occurred_at lies more than 5 minutes"
                                   " in the future", "occurred_at"))
        command = _load(schemas[event_type], fields["data"], prefix="data")
        envelope = Envelope(
            event_id=fields["event_id"], type=event_type, type_version=fields["type_version"],
            tenant=fields["tenant"], occurred_at=fields["occurred_at"], recorded_at=now,
            actor=actor, source=fields["source"])
        return envelope, command

    def _place(self, outcomes: list[Outcome], recordings: list[Any]) -> None:
        """Log positions: an accepted event's from this save, a duplicate's original one
        (one query for the batch)."""
        originals = positions(self.app, [o.original for o in outcomes if o.original])
        for outcome in outcomes:
            if outcome.status == "accepted":
                assert outcome.position is not None  # its index among the pending events
                outcome.position = recordings[outcome.position].notification.id
            elif outcome.original is not None:
                outcome.position = originals.get(outcome.original)

    def _log_rejections(self, raw_events: list[dict[str, Any]],
                        outcomes: list[Outcome]) -> None:
        # The rejection log names the event and the reason, never the event's data:
        # it may hold personal data about a child (PRIV-1).
        for outcome in outcomes:
            if outcome.status == "rejected":
                problem = outcome.problems[0]
                raw_type = raw_events[outcome.index].get("type")
                known = isinstance(raw_type, str) and raw_type in DATA_SCHEMAS
                rejection_log.info(
                    "rejected event_id=%s type=%s code=%s rule=%s field=%s",
                    outcome.event_id, raw_type if known else "unknown",
                    problem.code, problem.rule, problem.field)


@dataclass(frozen=True)
class _Poster:
    """Who posts the batch, and so which types and actors its events may have."""

    author: Author | None
    schemas: Mapping[str, Schema]
    internal: bool

    def actor_of(self, fields: dict[str, Any]) -> Actor:
        """The actor to store, or a rejection (`Rejected`)."""
        try:
            if fields["actor"]["role"] is Role.SERVICE and not self.internal:
                raise RuleViolation("actor_not_allowed", "the service's own role is never "
                                    "taken from a caller", field="actor.role")
            if self.author is None:
                return Actor(**fields["actor"])
            self.author.check_envelope(fields["tenant"], fields["type"])
            return self.author.actor_of(fields["actor"])
        except RuleViolation as violation:
            raise _refused(violation) from None


def _named(raw_events: list[dict[str, Any]]) -> list[UUID]:
    """The aggregates a batch names (its municipalities, its pupils and their cases), to
    read before deciding, together; ill-formed names are left to the contract to refuse."""
    named: list[UUID] = []
    tenants: set[str] = set()
    for raw in raw_events:
        tenant, data = raw.get("tenant"), raw.get("data")
        if not isinstance(tenant, str):
            continue
        if tenant not in tenants:
            tenants.add(tenant)
            named.append(municipality_aggregate_id(tenant))
        with suppress(ValueError, TypeError, AttributeError):
            pupil_id = UUID(str(data.get("pupil_id")))  # type: ignore[union-attr]
            named += [pupil_aggregate_id(tenant, pupil_id), case_aggregate_id(tenant, pupil_id)]
    return named


def _refused(violation: RuleViolation) -> Rejected:
    return Rejected(Problem(violation.code, violation.detail, violation.field, violation.rule))


def _event_id_of(raw: dict[str, Any]) -> str | None:
    """The event_id to echo back, only when it is a well-formed UUID (it is logged)."""
    try:
        return str(UUID(str(raw.get("event_id"))))
    except ValueError:
        return None


def _invalid(invalid: InvalidData) -> Rejected:
    """The event's invalid fields, the first MAX_PROBLEMS of them: an event of thousands of
    unknown fields would otherwise be answered with megabytes."""
    problems = [Problem("invalid_field", text, path)
                for path, text in invalid.errors[:MAX_PROBLEMS]]
    if len(invalid.errors) > MAX_PROBLEMS:
        problems.append(Problem("more_errors", f"{len(invalid.errors) - MAX_PROBLEMS} more "
                                               "invalid fields are not listed"))
    return Rejected(*problems)


def _load(schema: Schema, raw: Any, *, prefix: str) -> Any:
    """What ``schema`` loads ``raw`` into; an invalid field rejects the event, and so does a
    domain value that refuses to be built (a single-lesson absence without its lesson)."""
    try:
        return load(schema, raw, prefix=prefix)
    except InvalidData as invalid:
        raise _invalid(invalid) from None
    except RuleViolation as violation:
        raise _refused(violation) from None
