"""The integration contract of EVENTS.md as marshmallow schemas, each loading into its typed
command (`services.intake.commands`).

These schemas check shape and types only; the rules of RULES.md live in ``domain/``.
Unknown fields are refused so that a misspelt field is a clear error rather than a
silently lost fact.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as NotANumber
from stdnum.no import fodselsnummer

from domain.calendar import BlackoutKind, BlackoutPeriod, HolyDay
from domain.diploma import DiplomaRequest, DocumentKind, DocumentRef, ExclusionBasis
from domain.envelope import Role
from domain.leave import Decision, LeaveApplication, LeaveReason, Level
from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    AddressProtection,
    Departure,
    Enrolment,
    Guardian,
    GuardianRelation,
    LateArrival,
    LeavingReason,
    LeftSchool,
    Lesson,
    MedicalCertificate,
    NoticeCause,
    NoticeChannel,
    SchoolRefusalSignal,
)
from domain.rule_sets import (
    DEADLINE_NAMES,
    ConcernKind,
    ConcernRule,
    LeaveCapScope,
    Measure,
    MonthWindow,
    Period,
    RuleSetChange,
    Window,
)
from services.intake import commands as c
from services.intake.contract_case import CASE_SCHEMAS
from services.intake.loading import (
    DAYS,
    FEW,
    ID,
    LABEL,
    NOTE,
    REF,
    BoundedList,
    CommandSchema,
    Day,
    FullMatch,
    Moment,
    TupleList,
    ValueSchema,
)

TENANT = FullMatch(r"^[0-9]{4}$", error="must be a 4-digit municipality number")
# Years within loading.EARLIEST and LATEST.
SCHOOL_YEAR = FullMatch(r"^(19|20|21)[0-9]{2}-(19|20|21)[0-9]{2}$",
                        error="must look like '2026-2027'")


class NationalIdentityNumber(FullMatch):
    """A fødselsnummer or D-number: 11 digits, a birth date (a D-number adds 4 to its first
    digit) and two mod-11 control digits, checked by python-stdnum."""

    def __init__(self) -> None:
        super().__init__(r"^[0-9]{11}$", error="must be 11 digits")

    def __call__(self, value: Any) -> Any:
        super().__call__(value)
        try:
            fodselsnummer.validate(value)
        except InvalidChecksum:
            raise ValidationError("its control digits do not match: not a national identity "
                                  "number (fødselsnummer or D-number)") from None
        except NotANumber:
            raise ValidationError("holds no valid birth date: not a national identity number "
                                  "(fødselsnummer or D-number)") from None
        return value


NATIONAL_ID = NationalIdentityNumber()


class ActorSchema(Schema):
    id = fields.String(required=True, validate=ID)
    role = fields.Enum(Role, by_value=True, required=True)


class EnvelopeSchema(Schema):
    """One event as posted (EVENTS.md "Envelope"); ``data`` is checked by its type."""

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=LABEL)
    type_version = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    tenant = fields.String(required=True, validate=TENANT)
    occurred_at = Moment(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    source = fields.String(load_default=None, validate=LABEL)
    data = fields.Dict(required=True)


class BatchSchema(Schema):
    events = BoundedList(fields.Dict(), required=True,
                         validate=validate.Length(min=1, max=1000))


class GuardianSchema(ValueSchema):
    value = Guardian
    guardian_id = fields.String(required=True, validate=ID)
    relation = fields.Enum(GuardianRelation, by_value=True, required=True)
    name = fields.String(load_default=None, validate=LABEL)
    parental_responsibility = fields.Boolean(load_default=True)  # PRIV-2
    address_protection = fields.Enum(AddressProtection, by_value=True, load_default=None)


class PupilEnrolledSchema(CommandSchema):
    command = c.EnrolPupil
    pupil_id = fields.UUID(required=True)
    school_id = fields.String(required=True, validate=ID)
    school_year = fields.String(required=True, validate=SCHOOL_YEAR)
    grade = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    class_id = fields.String(required=True, validate=ID)
    contact_teacher_id = fields.String(required=True, validate=ID)
    guardians = TupleList(fields.Nested(GuardianSchema), required=True, validate=FEW)
    chronic_illness_or_disability = fields.Boolean(load_default=False)
    faith_community = fields.String(load_default=None, validate=LABEL)
    can_swim = fields.Boolean(load_default=None)
    name = fields.String(load_default=None, validate=LABEL)
    national_id = fields.String(load_default=None, validate=NATIONAL_ID)
    address_protection = fields.Enum(AddressProtection, by_value=True, load_default=None)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> c.EnrolPupil:
        return c.EnrolPupil(Enrolment(**data))


class BlackoutPeriodSchema(ValueSchema):
    value = BlackoutPeriod
    kind = fields.Enum(BlackoutKind, by_value=True, required=True)
    from_date = Day(required=True, data_key="from")
    to_date = Day(required=True, data_key="to")
    grades = TupleList(fields.Integer(validate=validate.Range(min=1, max=10)),
                       load_default=tuple, validate=validate.Length(max=10))


class HolyDaySchema(ValueSchema):
    value = HolyDay
    faith_community = fields.String(required=True, validate=LABEL)
    date = Day(required=True)


class SchoolCalendarPublishedSchema(CommandSchema):
    """Either ``school_days`` or ``first_day`` + ``last_day`` (+ ``non_school_days``)."""

    command = c.PublishCalendar
    school_id = fields.String(required=True, validate=ID)
    school_year = fields.String(required=True, validate=SCHOOL_YEAR)
    school_days = TupleList(Day(), load_default=None, validate=DAYS)
    first_day = Day(load_default=None)
    last_day = Day(load_default=None)
    non_school_days = TupleList(Day(), load_default=tuple, validate=DAYS)
    blackout_periods = TupleList(fields.Nested(BlackoutPeriodSchema), load_default=tuple,
                                 validate=FEW)
    holy_days = TupleList(fields.Nested(HolyDaySchema), load_default=tuple, validate=FEW)

    @validates_schema
    def _days_given_one_way(self, data: dict[str, Any], **_: Any) -> None:
        listed = data.get("school_days") is not None
        spanned = data.get("first_day") is not None and data.get("last_day") is not None
        if listed == spanned:
            raise ValidationError("give either school_days, or first_day and last_day",
                                  field_name="school_days")


class LessonSchema(ValueSchema):
    value = Lesson
    period = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    subject = fields.String(load_default=None, validate=LABEL)
    start = fields.Time(load_default=None)
    end = fields.Time(load_default=None)


class AbsenceRecordedSchema(CommandSchema):
    command, value = c.RecordAbsence, Absence
    pupil_id = fields.UUID(required=True)
    date = Day(required=True)
    scope = fields.Enum(AbsenceScope, by_value=True, required=True)
    lesson = fields.Nested(LessonSchema, load_default=None)


class LateArrivalRecordedSchema(CommandSchema):
    command, value = c.RecordLateArrival, LateArrival
    pupil_id = fields.UUID(required=True)
    date = Day(required=True)
    lesson = fields.Nested(LessonSchema, load_default=None)
    minutes_late = fields.Integer(load_default=None, validate=validate.Range(min=0, max=600))


class LeftSchoolRecordedSchema(CommandSchema):
    command, value = c.RecordLeftSchool, LeftSchool
    pupil_id = fields.UUID(required=True)
    date = Day(required=True)
    time = fields.Time(required=True)


class AbsenceNoticeReceivedSchema(CommandSchema):
    command, value = c.ReceiveNotice, AbsenceNotice
    pupil_id = fields.UUID(required=True)
    from_date = Day(required=True)
    to_date = Day(required=True)
    lessons = TupleList(fields.Integer(validate=validate.Range(min=1, max=20)),
                        load_default=None, validate=validate.Length(max=20))
    cause = fields.Enum(NoticeCause, by_value=True, required=True)
    cause_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    channel = fields.Enum(NoticeChannel, by_value=True, required=True)
    guardian_id = fields.String(required=True, validate=ID)


class PupilLeftSchema(CommandSchema):
    command, value = c.RecordDeparture, Departure
    pupil_id = fields.UUID(required=True)
    school_id = fields.String(required=True, validate=ID)
    reason = fields.Enum(LeavingReason, by_value=True, required=True)
    last_day = Day(required=True)


class ConcernRuleSchema(ValueSchema):
    """CON-7: a municipality's own concern rule."""

    value = ConcernRule
    rule = fields.String(required=True, validate=FullMatch(
        r"^[A-Z0-9][A-Z0-9-]{1,40}$", error="an id like 'ALTA-10PCT'"))
    kind = fields.Enum(ConcernKind, by_value=True, required=True)
    threshold = fields.Float(required=True, validate=validate.Range(
        min=0, max=10_000, min_inclusive=False))
    measure = fields.Enum(Measure, by_value=True, load_default=Measure.DAYS)
    window = fields.Enum(Window, by_value=True, load_default=Window.CALENDAR_MONTH)
    window_days = fields.Integer(load_default=None, validate=validate.Range(min=1, max=366))
    out_of = fields.Integer(load_default=None, validate=validate.Range(min=1, max=52))
    lessons_per_day = fields.Integer(load_default=6, validate=validate.Range(min=1, max=12))
    description = fields.String(load_default="", validate=NOTE)


class PeriodSchema(ValueSchema):
    """A deadline of the follow-up (FOL-*, CT-*, MISS-*, POL-*, SAFE-*): days or months."""

    value = Period
    days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=366))
    months = fields.Integer(load_default=0, validate=validate.Range(min=0, max=12))


class RuleSetAdoptedSchema(CommandSchema):
    """LAW-2: what a municipality chooses, from a date; absent fields keep their value."""

    command = c.AdoptRuleSet
    effective_from = Day(required=True)
    concern_thresholds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["CON-1", "CON-2", "CON-3", "CON-4"])),
        values=fields.Float(validate=validate.Range(min=1, max=10_000)), load_default=None)
    month_window = fields.Enum(MonthWindow, by_value=True, load_default=None)
    additional_concern_rules = TupleList(fields.Nested(ConcernRuleSchema), load_default=tuple,
                                         validate=FEW)
    leave_cap_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=190))
    leave_cap_scope = fields.Enum(LeaveCapScope, by_value=True, load_default=None)
    leave_notice_days = fields.Integer(load_default=None, validate=validate.Range(min=0, max=365))
    diploma_request_deadline = fields.String(load_default=None, validate=FullMatch(
        r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", error="must be MM-DD"))
    holy_day_leave_counts_for_diploma = fields.Boolean(load_default=None)
    whereabouts_deadline_days = fields.Integer(load_default=None,
                                               validate=validate.Range(min=1, max=90))
    deadlines = fields.Dict(keys=fields.String(validate=validate.OneOf(DEADLINE_NAMES)),
                            values=fields.Nested(PeriodSchema), load_default=None)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> c.AdoptRuleSet:
        thresholds = tuple(sorted((data.pop("concern_thresholds") or {}).items()))
        deadlines = tuple(sorted((data.pop("deadlines") or {}).items()))
        return c.AdoptRuleSet(RuleSetChange(concern_thresholds=thresholds,
                                            deadlines=deadlines, **data))


class MedicalCertificateReceivedSchema(CommandSchema):
    command, value = c.ReceiveCertificate, MedicalCertificate
    pupil_id = fields.UUID(required=True)
    from_date = Day(required=True)
    to_date = Day(required=True)
    issued_by = fields.String(required=True, validate=ID)
    document_ref = fields.String(load_default=None, validate=REF)


class SchoolRefusalSignalReportedSchema(CommandSchema):
    command, value = c.ReportSchoolRefusal, SchoolRefusalSignal
    pupil_id = fields.UUID(required=True)
    guardian_id = fields.String(required=True, validate=ID)
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class RecordCorrectedSchema(CommandSchema):
    """ABS-9; ``replacement`` is the corrected event's whole ``data``, absent = void."""

    command = c.CorrectRecord
    corrects_event_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    replacement = fields.Dict(load_default=None)


class LeaveAppliedSchema(CommandSchema):
    command, value = c.ApplyForLeave, LeaveApplication
    application_id = fields.String(required=True, validate=ID)
    pupil_id = fields.UUID(required=True)
    from_date = Day(required=True)
    to_date = Day(required=True)
    reason = fields.Enum(LeaveReason, by_value=True, required=True)
    level = fields.Enum(Level, by_value=True, load_default=None)
    faith_community = fields.String(load_default=None, validate=LABEL)
    text = fields.String(load_default=None, validate=validate.Length(max=4000))


class LeaveDecidedSchema(CommandSchema):
    command = c.DecideLeave
    application_id = fields.String(required=True, validate=ID)
    decision = fields.Enum(Decision, by_value=True, required=True)
    reasons = fields.String(required=True, validate=NOTE)
    overrides_recommendation = fields.Boolean(load_default=False)


class DocumentRefSchema(ValueSchema):
    value = DocumentRef
    kind = fields.Enum(DocumentKind, by_value=True, required=True)
    ref = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class DiplomaRequestSchema(CommandSchema):
    value = DiplomaRequest
    request_id = fields.String(required=True, validate=ID)
    pupil_id = fields.UUID(required=True)
    school_year = fields.String(required=True, validate=SCHOOL_YEAR)
    dates = TupleList(Day(), required=True, validate=validate.Length(min=1, max=366))
    documentation = TupleList(fields.Nested(DocumentRefSchema), load_default=tuple,
                             validate=FEW)


class CauseAttachmentRequestedSchema(DiplomaRequestSchema):
    command = c.RequestCauseAttachment


class DiplomaExclusionRequestedSchema(DiplomaRequestSchema):
    command = c.RequestExclusion
    basis = fields.Enum(ExclusionBasis, by_value=True, required=True)
    requested_by = fields.String(required=True, validate=LABEL)


# Instances are reused: loading keeps no state in the schema, and building one costs
# more than validating an event.
ENVELOPE = EnvelopeSchema()
DATA_SCHEMAS: dict[str, CommandSchema] = {
    "PupilEnrolled": PupilEnrolledSchema(),
    "PupilLeft": PupilLeftSchema(),
    "SchoolCalendarPublished": SchoolCalendarPublishedSchema(),
    "RuleSetAdopted": RuleSetAdoptedSchema(),
    "AbsenceRecorded": AbsenceRecordedSchema(),
    "LateArrivalRecorded": LateArrivalRecordedSchema(),
    "LeftSchoolRecorded": LeftSchoolRecordedSchema(),
    "AbsenceNoticeReceived": AbsenceNoticeReceivedSchema(),
    "MedicalCertificateReceived": MedicalCertificateReceivedSchema(),
    "SchoolRefusalSignalReported": SchoolRefusalSignalReportedSchema(),
    "RecordCorrected": RecordCorrectedSchema(),
    "LeaveApplied": LeaveAppliedSchema(),
    "LeaveDecided": LeaveDecidedSchema(),
    "DiplomaExclusionRequested": DiplomaExclusionRequestedSchema(),
    "CauseAttachmentRequested": CauseAttachmentRequestedSchema(),
}
DATA_SCHEMAS.update(CASE_SCHEMAS)
"""Every type the service accepts today, at ``type_version`` 1."""


class TaskOverdueSchema(CommandSchema):
    command = c.RecordOverdue
    pupil_id = fields.UUID(required=True)
    task_id = fields.String(required=True, validate=ID)
    rule = fields.String(required=True, validate=LABEL)
    due_at = Moment(required=True)


class DayClosedSchema(CommandSchema):
    command = c.CloseDay
    pupil_id = fields.UUID(required=True)
    date = Day(required=True)


INTERNAL_SCHEMAS: dict[str, CommandSchema] = {"TaskOverdue": TaskOverdueSchema(),
                                              "DayClosed": DayClosedSchema()}
"""Types only the service itself records (its clock); never accepted from outside."""
