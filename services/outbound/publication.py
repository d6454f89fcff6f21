"""What of a stored event may leave the service on a Kafka topic.

Topics reach reporting services that have no need to know who a child is, nor why the
child was away: no names, national identity numbers, guardians, causes of absence,
faith communities or health facts (PRIV-1, PRIV-2). Each event type lists what it
publishes; an event type without an entry here is not published at all, so a new type
leaks nothing until someone decides what of it may be shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.calendar import SchoolCalendar
from domain.case import SAFEGUARDING_RECORDS, FollowUpCase
from domain.pupil import Pupil

Publisher = Callable[[Any], dict[str, Any]]


def _enrolment(event: Any) -> dict[str, Any]:
    enrolment = event.enrolment
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
             "task_id": lambda e: {"task_id": e.task_id, "rule": e.rule,
                                   "due_at": e.due_at.isoformat()}}
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


def message(event: Any, position: int) -> dict[str, Any] | None:
    """The message body for ``event``, or None when the event is not published.

    Every event of a pupil is published, so that the pupil's ``sequence`` has no gaps; its
    ``data`` is only what PUBLISHERS (or ``_case``) let through, and a restricted
    (safeguarding) record is published as a type of its own with no data.
    """
    publisher = PUBLISHERS.get(type(event))
    if publisher is None and not isinstance(event, FollowUpCase.Event):
        return None  # receipts, references, municipal rule sets, school routines
    envelope = event.envelope
    restricted = isinstance(event, SAFEGUARDING_RECORDS)
    return {
        "event_id": str(envelope.event_id),
        "type": "RestrictedRecord" if restricted else envelope.type,
        "type_version": envelope.type_version,
        "tenant": envelope.tenant,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "position": position,
        # The pupil's own sequence: consecutive per key, so a consumer can see a gap.
        "sequence": event.originator_version,
        "pupil_id": str(event.pupil_id) if hasattr(event, "pupil_id") else None,
        "data": {} if restricted else (publisher or _case)(event),
    }
