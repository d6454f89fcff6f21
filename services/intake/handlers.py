"""What each command does: load its aggregates, call the domain. One handler per command
type; the rules themselves live in ``domain/``.

A handler answers the aggregates it changed, in order: the one the posted event became
part of first (its receipt points there), then the pupil's case when the case decided
something on it (``followed``), all saved in the batch's one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any, TypeVar

from domain.calendar import Calendar, SchoolCalendar
from domain.calendar import calendar_aggregate_id as calendar_id
from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.pupil import CORRECTABLE, Pupil, pupil_aggregate_id
from domain.school_days import SchoolDays
from services.intake import commands as c
from services.intake.contract import DATA_SCHEMAS, INTERNAL_SCHEMAS
from services.intake.handlers_case import CASE_HANDLERS, Changed, Handler, followed
from services.intake.loading import load
from services.store.unit_of_work import UnitOfWork

C = TypeVar("C")


def enrol_pupil(uow: UnitOfWork, envelope: Envelope, command: c.EnrolPupil) -> Changed:
    pupil = uow.get(pupil_aggregate_id(envelope.tenant, command.enrolment.pupil_id))
    if pupil is None:
        return (Pupil.enrolled(envelope, command.enrolment),)
    pupil.enrol(envelope, command.enrolment)
    return (pupil,)


def publish_calendar(uow: UnitOfWork, envelope: Envelope,
                     command: c.PublishCalendar) -> Changed:
    calendar = Calendar(
        school_id=command.school_id, school_year=command.school_year,
        school_days=tuple(sorted(set(command.school_days or _weekdays(command)))),
        blackout_periods=command.blackout_periods, holy_days=command.holy_days)
    existing = uow.get(calendar_id(envelope.tenant, calendar.school_id, calendar.school_year))
    if existing is None:
        return (SchoolCalendar(envelope, calendar),)
    existing.republish(envelope, calendar)
    return (existing,)


def _weekdays(command: c.PublishCalendar) -> Iterator[date]:
    assert command.first_day is not None and command.last_day is not None  # the schema's
    excluded = set(command.non_school_days)
    day = command.first_day
    while day <= command.last_day:
        if day.weekday() < 5 and day not in excluded:
            yield day
        day += timedelta(days=1)


def adopt_rule_set(uow: UnitOfWork, envelope: Envelope, command: c.AdoptRuleSet) -> Changed:
    municipality = uow.municipality(envelope.tenant)
    municipality.adopt(envelope, command.change)
    return (municipality,)


def on_school_day(command: type[C], record: Callable[[Pupil, Envelope, Any, SchoolDays], None]
                  ) -> tuple[type, Handler[Any]]:
    """The handler of a fact that must fall on one of the pupil's school days."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: Any) -> Changed:
        pupil = uow.pupil(envelope.tenant, posted.pupil_id)
        record(pupil, envelope, posted.fact,
               uow.school_days(envelope.tenant, pupil, posted.fact.date))
        return followed(uow, envelope, pupil)
    return command, handle


def on_pupil_fact(command: type[C], record: Callable[[Pupil, Envelope, C], None]
                  ) -> tuple[type, Handler[Any]]:
    """The handler of a fact about the pupil that the case follows."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Changed:
        pupil = uow.pupil(envelope.tenant, posted.pupil_id)  # type: ignore[attr-defined]
        record(pupil, envelope, posted)
        return followed(uow, envelope, pupil)
    return command, handle


def correct_record(uow: UnitOfWork, envelope: Envelope, command: c.CorrectRecord) -> Changed:
    receipt = uow.receipt(command.corrects_event_id)
    pupil = uow.get(receipt.subject_id) if receipt is not None else None
    if not isinstance(pupil, Pupil) or pupil.tenant != envelope.tenant:
        raise RuleViolation("not_correctable", "no absence, occurrence, notice or certificate "
                            "has this event_id", field="data.corrects_event_id", rule="ABS-9")
    replacement = _replacement(pupil, command)
    day = getattr(replacement, "date", None) or envelope.occurred_at.date()
    pupil.correct(envelope, command.corrects_event_id, command.reason, replacement,
                  uow.school_days(envelope.tenant, pupil, day))
    return followed(uow, envelope, pupil)


def _replacement(pupil: Pupil, command: c.CorrectRecord) -> Any:
    """The corrected fact, loaded by the schema of the corrected event's type."""
    corrected_type = pupil.fact_types.get(str(command.corrects_event_id))
    if command.replacement is None or corrected_type not in CORRECTABLE:
        return None
    loaded: c.FactCommand = load(DATA_SCHEMAS[corrected_type], command.replacement,
                                 prefix="data.replacement")
    if loaded.pupil_id != pupil.pupil_id:
        raise RuleViolation("other_pupil", "a correction cannot move a record to another "
                            "pupil", field="data.replacement.pupil_id", rule="ABS-9")
    return loaded.fact


def apply_for_leave(uow: UnitOfWork, envelope: Envelope, command: c.ApplyForLeave) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    application = command.application
    uow.check_key(envelope.tenant, "leave_application", application.application_id, pupil.id)
    pupil.apply_for_leave(envelope, application,
                          uow.calendar(envelope.tenant, pupil, application.from_date),
                          uow.rules(envelope.tenant, envelope.occurred_at.date()))
    uow.refer(envelope.tenant, "leave_application", application.application_id, pupil.id)
    return (pupil,)


def decide_leave(uow: UnitOfWork, envelope: Envelope, command: c.DecideLeave) -> Changed:
    pupil = uow.referenced(envelope.tenant, "leave_application", command.application_id,
                           field="data.application_id", rule="LEAVE-2")
    pupil.decide_leave(envelope, command.application_id, command.decision, command.reasons,
                       command.overrides_recommendation)
    return (pupil,)


def request_exclusion(uow: UnitOfWork, envelope: Envelope,
                      command: c.RequestExclusion) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    first_day = min(command.request.dates)
    pupil.request_diploma_exclusion(envelope, command.request,
                                    uow.school_days(envelope.tenant, pupil, first_day),
                                    uow.rules(envelope.tenant, envelope.occurred_at.date()))
    return (pupil,)


def request_cause_attachment(uow: UnitOfWork, envelope: Envelope,
                             command: c.RequestCauseAttachment) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    pupil.request_cause_attachment(envelope, command.request,
                                   uow.rules(envelope.tenant, envelope.occurred_at.date()))
    return (pupil,)


FACT_HANDLERS: dict[type, Handler[Any]] = dict([
    on_school_day(c.RecordAbsence, Pupil.record_absence),
    on_school_day(c.RecordLateArrival, Pupil.record_late_arrival),
    on_school_day(c.RecordLeftSchool, Pupil.record_left_school),
    on_pupil_fact(c.RecordDeparture, lambda p, e, cmd: p.depart(e, cmd.departure)),
    on_pupil_fact(c.ReceiveNotice, lambda p, e, cmd: p.receive_notice(e, cmd.fact)),
    on_pupil_fact(c.ReceiveCertificate, lambda p, e, cmd: p.receive_medical_certificate(
        e, cmd.fact)),
    on_pupil_fact(c.ReportSchoolRefusal, lambda p, e, cmd: p.report_school_refusal(
        e, cmd.signal)),
]) | {
    c.EnrolPupil: enrol_pupil,
    c.PublishCalendar: publish_calendar,
    c.AdoptRuleSet: adopt_rule_set,
    c.CorrectRecord: correct_record,
    c.ApplyForLeave: apply_for_leave,
    c.DecideLeave: decide_leave,
    c.RequestExclusion: request_exclusion,
    c.RequestCauseAttachment: request_cause_attachment,
}

HANDLERS: dict[type, Handler[Any]] = {**FACT_HANDLERS, **CASE_HANDLERS}
"""Every command's handler, by the command's type."""
assert {type(schema).command for schema in (*DATA_SCHEMAS.values(), *INTERNAL_SCHEMAS.values())
        } == HANDLERS.keys()
