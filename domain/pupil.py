"""The pupil (elev) and the absence facts recorded about them.

Every public method checks the rules first and only then triggers its event: the
``@event`` bodies run again on every replay, and a rule that changes later (or a rule
set adopted later) must never make an old, accepted fact fail to load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.ids import scoped_id
from domain.school_year import school_year_bounds, school_year_of


class GuardianRelation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    OTHER = "other"


@dataclass(frozen=True)
class Guardian:
    """A guardian (foresatt) of the pupil."""

    guardian_id: str
    relation: GuardianRelation
    name: str | None = None


@dataclass(frozen=True)
class Enrolment:
    """The pupil's place in one school year (PupilEnrolled)."""

    pupil_id: UUID
    school_id: str
    school_year: str
    grade: int
    class_id: str
    contact_teacher_id: str
    guardians: tuple[Guardian, ...]
    chronic_illness_or_disability: bool = False
    faith_community: str | None = None
    can_swim: bool | None = None
    name: str | None = None
    national_id: str | None = None

    def __post_init__(self) -> None:
        try:
            school_year_bounds(self.school_year)
        except ValueError as error:
            raise RuleViolation("invalid_school_year", str(error),
                                field="data.school_year") from None
        if not 1 <= self.grade <= 10:
            raise RuleViolation("invalid_grade", "grade must be 1–10 (grunnskolen)",
                                field="data.grade")


class AbsenceScope(StrEnum):
    """ABS-2: absence is recorded as whole days or as single lessons (enkelttimer)."""

    DAY = "day"
    LESSON = "lesson"


@dataclass(frozen=True)
class Lesson:
    period: int
    subject: str | None = None
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class Absence:
    """One recorded absence: a whole day or a single lesson (ABS-2)."""

    date: date
    scope: AbsenceScope
    lesson: Lesson | None = None

    def __post_init__(self) -> None:
        if self.scope is AbsenceScope.LESSON and self.lesson is None:
            raise RuleViolation("lesson_required", "an absence from a single lesson must name "
                                "the lesson", field="data.lesson", rule="ABS-2")
        if self.scope is AbsenceScope.DAY and self.lesson is not None:
            raise RuleViolation("lesson_not_allowed", "a whole-day absence names no lesson",
                                field="data.lesson", rule="ABS-2")


@dataclass(frozen=True)
class LateArrival:
    """Late arrival (forsentkomming), an occurrence of its own (ABS-7)."""

    date: date
    lesson: Lesson | None = None
    minutes_late: int | None = None


@dataclass(frozen=True)
class LeftSchool:
    """The pupil arrived at school and then left again (ABS-7, CON-5)."""

    date: date
    time: time


class NoticeCause(StrEnum):
    ILLNESS = "illness"
    MEDICAL_APPOINTMENT = "medical_appointment"
    FUNERAL = "funeral"
    OTHER = "other"


class NoticeChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    MESSAGE_BOOK = "message_book"
    APP = "app"


@dataclass(frozen=True)
class AbsenceNotice:
    """A notice (melding) from the guardians giving the cause of absence (ABS-3).

    ``lessons`` limits the notice to those lesson periods; without it the notice covers
    whole days, and every lesson on them.
    """

    from_date: date
    to_date: date
    cause: NoticeCause
    channel: NoticeChannel
    guardian_id: str
    lessons: tuple[int, ...] | None = None
    cause_text: str | None = None

    def __post_init__(self) -> None:
        if self.to_date < self.from_date:
            raise RuleViolation("period_reversed", "to_date is before from_date",
                                field="data.to_date")


def pupil_aggregate_id(tenant: str, pupil_id: UUID) -> UUID:
    return scoped_id(tenant, "pupil", pupil_id)


class Pupil(Aggregate):
    """A pupil whose absence this municipality follows up.

    Every event names the pupil (``pupil_id``, a pseudonym), so each stored event is
    self-describing for projections, topics and dossiers.
    """

    class Enrolled(Aggregate.Created):
        envelope: Envelope
        pupil_id: UUID
        enrolment: Enrolment

    class EnrolmentRecorded(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID
        enrolment: Enrolment

    class AbsenceRecorded(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID
        absence: Absence

    class LateArrivalRecorded(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID
        late_arrival: LateArrival

    class LeftSchoolRecorded(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID
        left_school: LeftSchool

    class AbsenceNoticeReceived(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID
        notice: AbsenceNotice

    @staticmethod
    def create_id(envelope: Envelope, pupil_id: UUID, enrolment: Enrolment) -> UUID:
        return pupil_aggregate_id(envelope.tenant, pupil_id)

    @classmethod
    def enrolled(cls, envelope: Envelope, enrolment: Enrolment) -> Pupil:
        """The first enrolment of a pupil this municipality has not seen before."""
        return cls(envelope, enrolment.pupil_id, enrolment)

    @event(Enrolled)
    def __init__(self, envelope: Envelope, pupil_id: UUID, enrolment: Enrolment) -> None:
        self.tenant = envelope.tenant
        self.pupil_id = pupil_id
        self.enrolments: dict[str, Enrolment] = {enrolment.school_year: enrolment}

    def enrol(self, envelope: Envelope, enrolment: Enrolment) -> None:
        """Enrolment in another school year, or a change (class, guardians) in this one."""
        self._enrolment_recorded(envelope, self.pupil_id, enrolment)

    @event(EnrolmentRecorded)
    def _enrolment_recorded(self, envelope: Envelope, pupil_id: UUID,
                            enrolment: Enrolment) -> None:
        self.enrolments[enrolment.school_year] = enrolment

    def record_absence(self, envelope: Envelope, absence: Absence) -> None:
        """ABS-1/ABS-2: absence is recorded undocumented until a notice covers it."""
        self.enrolment_on(absence.date, field="data.date")
        self._absence_recorded(envelope, self.pupil_id, absence)

    @event(AbsenceRecorded)
    def _absence_recorded(self, envelope: Envelope, pupil_id: UUID, absence: Absence) -> None:
        pass

    def record_late_arrival(self, envelope: Envelope, late_arrival: LateArrival) -> None:
        """ABS-7: late arrival is recorded as its own occurrence, not as absence."""
        self.enrolment_on(late_arrival.date, field="data.date")
        self._late_arrival_recorded(envelope, self.pupil_id, late_arrival)

    @event(LateArrivalRecorded)
    def _late_arrival_recorded(self, envelope: Envelope, pupil_id: UUID,
                               late_arrival: LateArrival) -> None:
        pass

    def record_left_school(self, envelope: Envelope, left_school: LeftSchool) -> None:
        """ABS-7: "kommer på skolen, men går igjen" is recorded as its own occurrence."""
        self.enrolment_on(left_school.date, field="data.date")
        self._left_school_recorded(envelope, self.pupil_id, left_school)

    @event(LeftSchoolRecorded)
    def _left_school_recorded(self, envelope: Envelope, pupil_id: UUID,
                              left_school: LeftSchool) -> None:
        pass

    def receive_notice(self, envelope: Envelope, notice: AbsenceNotice) -> None:
        """ABS-3/ABS-4: a notice from a guardian documents the absence it covers."""
        enrolment = self.enrolment_on(notice.from_date, field="data.from_date")
        if notice.guardian_id not in {g.guardian_id for g in enrolment.guardians}:
            raise RuleViolation(
                "not_a_guardian",
                "the notice must come from one of the pupil's registered guardians",
                field="data.guardian_id", rule="ABS-3")
        self._notice_received(envelope, self.pupil_id, notice)

    @event(AbsenceNoticeReceived)
    def _notice_received(self, envelope: Envelope, pupil_id: UUID,
                         notice: AbsenceNotice) -> None:
        pass

    def enrolment_on(self, day: date, *, field: str) -> Enrolment:
        try:
            return self.enrolments[school_year_of(day)]
        except KeyError:
            raise RuleViolation(
                "not_enrolled",
                f"the pupil is not enrolled in school year {school_year_of(day)}",
                field=field) from None
