"""A pupil and the pupil's follow-up case, driven as the handlers drive them, without HTTP
or a store: unit tests of the case's rules say only what matters to them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.case import Context, FollowUpCase
from domain.case_records import (
    Agency,
    AgreedMeasure,
    Agreement,
    Contact,
    ContactChannel,
    Contacted,
    ContactedRelation,
    Letter,
    LetterChannel,
    LetterPurpose,
    Meeting,
    MeetingKind,
    Participant,
    Referral,
)
from domain.envelope import Actor, Envelope, Role
from domain.errors import RuleViolation
from domain.follow_up import local_day
from domain.pupil import Pupil
from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    Enrolment,
    Guardian,
    GuardianRelation,
    Lesson,
    NoticeCause,
    NoticeChannel,
)
from domain.rule_sets import RuleSet
from domain.school_days import SchoolDays

OSLO = ZoneInfo("Europe/Oslo")
GUARDIAN = "guardian-1"
FOL16 = (Participant("guardian", GUARDIAN), Participant("contact_teacher"),
         Participant("principal"))
FACT_TYPES = {"record_absence": "AbsenceRecorded", "record_late_arrival": "LateArrivalRecorded",
              "record_left_school": "LeftSchoolRecorded", "receive_notice":
              "AbsenceNoticeReceived", "receive_medical_certificate":
              "MedicalCertificateReceived", "report_school_refusal":
              "SchoolRefusalSignalReported", "correct": "RecordCorrected", "depart": "PupilLeft"}
"""The posted type of each fact, as its envelope names it."""


def moment(text: str) -> datetime:
    """``2026-09-07T08:30`` in Norwegian time (a date alone: 08:00)."""
    return datetime.fromisoformat(text if "T" in text else f"{text}T08:00").replace(tzinfo=OSLO)


def envelope(kind: str, at: str, role: Role = Role.CONTACT_TEACHER) -> Envelope:
    when = moment(at)
    return Envelope(uuid4(), kind, 1, "3101", when, when, Actor(f"{role.value}-1", role),
                    "tests")


class Desk:
    """One pupil's case. ``fact`` records on the pupil and lets the case follow, as the
    fact handlers do; ``do`` calls the case itself, as the case handlers do. Every event
    stored is kept in ``stored``, in order."""

    def __init__(self, rules: RuleSet | None = None, *, identity: bool = True) -> None:
        self.rules = rules or RuleSet()
        pupil_id = uuid4()
        enrolment = Enrolment(pupil_id, "school-1", "2026-2027", 9, "9A", "teacher-1",
                              (Guardian(GUARDIAN, GuardianRelation.MOTHER),),
                              name="Kari" if identity else None,
                              national_id="01011012384" if identity else None)
        self.pupil = Pupil.enrolled(envelope("PupilEnrolled", "2026-08-15"), enrolment)
        self.case = FollowUpCase.started(self.pupil.pending_events[0].envelope, pupil_id)
        self.stored: list[Any] = [*self.pupil.collect_events(), *self.case.collect_events()]

    @property
    def context(self) -> Context:
        return Context(self.pupil, lambda day: self.rules, lambda day: SchoolDays(None))

    def fact(self, method: str, at: str, *args: Any, role: Role = Role.CONTACT_TEACHER) -> None:
        """A fact about the pupil (``record_absence``, ``receive_notice`` …)."""
        call = getattr(self.pupil, method)
        if method in ("record_absence", "record_late_arrival", "record_left_school"):
            args = (*args, SchoolDays(None))
        call(envelope(FACT_TYPES[method], at, role), *args)
        facts = self.pupil.collect_events()
        for fact in facts:
            self.case.follow(fact, self.context)
        self.stored += [*facts, *self.case.collect_events()]

    def do(self, method: str, at: str, *args: Any, role: Role = Role.CONTACT_TEACHER) -> None:
        """A record of the case (``log_contact``, ``hold_meeting`` …); refusals raise."""
        getattr(self.case, method)(envelope(method, at, role), *args, self.context)
        self.stored += self.case.collect_events()

    # What the case holds -------------------------------------------------------------

    def open(self) -> set[tuple[str, str]]:
        """(rule, local due date) of each open task."""
        return {(t.rule, local_day(t.due_at).isoformat()) for t in self.case.tasks.values()}

    def rules_open(self) -> list[str]:
        return sorted(t.rule for t in self.case.tasks.values())

    def decided(self, kind: str) -> list[Any]:
        return [e for e in self.stored if type(e).__name__ == kind]

    def ended(self, kind: str) -> list[str]:
        """The rules of the tasks closed (``TaskClosed``) or cancelled (``TaskCancelled``)."""
        return [e.rule for e in self.decided(kind)]

    @property
    def stage(self) -> str:
        return self.case.stage


def refused(call: Any, *args: Any, **kw: Any) -> RuleViolation:
    """What ``call`` was refused with (it must be)."""
    with pytest.raises(RuleViolation) as raised:
        call(*args, **kw)
    return raised.value


# Records, as the contract loads them ---------------------------------------------------


def absence(day: str, period: int | None = None) -> Absence:
    return Absence(date.fromisoformat(day), AbsenceScope.LESSON if period else AbsenceScope.DAY,
                   Lesson(period) if period else None)


def notice(day: str, lessons: tuple[int, ...] | None = None) -> AbsenceNotice:
    on = date.fromisoformat(day)
    return AbsenceNotice(on, on, NoticeCause.ILLNESS, NoticeChannel.SMS, GUARDIAN, lessons)


def contact(on: str, *, reached: bool = True, relation: ContactedRelation =
            ContactedRelation.MOTHER, at_time: time | None = time(9, 0),
            result: str = "Mor bekreftet sykdom.") -> Contact:
    return Contact(str(uuid4()), Actor("teacher-1", Role.CONTACT_TEACHER),
                   Contacted(relation, GUARDIAN), date.fromisoformat(on), at_time,
                   ContactChannel.PHONE, reached, result)


def meeting(kind: MeetingKind, at: str, **extra: Any) -> Meeting:
    fields: dict[str, Any] = {
        "participants": (Participant("contact_teacher"), Participant("principal")),
        "pupil_participated": True, "anonymous": False, "minutes": "Referat i elevmappen.",
        **extra}
    return Meeting(str(uuid4()), kind, moment(at), **fields)


def agreement(version: int = 1, evaluate_by: str = "2026-11-15", *, code: str | None = None,
              decision: str | None = None, signed_by: tuple[str, ...] = (GUARDIAN,),
              agreement_id: str = "avtale-1") -> Agreement:
    measure = AgreedMeasure("m1", "Fast person møter eleven", "contact_teacher",
                            date.fromisoformat(evaluate_by), code, decision)
    return Agreement(agreement_id, version, "Eleven er på skolen", (measure,), signed_by,
                     "Jeg vil bli møtt i døra.")


def letter(purpose: LetterPurpose = LetterPurpose.DUTY_OF_EDUCATION, *, legal: bool = True,
           criminal: bool = True) -> Letter:
    return Letter(str(uuid4()), (GUARDIAN,), LetterChannel.DIGITAL_MAILBOX, purpose, legal,
                  criminal, "brev-1")


def referral(to: Agency, referral_id: str | None = None, **extra: Any) -> Referral:
    return Referral(referral_id or str(uuid4()), to, extra.pop("attachments", ()), **extra)
