"""How domain value objects are written into stored events (JSON)."""

from __future__ import annotations

import dataclasses
import typing
from datetime import date, time
from enum import Enum
from types import UnionType
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.calendar import BlackoutPeriod, Calendar, HolyDay
from domain.case_records import (
    AgreedMeasure,
    Agreement,
    Attachment,
    ConcernReport,
    Consent,
    Contact,
    Contacted,
    GuideAnswer,
    Letter,
    MeasureEvaluation,
    Meeting,
    Participant,
    Referral,
    WelfareAssessment,
)
from domain.diploma import DateOutcome, DiplomaRequest, DocumentRef, RequestDecision
from domain.envelope import Actor, Envelope
from domain.follow_up import Task
from domain.leave import LeaveApplication, LeaveDecision, Recommendation
from domain.pupil import LeaveCase
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
from domain.rule_sets import ConcernRule, Period, RuleSetChange

VALUE_TYPES: tuple[type, ...] = (
    Actor, Envelope, Guardian, Enrolment, Departure, Lesson, Absence, AbsenceNotice,
    LateArrival, LeftSchool, MedicalCertificate, SchoolRefusalSignal, BlackoutPeriod, HolyDay,
    Calendar, LeaveApplication, Recommendation, LeaveDecision, LeaveCase, DocumentRef,
    DiplomaRequest, DateOutcome, RequestDecision, ConcernRule, RuleSetChange,
    Contacted, Contact, Letter, Participant, GuideAnswer, Meeting, AgreedMeasure, Agreement,
    MeasureEvaluation, Consent, WelfareAssessment, Attachment, Referral, ConcernReport,
    Period, Task,
)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TimeAsISO(Transcoding):
    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


class DataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields.

    JSON has no tuples and no enums, so decoding turns lists back into tuples and
    strings back into the enum the field is declared with.
    """

    def __init__(self, cls: type) -> None:
        self.type = cls
        self.name = cls.__qualname__
        hints = typing.get_type_hints(cls)
        self._enums = {name: enum for name, hint in hints.items()
                       if (enum := _enum_in(hint)) is not None}
        self._enum_tuples = {name: enum for name, hint in hints.items()
                             if typing.get_origin(hint) is tuple
                             and (enum := _enum_in(typing.get_args(hint)[0])) is not None}

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        values = {}
        for name, value in data.items():
            if isinstance(value, list):
                enum = self._enum_tuples.get(name)
                value = tuple(enum(v) for v in value) if enum else tuple(value)
            elif name in self._enums and value is not None:
                value = self._enums[name](value)
            values[name] = value
        return self.type(**values)


def _enum_in(hint: Any) -> type[Enum] | None:
    candidates = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    transcoder.register(TimeAsISO())
    for cls in VALUE_TYPES:
        transcoder.register(DataclassAsDict(cls))
