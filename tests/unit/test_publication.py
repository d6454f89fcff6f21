"""What leaves the service on the events topic: a pupil's events from both of the pupil's
streams (the pupil's and the case's), numbered consecutively per pupil in log order."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.pupil import Pupil
from domain.records import AddressProtection, Guardian, GuardianRelation
from projections.db import SQLiteViews
from projections.follower import LoggedEvent
from services.outbound.publication import Sequences, message
from tests.support.casework import Desk, absence, contact, envelope


def logged(desk: Desk) -> list[LoggedEvent]:
    return [LoggedEvent(position, event) for position, event in enumerate(desk.stored, start=1)]


def test_a_pupils_events_from_both_streams_are_numbered_without_a_gap() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-07T08:30", absence("2026-09-07"))
    desk.do("log_contact", "2026-09-07T09:00", contact("2026-09-07"))
    events = logged(desk)
    views = SQLiteViews(":memory:")
    sequences = Sequences(views, "relay:test")

    first = sequences.messages(events[:4], start=0)
    again = sequences.messages(events[:4], start=0)  # sent again: nothing saved yet
    with views.transaction() as tx:
        sequences.save(tx)
    rest = sequences.messages(events[4:], start=4)
    streams = {e.event.originator_id for e in events}

    numbers = [body["sequence"] for _, body in first + rest]
    assert len(streams) == 2 and numbers == list(range(1, len(events) + 1))
    assert again == first
    assert {key for key, _ in first + rest} == {str(desk.pupil.pupil_id)}
    assert sequences.messages(events[:2], start=0)[0][1]["sequence"] == 1  # starting over


def test_a_safeguarding_decision_is_published_without_its_data() -> None:
    desk = Desk()
    desk.do("plan_extended_travel", "2026-10-01T10:00", date(2026, 10, 10),
            date(2026, 12, 20), "utlandet")
    bodies = [message(event, n) for n, event in enumerate(desk.stored, start=1)]

    published = [(b["type"], b["data"]) for b in bodies if b is not None][-2:]
    assert published == [("RestrictedRecord", {}), ("RestrictedRecord", {})]


@pytest.mark.rule("PRIV-2")
def test_the_enrolment_of_a_pupil_with_a_protected_address_is_published_without_the_school(
        ) -> None:
    desk = Desk()
    protected = dataclasses.replace(desk.pupil.latest_enrolment(), guardians=(
        Guardian("guardian-1", GuardianRelation.MOTHER,
                 address_protection=AddressProtection.FORTROLIG),))
    enrolled = Pupil.enrolled(envelope("PupilEnrolled", "2026-08-15"), protected)

    body = message(enrolled.collect_events()[0], 1)

    assert body is not None and body["data"] == {"school_year": "2026-2027", "grade": 9}
    assert message(desk.stored[0], 1)["data"]["school_id"] == "school-1"  # type: ignore[index]
