"""Which events close which follow-up tasks, and when tasks fall due."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.follow_up import Facets, end_of_day, plus_months

OSLO = ZoneInfo("Europe/Oslo")
CALL_ON_10TH = ({"type": "ContactLogged", "to_guardian": True, "on_or_after": "2026-09-10"},
                {"type": "AbsenceNoticeReceived", "covers": "2026-09-10"})


def closes(facets: Facets) -> bool:
    return any(facets.satisfies(matcher) for matcher in CALL_ON_10TH)


@pytest.mark.rule("FOL-4")
def test_the_same_day_call_is_closed_only_by_what_concerns_that_day() -> None:
    assert not closes(Facets("AbsenceNoticeReceived", {"days": ["2026-09-01", "2026-09-02"]}))
    assert closes(Facets("AbsenceNoticeReceived", {"days": ["2026-09-09", "2026-09-10"]}))
    assert not closes(Facets("ContactLogged", {"to_guardian": True, "on": "2026-09-09"}))
    assert closes(Facets("ContactLogged", {"to_guardian": True, "on": "2026-09-10"}))
    assert not closes(Facets("ContactLogged", {"to_guardian": False, "on": "2026-09-10"}))


def test_same_day_ends_at_midnight_norwegian_time_and_a_month_is_a_calendar_month() -> None:
    assert end_of_day(date(2026, 9, 10)) == datetime(2026, 9, 10, 23, 59, 59, tzinfo=OSLO)
    assert plus_months(date(2026, 1, 31)) == date(2026, 2, 28)
    assert plus_months(date(2026, 12, 15)) == date(2027, 1, 15)
