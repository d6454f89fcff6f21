"""The pupil (elev) and the absence facts recorded about them.

Every public method checks the rules first and only then triggers its event: the
``@event`` bodies run again on every replay, and a rule that changes later (or a rule
set adopted later) must never make an old, accepted fact fail to load.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.ids import scoped_id
from domain.records import (
    Absence,
    AbsenceNotice,
    Enrolment,
    LateArrival,
    LeftSchool,
)
from domain.school_year import school_year_of


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
