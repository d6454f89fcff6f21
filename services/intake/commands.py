"""Typed commands: what each posted event type asks of the domain, as loaded by its schema
(`services.intake.contract`). Frozen, so a handler cannot change what was posted.

Where the guideline's record already exists as a domain value (an absence, a contact, an
agreement …), the command carries that value; the rest carry their few fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from domain.calendar import BlackoutPeriod, HolyDay
from domain.case_records import (
    Agency,
    Agreement,
    ConcernReport,
    ConfirmationAbout,
    Consent,
    Contact,
    HealthServiceMatter,
    Letter,
    MeasureEvaluation,
    Meeting,
    PoliceDecision,
    Referral,
    RegisterResult,
    Route,
    WelfareAssessment,
    Whereabouts,
)
from domain.diploma import DiplomaRequest
from domain.leave import Decision, LeaveApplication
from domain.records import (
    Absence,
    AbsenceNotice,
    Departure,
    Enrolment,
    LateArrival,
    LeftSchool,
    MedicalCertificate,
    SchoolRefusalSignal,
)
from domain.rule_sets import RuleSetChange

# Reference data ------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolPupil:
    enrolment: Enrolment


@dataclass(frozen=True)
class RecordDeparture:
    pupil_id: UUID
    departure: Departure


@dataclass(frozen=True)
class PublishCalendar:
    """Either ``school_days``, or the weekdays from ``first_day`` to ``last_day`` but
    ``non_school_days``."""

    school_id: str
    school_year: str
    school_days: tuple[date, ...] | None
    first_day: date | None
    last_day: date | None
    non_school_days: tuple[date, ...]
    blackout_periods: tuple[BlackoutPeriod, ...]
    holy_days: tuple[HolyDay, ...]


@dataclass(frozen=True)
class AdoptRuleSet:
    change: RuleSetChange


# Absence: the correctable facts --------------------------------------------------------


class FactCommand(Protocol):
    """A command that records one correctable fact about a pupil (ABS-9)."""

    @property
    def pupil_id(self) -> UUID: ...

    @property
    def fact(self) -> Any: ...


@dataclass(frozen=True)
class RecordAbsence:
    pupil_id: UUID
    fact: Absence


@dataclass(frozen=True)
class RecordLateArrival:
    pupil_id: UUID
    fact: LateArrival


@dataclass(frozen=True)
class RecordLeftSchool:
    pupil_id: UUID
    fact: LeftSchool


@dataclass(frozen=True)
class ReceiveNotice:
    pupil_id: UUID
    fact: AbsenceNotice


@dataclass(frozen=True)
class ReceiveCertificate:
    pupil_id: UUID
    fact: MedicalCertificate


@dataclass(frozen=True)
class ReportSchoolRefusal:
    pupil_id: UUID
    signal: SchoolRefusalSignal


@dataclass(frozen=True)
class CorrectRecord:
    """ABS-9; ``replacement`` is the corrected event's whole ``data`` as posted (its type
    is known only once the corrected event is found), None to void it."""

    corrects_event_id: UUID
    reason: str
    replacement: dict[str, Any] | None


# Leave and diploma ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyForLeave:
    pupil_id: UUID
    application: LeaveApplication


@dataclass(frozen=True)
class DecideLeave:
    application_id: str
    decision: Decision
    reasons: str
    overrides_recommendation: bool


@dataclass(frozen=True)
class RequestExclusion:
    pupil_id: UUID
    request: DiplomaRequest


@dataclass(frozen=True)
class RequestCauseAttachment:
    pupil_id: UUID
    request: DiplomaRequest


# Follow-up: records of the case --------------------------------------------------------


@dataclass(frozen=True)
class LogContact:
    pupil_id: UUID
    contact: Contact


@dataclass(frozen=True)
class SendLetter:
    pupil_id: UUID
    letter: Letter


@dataclass(frozen=True)
class HoldMeeting:
    pupil_id: UUID
    meeting: Meeting


@dataclass(frozen=True)
class InformLeadership:
    pupil_id: UUID
    informed_role: str
    about: str


@dataclass(frozen=True)
class SignAgreement:
    pupil_id: UUID
    agreement: Agreement


@dataclass(frozen=True)
class EvaluateMeasure:
    evaluation: MeasureEvaluation


@dataclass(frozen=True)
class GiveConsent:
    pupil_id: UUID
    consent: Consent


@dataclass(frozen=True)
class WithdrawConsent:
    pupil_id: UUID
    consent_id: str
    guardian_id: str
    scope: tuple[Agency, ...]
    purpose: str | None


@dataclass(frozen=True)
class AssessChildWelfare:
    pupil_id: UUID
    assessment: WelfareAssessment


@dataclass(frozen=True)
class MakeReferral:
    pupil_id: UUID
    referral: Referral


@dataclass(frozen=True)
class InviteToConsultation:
    referral_id: str
    meeting_at: datetime


@dataclass(frozen=True)
class SubmitWrittenEvaluation:
    referral_id: str
    document_ref: str


@dataclass(frozen=True)
class SendConcernReport:
    pupil_id: UUID
    report: ConcernReport


@dataclass(frozen=True)
class OpenCase:
    pupil_id: UUID
    reason: str


@dataclass(frozen=True)
class ForwardCase:
    pupil_id: UUID
    presentation_ref: str


@dataclass(frozen=True)
class DecidePoliceReport:
    pupil_id: UUID
    decision: PoliceDecision
    reasons: str


@dataclass(frozen=True)
class CloseCase:
    pupil_id: UUID
    reason: str


# Follow-up: the school's routine -------------------------------------------------------


@dataclass(frozen=True)
class CompleteReview:
    scope: str
    scope_id: str
    school_id: str
    period: str
    kind: str


@dataclass(frozen=True)
class HoldParentsMeeting:
    school_id: str
    class_id: str
    at: datetime
    guideline_reviewed: bool


@dataclass(frozen=True)
class DiscussAnonymously:
    partner: str
    school_id: str
    summary: str


# Whereabouts unknown, abroad, safeguarding ---------------------------------------------


@dataclass(frozen=True)
class ReportWhereaboutsUnknown:
    pupil_id: UUID
    away_since: date


@dataclass(frozen=True)
class CheckPopulationRegister:
    pupil_id: UUID
    result: RegisterResult


@dataclass(frozen=True)
class TryContactRoute:
    pupil_id: UUID
    route: Route
    result: str


@dataclass(frozen=True)
class LocatePupil:
    pupil_id: UUID
    outcome: Whereabouts
    details: str


@dataclass(frozen=True)
class SendMovingNotice:
    pupil_id: UUID
    to_municipality: str


@dataclass(frozen=True)
class ReceiveWrittenConfirmation:
    pupil_id: UUID
    about: ConfirmationAbout
    document_ref: str


@dataclass(frozen=True)
class NotifyNav:
    pupil_id: UUID
    away_since: date
    document_ref: str


@dataclass(frozen=True)
class PlanExtendedTravel:
    pupil_id: UUID
    from_date: date
    to_date: date
    destination: str | None


@dataclass(frozen=True)
class NotifySchoolHealth:
    pupil_id: UUID
    about: HealthServiceMatter


@dataclass(frozen=True)
class RecordSafeguardingConcern:
    pupil_id: UUID
    grounds: str


@dataclass(frozen=True)
class OfferHomeVisit:
    pupil_id: UUID


# The service's own ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecordOverdue:
    """Recorded by the deadline clock, never accepted from outside."""

    pupil_id: UUID
    task_id: str
    rule: str
    due_at: datetime


@dataclass(frozen=True)
class CloseDay:
    """Recorded by the clock when a day with single-lesson absence has ended (CON-3)."""

    pupil_id: UUID
    date: date
