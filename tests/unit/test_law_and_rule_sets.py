"""The legal basis as data (LAW-1) and each municipality's rule sets (LAW-2)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.law import NoLegalBasis, legal_bases, legal_basis
from domain.rule_sets import RuleBook, RuleSetChange


@pytest.mark.rule("LAW-1")
def test_each_step_cites_the_act_in_force_on_its_date() -> None:
    assert legal_basis("leave", date(2024, 7, 31)).citation == "opplæringsloven § 2-11"
    assert legal_basis("leave", date(2024, 8, 1)).citation == \
        "opplæringslova § 2-2 fjerde ledd"
    assert legal_basis("diploma_absence", date(2027, 3, 1)).citation == \
        "opplæringsforskrifta § 9-44"
    assert legal_basis("diploma_absence", date(2023, 3, 1)).section == "§ 3-41"


@pytest.mark.rule("LAW-1")
def test_the_table_is_data_with_a_verified_flag_and_no_gaps_since_1999() -> None:
    rows = legal_bases()
    assert all(isinstance(row.verified, bool) for row in rows)
    for topic in {row.topic for row in rows if row.in_force_from.year < 2000}:
        for year in range(2000, 2030):
            legal_basis(topic, date(year, 1, 15))
    with pytest.raises(NoLegalBasis):
        legal_basis("leave", date(1990, 1, 1))


@pytest.mark.rule("LAW-2")
def test_a_rule_set_applies_from_its_effective_date_only() -> None:
    book = RuleBook().adopt(RuleSetChange(date(2027, 1, 1), leave_cap_days=5,
                                          concern_thresholds=(("CON-1", 4),)))

    before, after = book.on(date(2026, 12, 31)), book.on(date(2027, 1, 1))

    assert (before.leave_cap_days, before.concern_rule("CON-1").threshold) == (10, 3)
    assert (after.leave_cap_days, after.concern_rule("CON-1").threshold) == (5, 4)


@pytest.mark.rule("LAW-2")
def test_changes_accumulate_in_date_order_whatever_order_they_were_adopted_in() -> None:
    later = RuleSetChange(date(2027, 3, 1), leave_cap_days=8)
    earlier = RuleSetChange(date(2027, 1, 1), leave_cap_days=5, whereabouts_deadline_days=7)

    book = RuleBook().adopt(later).adopt(earlier)

    assert book.on(date(2027, 2, 1)).leave_cap_days == 5
    assert book.on(date(2027, 3, 1)).leave_cap_days == 8
    assert book.on(date(2027, 3, 1)).whereabouts_deadline_days == 7
    assert book.on(date(2027, 3, 1)).holy_day_leave_counts_for_diploma is False
