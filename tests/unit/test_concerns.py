"""When absence becomes concerning (CON-*), rule by rule."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.concerns import Fact, FactKind, evaluate
from domain.rule_sets import (
    DEFAULT_CONCERN_RULES,
    ConcernKind,
    ConcernRule,
    Measure,
    MonthWindow,
    RuleBook,
    RuleSetChange,
    Window,
)
from domain.school_days import SchoolDays

WEEKDAYS = SchoolDays(None)
RULES = {rule.rule: rule for rule in DEFAULT_CONCERN_RULES}


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(*texts: str, documented: bool = False) -> list[Fact]:
    return [Fact(uuid4(), d(t), FactKind.DAY, documented) for t in texts]


class Listed:
    """Facts in a list, read as the rules read a pupil's index of them."""

    def __init__(self, facts: list[Fact]) -> None:
        self.facts = facts

    def between(self, first: date, last: date, kinds: Collection[FactKind]) -> list[Fact]:
        return sorted((f for f in self.facts if first <= f.day <= last and f.kind in kinds),
                      key=lambda f: f.day)


def reached(rule: ConcernRule, facts: list[Fact], trigger: str) -> bool:
    return evaluate(rule, Listed(facts), d(trigger), WEEKDAYS) is not None


@pytest.mark.rule("CON-1")
def test_three_single_days_in_a_calendar_month() -> None:
    two = days("2026-09-01", "2026-09-08")
    three = [*two, *days("2026-09-29")]
    across_months = [*days("2026-09-29", "2026-09-30"), *days("2026-10-01")]

    assert not reached(RULES["CON-1"], two, "2026-09-08")
    found = evaluate(RULES["CON-1"], Listed(three), d("2026-09-29"), WEEKDAYS)
    assert found is not None
    assert (found.period, len(found.event_ids)) == ("2026-09", 3)
    assert not reached(RULES["CON-1"], across_months, "2026-10-01")


@pytest.mark.rule("CON-1", "LAW-2")
def test_a_municipality_can_read_a_month_as_the_last_thirty_days() -> None:
    rolling = RuleBook().adopt(RuleSetChange(d("2026-08-01"),
                                             month_window=MonthWindow.ROLLING_30_DAYS))
    rule = rolling.on(d("2026-10-01")).concern_rule("CON-1")
    across_months = [*days("2026-09-29", "2026-09-30"), *days("2026-10-01")]

    assert reached(rule, across_months, "2026-10-01")


@pytest.mark.rule("CON-2")
def test_ten_single_days_in_a_half_year() -> None:
    nine = days(*[f"2026-{m:02d}-{x:02d}" for m, x in
                  [(8, 20), (9, 1), (9, 15), (10, 1), (10, 20), (11, 2), (11, 16), (12, 1),
                   (12, 8)]])
    ten = [*nine, *days("2026-12-15")]

    assert not reached(RULES["CON-2"], nine, "2026-12-08")
    found = evaluate(RULES["CON-2"], Listed(ten), d("2026-12-15"), WEEKDAYS)
    assert found is not None and found.period == "2026-autumn"


@pytest.mark.rule("CON-3")
def test_one_undocumented_single_lesson() -> None:
    undocumented = [Fact(uuid4(), d("2026-09-02"), FactKind.LESSON, documented=False)]
    documented = [Fact(uuid4(), d("2026-09-02"), FactKind.LESSON, documented=True)]

    assert reached(RULES["CON-3"], undocumented, "2026-09-02")
    assert not reached(RULES["CON-3"], documented, "2026-09-02")


@pytest.mark.rule("CON-4")
def test_three_late_arrivals_in_a_month() -> None:
    late = [Fact(uuid4(), d(t), FactKind.LATE_ARRIVAL)
            for t in ("2026-09-01", "2026-09-03", "2026-09-07")]

    assert not reached(RULES["CON-4"], late[:2], "2026-09-03")
    assert reached(RULES["CON-4"], late, "2026-09-07")


@pytest.mark.rule("CON-5")
def test_arriving_and_leaving_again_is_concerning_at_once() -> None:
    left = [Fact(uuid4(), d("2026-09-02"), FactKind.LEFT_SCHOOL)]

    found = evaluate(RULES["CON-5"], Listed(left), d("2026-09-02"), WEEKDAYS)

    assert found is not None and found.period == "2026-09-02"


@pytest.mark.rule("CON-6")
def test_documented_absence_counts_as_well() -> None:
    documented = days("2026-09-01", "2026-09-02", "2026-09-03", documented=True)

    assert reached(RULES["CON-1"], documented, "2026-09-03")


@pytest.mark.rule("CON-7")
def test_a_run_of_consecutive_school_days_ringsaker() -> None:
    more_than_five = ConcernRule("RINGSAKER-6", ConcernKind.CONSECUTIVE_DAYS, 6)
    # Thursday to the next Thursday: six school days over a weekend.
    run = days("2026-09-03", "2026-09-04", "2026-09-07", "2026-09-08", "2026-09-09",
               "2026-09-10")

    assert not reached(more_than_five, run[:5], "2026-09-09")
    found = evaluate(more_than_five, Listed(run), d("2026-09-10"), WEEKDAYS)
    assert found is not None and len(found.event_ids) == 6


@pytest.mark.rule("CON-7")
def test_a_share_of_lessons_missed_alta() -> None:
    ten_percent = ConcernRule("ALTA-10PCT", ConcernKind.SHARE_OF_LESSONS, 0.10,
                              window=Window.ROLLING_DAYS, window_days=28, lessons_per_day=6)
    # 20 school days in 28 days = 120 lessons; 2 days (12 lessons) is 10 %.
    one_day = days("2026-09-25")
    two_days = days("2026-09-24", "2026-09-25")

    assert not reached(ten_percent, one_day, "2026-09-25")
    assert reached(ten_percent, two_days, "2026-09-25")


@pytest.mark.rule("CON-7")
def test_a_recurring_weekday_pattern() -> None:
    mondays = ConcernRule("MONDAYS", ConcernKind.WEEKDAY_PATTERN, 3, out_of=4)
    three_of_four = days("2026-09-07", "2026-09-21", "2026-09-28")
    two_of_four = days("2026-09-07", "2026-09-28")

    assert reached(mondays, three_of_four, "2026-09-28")
    assert not reached(mondays, two_of_four, "2026-09-28")


@pytest.mark.rule("CON-7")
def test_a_count_of_lessons_in_a_rolling_window() -> None:
    lessons = ConcernRule("LESSONS-5", ConcernKind.COUNT, 5, Measure.LESSONS,
                          Window.ROLLING_DAYS, window_days=14)
    facts = [Fact(uuid4(), d("2026-09-01") + timedelta(days=n), FactKind.LESSON)
             for n in range(5)]

    assert reached(lessons, facts, "2026-09-05")
    assert not reached(lessons, facts, "2026-09-20")
