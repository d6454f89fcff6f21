"""What is recorded about a pupil: enrolment, absence, notices (value objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.errors import RuleViolation
from domain.school_year import school_year_bounds


class Shared:
    """A frozen value, all of whose parts are frozen too: never changed, so a copy of the
    aggregate holding it shares it. The service copies a cached aggregate for every change
    it decides, and copying a pupil's every fact value cost more than the decision."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self


class GuardianRelation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    OTHER = "other"


class AddressProtection(StrEnum):
    """PRIV-2: an address the population register keeps secret (kode 6 / kode 7)."""

    STRENGT_FORTROLIG = "strengt_fortrolig"
    FORTROLIG = "fortrolig"


@dataclass(frozen=True)
class Guardian(Shared):
    """A guardian (foresatt) of the pupil; one without parental responsibility
    (foreldreansvar) is told nothing and notifies nothing (PRIV-2)."""

    guardian_id: str
    relation: GuardianRelation
    name: str | None = None
    parental_responsibility: bool = True
    address_protection: AddressProtection | None = None


@dataclass(frozen=True)
class Enrolment(Shared):
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
    address_protection: AddressProtection | None = None

    @property
    def protection(self) -> AddressProtection | None:
        """PRIV-2: the strictest protection of the pupil's or a guardian's address (a child
        lives with a guardian, so a guardian's protected address protects the child's)."""
        found = {self.address_protection, *(g.address_protection for g in self.guardians)}
        return next((p for p in AddressProtection if p in found), None)

    def responsible(self, guardian_id: str) -> bool:
        """PRIV-2: whether ``guardian_id`` is a guardian with parental responsibility."""
        return any(g.guardian_id == guardian_id and g.parental_responsibility
                   for g in self.guardians)

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
class Lesson(Shared):
    period: int
    subject: str | None = None
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class Absence(Shared):
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
class LateArrival(Shared):
    """Late arrival (forsentkomming), an occurrence of its own (ABS-7)."""

    date: date
    lesson: Lesson | None = None
    minutes_late: int | None = None


@dataclass(frozen=True)
class LeftSchool(Shared):
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
class AbsenceNotice(Shared):
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


@dataclass(frozen=True)
class MedicalCertificate(Shared):
    """A doctor's note (sykemelding, legeerklæring): documents absence (ABS-3, DIP-4)."""

    from_date: date
    to_date: date
    issued_by: str
    document_ref: str | None = None

    def __post_init__(self) -> None:
        if self.to_date < self.from_date:
            raise RuleViolation("period_reversed", "to_date is before from_date",
                                field="data.to_date")


@dataclass(frozen=True)
class SchoolRefusalSignal:
    """The guardians tell the school the pupil must be pressed to go (FOL-19)."""

    guardian_id: str
    text: str


class LeavingReason(StrEnum):
    MOVED = "moved"
    CHANGED_SCHOOL = "changed_school"
    ABROAD = "abroad"
    OTHER = "other"


@dataclass(frozen=True)
class Departure(Shared):
    """The pupil left the school (PupilLeft)."""

    school_id: str
    reason: LeavingReason
    last_day: date
