"""The pupil's and the case's decisions on random sequences of facts, notices,
certificates, leave, corrections (ABS-9) and day closings (CON-3), compared with what the
aggregates decided before they kept their facts indexed instead of in full (issue 15).

``aggregate_decisions.json`` holds, per seed, a digest of every event the aggregates
recorded (refusals included), taken from the code before the change: decisions are
evidence, so keeping only what the rules need must not change one of them. Run this module
as a script to record them again — only when a decision is meant to change.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain.case import Context, FollowUpCase
from domain.diploma import DiplomaRequest, DocumentKind, DocumentRef, ExclusionBasis
from domain.envelope import Actor, Envelope, Role
from domain.errors import RuleViolation
from domain.leave import Advice, Decision, LeaveApplication, LeaveReason
from domain.pupil import Pupil
from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    Enrolment,
    Guardian,
    GuardianRelation,
    LateArrival,
    LeftSchool,
    Lesson,
    MedicalCertificate,
    NoticeCause,
    NoticeChannel,
)
from domain.rule_sets import (
    ConcernKind,
    ConcernRule,
    Measure,
    MonthWindow,
    RuleBook,
    RuleSetChange,
    Window,
)
from domain.school_days import SchoolDays

EXPECTED = Path(__file__).with_name("aggregate_decisions.json")
SEEDS = range(40)
OSLO = ZoneInfo("Europe/Oslo")
WEEKDAYS = SchoolDays(None)
GUARDIAN = "guardian-1"
FIRST_DAY = date(2026, 8, 17)
ADOPTED = RuleBook().adopt(RuleSetChange(
    date(2026, 8, 1), month_window=MonthWindow.ROLLING_30_DAYS, additional_concern_rules=(
        ConcernRule("RUN-4", ConcernKind.CONSECUTIVE_DAYS, 4),
        ConcernRule("SHARE-10", ConcernKind.SHARE_OF_LESSONS, 0.10, window=Window.ROLLING_DAYS,
                    window_days=28),
        ConcernRule("MONDAYS", ConcernKind.WEEKDAY_PATTERN, 3, out_of=4),
        ConcernRule("LESSONS-5", ConcernKind.COUNT, 5, Measure.LESSONS, Window.ROLLING_DAYS,
                    window_days=14),
        ConcernRule("YEAR-LESSONS", ConcernKind.COUNT, 8, Measure.UNDOCUMENTED_LESSONS,
                    Window.SCHOOL_YEAR),
    )))


class Run:
    """One pupil and case driven as the handlers drive them, every id drawn from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rules = ADOPTED.on(date(2026, 9, 1)) if seed % 2 else RuleBook().on(FIRST_DAY)
        self.base = FIRST_DAY + timedelta(days=self.rng.randrange(0, 200))
        self.facts: list[tuple[UUID, str]] = []
        self.digest = hashlib.sha256()
        self.count = 0
        self.stored: list[Any] = []
        pupil_id = self.uuid()
        enrolment = Enrolment(pupil_id, "school-1", "2026-2027", 9, "9A", "teacher-1",
                              (Guardian(GUARDIAN, GuardianRelation.MOTHER),), name="Kari",
                              national_id="01011012384")
        self.pupil = Pupil.enrolled(self.envelope("PupilEnrolled", date(2026, 8, 15)),
                                    enrolment)
        self.case = FollowUpCase.started(self.pupil.pending_events[0].envelope, pupil_id)
        self.keep([*self.pupil.collect_events(), *self.case.collect_events()])

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128))

    def envelope(self, kind: str, day: date, role: Role = Role.CONTACT_TEACHER,
                 hour: int = 8) -> Envelope:
        when = datetime.combine(day, time(hour, 30), OSLO)
        return Envelope(self.uuid(), kind, 1, "3101", when, when, Actor(f"{role.value}-1", role),
                        "tests")

    @property
    def context(self) -> Context:
        return Context(self.pupil, lambda day: self.rules, lambda day: WEEKDAYS)

    def keep(self, events: list[Any]) -> None:
        self.stored += events
        for event in events:
            state = {k: v for k, v in sorted(vars(event).items()) if k != "timestamp"}
            self.digest.update(f"{type(event).__name__}{state!r}".encode())
            self.count += 1

    def day(self) -> date:
        return self.base + timedelta(days=self.rng.randrange(0, 75))

    def fact(self) -> Absence | LateArrival | LeftSchool | AbsenceNotice | MedicalCertificate:
        day, draw = self.day(), self.rng.random()
        if draw < 0.35:
            return Absence(day, AbsenceScope.DAY)
        if draw < 0.7:
            return Absence(day, AbsenceScope.LESSON, Lesson(self.rng.randint(1, 6)))
        if draw < 0.8:
            return LateArrival(day, None, 10)
        if draw < 0.85:
            return LeftSchool(day, time(11, 0))
        last = day + timedelta(days=self.rng.choice((0, 0, 1, 3)))
        if draw < 0.95:
            lessons = None if self.rng.random() < 0.5 else tuple(
                sorted(self.rng.sample(range(1, 7), self.rng.randint(1, 3))))
            return AbsenceNotice(day, last, NoticeCause.ILLNESS, NoticeChannel.SMS, GUARDIAN,
                                 lessons)
        return MedicalCertificate(day, last, "doctor-1")

    def step(self) -> None:
        draw = self.rng.random()
        try:
            if draw < 0.75:
                self.record(self.fact())
            elif draw < 0.87 and self.facts:
                self.correct()
            elif draw < 0.97:
                day = self.day()
                self.case.close_day(self.envelope("DayClosed", day, Role.SERVICE, 23), day,
                                    self.context)
            else:
                self.leave()
        except RuleViolation as refused:
            self.digest.update(f"refused {refused.code}".encode())
        self.follow()

    def record(self, fact: Any) -> None:
        names = {Absence: ("AbsenceRecorded", "record_absence"),
                 LateArrival: ("LateArrivalRecorded", "record_late_arrival"),
                 LeftSchool: ("LeftSchoolRecorded", "record_left_school"),
                 AbsenceNotice: ("AbsenceNoticeReceived", "receive_notice"),
                 MedicalCertificate: ("MedicalCertificateReceived",
                                      "receive_medical_certificate")}
        kind, method = names[type(fact)]
        day = getattr(fact, "date", None) or fact.from_date
        envelope = self.envelope(kind, day, Role.GUARDIAN if kind.startswith("AbsenceNotice")
                                 else Role.CONTACT_TEACHER, 7 if kind.startswith("Absence")
                                 else 9)
        args = (WEEKDAYS,) if method.startswith("record") else ()
        getattr(self.pupil, method)(envelope, fact, *args)
        self.facts.append((envelope.event_id, kind))

    def correct(self) -> None:
        event_id, kind = self.rng.choice(self.facts)
        replacement: Any = None
        if self.rng.random() < 0.6:
            while True:
                replacement = self.fact()
                if kind == {Absence: "AbsenceRecorded", LateArrival: "LateArrivalRecorded",
                            LeftSchool: "LeftSchoolRecorded",
                            AbsenceNotice: "AbsenceNoticeReceived",
                            MedicalCertificate: "MedicalCertificateReceived"}[type(replacement)]:
                    break
        self.pupil.correct(self.envelope("RecordCorrected", self.day(), hour=12), event_id,
                           "feil", replacement, WEEKDAYS)

    def leave(self) -> None:
        first = self.day()
        application = LeaveApplication(str(self.uuid()), first, first + timedelta(days=2),
                                       LeaveReason.FAMILY_EVENT)
        self.pupil.apply_for_leave(self.envelope("LeaveApplied", first - timedelta(days=20)),
                                   application, None, self.rules)
        self.follow()
        advice = self.pupil.leave[application.application_id].recommendation.outcome
        self.pupil.decide_leave(self.envelope("LeaveDecided", first - timedelta(days=10),
                                              Role.PRINCIPAL), application.application_id,
                                Decision.GRANTED, "Innvilget", advice is Advice.REJECT)

    def diploma(self) -> None:
        for index, basis in enumerate((ExclusionBasis.HEALTH, ExclusionBasis.LEAVE)):
            dates = tuple(sorted({self.day() for _ in range(4)}))
            request = DiplomaRequest(f"r-{index}", "2026-2027", dates, (DocumentRef(
                DocumentKind.MEDICAL_CERTIFICATE, "doc"),), basis)
            try:
                self.pupil.request_diploma_exclusion(
                    self.envelope("DiplomaExclusionRequested", date(2027, 5, 20)), request,
                    WEEKDAYS, self.rules)
            except RuleViolation as refused:
                self.digest.update(f"refused {refused.code}".encode())
        self.follow()

    def follow(self) -> None:
        facts = self.pupil.collect_events()
        for fact in facts:
            self.case.follow(fact, self.context)
        self.keep([*facts, *self.case.collect_events()])


def decisions(seed: int, steps: int = 150) -> dict[str, Any]:
    run = Run(seed)
    for _ in range(steps):
        run.step()
    return finished(run)


def finished(run: Run) -> dict[str, Any]:
    run.diploma()
    return {"events": run.count, "digest": run.digest.hexdigest()}


@pytest.mark.rule("ABS-9", "CON-1", "CON-3", "CON-7", "DIP-3")
@pytest.mark.parametrize("seed", SEEDS)
def test_every_decision_is_what_it_was_before_facts_were_indexed(seed: int) -> None:
    expected = json.loads(EXPECTED.read_text())[str(seed)]

    assert decisions(seed) == expected


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps({str(s): decisions(s) for s in SEEDS}, indent=1) + "\n")
