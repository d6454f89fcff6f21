"""Absence facts per pupil, and the tally counted from them.

The view stores facts, not running totals; ``domain.tally`` counts them at read time.
A notice that arrives after the absence it covers (ABS-4) or before it gives the same
figures, and a correction (ABS-9) voids or replaces the row of the fact it corrects, so
tallies show the corrected figure while the event log keeps both.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    LateArrival,
    LeftSchool,
    MedicalCertificate,
)
from domain.school_days import SchoolDays
from domain.tally import (
    Documentation,
    Occurrence,
    OccurrenceKind,
    RecordedAbsence,
    Tally,
    count_absence,
)
from projections import codec
from projections.batch import Batch
from projections.db import Transaction, ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS pupil_year (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        school_year TEXT NOT NULL,
        school_id TEXT NOT NULL,
        grade INTEGER NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id, school_year)
    )""",
    """CREATE TABLE IF NOT EXISTS absence_fact (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        from_day TEXT NOT NULL,
        to_day TEXT NOT NULL,
        period INTEGER,
        periods TEXT,
        received_on TEXT,
        void INTEGER NOT NULL DEFAULT 0,
        corrected_by TEXT,
        position BIGINT NOT NULL
    )""",
    # By the last day a fact covers: the facts around a day are those ending on or after
    # it (few, the log being mostly in date order), not all those starting before it.
    "DROP INDEX IF EXISTS absence_fact_pupil",  # by the first day, which no read used
    "CREATE INDEX IF NOT EXISTS absence_fact_until ON absence_fact (pupil_id, tenant, to_day)",
)

TOUCHED = "absence_fact_days"
"""A batch's (tenant, pupil) -> the spans of days its facts and corrections may change."""

# Reads take the caller's tenant once callers are authenticated; None reads any tenant.
FOR_PUPIL = "WHERE pupil_id = :pupil_id AND (CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant)"


class FactKind:
    """The kinds of row in absence_fact."""

    DAY = "absence_day"
    LESSON = "absence_lesson"
    LATE_ARRIVAL = "late_arrival"
    LEFT_SCHOOL = "left_school"
    NOTICE = "notice"
    CERTIFICATE = "certificate"
    LEAVE = "leave"
    DOCUMENTING = (NOTICE, CERTIFICATE, LEAVE)


@dataclass(frozen=True)
class FactRow:
    kind: str
    from_day: date
    to_day: date
    period: int | None = None
    periods: tuple[int, ...] | None = None
    received_on: date | None = None  # guardians' notices: ABS-5


def fact_row(fact: Any, received_on: date | None = None) -> FactRow:
    """The row of a correctable fact (or of its replacement)."""
    if isinstance(fact, Absence):
        lesson = fact.scope is AbsenceScope.LESSON
        return FactRow(FactKind.LESSON if lesson else FactKind.DAY, fact.date, fact.date,
                       fact.lesson.period if fact.lesson else None)
    if isinstance(fact, LateArrival):
        return FactRow(FactKind.LATE_ARRIVAL, fact.date, fact.date)
    if isinstance(fact, LeftSchool):
        return FactRow(FactKind.LEFT_SCHOOL, fact.date, fact.date)
    if isinstance(fact, AbsenceNotice):
        return FactRow(FactKind.NOTICE, fact.from_date, fact.to_date, periods=fact.lessons,
                       received_on=received_on)
    assert isinstance(fact, MedicalCertificate)
    return FactRow(FactKind.CERTIFICATE, fact.from_date, fact.to_date)


def record_enrolment(batch: Batch, tenant: str, pupil_id: UUID, school_year: str,
                     school_id: str, grade: int, position: int) -> None:
    batch.insert(
        "INSERT INTO pupil_year (tenant, pupil_id, school_year, school_id, grade, position) "
        "VALUES (:tenant, :pupil_id, :school_year, :school_id, :grade, :position) "
        "ON CONFLICT (tenant, pupil_id, school_year) DO UPDATE SET "
        "school_id = excluded.school_id, grade = excluded.grade, position = excluded.position",
        {"tenant": tenant, "pupil_id": str(pupil_id), "school_year": school_year,
         "school_id": school_id, "grade": grade, "position": position})


def record_fact(batch: Batch, event_id: UUID, tenant: str, pupil_id: UUID, row: FactRow,
                position: int) -> None:
    batch.insert(
        "INSERT INTO absence_fact (event_id, tenant, pupil_id, kind, from_day, to_day, period, "
        "periods, received_on, position) VALUES (:event_id, :tenant, :pupil_id, :kind, "
        ":from_day, :to_day, :period, :periods, :received_on, :position) "
        "ON CONFLICT (event_id) DO NOTHING",
        {"event_id": str(event_id), "tenant": tenant, "pupil_id": str(pupil_id),
         "position": position, **_columns(row)})
    _touch(batch, tenant, str(pupil_id), row.from_day, row.to_day)


def _touch(batch: Batch, tenant: str, pupil_id: str, first: date, last: date) -> None:
    batch.state(TOUCHED).setdefault((tenant, pupil_id), []).append((first, last))


def load_corrected(batch: Batch, corrected: list[UUID]) -> None:
    """Read once, before the batch changes them, the days of the facts its corrections
    replace or void: their figures change too."""
    if not corrected:
        return
    where, params = batch.tx.one_of("ids", sorted({str(e) for e in corrected}))
    for tenant, pupil_id, from_day, to_day in batch.tx.execute(
            "SELECT tenant, pupil_id, from_day, to_day FROM absence_fact WHERE event_id "
            + where + " ORDER BY event_id", params):
        _touch(batch, tenant, pupil_id, date.fromisoformat(from_day),
               date.fromisoformat(to_day))


# One statement for voiding and replacing, so that corrections of one fact in one batch
# are applied in log order (a replacement keeps a void row void).
CORRECTION = (
    "UPDATE absence_fact SET void = CASE WHEN :void = 1 THEN 1 ELSE void END, "
    "kind = COALESCE(:kind, kind), from_day = COALESCE(:from_day, from_day), "
    "to_day = COALESCE(:to_day, to_day), "
    "period = CASE WHEN :void = 1 THEN period ELSE :period END, "
    "periods = CASE WHEN :void = 1 THEN periods ELSE :periods END, "
    "received_on = COALESCE(:received_on, received_on), "
    "corrected_by = :correction WHERE event_id = :event_id")


def correct_fact(batch: Batch, tenant: str, pupil_id: UUID, corrected: UUID,
                 correction: UUID, replacement: FactRow | None) -> None:
    """Void or replace the fact ``corrected`` (of the pupil's, read by `load_corrected`
    if an earlier batch wrote it)."""
    columns = (dict.fromkeys(("kind", "from_day", "to_day", "period", "periods",
                              "received_on")) if replacement is None else _columns(replacement))
    batch.update(CORRECTION, {"event_id": str(corrected), "correction": str(correction),
                              "void": int(replacement is None), **columns})
    if replacement is not None:
        _touch(batch, tenant, str(pupil_id), replacement.from_day, replacement.to_day)


def _columns(row: FactRow) -> dict[str, Any]:
    return {"kind": row.kind, "from_day": row.from_day.isoformat(),
            "to_day": row.to_day.isoformat(), "period": row.period,
            "periods": json.dumps(row.periods) if row.periods is not None else None,
            "received_on": row.received_on.isoformat() if row.received_on else None}


@dataclass(frozen=True)
class StoredFact:
    event_id: UUID
    row: FactRow


FACT_COLUMNS = "event_id, kind, from_day, to_day, period, periods, received_on"


def facts(tx: Transaction, pupil_id: UUID, tenant: str | None) -> list[StoredFact]:
    """The pupil's facts that stand (not voided)."""
    rows = tx.execute(
        "SELECT " + FACT_COLUMNS + " FROM absence_fact " + FOR_PUPIL + " AND void = 0"
        # In log order, whatever order the rows lie in: the concerns cite these events.
        " ORDER BY position, event_id", {"pupil_id": str(pupil_id), "tenant": tenant})
    return [_stored(*row) for row in rows]


def of_pupils(tx: Transaction, pupils: Collection[tuple[str, str]]
              ) -> tuple[str, dict[str, Any]]:
    """A condition true for the rows of each (tenant, pupil id) in ``pupils`` — and of a
    few more, for the caller to leave out — in the columns the pupil tables' keys and
    indexes begin with, so that an index answers it."""
    tenants, tenant_params = tx.one_of("tenants", sorted({t for t, _ in pupils}))
    ids, id_params = tx.one_of("ids", sorted({p for _, p in pupils}))
    return f"tenant {tenants} AND pupil_id {ids}", {**tenant_params, **id_params}


def facts_between(tx: Transaction, pupils: list[tuple[str, str]], first: date, last: date
                  ) -> dict[tuple[str, str], list[StoredFact]]:
    """The standing facts of each (tenant, pupil id) that cover a day from ``first`` to
    ``last``, in log order: all there is to count those days by."""
    where, params = of_pupils(tx, pupils)
    wanted = set(pupils)
    found: dict[tuple[str, str], list[StoredFact]] = {}
    for tenant, pupil_id, *fact in tx.execute(
            "SELECT tenant, pupil_id, " + FACT_COLUMNS + " FROM absence_fact WHERE " + where
            + " AND void = 0 AND to_day >= :first AND from_day <= :last "
            "ORDER BY pupil_id, tenant, position, event_id",
            {**params, "first": first.isoformat(), "last": last.isoformat()}):
        if (tenant, pupil_id) in wanted:
            found.setdefault((tenant, pupil_id), []).append(_stored(*fact))
    return found


def _stored(event_id: str, kind: str, from_day: str, to_day: str, period: int | None,
            periods: str | None, received_on: str | None) -> StoredFact:
    return StoredFact(UUID(event_id), FactRow(
        kind, date.fromisoformat(from_day), date.fromisoformat(to_day), period,
        tuple(json.loads(periods)) if periods is not None else None,
        date.fromisoformat(received_on) if received_on else None))


def tally_of(stored: list[StoredFact], school_year: str | None,
             school_days: SchoolDays | None = None) -> Tally:
    """ABS-1…ABS-5, ABS-7: the figures of the pupil's standing facts."""
    absences, documentation, occurrences = [], [], []
    for fact in stored:
        row = fact.row
        if row.kind in (FactKind.DAY, FactKind.LESSON):
            scope = AbsenceScope.DAY if row.kind == FactKind.DAY else AbsenceScope.LESSON
            absences.append(RecordedAbsence(fact.event_id, row.from_day, scope, row.period))
        elif row.kind in FactKind.DOCUMENTING:
            documentation.append(Documentation(fact.event_id, row.from_day, row.to_day,
                                               row.periods, row.received_on))
        else:
            kind = (OccurrenceKind.LATE_ARRIVAL if row.kind == FactKind.LATE_ARRIVAL
                    else OccurrenceKind.LEFT_SCHOOL)
            occurrences.append(Occurrence(fact.event_id, row.from_day, kind))
    return count_absence(absences, documentation, occurrences, school_year=school_year,
                         notice_deadline=school_days.next_after if school_days else None)


class AbsenceReader:
    """Reads the absence view; the figures are counted by the domain."""

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def years(self, pupil_id: UUID, tenant: str | None = None) -> dict[str, tuple[str, int]]:
        """School year -> (school, grade) for each year the pupil is enrolled in."""
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT school_year, school_id, grade FROM pupil_year "
                              + FOR_PUPIL + " ORDER BY school_year",
                              {"pupil_id": str(pupil_id), "tenant": tenant})
        return {year: (school, int(grade)) for year, school, grade in rows}

    def tally(self, pupil_id: UUID, school_year: str | None,
              tenant: str | None = None) -> Tally:
        with self.db.transaction() as tx:
            return tally_of(facts(tx, pupil_id, tenant), school_year,
                            calendars(tx, pupil_id, tenant, school_year))


def calendars(tx: Transaction, pupil_id: UUID, tenant: str | None,
              school_year: str | None) -> SchoolDays:
    """The school days of the pupil's schools in ``school_year`` (or in every year)."""
    rows = tx.execute(
        "SELECT p.school_year, c.calendar FROM pupil_year p LEFT JOIN school_calendar c "
        "ON c.tenant = p.tenant AND c.school_id = p.school_id AND c.school_year = p.school_year "
        "WHERE p.pupil_id = :pupil_id AND (CAST(:tenant AS TEXT) IS NULL OR p.tenant = :tenant) "
        "AND (CAST(:year AS TEXT) IS NULL OR p.school_year = :year) "
        "ORDER BY p.tenant, p.school_year",
        {"pupil_id": str(pupil_id), "tenant": tenant, "year": school_year})
    return SchoolDays.of(codec.loads(c) if c else None for _, c in rows)
