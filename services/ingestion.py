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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError
from marshmallow import Schema, ValidationError

from domain.calendar import (
    BlackoutPeriod,
    Calendar,
    HolyDay,
    SchoolCalendar,
    calendar_aggregate_id,
)
from domain.envelope import Actor, Envelope
from domain.errors import RuleViolation
from domain.pupil import Pupil, pupil_aggregate_id
from domain.receipt import IngestionReceipt, receipt_id
from domain.records import (
    Absence,
    AbsenceNotice,
    Enrolment,
    Guardian,
    LateArrival,
    LeftSchool,
    Lesson,
)
from services.application import Skolefravaer
from services.contract import DATA_SCHEMAS, ENVELOPE, field_errors

rejection_log = logging.getLogger("skolefravaer.rejections")

MAX_FUTURE = timedelta(minutes=5)


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


class StoreUnavailable(Exception):
    """The event store could not take the batch now; nothing was stored. Retry later."""


class Rejected(Exception):
    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems[0].detail)
        self.problems = list(problems)


class UnitOfWork:
    """The aggregates a batch touches, and the events it will store, in batch order."""

    def __init__(self, app: Skolefravaer, *, look_up_receipts: bool) -> None:
        self._app = app
        self._look_up_receipts = look_up_receipts
        self._aggregates: dict[UUID, Aggregate | None] = {}
        self.pending: list[Any] = []
        self.receipts: dict[UUID, str] = {}

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self._aggregates:
            self._aggregates[aggregate_id] = self._app.find(aggregate_id)
        return self._aggregates[aggregate_id]

    def stage(self, aggregate: Aggregate) -> int:
        """Queue the aggregate's new events; answer the index of the first one."""
        self._aggregates[aggregate.id] = aggregate
        first = len(self.pending)
        self.pending.extend(aggregate.collect_events())
        return first

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a is not None]

    def stored_hash(self, event_id: UUID) -> str | None:
        if event_id in self.receipts:
            return self.receipts[event_id]
        if not self._look_up_receipts:
            return None
        receipt = self._app.find(receipt_id(event_id))
        return None if receipt is None else str(receipt.content_hash)

    def issue_receipt(self, event_id: UUID, content_hash: str, subject_id: UUID) -> None:
        self.receipts[event_id] = content_hash
        self.stage(IngestionReceipt(event_id, content_hash, subject_id))


Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], Aggregate]


def _pupil(uow: UnitOfWork, envelope: Envelope, pupil_id: UUID) -> Pupil:
    pupil = uow.get(pupil_aggregate_id(envelope.tenant, pupil_id))
    if pupil is None:
        raise RuleViolation("not_enrolled", "no pupil with this pupil_id is enrolled in "
                            "this municipality", field="data.pupil_id")
    assert isinstance(pupil, Pupil)
    return pupil


def enrol_pupil(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    enrolment = Enrolment(**{**data, "guardians": tuple(
        Guardian(**guardian) for guardian in data["guardians"])})
    pupil = uow.get(pupil_aggregate_id(envelope.tenant, enrolment.pupil_id))
    if pupil is None:
        return Pupil.enrolled(envelope, enrolment)
    pupil.enrol(envelope, enrolment)
    return pupil  # type: ignore[no-any-return]


def publish_calendar(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    calendar = Calendar(
        school_id=data["school_id"],
        school_year=data["school_year"],
        school_days=tuple(sorted(set(data["school_days"] or _weekdays(
            data["first_day"], data["last_day"], set(data["non_school_days"]))))),
        blackout_periods=tuple(
            BlackoutPeriod(kind=p["kind"], from_date=p["from_"], to_date=p["to"],
                           grades=tuple(p["grades"])) for p in data["blackout_periods"]),
        holy_days=tuple(HolyDay(**h) for h in data["holy_days"]),
    )
    existing = uow.get(calendar_aggregate_id(envelope.tenant, calendar.school_id,
                                             calendar.school_year))
    if existing is None:
        return SchoolCalendar(envelope, calendar)
    existing.republish(envelope, calendar)
    return existing  # type: ignore[no-any-return]


def _weekdays(first: date, last: date, excluded: set[date]) -> Iterator[date]:
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in excluded:
            yield day
        day += timedelta(days=1)


def record_absence(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = _pupil(uow, envelope, data["pupil_id"])
    lesson = Lesson(**data["lesson"]) if data["lesson"] else None
    pupil.record_absence(envelope, Absence(date=data["date"], scope=data["scope"],
                                           lesson=lesson))
    return pupil


def record_late_arrival(uow: UnitOfWork, envelope: Envelope,
                        data: dict[str, Any]) -> Aggregate:
    pupil = _pupil(uow, envelope, data["pupil_id"])
    lesson = Lesson(**data["lesson"]) if data["lesson"] else None
    pupil.record_late_arrival(envelope, LateArrival(date=data["date"], lesson=lesson,
                                                    minutes_late=data["minutes_late"]))
    return pupil


def record_left_school(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = _pupil(uow, envelope, data["pupil_id"])
    pupil.record_left_school(envelope, LeftSchool(date=data["date"], time=data["time"]))
    return pupil


def receive_notice(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = _pupil(uow, envelope, data["pupil_id"])
    lessons = tuple(data["lessons"]) if data["lessons"] is not None else None
    pupil.receive_notice(envelope, AbsenceNotice(
        from_date=data["from_date"], to_date=data["to_date"], cause=data["cause"],
        channel=data["channel"], guardian_id=data["guardian_id"], lessons=lessons,
        cause_text=data["cause_text"]))
    return pupil


HANDLERS: dict[str, Handler] = {
    "PupilEnrolled": enrol_pupil,
    "SchoolCalendarPublished": publish_calendar,
    "AbsenceRecorded": record_absence,
    "LateArrivalRecorded": record_late_arrival,
    "LeftSchoolRecorded": record_left_school,
    "AbsenceNoticeReceived": receive_notice,
}
assert HANDLERS.keys() == DATA_SCHEMAS.keys()


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

    def ingest(self, raw_events: list[dict[str, Any]]) -> list[Outcome]:
        for attempt in range(self.attempts):
            # Most events are new: the first attempt does not look up their receipts one
            # by one, since storing a receipt that exists fails the whole transaction and
            # the next attempt then looks them up.
            outcomes, uow = self._decide(raw_events, look_up_receipts=attempt > 0)
            try:
                # The events in batch order, then the aggregates (their pending events
                # already taken) so that eventsourcing takes their snapshots.
                recordings = self.app.save(*uow.pending, *uow.aggregates) if uow.pending else []
            except IntegrityError:
                # Another writer stored an event of the same pupil or the same event_id
                # first; decide again against what is now stored, after a jittered pause
                # so that writers racing for the same pupils fall out of step.
                if attempt:
                    time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))
                continue
            except OperationalError as error:
                # eventsourcing has already retried (lock timeout, lost connection).
                raise StoreUnavailable(type(error).__name__) from error
            for outcome in outcomes:
                if outcome.position is not None:
                    outcome.position = recordings[outcome.position].notification.id
            self._log_rejections(raw_events, outcomes)
            return outcomes
        raise StoreUnavailable("the batch kept conflicting with concurrent writers")

    def _decide(self, raw_events: list[dict[str, Any]], *,
                look_up_receipts: bool) -> tuple[list[Outcome], UnitOfWork]:
        uow = UnitOfWork(self.app, look_up_receipts=look_up_receipts)
        now = self.clock()
        outcomes = []
        for index, raw in enumerate(raw_events):
            event_id = _event_id_of(raw)
            try:
                status, first_event = self._decide_one(uow, raw, now)
            except Rejected as rejection:
                outcomes.append(Outcome(index, event_id, "rejected",
                                        problems=rejection.problems))
            else:
                outcomes.append(Outcome(index, event_id, status, position=first_event))
        return outcomes, uow

    def _decide_one(self, uow: UnitOfWork, raw: dict[str, Any],
                    now: datetime) -> tuple[str, int | None]:
        envelope_fields = _load(ENVELOPE, raw, prefix="")
        event_type = envelope_fields["type"]
        if event_type not in DATA_SCHEMAS:
            raise Rejected(Problem("unknown_type", f"unknown event type {event_type!r}; "
                                   f"accepted: {', '.join(sorted(DATA_SCHEMAS))}", "type"))
        if envelope_fields["type_version"] != 1:
            raise Rejected(Problem("unknown_type_version", f"{event_type} has no type_version "
                                   f"{envelope_fields['type_version']}", "type_version"))
        if envelope_fields["occurred_at"] > now + MAX_FUTURE:
            raise Rejected(Problem("occurred_in_future", "occurred_at lies more than 5 minutes"
                                   " in the future", "occurred_at"))
        data = _load(DATA_SCHEMAS[event_type], envelope_fields["data"], prefix="data")

        event_id: UUID = envelope_fields["event_id"]
        digest = content_hash(raw)
        stored = uow.stored_hash(event_id)
        if stored == digest:
            return "duplicate", None
        if stored is not None:
            raise Rejected(Problem("event_id_conflict", "this event_id was already accepted "
                                   "with other content", "event_id"))

        envelope = Envelope(
            event_id=event_id, type=event_type, type_version=envelope_fields["type_version"],
            tenant=envelope_fields["tenant"], occurred_at=envelope_fields["occurred_at"],
            recorded_at=now, actor=Actor(**envelope_fields["actor"]),
            source=envelope_fields["source"])
        try:
            aggregate = HANDLERS[event_type](uow, envelope, data)
        except RuleViolation as violation:
            raise Rejected(Problem(violation.code, violation.detail, violation.field,
                                   violation.rule)) from None
        first = uow.stage(aggregate)
        uow.issue_receipt(event_id, digest, aggregate.id)
        return "accepted", first

    def _log_rejections(self, raw_events: list[dict[str, Any]],
                        outcomes: list[Outcome]) -> None:
        # The rejection log names the event and the reason, never the event's data:
        # it may hold personal data about a child (PRIV-1).
        for outcome in outcomes:
            if outcome.status == "rejected":
                problem = outcome.problems[0]
                raw_type = raw_events[outcome.index].get("type")
                rejection_log.info(
                    "rejected event_id=%s type=%s code=%s rule=%s field=%s",
                    outcome.event_id, raw_type if raw_type in DATA_SCHEMAS else "unknown",
                    problem.code, problem.rule, problem.field)


def _event_id_of(raw: dict[str, Any]) -> str | None:
    """The event_id to echo back, only when it is a well-formed UUID (it is logged)."""
    try:
        return str(UUID(str(raw.get("event_id"))))
    except ValueError:
        return None


def _load(schema: Schema, raw: Any, *, prefix: str) -> dict[str, Any]:
    try:
        return schema.load(raw)  # type: ignore[no-any-return]
    except ValidationError as error:
        raise Rejected(*(Problem("invalid_field", text, path)
                         for path, text in field_errors(error.messages, prefix))) from None

