"""Rule sets: what each municipality has chosen, in force from a date (LAW-2, CON-7).

The defaults are the guideline's. A municipality adopts changes (``RuleSetAdopted``) with
an effective date; the rule set in force on a date is the defaults with every change
effective on or before that date applied in date order. Outcomes for a date always use
the rule set in force on that date, so a replay years later gives the same answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Measure(StrEnum):
    DAYS = "days"  # CON-6: documented and undocumented alike
    LESSONS = "lessons"
    UNDOCUMENTED_LESSONS = "undocumented_lessons"
    LATE_ARRIVALS = "late_arrivals"
    LEFT_SCHOOL = "left_school"


class Window(StrEnum):
    DAY = "day"
    CALENDAR_MONTH = "calendar_month"
    HALF_YEAR = "half_year"
    SCHOOL_YEAR = "school_year"
    ROLLING_DAYS = "rolling_days"


class ConcernKind(StrEnum):
    COUNT = "count"  # threshold occurrences of the measure in the window
    CONSECUTIVE_DAYS = "consecutive_days"  # a run of threshold absent school days
    SHARE_OF_LESSONS = "share_of_lessons"  # threshold share (0.10) of lessons missed
    WEEKDAY_PATTERN = "weekday_pattern"  # absent threshold of the last out_of same weekdays


@dataclass(frozen=True)
class ConcernRule:
    """One way absence becomes concerning (bekymringsfullt fravær, §5)."""

    rule: str
    kind: ConcernKind
    threshold: float
    measure: Measure = Measure.DAYS
    window: Window = Window.CALENDAR_MONTH
    window_days: int | None = None
    out_of: int | None = None
    lessons_per_day: int = 6
    description: str = ""


DEFAULT_CONCERN_RULES: tuple[ConcernRule, ...] = (
    ConcernRule("CON-1", ConcernKind.COUNT, 3, Measure.DAYS, Window.CALENDAR_MONTH,
                description="3 enkeltdager fravær i løpet av en måned"),
    ConcernRule("CON-2", ConcernKind.COUNT, 10, Measure.DAYS, Window.HALF_YEAR,
                description="10 enkeltdager fravær i løpet av et halvår"),
    ConcernRule("CON-3", ConcernKind.COUNT, 1, Measure.UNDOCUMENTED_LESSONS, Window.DAY,
                description="1 enkelttime med udokumentert fravær"),
    ConcernRule("CON-4", ConcernKind.COUNT, 3, Measure.LATE_ARRIVALS, Window.CALENDAR_MONTH,
                description="3 ganger forsentkomming i løpet av en måned"),
    ConcernRule("CON-5", ConcernKind.COUNT, 1, Measure.LEFT_SCHOOL, Window.DAY,
                description="Eleven kommer på skolen, men går igjen"),
)
MONTHLY_RULES = ("CON-1", "CON-4")


class LeaveCapScope(StrEnum):
    PER_LEAVE = "per_leave"
    PER_SCHOOL_YEAR = "per_school_year"


class MonthWindow(StrEnum):
    """Interpretation of "a month" in CON-1 and CON-4."""

    CALENDAR_MONTH = "calendar_month"
    ROLLING_30_DAYS = "rolling_30_days"


@dataclass(frozen=True)
class RuleSet:
    concern_rules: tuple[ConcernRule, ...] = DEFAULT_CONCERN_RULES
    leave_cap_days: int = 10  # LEAVE-2: school days
    leave_cap_scope: LeaveCapScope = LeaveCapScope.PER_LEAVE
    leave_notice_days: int = 7  # LEAVE-3
    diploma_request_deadline: str = "06-01"  # DIP-6, MM-DD of the year the grade ends
    diploma_exclusion_cap_days: int = 10  # DIP-3
    holy_day_leave_counts_for_diploma: bool = False  # LAW-2, flagged for legal review
    whereabouts_deadline_days: int = 14  # MISS-4

    def concern_rule(self, rule: str) -> ConcernRule:
        return next(r for r in self.concern_rules if r.rule == rule)


@dataclass(frozen=True)
class RuleSetChange:
    """What one ``RuleSetAdopted`` changes; fields left None keep their value."""

    effective_from: date
    concern_thresholds: tuple[tuple[str, float], ...] = ()
    month_window: MonthWindow | None = None
    additional_concern_rules: tuple[ConcernRule, ...] = ()
    leave_cap_days: int | None = None
    leave_cap_scope: LeaveCapScope | None = None
    leave_notice_days: int | None = None
    diploma_request_deadline: str | None = None
    holy_day_leave_counts_for_diploma: bool | None = None
    whereabouts_deadline_days: int | None = None

    SCALARS = ("leave_cap_days", "leave_cap_scope", "leave_notice_days",
               "diploma_request_deadline", "holy_day_leave_counts_for_diploma",
               "whereabouts_deadline_days")

    def applied_to(self, rules: RuleSet) -> RuleSet:
        thresholds = dict(self.concern_thresholds)
        concern_rules = []
        for rule in rules.concern_rules:
            if rule.rule in thresholds:
                rule = dataclasses.replace(rule, threshold=thresholds[rule.rule])
            if self.month_window is not None and rule.rule in MONTHLY_RULES:
                rolling = self.month_window is MonthWindow.ROLLING_30_DAYS
                rule = dataclasses.replace(
                    rule, window=Window.ROLLING_DAYS if rolling else Window.CALENDAR_MONTH,
                    window_days=30 if rolling else None)
            concern_rules.append(rule)
        added = {rule.rule for rule in self.additional_concern_rules}
        concern_rules = [r for r in concern_rules if r.rule not in added]
        concern_rules.extend(self.additional_concern_rules)
        scalars = {name: getattr(self, name) for name in self.SCALARS
                   if getattr(self, name) is not None}
        return dataclasses.replace(rules, concern_rules=tuple(concern_rules), **scalars)


@dataclass(frozen=True)
class RuleBook:
    """Every change a municipality adopted, in the order adopted."""

    changes: tuple[RuleSetChange, ...] = field(default=())

    def adopt(self, change: RuleSetChange) -> RuleBook:
        return RuleBook((*self.changes, change))

    def on(self, day: date) -> RuleSet:
        """The rule set in force on ``day``."""
        rules = RuleSet()
        for change in sorted((c for c in self.changes if c.effective_from <= day),
                             key=lambda c: c.effective_from):
            rules = change.applied_to(rules)
        return rules


def rule_book(changes: Iterable[RuleSetChange]) -> RuleBook:
    return RuleBook(tuple(changes))
