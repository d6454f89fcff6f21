"""Builders for posted events, so tests say only what matters to them."""

from __future__ import annotations

import uuid
from typing import Any

TENANT = "3101"
SCHOOL = "school-1"
YEAR = "2026-2027"


def envelope(event_type: str, data: dict[str, Any], *, event_id: str | None = None,
             occurred_at: str = "2026-09-01T08:00:00+02:00", tenant: str = TENANT,
             role: str = "integration_platform") -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "type": event_type, "tenant": tenant,
            "occurred_at": occurred_at, "actor": {"id": "platform", "role": role},
            "source": "tests", "data": data}


def enrolled(pupil_id: str, *, school_year: str = YEAR, grade: int = 9,
             more: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return envelope("PupilEnrolled", {
        "pupil_id": pupil_id, "school_id": SCHOOL, "school_year": school_year, "grade": grade,
        "class_id": "9A", "contact_teacher_id": "teacher-1",
        "guardians": [{"guardian_id": "guardian-1", "relation": "mother"}], **(more or {})},
        **kw)


def absent(pupil_id: str, day: str, *, period: int | None = None, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"pupil_id": pupil_id, "date": day,
                            "scope": "day" if period is None else "lesson"}
    if period is not None:
        data["lesson"] = {"period": period}
    return envelope("AbsenceRecorded", data, **kw)


def notice(pupil_id: str, from_date: str, to_date: str | None = None, *,
           lessons: list[int] | None = None, cause: str = "illness",
           **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"pupil_id": pupil_id, "from_date": from_date,
                            "to_date": to_date or from_date, "cause": cause,
                            "channel": "sms", "guardian_id": "guardian-1"}
    if lessons is not None:
        data["lessons"] = lessons
    return envelope("AbsenceNoticeReceived", data, **kw)


def new_pupil() -> str:
    return str(uuid.uuid4())


def school_days(count: int, start: str = "2026-09-01") -> list[str]:
    """The first ``count`` weekdays from ``start`` (no calendar published: weekdays)."""
    from datetime import date, timedelta

    day, found = date.fromisoformat(start), []
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day.isoformat())
        day += timedelta(days=1)
    return found
