"""Absence on the diploma (vitnemål): what may be left off, and the figures (DIP-*).

The worked examples of docs/diploma.md are the first tests here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.diploma import (
    DiplomaRequest,
    DocumentKind,
    DocumentRef,
    ExclusionBasis,
    PupilFacts,
    RequestDecision,
    RequestOutcome,
    decide_cause_attachment,
    decide_exclusion,
)
from domain.rule_sets import RuleSet
from domain.school_days import SchoolDays

WEEKDAYS = SchoolDays(None)
CERTIFICATE = (DocumentRef(DocumentKind.MEDICAL_CERTIFICATE, "legeerklaering-1"),)
DEFAULTS = RuleSet()


def school_days_from(first: str, count: int) -> list[date]:
    days: list[date] = []
    day = date.fromisoformat(first)
    while len(days) < count:
        if day in WEEKDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def facts(absent: list[date], *, certified: list[date] | None = None, grade: int = 9,
          chronic: bool = False, leave: dict[date, bool] | None = None,
          excluded: int = 0) -> PupilFacts:
    return PupilFacts(grade=grade, chronic_illness_or_disability=chronic,
                      absent_days=set(absent),
                      certified=set(absent if certified is None else certified),
                      documented_causes=set(absent), leave_days=leave or {},
                      excluded_days=excluded)


def request(dates: list[date], basis: ExclusionBasis = ExclusionBasis.HEALTH,
            documentation: tuple[DocumentRef, ...] = CERTIFICATE) -> DiplomaRequest:
    return DiplomaRequest("r-1", "2026-2027", tuple(dates), documentation, basis, "guardian-1")


def decide(req: DiplomaRequest, pupil: PupilFacts, on: str = "2027-03-01",
           rules: RuleSet = DEFAULTS) -> RequestDecision:
    return decide_exclusion(req, requested_on=date.fromisoformat(on), facts=pupil,
                            school_days=WEEKDAYS, rules=rules)


@pytest.mark.rule("DIP-4")
def test_example_1_five_sick_days_with_a_doctors_note_leave_off_days_four_and_five() -> None:
    illness = school_days_from("2027-01-11", 5)

    decision = decide(request(illness), facts(illness))

    assert decision.approved_dates == tuple(illness[3:])
    assert decision.outcome is RequestOutcome.PARTLY_APPROVED
    assert [o.rule for o in decision.dates] == ["DIP-4"] * 5


@pytest.mark.rule("DIP-5")
def test_example_2_the_same_illness_with_a_chronic_illness_leaves_off_all_five() -> None:
    illness = school_days_from("2027-01-11", 5)

    decision = decide(request(illness), facts(illness, chronic=True))

    assert decision.approved_dates == tuple(illness)
    assert decision.outcome is RequestOutcome.APPROVED


@pytest.mark.rule("DIP-3")
def test_example_3_twelve_health_days_in_a_year_leave_off_ten_at_most() -> None:
    illness = school_days_from("2027-01-11", 12)

    decision = decide(request(illness), facts(illness, chronic=True))

    assert len(decision.approved_dates) == 10
    refused = [o for o in decision.dates if not o.approved]
    assert [o.rule for o in refused] == ["DIP-3", "DIP-3"]
    assert [o.date for o in refused] == illness[10:]


@pytest.mark.rule("DIP-6")
def test_example_4_a_request_after_1_june_is_rejected_with_that_reason() -> None:
    illness = school_days_from("2027-05-10", 5)

    decision = decide(request(illness), facts(illness, chronic=True), on="2027-06-02")

    assert decision.outcome is RequestOutcome.REJECTED
    assert {o.rule for o in decision.dates} == {"DIP-6"}
    assert "01.06.2027" in decision.dates[0].reason
    on_the_day = decide(request(illness), facts(illness, chronic=True), on="2027-06-01")
    assert on_the_day.outcome is RequestOutcome.APPROVED


@pytest.mark.rule("DIP-6", "LAW-2")
def test_the_request_deadline_is_the_municipalitys_to_set() -> None:
    illness = school_days_from("2027-05-10", 5)
    later = RuleSet(diploma_request_deadline="06-15")

    decision = decide(request(illness), facts(illness, chronic=True), on="2027-06-02",
                      rules=later)

    assert decision.outcome is RequestOutcome.APPROVED


@pytest.mark.rule("DIP-6")
def test_a_request_without_the_required_documentation_is_rejected() -> None:
    illness = school_days_from("2027-01-11", 5)
    message_book = (DocumentRef(DocumentKind.MESSAGE_BOOK, "meldingsbok-3"),)

    without = decide(request(illness, documentation=()), facts(illness, chronic=True))
    wrong_kind = decide(request(illness, documentation=message_book),
                        facts(illness, chronic=True))

    assert {o.rule for o in without.dates} == {"DIP-6"}
    assert "legeerklæring" in wrong_kind.dates[0].reason


@pytest.mark.rule("DIP-4")
def test_health_days_need_a_doctors_documentation_for_each_day() -> None:
    illness = school_days_from("2027-01-11", 6)

    decision = decide(request(illness), facts(illness, certified=illness[:4]))

    assert decision.approved_dates == (illness[3],)
    assert decision.dates[-1].rule == "DIP-4"


@pytest.mark.rule("DIP-3", "LEAVE-9")
def test_granted_leave_can_be_left_off_but_holy_day_leave_only_if_the_municipality_says(
) -> None:
    days = school_days_from("2027-02-01", 3)
    leave = {days[0]: False, days[1]: False, days[2]: True}
    by_decision = request(days, ExclusionBasis.LEAVE,
                          (DocumentRef(DocumentKind.LEAVE_DECISION, "vedtak-7"),))

    default = decide(by_decision, facts(days, leave=leave))
    counted = decide(by_decision, facts(days, leave=leave),
                     rules=RuleSet(holy_day_leave_counts_for_diploma=True))

    assert default.approved_dates == tuple(days[:2])
    assert default.dates[2].rule == "LAW-2"
    assert counted.approved_dates == tuple(days)


@pytest.mark.rule("DIP-1")
def test_absence_goes_on_the_diploma_from_grade_eight() -> None:
    illness = school_days_from("2027-01-11", 5)

    decision = decide(request(illness), facts(illness, grade=7, chronic=True))

    assert {o.rule for o in decision.dates} == {"DIP-1"}


@pytest.mark.rule("DIP-2")
def test_the_cause_goes_on_an_attachment_only_where_it_was_documented() -> None:
    absent = school_days_from("2027-01-11", 3)
    pupil = PupilFacts(grade=9, chronic_illness_or_disability=False, absent_days=set(absent),
                       certified=set(), documented_causes={absent[0]}, leave_days={},
                       excluded_days=0)
    attachment = DiplomaRequest("c-1", "2026-2027", tuple(absent),
                                (DocumentRef(DocumentKind.MESSAGE_BOOK, "mb"),))

    decision = decide_cause_attachment(attachment, requested_on=date(2027, 3, 1),
                                       facts=pupil, rules=DEFAULTS)

    assert decision.approved_dates == (absent[0],)
    assert {o.rule for o in decision.dates} == {"DIP-2"}


@pytest.mark.rule("DIP-3")
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(1, 15)), min_size=1, max_size=6),
       st.booleans())
def test_at_most_ten_days_a_school_year_are_left_off(
        episodes: list[tuple[int, int]], chronic: bool) -> None:
    all_days = school_days_from("2026-08-17", 190)
    excluded = 0
    for start, length in episodes:
        illness = all_days[start:start + length]
        decision = decide(request(illness), facts(illness, chronic=chronic,
                                                  excluded=excluded))
        excluded += len(decision.approved_dates)
        assert excluded <= 10


@pytest.mark.rule("DIP-1", "ABS-2")
def test_example_5_single_lessons_stay_lessons_on_the_diploma() -> None:
    from domain.diploma import Exclusion, diploma_year

    figures = diploma_year("2026-2027", 9, absent_days=set(), lessons=6,
                           approved=[Exclusion(date(2027, 1, 11), ExclusionBasis.HEALTH,
                                               "DIP-4")])

    assert (figures.days, figures.lessons, figures.excluded_days) == (0, 6, 0)
