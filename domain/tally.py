"""Absence tallies: days and single lessons, documented and undocumented.

ABS-1: absence is documented or undocumented, nothing else. ABS-2: days and single
lessons are counted apart and never converted into each other. ABS-3/ABS-4: an absence
is documented when a notice covers it, whenever that notice arrives — so a tally is a
function of the set of facts, not of the order they arrived in.

ABS-7: late arrivals and "arrived, then left" are occurrences of their own, counted
beside absence and never as absence.

Interpretation (written down because the guideline is silent): a day recorded twice is
one day; a lesson on a day the pupil was absent all day is part of that day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from domain.records import AbsenceScope
from domain.school_year import half_year_of, month_of, school_year_of


@dataclass(frozen=True)
class RecordedAbsence:
    event_id: UUID
    day: date
    scope: AbsenceScope
    period: int | None = None

    @property
    def key(self) -> tuple[date, int | None]:
        return (self.day, self.period)


class OccurrenceKind(StrEnum):
    LATE_ARRIVAL = "late_arrival"
    LEFT_SCHOOL = "left_school"


@dataclass(frozen=True)
class Occurrence:
    event_id: UUID
    day: date
    kind: OccurrenceKind


@dataclass(frozen=True)
class Documentation:
    """Something that documents absence over a span of days: a guardian's notice, a
    doctor's note (ABS-3) or granted leave (LEAVE-9).

    ``notice_received_on`` is set for a guardian's notice only: ABS-5 gives it a deadline.
    """

    event_id: UUID
    from_date: date
    to_date: date
    periods: tuple[int, ...] | None = None
    notice_received_on: date | None = None

    def covers(self, absence: RecordedAbsence) -> bool:
        if not self.from_date <= absence.day <= self.to_date:
            return False
        if self.periods is None:
            return True
        return absence.scope is AbsenceScope.LESSON and absence.period in self.periods


@dataclass
class Count:
    documented: int = 0
    undocumented: int = 0

    @property
    def total(self) -> int:
        return self.documented + self.undocumented

    def as_dict(self) -> dict[str, int]:
        return {"documented": self.documented, "undocumented": self.undocumented,
                "total": self.total}


@dataclass
class Figures:
    """The figures of one period (a month, a half-year, or the whole selection)."""

    period: str | None
    days: Count = field(default_factory=Count)
    lessons: Count = field(default_factory=Count)
    late_arrivals: int = 0
    left_school: int = 0
    event_ids: list[UUID] = field(default_factory=list)


@dataclass(frozen=True)
class CountedAbsence:
    """One counted day or lesson, with the events that recorded and documented it."""

    day: date
    scope: AbsenceScope
    period: int | None
    recorded_by: tuple[UUID, ...]
    documented_by: tuple[UUID, ...]
    late_notice: bool = False

    @property
    def documented(self) -> bool:
        return bool(self.documented_by)


@dataclass
class Tally:
    totals: Figures
    months: list[Figures]
    half_years: list[Figures]
    counted: list[CountedAbsence]


def count_absence(absences: Iterable[RecordedAbsence],
                  documentation: Iterable[Documentation],
                  occurrences: Iterable[Occurrence] = (),
                  school_year: str | None = None,
                  notice_deadline: Callable[[date], date] | None = None) -> Tally:
    """The tally of ``absences`` (optionally only those in ``school_year``).

    ABS-5: with ``notice_deadline`` (absent day -> the first school day after it), an
    absence documented only by guardians' notices received after that day is marked
    ``late_notice``; it still counts as documented (ABS-4).
    """
    docs = list(documentation)
    chosen = [o for o in occurrences
              if school_year is None or school_year_of(o.day) == school_year]
    by_key: dict[tuple[date, int | None], list[RecordedAbsence]] = defaultdict(list)
    for absence in absences:
        if school_year is None or school_year_of(absence.day) == school_year:
            by_key[absence.key].append(absence)
    whole_days = {day for day, period in by_key if period is None}

    counted: list[CountedAbsence] = []
    for (day, period), records in sorted(by_key.items(), key=_sort_key):
        if period is not None and day in whole_days:
            continue
        first = records[0]
        covering = [d for d in docs if d.covers(first)]
        counted.append(CountedAbsence(
            day=day, scope=first.scope, period=period,
            recorded_by=tuple(r.event_id for r in records),
            documented_by=tuple(d.event_id for d in covering),
            late_notice=bool(covering) and notice_deadline is not None and all(
                d.notice_received_on is not None
                and d.notice_received_on > notice_deadline(day) for d in covering),
        ))

    totals = Figures(period=school_year)
    months: dict[str, Figures] = {}
    half_years: dict[str, Figures] = {}

    def periods(day: date) -> tuple[Figures, ...]:
        return (totals,
                months.setdefault(month_of(day), Figures(month_of(day))),
                half_years.setdefault(half_year_of(day), Figures(half_year_of(day))))

    for item in counted:
        for figures in periods(item.day):
            _add(figures, item)
    for occurrence in sorted(chosen, key=lambda o: o.day):
        for figures in periods(occurrence.day):
            if occurrence.kind is OccurrenceKind.LATE_ARRIVAL:
                figures.late_arrivals += 1
            else:
                figures.left_school += 1
            figures.event_ids.append(occurrence.event_id)
    return Tally(totals=totals, months=sorted(months.values(), key=_period),
                 half_years=sorted(half_years.values(), key=_period), counted=counted)


def _period(figures: Figures) -> str:
    """Chronological order: spring (January–June) comes before autumn of the same year."""
    period = figures.period or ""
    return period.replace("-spring", "-1").replace("-autumn", "-2")


def _sort_key(item: tuple[tuple[date, int | None], list[RecordedAbsence]]) -> tuple[date, int]:
    (day, period), _ = item
    return (day, -1 if period is None else period)


def _add(figures: Figures, item: CountedAbsence) -> None:
    count = figures.days if item.scope is AbsenceScope.DAY else figures.lessons
    if item.documented:
        count.documented += 1
    else:
        count.undocumented += 1
    figures.event_ids.extend(item.recorded_by)


@dataclass(frozen=True)
class ConductAssessment:
    """ABS-8: in grades 8–10 undocumented absence is reported for the conduct grade."""

    applies: bool
    undocumented_days: int | None
    undocumented_lessons: int | None


def conduct_assessment(tally: Tally, grade: int | None) -> ConductAssessment:
    """ABS-8: what the conduct grade is told of a year's tally, in the pupil's grade."""
    if grade is None or grade < 8:
        return ConductAssessment(False, None, None)
    return ConductAssessment(True, tally.totals.days.undocumented,
                             tally.totals.lessons.undocumented)
