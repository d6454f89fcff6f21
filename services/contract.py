"""The integration contract of EVENTS.md as marshmallow schemas.

These schemas check shape and types only; the rules of RULES.md live in ``domain/``.
Unknown fields are refused so that a misspelt field is a clear error rather than a
silently lost fact.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.calendar import BlackoutKind
from domain.envelope import Role
from domain.records import AbsenceScope, GuardianRelation, NoticeCause, NoticeChannel

TENANT = validate.Regexp(r"^\d{4}$", error="must be a 4-digit municipality number")
SCHOOL_YEAR = validate.Regexp(r"^\d{4}-\d{4}$", error="must look like '2026-2027'")


class ActorSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)


class EnvelopeSchema(Schema):
    """One event as posted (EVENTS.md "Envelope"); ``data`` is checked by its type."""

    event_id = fields.UUID(required=True)
    type = fields.String(required=True)
    type_version = fields.Integer(load_default=1, validate=validate.Range(min=1))
    tenant = fields.String(required=True, validate=TENANT)
    occurred_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    source = fields.String(load_default=None, validate=validate.Length(max=200))
    data = fields.Dict(required=True)


class BatchSchema(Schema):
    events = fields.List(fields.Dict(), required=True,
                         validate=validate.Length(min=1, max=1000))


class GuardianSchema(Schema):
    guardian_id = fields.String(required=True, validate=validate.Length(min=1))
    relation = fields.Enum(GuardianRelation, by_value=True, required=True)
    name = fields.String(load_default=None)


class PupilEnrolledSchema(Schema):
    pupil_id = fields.UUID(required=True)
    school_id = fields.String(required=True, validate=validate.Length(min=1))
    school_year = fields.String(required=True, validate=SCHOOL_YEAR)
    grade = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    class_id = fields.String(required=True)
    contact_teacher_id = fields.String(required=True)
    guardians = fields.List(fields.Nested(GuardianSchema), required=True)
    chronic_illness_or_disability = fields.Boolean(load_default=False)
    faith_community = fields.String(load_default=None)
    can_swim = fields.Boolean(load_default=None)
    name = fields.String(load_default=None)
    national_id = fields.String(load_default=None,
                                validate=validate.Regexp(r"^\d{11}$",
                                                         error="must be 11 digits"))


class BlackoutPeriodSchema(Schema):
    kind = fields.Enum(BlackoutKind, by_value=True, required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    grades = fields.List(fields.Integer(validate=validate.Range(min=1, max=10)),
                         load_default=list)


class HolyDaySchema(Schema):
    faith_community = fields.String(required=True)
    date = fields.Date(required=True)


class SchoolCalendarPublishedSchema(Schema):
    """Either ``school_days`` or ``first_day`` + ``last_day`` (+ ``non_school_days``)."""

    school_id = fields.String(required=True, validate=validate.Length(min=1))
    school_year = fields.String(required=True, validate=SCHOOL_YEAR)
    school_days = fields.List(fields.Date(), load_default=None)
    first_day = fields.Date(load_default=None)
    last_day = fields.Date(load_default=None)
    non_school_days = fields.List(fields.Date(), load_default=list)
    blackout_periods = fields.List(fields.Nested(BlackoutPeriodSchema), load_default=list)
    holy_days = fields.List(fields.Nested(HolyDaySchema), load_default=list)

    @validates_schema
    def _days_given_one_way(self, data: dict[str, Any], **_: Any) -> None:
        listed = data.get("school_days") is not None
        spanned = data.get("first_day") is not None and data.get("last_day") is not None
        if listed == spanned:
            raise ValidationError("give either school_days, or first_day and last_day",
                                  field_name="school_days")


class LessonSchema(Schema):
    period = fields.Integer(required=True, validate=validate.Range(min=1, max=20))
    subject = fields.String(load_default=None)
    start = fields.Time(load_default=None)
    end = fields.Time(load_default=None)


class AbsenceRecordedSchema(Schema):
    pupil_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    scope = fields.Enum(AbsenceScope, by_value=True, required=True)
    lesson = fields.Nested(LessonSchema, load_default=None)


class LateArrivalRecordedSchema(Schema):
    pupil_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    lesson = fields.Nested(LessonSchema, load_default=None)
    minutes_late = fields.Integer(load_default=None, validate=validate.Range(min=0, max=600))


class LeftSchoolRecordedSchema(Schema):
    pupil_id = fields.UUID(required=True)
    date = fields.Date(required=True)
    time = fields.Time(required=True)


class AbsenceNoticeReceivedSchema(Schema):
    pupil_id = fields.UUID(required=True)
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    lessons = fields.List(fields.Integer(validate=validate.Range(min=1, max=20)),
                          load_default=None)
    cause = fields.Enum(NoticeCause, by_value=True, required=True)
    cause_text = fields.String(load_default=None, validate=validate.Length(max=2000))
    channel = fields.Enum(NoticeChannel, by_value=True, required=True)
    guardian_id = fields.String(required=True)


# Instances are reused: loading keeps no state in the schema, and building one costs
# more than validating an event.
ENVELOPE = EnvelopeSchema()
DATA_SCHEMAS: dict[str, Schema] = {
    "PupilEnrolled": PupilEnrolledSchema(),
    "SchoolCalendarPublished": SchoolCalendarPublishedSchema(),
    "AbsenceRecorded": AbsenceRecordedSchema(),
    "LateArrivalRecorded": LateArrivalRecordedSchema(),
    "LeftSchoolRecorded": LeftSchoolRecordedSchema(),
    "AbsenceNoticeReceived": AbsenceNoticeReceivedSchema(),
}
"""Every type the service accepts today, at ``type_version`` 1."""


def field_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten marshmallow's nested messages into (``data.guardians[0].relation``, text)."""
    if isinstance(messages, list):
        return [(prefix or "$", str(text)) for text in messages]
    found: list[tuple[str, str]] = []
    for key, value in messages.items():
        if isinstance(key, int):
            path = f"{prefix}[{key}]"
        elif key == "_schema":
            path = prefix or "$"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        found.extend(field_errors(value, path))
    return found
