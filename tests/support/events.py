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

    day, found = date.fromisoformat(start), list[str]()
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day.isoformat())
        day += timedelta(days=1)
    return found


def certificate(pupil_id: str, from_date: str, to_date: str, **kw: Any) -> dict[str, Any]:
    return envelope("MedicalCertificateReceived", {
        "pupil_id": pupil_id, "from_date": from_date, "to_date": to_date,
        "issued_by": "fastlege", "document_ref": "legeerklaering-1"}, **kw)


def calendar(school_year: str = YEAR, **data: Any) -> dict[str, Any]:
    first, last = school_year.split("-")
    return envelope("SchoolCalendarPublished", {
        "school_id": SCHOOL, "school_year": school_year, "first_day": f"{first}-08-17",
        "last_day": f"{last}-06-18", **data}, occurred_at=f"{first}-08-01T08:00:00+02:00")


def applied_for_leave(pupil_id: str, application_id: str, from_date: str, to_date: str,
                      reason: str = "family_event", **kw: Any) -> dict[str, Any]:
    return envelope("LeaveApplied", {
        "application_id": application_id, "pupil_id": pupil_id, "from_date": from_date,
        "to_date": to_date, "reason": reason}, **kw)


def decided_leave(application_id: str, decision: str, reasons: str = "Vurdert forsvarlig.",
                  overrides: bool = False, role: str = "principal",
                  **kw: Any) -> dict[str, Any]:
    return envelope("LeaveDecided", {
        "application_id": application_id, "decision": decision, "reasons": reasons,
        "overrides_recommendation": overrides}, role=role, **kw)


def corrected(event_id: str, reason: str, replacement: dict[str, Any] | None = None,
              **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"corrects_event_id": event_id, "reason": reason}
    if replacement is not None:
        data["replacement"] = replacement
    return envelope("RecordCorrected", data, **kw)


def rule_set(effective_from: str, **changes: Any) -> dict[str, Any]:
    return envelope("RuleSetAdopted", {"effective_from": effective_from, **changes},
                    occurred_at="2026-08-01T08:00:00+02:00")


def exclusion_requested(pupil_id: str, request_id: str, dates: list[str],
                        basis: str = "health", school_year: str = YEAR,
                        **kw: Any) -> dict[str, Any]:
    kind = "medical_certificate" if basis == "health" else "leave_decision"
    return envelope("DiplomaExclusionRequested", {
        "request_id": request_id, "pupil_id": pupil_id, "school_year": school_year,
        "dates": dates, "basis": basis, "documentation": [{"kind": kind, "ref": "dok-1"}],
        "requested_by": "guardian-1"}, **kw)
