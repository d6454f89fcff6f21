"""The read models of each pupil — absence facts and tallies, concerns, the follow-up
case, leave applications, diploma requests — built by one projection in one transaction
per batch, folded in memory (`projections.batch`): a few queries to read what the batch's
events refer to, one ``executemany`` per statement to write, whatever the batch's size.

Every figure the service decided (a concern, a stage, a task, a recommendation) is read
from the event that recorded the decision; this projection only folds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.calendar import SchoolCalendar
from domain.case import FollowUpCase
from domain.disposal import Disposal
from domain.pupil import Pupil
from domain.records import Absence, AbsenceScope
from domain.school_routine import SchoolRoutine
from projections import (
    absence,
    cases,
    concerns,
    disposal,
    outbox,
    pupil_log,
    requests,
    school_routine,
    status,
    tasks_due,
)
from projections.batch import Batch
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

    TABLES = ("pupil_year", "absence_fact", "concern", "school_calendar",
              "leave_application", "diploma_request", "outbox", "case_state", "case_stage",
              "case_task", "case_record", "lesson_day", "school_routine", "pupil_log",
              "pupil_disposal", "status_day", "pupil_status")

    def create_tables(self, tx: Transaction) -> None:
        # CREATE INDEX locks its table even when the index exists. A batch writes pupil_log
        # before any other table, so a process starting beside a running worker locks it
        # first too: taken in the other order, the two deadlock.
        for statement in (*pupil_log.TABLES, *absence.TABLES, *concerns.TABLES,
                          *requests.TABLES, *cases.TABLES, *school_routine.TABLES,
                          *status.TABLES, disposal.TABLE):
            tx.execute(statement)
        outbox.create(tx)
        status.backfill(tx)

    def clear(self, tx: Transaction) -> None:
        """Empty every table and the position, for a rebuild from the start of the log.

        The outbox is emptied too: a rebuild publishes its alerts and statuses again,
        which consumers dedupe (alerts) or overwrite (the compacted status topic)."""
        for table in self.TABLES:
            tx.execute(f"DELETE FROM {table}")
        tx.execute("DELETE FROM projection_position WHERE name IN (:name, :relay)",
                   {"name": self.name, "relay": "relay:outbox"})

    def fold(self, tx: Transaction, batch: Sequence[LoggedEvent], end: int | None = None
             ) -> None:
        """Apply a batch's events in log order, count again the days they touched, then
        (with ``end``) queue the status at ``end`` of each pupil they touched. Nothing is
        kept from one batch to the next: each call has its own `Batch`, so two threads may
        fold at once."""
        writes = Batch(tx)
        events = [logged.event for logged in batch]
        cases.load(writes, events)
        requests.load(writes, [(e.envelope.tenant, e.application_id) for e in events
                               if isinstance(e, Pupil.LeaveDecided)])
        absence.load_corrected(writes, [e.corrects_event_id for e in events
                                        if isinstance(e, Pupil.RecordCorrected)])
        touched = {pupil for logged in batch if (pupil := self.apply(writes, logged))}
        writes.flush()
        status.fold(writes, touched, end)
        writes.flush()

    def apply(self, batch: Batch, logged: LoggedEvent) -> tuple[str, UUID] | None:
        """Apply one event; answer the (tenant, pupil) whose status it may have changed."""
        event, position = logged.event, logged.position
        pupil_log.record(batch, event, position)
        if isinstance(event, SchoolCalendar.Published | SchoolCalendar.Republished):
            concerns.record_calendar(batch, event.envelope.tenant, event.calendar)
            return None
        if isinstance(event, SchoolRoutine.Recorded):
            school_routine.apply(batch, event, position)
            return None
        if isinstance(event, Disposal.PupilDataDisposed):
            batch.flush()  # the purge removes what the batch wrote of the pupil, too
            disposal.purge(batch.tx, event.tenant, event.pupil_id, event.disposed_at,
                           event.retention_class)
            return None
        if isinstance(event, FollowUpCase.ConcernRaised):
            concerns.apply(batch, event, position)
        elif isinstance(event, FollowUpCase.Event):
            cases.apply(batch, event, position)
        elif isinstance(event, Pupil.Event):
            self._pupil(batch, event, position)
        else:
            return None  # receipts, references, rule sets (decisions carry what they used)
        return event.envelope.tenant, event.pupil_id

    def _pupil(self, batch: Batch, event: Any, position: int) -> None:
        tenant, pupil_id = event.envelope.tenant, event.pupil_id
        if isinstance(event, Pupil.Enrolled | Pupil.EnrolmentRecorded):
            e = event.enrolment
            absence.record_enrolment(batch, tenant, pupil_id, e.school_year, e.school_id, e.grade,
                                     position)
        elif type(event) in FACT_EVENTS:
            fact = getattr(event, FACT_EVENTS[type(event)])
            absence.record_fact(batch, event.envelope.event_id, tenant, pupil_id,
                                absence.fact_row(fact, event.envelope.occurred_at.date()),
                                position)
            _lesson(batch, tenant, pupil_id, fact, position)
        elif isinstance(event, Pupil.RecordCorrected):
            # A corrected notice keeps the day it was first received (ABS-5).
            replacement = absence.fact_row(event.replacement) if event.replacement else None
            absence.correct_fact(batch, tenant, pupil_id, event.corrects_event_id,
                                 event.envelope.event_id, replacement)
            _lesson(batch, tenant, pupil_id, event.replacement, position)
        elif isinstance(event, Pupil.LeaveApplied):
            requests.record_application(batch, tenant, pupil_id, event.application,
                                        event.recommendation,
                                        event.envelope.occurred_at.isoformat(), position)
        elif isinstance(event, Pupil.LeaveDecided):
            requests.record_leave_decision(batch, tenant, event.envelope.event_id,
                                           event.application_id, event.decision, position)
        elif isinstance(event, Pupil.DiplomaExclusionRequested):
            requests.record_request(batch, tenant, pupil_id, requests.EXCLUSION, event.request,
                                    event.decision, position)
        elif isinstance(event, Pupil.CauseAttachmentRequested):
            requests.record_request(batch, tenant, pupil_id, requests.CAUSE_ATTACHMENT,
                                    event.request, event.decision, position)


def _lesson(batch: Batch, tenant: str, pupil_id: UUID, fact: Any, position: int) -> None:
    """A single-lesson absence leaves its day for the clock to close (CON-3)."""
    if isinstance(fact, Absence) and fact.scope is AbsenceScope.LESSON:
        tasks_due.lesson_recorded(batch, tenant, pupil_id, fact.date, position)
