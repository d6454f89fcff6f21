"""Counting absence: days and lessons, documented and undocumented (ABS-1…ABS-4, ABS-7)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.records import AbsenceScope
from domain.tally import (
    Documentation,
    Occurrence,
    OccurrenceKind,
    RecordedAbsence,
    count_absence,
)

MONDAY = date(2026, 9, 7)


def day(offset: int) -> date:
    return MONDAY + timedelta(days=offset)


def whole_day(offset: int) -> RecordedAbsence:
    return RecordedAbsence(uuid4(), day(offset), AbsenceScope.DAY)


def lesson(offset: int, period: int) -> RecordedAbsence:
    return RecordedAbsence(uuid4(), day(offset), AbsenceScope.LESSON, period)


def notice(first: int, last: int, periods: tuple[int, ...] | None = None) -> Documentation:
    return Documentation(uuid4(), day(first), day(last), periods)


@pytest.mark.rule("ABS-1")
def test_absence_is_either_documented_or_undocumented() -> None:
    tally = count_absence([whole_day(0), whole_day(1), whole_day(2)], [notice(0, 1)])

    assert tally.totals.days.as_dict() == {"documented": 2, "undocumented": 1, "total": 3}
    assert all(item.documented == bool(item.documented_by) for item in tally.counted)


@pytest.mark.rule("ABS-2")
def test_lessons_are_counted_apart_from_days_and_never_converted() -> None:
    six_lessons = [lesson(0, period) for period in range(1, 7)]

    tally = count_absence([*six_lessons, whole_day(1)], [])

    assert tally.totals.lessons.total == 6
    assert tally.totals.days.total == 1


@pytest.mark.rule("ABS-2")
def test_a_lesson_on_a_day_absent_all_day_is_part_of_that_day() -> None:
    tally = count_absence([whole_day(0), lesson(0, 3)], [])

    assert (tally.totals.days.total, tally.totals.lessons.total) == (1, 0)


@pytest.mark.rule("ABS-3")
def test_a_notice_for_whole_days_documents_days_and_their_lessons() -> None:
    tally = count_absence([whole_day(0), lesson(1, 2)], [notice(0, 1)])

    assert tally.totals.days.documented == 1
    assert tally.totals.lessons.documented == 1


@pytest.mark.rule("ABS-3")
def test_a_notice_naming_lessons_documents_only_those_lessons() -> None:
    tally = count_absence([whole_day(0), lesson(1, 2), lesson(1, 3)], [notice(0, 1, (2,))])

    assert tally.totals.days.as_dict() == {"documented": 0, "undocumented": 1, "total": 1}
    assert tally.totals.lessons.as_dict() == {"documented": 1, "undocumented": 1, "total": 2}


@pytest.mark.rule("ABS-4")
def test_absence_without_notice_stays_undocumented_and_names_its_event() -> None:
    absence = whole_day(0)

    tally = count_absence([absence], [notice(1, 3)])

    assert tally.totals.days.undocumented == 1
    assert tally.counted[0].recorded_by == (absence.event_id,)
    assert tally.counted[0].documented_by == ()


@pytest.mark.rule("ABS-7")
def test_late_arrivals_and_leaving_school_are_counted_beside_absence() -> None:
    occurrences = [Occurrence(uuid4(), day(0), OccurrenceKind.LATE_ARRIVAL),
                   Occurrence(uuid4(), day(1), OccurrenceKind.LATE_ARRIVAL),
                   Occurrence(uuid4(), day(2), OccurrenceKind.LEFT_SCHOOL)]

    tally = count_absence([], [], occurrences)

    assert (tally.totals.late_arrivals, tally.totals.left_school) == (2, 1)
    assert tally.totals.days.total == 0


def test_figures_are_split_by_month_and_half_year_in_time_order() -> None:
    absences = [RecordedAbsence(uuid4(), date(2027, 1, 4), AbsenceScope.DAY),
                RecordedAbsence(uuid4(), date(2026, 12, 1), AbsenceScope.DAY),
                RecordedAbsence(uuid4(), date(2026, 12, 2), AbsenceScope.DAY)]

    tally = count_absence(absences, [])

    assert [(m.period, m.days.total) for m in tally.months] == [("2026-12", 2), ("2027-01", 1)]
    assert [(h.period, h.days.total) for h in tally.half_years] == [
        ("2026-autumn", 2), ("2027-spring", 1)]


def test_a_school_year_selects_only_its_own_dates() -> None:
    absences = [RecordedAbsence(uuid4(), date(2026, 6, 1), AbsenceScope.DAY),
                RecordedAbsence(uuid4(), date(2026, 8, 20), AbsenceScope.DAY)]

    assert count_absence(absences, [], school_year="2026-2027").totals.days.total == 1


offsets = st.integers(min_value=0, max_value=60)
absence_lists = st.lists(
    st.one_of(offsets.map(whole_day),
              st.tuples(offsets, st.integers(1, 8)).map(lambda t: lesson(*t))),
    max_size=40)
notice_lists = st.lists(
    st.tuples(offsets, st.integers(0, 5), st.none() | st.just((1, 2))).map(
        lambda t: notice(t[0], t[0] + t[1], t[2])),
    max_size=8)


def _figures(absences: list[RecordedAbsence], docs: list[Documentation]) -> object:
    tally = count_absence(absences, docs)
    return (tally.totals.days.as_dict(), tally.totals.lessons.as_dict(),
            [(m.period, m.days.as_dict(), m.lessons.as_dict()) for m in tally.months])


@pytest.mark.rule("ABS-2")
@given(absence_lists, notice_lists)
def test_lessons_never_add_to_days(absences: list[RecordedAbsence],
                                   docs: list[Documentation]) -> None:
    days_only = [a for a in absences if a.scope is AbsenceScope.DAY]
    assert (count_absence(absences, docs).totals.days.as_dict()
            == count_absence(days_only, docs).totals.days.as_dict())


@pytest.mark.rule("ABS-4")
@given(absence_lists, notice_lists, st.randoms())
def test_the_order_facts_arrive_in_changes_no_figure(
        absences: list[RecordedAbsence], docs: list[Documentation], rnd: object) -> None:
    shuffled_absences, shuffled_docs = list(absences), list(docs)
    rnd.shuffle(shuffled_absences)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_docs)  # type: ignore[attr-defined]
    assert _figures(absences, docs) == _figures(shuffled_absences, shuffled_docs)


