"""The read models of each pupil — absence facts and tallies, concerns, the follow-up
case, leave applications, diploma requests — built by one projection in one transaction
per batch.

Every figure the service decided (a concern, a stage, a task, a recommendation) is read
from the event that recorded the decision; this projection only folds them.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from uuid import UUID

from domain.calendar import SchoolCalendar
from domain.case import FollowUpCase
from domain.disposal import Disposal
from domain.pupil import Pupil
from domain.records import Absence, AbsenceScope
from domain.school_routine import SchoolRoutine
from domain.school_year import school_year_of
from projections import (
    absence,
    cases,
    concerns,
    disposal,
    outbox,
    pupil_log,
    requests,
    school_routine,
    tasks_due,
)
from projections.db import Transaction
from projections.follower import LoggedEvent

FACT_EVENTS: dict[type, str] = {
    Pupil.AbsenceRecorded: "absence",
    Pupil.LateArrivalRecorded: "late_arrival",
    Pupil.LeftSchoolRecorded: "left_school",
    Pupil.AbsenceNoticeReceived: "notice",
    Pupil.MedicalCertificateReceived: "certificate",
}


class PupilViews:
    name = "pupil-views"

    def begin(self) -> None:
        """A new batch: nothing is kept between batches."""

    TABLES = ("pupil_year", "absence_fact", "concern", "school_calendar",
              "leave_application", "diploma_request", "outbox", "case_state", "case_stage",
              "case_task", "case_record", "lesson_day", "school_routine", "pupil_log",
              "pupil_disposal")

    def create_tables(self, tx: Transaction) -> None:
        for statement in (*absence.TABLES, *concerns.TABLES, *requests.TABLES, *cases.TABLES,
                          *school_routine.TABLES, *pupil_log.TABLES, disposal.TABLE):
            tx.execute(statement)
        outbox.create(tx)

    def clear(self, tx: Transaction) -> None:
        """Empty every table and the position, for a rebuild from the start of the log.

        The outbox is emptied too: a rebuild publishes its alerts and statuses again,
        which consumers dedupe (alerts) or overwrite (the compacted status topic)."""
        for table in self.TABLES:
            tx.execute(f"DELETE FROM {table}")
        tx.execute("DELETE FROM projection_position WHERE name IN (:name, :relay)",
                   {"name": self.name, "relay": "relay:outbox"})

    def apply(self, tx: Transaction, logged: LoggedEvent) -> tuple[str, UUID] | None:
        """Apply one event; answer the (tenant, pupil) whose status it may have changed."""
        event, position = logged.event, logged.position
        pupil_log.record(tx, event, position)
        if isinstance(event, SchoolCalendar.Published | SchoolCalendar.Republished):
            concerns.record_calendar(tx, event.envelope.tenant, event.calendar)
            return None
        if isinstance(event, SchoolRoutine.Recorded):
            school_routine.apply(tx, event, position)
            return None
        if isinstance(event, Disposal.PupilDataDisposed):
            disposal.purge(tx, event.tenant, event.pupil_id, event.disposed_at,
                           event.retention_class)
            return None
        if isinstance(event, FollowUpCase.ConcernRaised):
            concerns.apply(tx, event, position)
        elif isinstance(event, FollowUpCase.Event):
            cases.apply(tx, event, position)
        elif isinstance(event, Pupil.Event):
            self._pupil(tx, event, position)
        else:
            return None  # receipts, references, rule sets (decisions carry what they used)
        return event.envelope.tenant, event.pupil_id

    def _pupil(self, tx: Transaction, event: Any, position: int) -> None:
        tenant, pupil_id = event.envelope.tenant, event.pupil_id
        if isinstance(event, Pupil.Enrolled | Pupil.EnrolmentRecorded):
            e = event.enrolment
            absence.record_enrolment(tx, tenant, pupil_id, e.school_year, e.school_id, e.grade,
                                     position)
        elif type(event) in FACT_EVENTS:
            fact = getattr(event, FACT_EVENTS[type(event)])
            absence.record_fact(tx, event.envelope.event_id, tenant, pupil_id,
                                absence.fact_row(fact, event.envelope.occurred_at.date()),
                                position)
            _lesson(tx, tenant, pupil_id, fact, position)
        elif isinstance(event, Pupil.RecordCorrected):
            # A corrected notice keeps the day it was first received (ABS-5).
            replacement = absence.fact_row(event.replacement) if event.replacement else None
            absence.correct_fact(tx, event.corrects_event_id, event.envelope.event_id,
                                 replacement)
            _lesson(tx, tenant, pupil_id, event.replacement, position)
        elif isinstance(event, Pupil.LeaveApplied):
            requests.record_application(tx, tenant, pupil_id, event.application,
                                        event.recommendation,
                                        event.envelope.occurred_at.isoformat(), position)
        elif isinstance(event, Pupil.LeaveDecided):
            requests.record_leave_decision(tx, tenant, event.envelope.event_id,
                                           event.application_id, event.decision, position)
        elif isinstance(event, Pupil.DiplomaExclusionRequested):
            requests.record_request(tx, tenant, pupil_id, requests.EXCLUSION, event.request,
                                    event.decision, position)
        elif isinstance(event, Pupil.CauseAttachmentRequested):
            requests.record_request(tx, tenant, pupil_id, requests.CAUSE_ATTACHMENT,
                                    event.request, event.decision, position)

    def finish(self, tx: Transaction, touched: Set[tuple[str, UUID]], end: int) -> None:
        """The latest status of each pupil the batch touched, for the compacted topic."""
        for tenant, pupil_id in sorted(touched, key=str):
            stored = absence.facts(tx, pupil_id, tenant)
            years = tx.execute("SELECT school_year FROM pupil_year WHERE tenant = :tenant "
                               "AND pupil_id = :pupil_id ORDER BY school_year DESC",
                               {"tenant": tenant, "pupil_id": str(pupil_id)})
            latest = max((school_year_of(f.row.from_day) for f in stored),
                         default=years[0][0] if years else None)
            tally = absence.tally_of(stored, latest)
            raised = tx.execute("SELECT rule, period FROM concern WHERE tenant = :tenant AND "
                                "pupil_id = :pupil_id ORDER BY position, rule, period",
                                {"tenant": tenant, "pupil_id": str(pupil_id)})
            outbox.put(tx, end, outbox.STATUS_TOPIC, str(pupil_id), {
                "tenant": tenant, "pupil_id": str(pupil_id), "school_year": latest,
                "position": end, "days": tally.totals.days.as_dict(),
                "lessons": tally.totals.lessons.as_dict(),
                "late_arrivals": tally.totals.late_arrivals,
                "left_school": tally.totals.left_school,
                "concerns": [{"rule": r, "period": p} for r, p in raised]})


def _lesson(tx: Transaction, tenant: str, pupil_id: UUID, fact: Any, position: int) -> None:
    """A single-lesson absence leaves its day for the clock to close (CON-3)."""
    if isinstance(fact, Absence) and fact.scope is AbsenceScope.LESSON:
        tasks_due.lesson_recorded(tx, tenant, pupil_id, fact.date, position)
