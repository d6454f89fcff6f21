"""PRIV-4: each event type has a retention class; a municipality sets its own periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.retention import DEFAULTS, RetentionClass, RetentionPolicy, retention_class

AT = datetime(2026, 6, 20, tzinfo=UTC)


@pytest.mark.rule("PRIV-4")
def test_each_contract_event_type_has_a_class_with_a_documented_basis() -> None:
    assert retention_class("AbsenceRecorded") is RetentionClass.ABSENCE_RECORD
    assert retention_class("ConcernReportSent") is RetentionClass.SAFEGUARDING
    assert retention_class("MeetingHeld") is RetentionClass.FOLLOW_UP
    assert all(d.basis and d.years > 0 for d in DEFAULTS.values())


@pytest.mark.rule("PRIV-4")
def test_a_pupil_is_due_when_the_longest_kept_class_has_run_its_course() -> None:
    policy = RetentionPolicy({})
    due_at, cls = policy.due("3101", [("AbsenceRecorded", AT), ("ConcernReportSent", AT)])
    assert (due_at, cls) == (AT.replace(year=2036), RetentionClass.SAFEGUARDING)


@pytest.mark.rule("PRIV-4")
def test_a_municipality_sets_its_own_period_per_class() -> None:
    policy = RetentionPolicy({"3101": {RetentionClass.ABSENCE_RECORD: 1}})
    assert policy.due("3101", [("AbsenceRecorded", AT)])[0] == AT.replace(year=2027)
    assert policy.due("0301", [("AbsenceRecorded", AT)])[0] == AT.replace(year=2029)


def test_an_unknown_class_in_the_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="absense_record"):
        RetentionPolicy.of({"3101": {"absense_record": 1}})
