"""The absence read model: recorded absences and what documents them, per pupil.

It stores facts, not running totals, and the tally is counted by ``domain.tally`` at
read time: a notice that arrives after the absence it covers (ABS-4), or before it,
gives the same figures, and there is one place where absence is counted.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from domain.pupil import Pupil
from domain.records import AbsenceScope
from domain.tally import (
    Documentation,
    Occurrence,
    OccurrenceKind,
    RecordedAbsence,
    Tally,
    count_absence,
)
from projections.db import Transaction, ViewDatabase
from projections.follower import LoggedEvent

TABLES = (
    """CREATE TABLE IF NOT EXISTS absence_pupil (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        school_year TEXT NOT NULL,
        school_id TEXT NOT NULL,
        grade INTEGER NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id, school_year)
    )""",
    """CREATE TABLE IF NOT EXISTS absence_recorded (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        day TEXT NOT NULL,
        scope TEXT NOT NULL,
        period INTEGER,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS absence_recorded_pupil ON absence_recorded (pupil_id, tenant)",
    """CREATE TABLE IF NOT EXISTS absence_documentation (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        from_day TEXT NOT NULL,
        to_day TEXT NOT NULL,
        periods TEXT,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS absence_documentation_pupil "
    "ON absence_documentation (pupil_id, tenant)",
    """CREATE TABLE IF NOT EXISTS absence_occurrence (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        day TEXT NOT NULL,
        kind TEXT NOT NULL,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS absence_occurrence_pupil ON absence_occurrence (pupil_id, tenant)",
)


class AbsenceProjection:
    name = "absence"

    def create_tables(self, tx: Transaction) -> None:
        for statement in TABLES:
            tx.execute(statement)

    def apply(self, tx: Transaction, logged: LoggedEvent) -> None:
        event = logged.event
        if isinstance(event, Pupil.Enrolled | Pupil.EnrolmentRecorded):
            enrolment = event.enrolment
            tx.execute(
                "INSERT INTO absence_pupil (tenant, pupil_id, school_year, school_id, grade, "
                "position) VALUES (:tenant, :pupil_id, :school_year, :school_id, :grade, "
                ":position) ON CONFLICT (tenant, pupil_id, school_year) DO UPDATE SET "
                "school_id = excluded.school_id, grade = excluded.grade, "
                "position = excluded.position",
                {"tenant": event.envelope.tenant, "pupil_id": str(event.pupil_id),
                 "school_year": enrolment.school_year, "school_id": enrolment.school_id,
                 "grade": enrolment.grade, "position": logged.position})
        elif isinstance(event, Pupil.AbsenceRecorded):
            absence = event.absence
            tx.execute(
                "INSERT INTO absence_recorded (event_id, tenant, pupil_id, day, scope, period, "
                "position) VALUES (:event_id, :tenant, :pupil_id, :day, :scope, :period, "
                ":position) ON CONFLICT (event_id) DO NOTHING",
                {**_keys(event, logged), "day": absence.date.isoformat(),
                 "scope": absence.scope.value,
                 "period": absence.lesson.period if absence.lesson else None})
        elif isinstance(event, Pupil.LateArrivalRecorded):
            _occurrence(tx, event, logged, event.late_arrival.date, OccurrenceKind.LATE_ARRIVAL)
        elif isinstance(event, Pupil.LeftSchoolRecorded):
            _occurrence(tx, event, logged, event.left_school.date, OccurrenceKind.LEFT_SCHOOL)
        elif isinstance(event, Pupil.AbsenceNoticeReceived):
            notice = event.notice
            tx.execute(
                "INSERT INTO absence_documentation (event_id, tenant, pupil_id, from_day, "
                "to_day, periods, position) VALUES (:event_id, :tenant, :pupil_id, "
                ":from_day, :to_day, :periods, :position) ON CONFLICT (event_id) DO NOTHING",
                {**_keys(event, logged), "from_day": notice.from_date.isoformat(),
                 "to_day": notice.to_date.isoformat(),
                 "periods": json.dumps(notice.lessons) if notice.lessons is not None else None})


def _occurrence(tx: Transaction, event: Any, logged: LoggedEvent, day: date,
                kind: OccurrenceKind) -> None:
    tx.execute(
        "INSERT INTO absence_occurrence (event_id, tenant, pupil_id, day, kind, position) "
        "VALUES (:event_id, :tenant, :pupil_id, :day, :kind, :position) "
        "ON CONFLICT (event_id) DO NOTHING",
        {**_keys(event, logged), "day": day.isoformat(), "kind": kind.value})


def _keys(event: Any, logged: LoggedEvent) -> dict[str, Any]:
    return {"event_id": str(event.envelope.event_id), "tenant": event.envelope.tenant,
            "pupil_id": str(event.pupil_id), "position": logged.position}


# Reads take the caller's tenant once callers are authenticated; None reads any tenant.
FOR_PUPIL = "WHERE pupil_id = :pupil_id AND (CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant)"


class AbsenceReader:
    """Reads the absence view; the figures are counted by the domain."""

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def school_years(self, pupil_id: UUID, tenant: str | None = None) -> list[str] | None:
        """The school years the pupil is enrolled in; None for a pupil never enrolled."""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT school_year FROM absence_pupil " + FOR_PUPIL + " ORDER BY school_year",
                {"pupil_id": str(pupil_id), "tenant": tenant})
        return [row[0] for row in rows] or None

    def tally(self, pupil_id: UUID, school_year: str | None,
              tenant: str | None = None) -> Tally:
        params = {"pupil_id": str(pupil_id), "tenant": tenant}
        with self.db.transaction() as tx:
            absences = tx.execute(
                "SELECT event_id, day, scope, period FROM absence_recorded " + FOR_PUPIL, params)
            documents = tx.execute(
                "SELECT event_id, from_day, to_day, periods FROM absence_documentation "
                + FOR_PUPIL, params)
            occurrences = tx.execute(
                "SELECT event_id, day, kind FROM absence_occurrence " + FOR_PUPIL, params)
        return count_absence(
            (RecordedAbsence(UUID(e), date.fromisoformat(d), AbsenceScope(s), p)
             for e, d, s, p in absences),
            (Documentation(UUID(e), date.fromisoformat(f), date.fromisoformat(t),
                           tuple(json.loads(p)) if p is not None else None)
             for e, f, t, p in documents),
            (Occurrence(UUID(e), date.fromisoformat(d), OccurrenceKind(k))
             for e, d, k in occurrences),
            school_year=school_year)
