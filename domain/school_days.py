"""Which dates are school days: the school's calendar when published, else weekdays."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from domain.calendar import Calendar


class SchoolDays:
    def __init__(self, calendar: Calendar | None) -> None:
        self._days = frozenset(calendar.school_days) if calendar is not None else None

    @classmethod
    def of(cls, calendars: Iterable[Calendar | None]) -> SchoolDays:
        """Several school years' calendars as one; weekdays unless every year has one."""
        found = list(calendars)
        merged = cls(None)
        if found and all(c is not None for c in found):
            merged._days = frozenset(d for c in found if c for d in c.school_days)
        return merged

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self._days if self._days is not None else day.weekday() < 5

    def between(self, first: date, last: date) -> Iterator[date]:
        day = first
        while day <= last:
            if day in self:
                yield day
            day += timedelta(days=1)

    def before(self, day: date, count: int) -> list[date]:
        """The ``count`` school days up to and including ``day``, oldest first."""
        found: list[date] = []
        cursor = day
        for _ in range(count * 7 + 30):
            if cursor in self:
                found.append(cursor)
                if len(found) == count:
                    break
            cursor -= timedelta(days=1)
        return sorted(found)

    def next_after(self, day: date) -> date:
        cursor = day + timedelta(days=1)
        for _ in range(60):
            if cursor in self:
                return cursor
            cursor += timedelta(days=1)
        return day + timedelta(days=1)
