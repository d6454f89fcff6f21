"""What of a stored event may leave the service on a Kafka topic.

Topics reach reporting services that have no need to know who a child is, nor why the
child was away: no names, national identity numbers, guardians, causes of absence,
faith communities or health facts (PRIV-1, PRIV-2). Each event type lists what it
publishes; an event type without an entry here is not published at all, so a new type
leaks nothing until someone decides what of it may be shared.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.utils import resolve_topic

from domain.calendar import SchoolCalendar
from domain.case import FollowUpCase, restricted
from domain.pupil import Pupil
from projections.db import Transaction, ViewDatabase
from projections.follower import LoggedEvent

Publisher = Callable[[Any], dict[str, Any]]


def _enrolment(event: Any) -> dict[str, Any]:
    enrolment = event.enrolment
    if enrolment.protection is not None:  # PRIV-2: the school would tell where they live
        return {"school_year": enrolment.school_year, "grade": enrolment.grade}
    return {"school_id": enrolment.school_id, "school_year": enrolment.school_year,
            "grade": enrolment.grade, "class_id": enrolment.class_id}


def _absence(event: Any) -> dict[str, Any]:
    absence = event.absence
    return {"date": absence.date.isoformat(), "scope": absence.scope.value,
            "period": absence.lesson.period if absence.lesson else None}


def _late_arrival(event: Any) -> dict[str, Any]:
    late = event.late_arrival
    return {"date": late.date.isoformat(),
            "period": late.lesson.period if late.lesson else None,
            "minutes_late": late.minutes_late}


def _left_school(event: Any) -> dict[str, Any]:
    return {"date": event.left_school.date.isoformat(),
            "time": event.left_school.time.isoformat()}


def _notice(event: Any) -> dict[str, Any]:
    # The cause (illness …) and its text are health data: never published.
    notice = event.notice
    return {"from_date": notice.from_date.isoformat(), "to_date": notice.to_date.isoformat(),
            "lessons": list(notice.lessons) if notice.lessons is not None else None,
            "channel": notice.channel.value}


def _calendar(event: Any) -> dict[str, Any]:
    calendar = event.calendar
    return {"school_id": calendar.school_id, "school_year": calendar.school_year,
            "school_days": [d.isoformat() for d in calendar.school_days],
            "blackout_periods": [
                {"kind": p.kind.value, "from": p.from_date.isoformat(),
                 "to": p.to_date.isoformat(), "grades": list(p.grades)}
                for p in calendar.blackout_periods]}


def _case(event: Any) -> dict[str, Any]:
    """Follow-up records publish that they happened, and their kind: never minutes,
    results, names or grounds."""
    kinds = {"meeting": lambda e: {"kind": e.meeting.kind.value},
             "contact": lambda e: {"channel": e.contact.channel.value,
                                   "reached": e.contact.reached},
             "letter": lambda e: {"purpose": e.letter.purpose.value},
             "referral": lambda e: {"to": e.referral.to.value},
             "report": lambda e: {"to": e.report.to.value},
             "outcome": lambda e: {"outcome": str(e.outcome)},
             # What the service decided: which rule, task, stage or day; never titles.
             "task": lambda e: {"task_id": e.task.task_id, "rule": e.task.rule,
                                "due_at": e.task.due_at.isoformat()},
             "due_at": lambda e: {"task_id": e.task_id, "rule": e.rule,
                                  "due_at": e.due_at.isoformat()},
             "task_id": lambda e: {"task_id": e.task_id, "rule": e.rule},
             "period": lambda e: {"rule": e.rule, "period": e.period},
             "stage": lambda e: {"stage": e.stage, "episode": e.episode},
             "day": lambda e: {"date": e.day.isoformat()}}
    for attribute, publish in kinds.items():
        if hasattr(event, attribute):
            return publish(event)  # type: ignore[no-untyped-call]
    return {}


PUBLISHERS: dict[type, Publisher] = {
    Pupil.Enrolled: _enrolment,
    Pupil.EnrolmentRecorded: _enrolment,
    Pupil.AbsenceRecorded: _absence,
    Pupil.LateArrivalRecorded: _late_arrival,
    Pupil.LeftSchoolRecorded: _left_school,
    Pupil.AbsenceNoticeReceived: _notice,
    SchoolCalendar.Published: _calendar,
    SchoolCalendar.Republished: _calendar,
}


def message_key(event: Any) -> str:
    """Pupil events are keyed by the pupil, so one pupil's events keep their order."""
    if hasattr(event, "pupil_id"):
        return str(event.pupil_id)
    return f"school:{event.calendar.school_id}"


def published(event: Any) -> bool:
    """Pupil events, case events and calendars are; receipts, references, municipal rule
    sets and school routines are not."""
    return _published_type(type(event))


def published_topic(topic: str) -> bool:
    """Whether events stored under ``topic`` are `published` (known before decoding them)."""
    return _published_type(resolve_topic(topic))


def _published_type(cls: type) -> bool:
    return cls in PUBLISHERS or issubclass(cls, FollowUpCase.Event | Pupil.Event)


def message(event: Any, position: int, sequence: int | None = None
            ) -> dict[str, Any] | None:
    """The message body for ``event``, or None when the event is not published.

    Every event of a pupil (the pupil's and the case's) is published, so that the
    pupil's ``sequence`` (from ``Sequences``) has no gaps; its ``data`` is only what
    PUBLISHERS (or ``_case``) let through, and a restricted (safeguarding) record is
    published as a type of its own with no data.
    """
    if not published(event):
        return None
    publisher = PUBLISHERS.get(type(event))
    envelope = event.envelope
    hidden = restricted(event)
    return {
        "event_id": str(envelope.event_id),
        "type": "RestrictedRecord" if hidden else envelope.type,
        "type_version": envelope.type_version,
        "tenant": envelope.tenant,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "position": position,
        # Consecutive per key (the pupil), so a consumer can see a gap.
        "sequence": event.originator_version if sequence is None else sequence,
        "pupil_id": str(event.pupil_id) if hasattr(event, "pupil_id") else None,
        "data": {} if hidden else (publisher or _case)(event),
    }


class Sequences:
    """Each key's own consecutive ``sequence``: a pupil's events come from two streams
    (the pupil's and the case's), so the aggregate versions alone would leave gaps. The
    relay counts each key's published messages in log order and saves the counts with
    its position, in one transaction: a batch sent again after a crash carries the same
    numbers, and a relay that starts over from the beginning counts from 1 again."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS published_sequence (
        relay TEXT NOT NULL,
        message_key TEXT NOT NULL,
        sequence BIGINT NOT NULL,
        PRIMARY KEY (relay, message_key)
    )"""

    def __init__(self, db: ViewDatabase, relay: str) -> None:
        self.db = db
        self.relay = relay
        self._running: dict[str, int] = {}  # each key's count after the last batch numbered
        self._unsaved: deque[dict[str, int]] = deque()  # per batch numbered: its keys' counts
        with db.transaction() as tx:
            tx.execute(self.SCHEMA)

    def messages(self, batch: Sequence[LoggedEvent], start: int
                 ) -> list[tuple[str, dict[str, Any]]]:
        """(key, body) of each published event of ``batch``, numbered on from the batch
        numbered before (or from the saved counts); ``save`` keeps the counts, batch by batch
        in order, once the broker has them."""
        if start == 0:
            self.forget()
        chosen = [(logged, message_key(logged.event)) for logged in batch
                  if published(logged.event)]
        keys = {key for _, key in chosen}
        if unknown := sorted(keys - self._running.keys()) if start else []:
            self._running.update(self._read(unknown))
        numbered = []
        for logged, key in chosen:
            self._running[key] = self._running.get(key, 0) + 1
            body = message(logged.event, logged.position, self._running[key])
            assert body is not None
            numbered.append((key, body))
        self._unsaved.append({key: self._running[key] for key in keys})
        return numbered

    def forget(self) -> None:
        """Count on from the saved counts: nothing numbered since is sent (a failed batch), or
        another process may have published since."""
        self._running, self._unsaved = {}, deque()

    def _read(self, keys: list[str]) -> dict[str, int]:
        with self.db.transaction() as tx:
            where, params = tx.one_of("keys", keys)
            rows = tx.execute("SELECT message_key, sequence FROM published_sequence WHERE "
                              f"relay = :relay AND message_key {where}",
                              {"relay": self.relay, **params})
        return {str(key): int(sequence) for key, sequence in rows}

    def save(self, tx: Transaction) -> None:
        """The counts of the oldest batch numbered and not yet saved, in the transaction that
        moves the relay's position past it."""
        tx.executemany("INSERT INTO published_sequence (relay, message_key, sequence) VALUES "
                       "(:relay, :key, :sequence) ON CONFLICT (relay, message_key) DO UPDATE "
                       "SET sequence = excluded.sequence",
                       [{"relay": self.relay, "key": key, "sequence": sequence}
                        for key, sequence in sorted(self._unsaved.popleft().items())])
