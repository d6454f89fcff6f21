"""Leave of absence (permisjon): the recommendation and the principal's decision (LEAVE-*)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.calendar import BlackoutKind, BlackoutPeriod, Calendar, HolyDay
from domain.leave import (
    NO_REPLACEMENT_TEACHING,
    Advice,
    LeaveApplication,
    LeaveReason,
    Level,
    Recommendation,
    recommend,
)
from domain.records import Enrolment, Guardian, GuardianRelation
from domain.rule_sets import LeaveCapScope, RuleSet
from domain.school_days import SchoolDays

CALENDAR = Calendar(
    school_id="s", school_year="2026-2027",
    school_days=tuple(SchoolDays(None).between(date(2026, 8, 17), date(2027, 6, 18))),
    blackout_periods=(
        BlackoutPeriod(BlackoutKind.NATIONAL_TEST, date(2026, 9, 14), date(2026, 9, 18), (8,)),
        BlackoutPeriod(BlackoutKind.SWIMMING, date(2026, 10, 5), date(2026, 10, 9), ()),
    ),
    holy_days=(HolyDay("Det islamske samfunn", date(2027, 3, 20)),
               HolyDay("Det islamske samfunn", date(2027, 3, 22))),
)


DEFAULTS = RuleSet()


def pupil(grade: int = 8, **extra: object) -> Enrolment:
    return Enrolment(pupil_id=uuid4(), school_id="s", school_year="2026-2027", grade=grade,
                     class_id="8A", contact_teacher_id="t",
                     guardians=(Guardian("g", GuardianRelation.MOTHER),), **extra)  # type: ignore[arg-type]


def leave(first: str, last: str, reason: LeaveReason = LeaveReason.FAMILY_EVENT,
          **extra: object) -> LeaveApplication:
    return LeaveApplication("a-1", date.fromisoformat(first), date.fromisoformat(last), reason,
                            **extra)  # type: ignore[arg-type]


def advise(application: LeaveApplication, *, enrolment: Enrolment | None = None,
           applied_on: str = "2026-08-20", rules: RuleSet = DEFAULTS,
           granted: int = 0) -> Recommendation:
    return recommend(application, applied_on=date.fromisoformat(applied_on),
                     enrolment=enrolment or pupil(), calendar=CALENDAR, rules=rules,
                     granted_days_this_year=granted)


@pytest.mark.rule("LEAVE-1")
def test_holy_days_of_the_pupils_faith_community_are_a_right() -> None:
    result = advise(leave("2027-03-22", "2027-03-22", LeaveReason.RELIGIOUS_HOLIDAY),
                    enrolment=pupil(faith_community="Det islamske samfunn"))

    assert result.outcome is Advice.RIGHT
    assert result.rules == ("LEAVE-1",)
    assert "femte ledd" in result.legal_basis


@pytest.mark.rule("LEAVE-1")
def test_a_day_that_is_not_the_communitys_holy_day_is_no_right() -> None:
    result = advise(leave("2027-03-23", "2027-03-23", LeaveReason.RELIGIOUS_HOLIDAY),
                    enrolment=pupil(faith_community="Det islamske samfunn"))

    assert result.outcome is Advice.REJECT


@pytest.mark.rule("LEAVE-2", "LEAVE-6")
def test_a_family_event_within_ten_school_days_is_recommended_granted() -> None:
    result = advise(leave("2026-11-02", "2026-11-06"))

    assert (result.outcome, result.school_days) == (Advice.GRANT, 5)
    assert result.legal_basis == "opplæringslova § 2-2 fjerde ledd"


@pytest.mark.rule("LEAVE-2")
def test_more_than_ten_school_days_is_recommended_rejected() -> None:
    result = advise(leave("2026-11-02", "2026-11-16"))  # 11 school days

    assert result.outcome is Advice.REJECT
    assert "LEAVE-2" in result.rules


@pytest.mark.rule("LEAVE-2")
def test_a_cap_per_school_year_counts_leave_already_granted() -> None:
    per_year = RuleSet(leave_cap_scope=LeaveCapScope.PER_SCHOOL_YEAR)

    assert advise(leave("2026-11-02", "2026-11-06"), rules=per_year,
                  granted=6).outcome is Advice.REJECT
    assert advise(leave("2026-11-02", "2026-11-06"), rules=per_year,
                  granted=5).outcome is Advice.GRANT


@pytest.mark.rule("LEAVE-3")
def test_an_application_less_than_a_week_ahead_is_flagged_late_not_rejected() -> None:
    late = advise(leave("2026-11-02", "2026-11-03"), applied_on="2026-10-28")
    timely = advise(leave("2026-11-02", "2026-11-03"), applied_on="2026-10-26")

    assert (late.late_application, late.outcome) == (True, Advice.GRANT)
    assert "LEAVE-3" in late.rules
    assert timely.late_application is False


@pytest.mark.rule("LEAVE-4")
def test_leave_over_national_tests_for_the_pupils_grade_is_recommended_rejected() -> None:
    eighth = advise(leave("2026-09-17", "2026-09-17"))
    ninth = advise(leave("2026-09-17", "2026-09-17"), enrolment=pupil(grade=9))

    assert eighth.outcome is Advice.REJECT and "LEAVE-4" in eighth.rules
    assert ninth.outcome is Advice.GRANT


@pytest.mark.rule("LEAVE-4")
def test_swimming_weeks_matter_only_for_a_pupil_who_cannot_swim() -> None:
    application = leave("2026-10-06", "2026-10-06")

    assert advise(application, enrolment=pupil(can_swim=False)).outcome is Advice.REJECT
    assert advise(application, enrolment=pupil(can_swim=True)).outcome is Advice.GRANT


@pytest.mark.rule("LEAVE-5")
def test_several_days_in_the_last_half_year_of_grade_ten_is_recommended_rejected() -> None:
    tenth = pupil(grade=10)

    spring = advise(leave("2027-02-01", "2027-02-02"), enrolment=tenth)
    one_day = advise(leave("2027-02-01", "2027-02-01"), enrolment=tenth)
    autumn = advise(leave("2026-11-02", "2026-11-03"), enrolment=tenth)

    assert spring.outcome is Advice.REJECT and "LEAVE-5" in spring.rules
    assert one_day.outcome is Advice.GRANT
    assert autumn.outcome is Advice.GRANT


@pytest.mark.rule("LEAVE-6")
def test_sports_needs_national_or_international_selection_and_other_reasons_do_not_qualify(
) -> None:
    local = advise(leave("2026-11-02", "2026-11-02", LeaveReason.SPORTS_OR_CULTURE))
    national = advise(leave("2026-11-02", "2026-11-02", LeaveReason.SPORTS_OR_CULTURE,
                            level=Level.NATIONAL))
    holiday = advise(leave("2026-11-02", "2026-11-02", LeaveReason.OTHER))
    organisation = advise(leave("2026-11-02", "2026-11-02", LeaveReason.ORGANISATION_WORK))

    assert local.outcome is Advice.REJECT and "LEAVE-6" in local.rules
    assert national.outcome is Advice.GRANT
    assert holiday.outcome is Advice.REJECT
    assert organisation.outcome is Advice.GRANT


@pytest.mark.rule("LEAVE-7")
def test_every_decision_states_that_leave_gives_no_replacement_teaching() -> None:
    assert "ikke rett til erstatningsundervisning" in NO_REPLACEMENT_TEACHING
    assert "Foresatte har ansvaret" in NO_REPLACEMENT_TEACHING
