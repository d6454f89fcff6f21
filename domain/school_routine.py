"""A school's own routine around absence (FOL-2, FOL-11, FOL-18) and the cases it
discusses anonymously (CT-1, REF-4): school-wide facts that name no pupil."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Envelope
from domain.ids import scoped_id


def school_routine_id(tenant: str, school_id: str) -> UUID:
    return scoped_id(tenant, "school", school_id)


class SchoolRoutine(Aggregate):
    class Recorded(Aggregate.Event):
        """What the school recorded (the aggregate's own creation carries no envelope)."""

        envelope: Envelope
        school_id: str

    class AbsenceReviewCompleted(Recorded):
        scope: str
        scope_id: str
        period: str
        kind: str

    class ParentsMeetingHeld(Recorded):
        class_id: str
        at: datetime
        guideline_reviewed: bool

    class CaseDiscussedAnonymously(Recorded):
        discussed_with: str
        summary: str

    @staticmethod
    def create_id(tenant: str, school_id: str) -> UUID:
        return school_routine_id(tenant, school_id)

    @event("Registered")
    def __init__(self, tenant: str, school_id: str) -> None:
        self.school_id = school_id

    @event(AbsenceReviewCompleted)
    def complete_review(self, envelope: Envelope, school_id: str, scope: str, scope_id: str,
                        period: str, kind: str) -> None:
        """FOL-2 (monthly, contact teacher), FOL-11 (grade team, whole school)."""

    @event(ParentsMeetingHeld)
    def hold_parents_meeting(self, envelope: Envelope, school_id: str, class_id: str,
                             at: datetime, guideline_reviewed: bool) -> None:
        """FOL-18: the guideline reviewed at the autumn's first parents' meeting."""

    @event(CaseDiscussedAnonymously)
    def discuss_anonymously(self, envelope: Envelope, school_id: str, discussed_with: str,
                            summary: str) -> None:
        """CT-1, REF-4: anonymous discussion needs no consent and names no pupil."""
