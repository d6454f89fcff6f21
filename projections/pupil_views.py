"""The read models of each pupil — absence facts and tallies, concerns, leave
applications, diploma requests — built by one projection in one transaction per batch.

They are one projection because concerns are counted from the facts: evaluated in the
same transaction, in log order, they see exactly the facts that came before them.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any
from uuid import UUID

from domain.calendar import SchoolCalendar
from domain.case import FollowUpCase
from domain.municipality import Municipality
from domain.pupil import Pupil
from domain.rule_sets import RuleBook
from domain.school_days import SchoolDays
from domain.school_routine import SchoolRoutine
from domain.school_year import school_year_of
from projections import absence, cases, concerns, outbox, pupil_log, requests, school_routine
from projections.db import Transaction
from projections.follower import LoggedEvent

FACT_EVENTS: dict[type, str] = {
    Pupil.AbsenceRecorded: "absence",
    Pupil.LateArrivalRecorded: "late_arrival",
    Pupil.LeftSchoolRecorded: "left_school",
    Pupil.AbsenceNoticeReceived: "notice",
    Pupil.MedicalCertificateReceived: "certificate",
}
TRIGGERS = (absence.FactKind.DAY, absence.FactKind.LESSON, absence.FactKind.LATE_ARRIVAL,
            absence.FactKind.LEFT_SCHOOL)


class PupilViews:
    name = "pupil-views"

    def __init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        """A new batch: forget what the last one read (it may have been rolled back)."""
        self._rule_books: dict[str, RuleBook] = {}
        self._school_days: dict[tuple[str, UUID, str], SchoolDays] = {}

    def _rule_book(self, tx: Transaction, tenant: str) -> RuleBook:
        if tenant not in self._rule_books:
            self._rule_books[tenant] = concerns.rule_book(tx, tenant)
        return self._rule_books[tenant]

    def _days(self, tx: Transaction, tenant: str, pupil_id: UUID, year: str) -> SchoolDays:
        key = (tenant, pupil_id, year)
        if key not in self._school_days:
            self._school_days[key] = absence.calendars(tx, pupil_id, tenant, year)
        return self._school_days[key]

    TABLES = ("pupil_year", "absence_fact", "concern", "school_calendar", "rule_set_change",
              "leave_application", "diploma_request", "outbox", "case_state", "case_stage",
              "case_task", "case_record", "school_routine", "pupil_log")

    def create_tables(self, tx: Transaction) -> None:
        for statement in (*absence.TABLES, *concerns.TABLES, *requests.TABLES, *cases.TABLES,
                          *school_routine.TABLES, *pupil_log.TABLES):
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
            self._school_days.clear()
            return None
        if isinstance(event, SchoolRoutine.Recorded):
            school_routine.apply(tx, event, position)
            return None
        if isinstance(event, Municipality.RuleSetAdopted):
            concerns.record_rule_set_change(tx, event.envelope.tenant, event.change, position)
            self._rule_books.pop(event.envelope.tenant, None)
            return None
        if not isinstance(event, FollowUpCase.Event):
            return None
        tenant, pupil_id = event.envelope.tenant, event.pupil_id
        if isinstance(event, Pupil.Enrolled | Pupil.EnrolmentRecorded):
            e = event.enrolment
            absence.record_enrolment(tx, tenant, pupil_id, e.school_year, e.school_id, e.grade,
                                     position)
            self._school_days.pop((tenant, pupil_id, e.school_year), None)
        elif type(event) in FACT_EVENTS:
            fact = getattr(event, FACT_EVENTS[type(event)])
            row = absence.fact_row(fact, event.envelope.occurred_at.date())
            undocumented = row.kind in (absence.FactKind.DAY, absence.FactKind.LESSON) and \
                not absence.is_documented(tx, tenant, pupil_id, row, event.envelope.event_id)
            absence.record_fact(tx, event.envelope.event_id, tenant, pupil_id, row, position)
            self._follow_up(tx, event, row, position, undocumented=undocumented)
        elif isinstance(event, Pupil.RecordCorrected):
            # A corrected notice keeps the day it was first received (ABS-5).
            replacement = absence.fact_row(event.replacement) if event.replacement else None
            absence.correct_fact(tx, event.corrects_event_id, event.envelope.event_id,
                                 replacement)
            self._follow_up(tx, event, replacement, position)
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
        elif isinstance(event, FollowUpCase.Event):  # the case, and the early warning
            self._follow_up(tx, event, None, position)
        return tenant, pupil_id

    def _follow_up(self, tx: Transaction, event: Any,
                   row: absence.FactRow | None, position: int, *,
                   undocumented: bool = False) -> None:
        """Concerns first (CON-*), then the case they may open and the tasks it sets."""
        tenant = event.envelope.tenant
        book = self._rule_book(tx, tenant)
        raised = []
        if row is not None and row.kind in TRIGGERS:
            raised = concerns.raise_concerns(
                tx, tenant=tenant, pupil_id=event.pupil_id, day=row.from_day,
                raised_at=event.envelope.recorded_at, position=position,
                rules=book.on(row.from_day),
                days=self._days(tx, tenant, event.pupil_id, school_year_of(row.from_day)))
        rules = book.on(event.envelope.occurred_at.date())
        cases.apply(tx, event, position, rules=rules, concern_raised=bool(raised),
                    undocumented=undocumented)

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
