"""What each posted event type does: load its aggregates, build the domain's values, call
the domain. One function per type; the rules themselves live in ``domain/``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from domain.calendar import BlackoutPeriod, Calendar, HolyDay, SchoolCalendar
from domain.calendar import calendar_aggregate_id as calendar_id
from domain.diploma import DiplomaRequest, DocumentRef
from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.leave import LeaveApplication
from domain.pupil import CORRECTABLE, Pupil
from domain.records import (
    Absence,
    AbsenceNotice,
    Departure,
    Enrolment,
    Guardian,
    LateArrival,
    LeftSchool,
    Lesson,
    MedicalCertificate,
    SchoolRefusalSignal,
)
from domain.rule_sets import ConcernRule, RuleSetChange
from services.intake.contract import DATA_SCHEMAS, INTERNAL_SCHEMAS, load_data
from services.intake.handlers_case import CASE_HANDLERS
from services.store.unit_of_work import UnitOfWork

Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], Aggregate]


def enrol_pupil(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    enrolment = Enrolment(**{**data, "guardians": tuple(
        Guardian(**guardian) for guardian in data["guardians"])})
    try:
        pupil = uow.pupil(envelope.tenant, enrolment.pupil_id)
    except RuleViolation:
        return Pupil.enrolled(envelope, enrolment)
    pupil.enrol(envelope, enrolment)
    return pupil


def record_departure(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.depart(envelope, Departure(data["school_id"], data["reason"], data["last_day"]))
    return pupil


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
    existing = uow.get(calendar_id(envelope.tenant, calendar.school_id, calendar.school_year))
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


def adopt_rule_set(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    municipality = uow.municipality(envelope.tenant)
    municipality.adopt(envelope, RuleSetChange(
        effective_from=data["effective_from"],
        concern_thresholds=tuple(sorted((data["concern_thresholds"] or {}).items())),
        month_window=data["month_window"],
        additional_concern_rules=tuple(ConcernRule(**rule)
                                       for rule in data["additional_concern_rules"]),
        **{name: data[name] for name in RuleSetChange.SCALARS}))
    return municipality


def _lesson(data: dict[str, Any] | None) -> Lesson | None:
    return Lesson(**data) if data else None


def _fact(event_type: str, data: dict[str, Any]) -> Any:
    """The domain value of a correctable fact, from its validated data."""
    if event_type == "AbsenceRecorded":
        return Absence(date=data["date"], scope=data["scope"], lesson=_lesson(data["lesson"]))
    if event_type == "LateArrivalRecorded":
        return LateArrival(date=data["date"], lesson=_lesson(data["lesson"]),
                           minutes_late=data["minutes_late"])
    if event_type == "LeftSchoolRecorded":
        return LeftSchool(date=data["date"], time=data["time"])
    if event_type == "AbsenceNoticeReceived":
        return AbsenceNotice(
            from_date=data["from_date"], to_date=data["to_date"], cause=data["cause"],
            channel=data["channel"], guardian_id=data["guardian_id"],
            lessons=tuple(data["lessons"]) if data["lessons"] is not None else None,
            cause_text=data["cause_text"])
    return MedicalCertificate(from_date=data["from_date"], to_date=data["to_date"],
                              issued_by=data["issued_by"], document_ref=data["document_ref"])


def record_absence(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.record_absence(envelope, _fact("AbsenceRecorded", data),
                         uow.school_days(envelope.tenant, pupil, data["date"]))
    return pupil


def record_late_arrival(uow: UnitOfWork, envelope: Envelope,
                        data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.record_late_arrival(envelope, _fact("LateArrivalRecorded", data),
                              uow.school_days(envelope.tenant, pupil, data["date"]))
    return pupil


def record_left_school(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.record_left_school(envelope, _fact("LeftSchoolRecorded", data),
                             uow.school_days(envelope.tenant, pupil, data["date"]))
    return pupil


def receive_notice(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.receive_notice(envelope, _fact("AbsenceNoticeReceived", data))
    return pupil


def receive_certificate(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.receive_medical_certificate(envelope, _fact("MedicalCertificateReceived", data))
    return pupil


def report_school_refusal(uow: UnitOfWork, envelope: Envelope,
                          data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.report_school_refusal(envelope, SchoolRefusalSignal(data["guardian_id"], data["text"]))
    return pupil


def correct_record(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    subject = uow.receipt_subject(data["corrects_event_id"])
    pupil = uow.get(subject) if subject is not None else None
    if not isinstance(pupil, Pupil) or pupil.tenant != envelope.tenant:
        raise RuleViolation("not_correctable", "no absence, occurrence, notice or certificate "
                            "has this event_id", field="data.corrects_event_id", rule="ABS-9")
    corrected_type = pupil.fact_types.get(str(data["corrects_event_id"]))
    replacement = None
    if data["replacement"] is not None and corrected_type in CORRECTABLE:
        loaded = load_data(DATA_SCHEMAS[corrected_type], data["replacement"],
                           prefix="data.replacement")
        if loaded["pupil_id"] != pupil.pupil_id:
            raise RuleViolation("other_pupil", "a correction cannot move a record to another "
                                "pupil", field="data.replacement.pupil_id", rule="ABS-9")
        replacement = _fact(corrected_type, loaded)
    day = getattr(replacement, "date", None) or envelope.occurred_at.date()
    pupil.correct(envelope, data["corrects_event_id"], data["reason"], replacement,
                  uow.school_days(envelope.tenant, pupil, day))
    return pupil


def apply_for_leave(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    application = LeaveApplication(**{k: v for k, v in data.items() if k != "pupil_id"})
    uow.check_key(envelope.tenant, "leave_application", application.application_id, pupil.id)
    pupil.apply_for_leave(envelope, application,
                          uow.calendar(envelope.tenant, pupil, application.from_date),
                          uow.rules(envelope.tenant, envelope.occurred_at.date()))
    uow.refer(envelope.tenant, "leave_application", application.application_id, pupil.id)
    return pupil


def decide_leave(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.referenced(envelope.tenant, "leave_application", data["application_id"],
                           field="data.application_id", rule="LEAVE-2")
    pupil.decide_leave(envelope, data["application_id"], data["decision"], data["reasons"],
                       data["overrides_recommendation"])
    return pupil  # type: ignore[no-any-return]


def _request(data: dict[str, Any]) -> DiplomaRequest:
    return DiplomaRequest(
        request_id=data["request_id"], school_year=data["school_year"],
        dates=tuple(data["dates"]), basis=data.get("basis"),
        documentation=tuple(DocumentRef(**d) for d in data["documentation"]),
        requested_by=data.get("requested_by"))


def request_exclusion(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    request = _request(data)
    first_day = min(request.dates)
    pupil.request_diploma_exclusion(envelope, request,
                                    uow.school_days(envelope.tenant, pupil, first_day),
                                    uow.rules(envelope.tenant, envelope.occurred_at.date()))
    return pupil


def request_cause_attachment(uow: UnitOfWork, envelope: Envelope,
                             data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.request_cause_attachment(envelope, _request(data),
                                   uow.rules(envelope.tenant, envelope.occurred_at.date()))
    return pupil


HANDLERS: dict[str, Handler] = {
    "PupilEnrolled": enrol_pupil,
    "PupilLeft": record_departure,
    "SchoolCalendarPublished": publish_calendar,
    "RuleSetAdopted": adopt_rule_set,
    "AbsenceRecorded": record_absence,
    "LateArrivalRecorded": record_late_arrival,
    "LeftSchoolRecorded": record_left_school,
    "AbsenceNoticeReceived": receive_notice,
    "MedicalCertificateReceived": receive_certificate,
    "SchoolRefusalSignalReported": report_school_refusal,
    "RecordCorrected": correct_record,
    "LeaveApplied": apply_for_leave,
    "LeaveDecided": decide_leave,
    "DiplomaExclusionRequested": request_exclusion,
    "CauseAttachmentRequested": request_cause_attachment,
    **CASE_HANDLERS,
}
assert HANDLERS.keys() == DATA_SCHEMAS.keys() | INTERNAL_SCHEMAS.keys()
