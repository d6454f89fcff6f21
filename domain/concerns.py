"""When absence becomes concerning (bekymringsfullt fravær, §5): CON-1…CON-7.

Each rule is evaluated for the window that holds the day of the fact just recorded (or,
for undocumented lessons, of the day that just ended); a concern is raised the first
time a rule is reached in a period, naming the events that brought it there. Documented
absence counts as well as undocumented (CON-6). The follow-up case (``domain.case``)
asks these rules and stores what they answered: a concern is decided once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.rule_sets import ConcernKind, ConcernRule, Measure, Window
from domain.school_days import SchoolDays
from domain.school_year import half_year_of, month_of, school_year_bounds, school_year_of


class FactKind(StrEnum):
    DAY = "day"
    LESSON = "lesson"
    LATE_ARRIVAL = "late_arrival"
    LEFT_SCHOOL = "left_school"


@dataclass(frozen=True)
class Fact:
    event_id: UUID
    day: date
    kind: FactKind
    documented: bool = False


class Facts(Protocol):
    """The pupil's standing facts, as a rule reads its window of them."""

    def between(self, first: date, last: date, kinds: Collection[FactKind]) -> list[Fact]:
        """The facts of ``kinds`` from ``first`` to ``last``, by day and then in the
        order recorded."""
        ...


MEASURED = {
    Measure.DAYS: (FactKind.DAY,),
    Measure.LESSONS: (FactKind.LESSON,),
    Measure.UNDOCUMENTED_LESSONS: (FactKind.LESSON,),
    Measure.LATE_ARRIVALS: (FactKind.LATE_ARRIVAL,),
    Measure.LEFT_SCHOOL: (FactKind.LEFT_SCHOOL,),
}
ABSENCE = (FactKind.DAY, FactKind.LESSON)


@dataclass(frozen=True)
class Reached:
    rule: str
    period: str
    event_ids: tuple[UUID, ...]


def evaluate(rule: ConcernRule, facts: Facts, trigger: date,
             school_days: SchoolDays) -> Reached | None:
    """The concern ``rule`` raises for the window around ``trigger``, if it is reached: it
    reads the facts of that window only."""
    if rule.kind is ConcernKind.COUNT:
        first, last, period = _window(rule, trigger)
        chosen = [f for f in facts.between(first, last, MEASURED[rule.measure])
                  if rule.measure is not Measure.UNDOCUMENTED_LESSONS or not f.documented]
        count = len({f.day for f in chosen}) if rule.measure is Measure.DAYS else len(chosen)
        return Reached(rule.rule, period, _ids(chosen)) if count >= rule.threshold else None
    if rule.kind is ConcernKind.SHARE_OF_LESSONS:
        first, last, period = _window(rule, trigger)
        days = list(school_days.between(first, min(last, trigger)))
        if not days:
            return None
        chosen = facts.between(first, trigger, ABSENCE)
        missed = sum(rule.lessons_per_day if f.kind is FactKind.DAY else 1 for f in chosen)
        share = missed / (len(days) * rule.lessons_per_day)
        return Reached(rule.rule, period, _ids(chosen)) if share >= rule.threshold else None
    absent = _absent(facts, trigger)
    if absent is None:
        return None
    if rule.kind is ConcernKind.CONSECUTIVE_DAYS:
        run = [absent]
        for earlier in reversed(school_days.before(trigger, 400)[:-1]):
            found = _absent(facts, earlier)
            if found is None:
                break
            run.insert(0, found)
        if len(run) < rule.threshold:
            return None
        return Reached(rule.rule, f"run from {run[0].day.isoformat()}",
                       tuple(f.event_id for f in run))
    # WEEKDAY_PATTERN: absent on `threshold` of the last `out_of` same weekdays.
    same_weekdays = [d for d in school_days.before(trigger, 7 * (rule.out_of or 4))
                     if d.weekday() == trigger.weekday()][-(rule.out_of or 4):]
    hits = [found for d in same_weekdays if (found := _absent(facts, d)) is not None]
    if len(hits) < rule.threshold:
        return None
    return Reached(rule.rule, f"{trigger.strftime('%A').lower()}s to {trigger.isoformat()}",
                   tuple(f.event_id for f in hits))


def fixed_period(rule: ConcernRule, day: date) -> str | None:
    """The period a count or share rule is reached in for ``day``, known before reading
    any fact (None for runs and patterns, whose period is where they start): a period
    already raised need not be read again."""
    if rule.kind in (ConcernKind.COUNT, ConcernKind.SHARE_OF_LESSONS):
        return _window(rule, day)[2]
    return None


def _absent(facts: Facts, day: date) -> Fact | None:
    """The whole-day absence that counts for ``day``: the last recorded."""
    found = facts.between(day, day, (FactKind.DAY,))
    return found[-1] if found else None


def _window(rule: ConcernRule, day: date) -> tuple[date, date, str]:
    """First and last day of the window holding ``day``, and the period's name."""
    if rule.window is Window.DAY:
        return day, day, day.isoformat()
    if rule.window is Window.CALENDAR_MONTH:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last, month_of(day)
    if rule.window is Window.HALF_YEAR:
        autumn = day.month >= 8
        first = date(day.year, 8, 1) if autumn else date(day.year, 1, 1)
        last = date(day.year, 12, 31) if autumn else date(day.year, 7, 31)
        return first, last, half_year_of(day)
    if rule.window is Window.SCHOOL_YEAR:
        first, last = school_year_bounds(school_year_of(day))
        return first, last, school_year_of(day)
    first = day - timedelta(days=(rule.window_days or 30) - 1)
    return first, day, f"{first.isoformat()}/{day.isoformat()}"


def _ids(facts: Sequence[Fact]) -> tuple[UUID, ...]:
    return tuple(f.event_id for f in sorted(facts, key=lambda f: f.day))


def decided_at_day_end(rule: ConcernRule) -> bool:
    """CON-3: whether a lesson is undocumented is known only when its day has ended
    (guardians may report "samme dag"), so rules on undocumented lessons are decided when
    the day closes, not as each fact arrives."""
    return rule.measure is Measure.UNDOCUMENTED_LESSONS


def is_rolling(rule: ConcernRule) -> bool:
    """Rolling windows have no fixed periods: a rule fires again only after a window."""
    return rule.window is Window.ROLLING_DAYS and rule.kind is ConcernKind.COUNT
