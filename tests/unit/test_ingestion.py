"""Deciding posted events: validation, rules, idempotency (EVENTS.md), on an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.ingestion import Ingestor, Outcome
from services.store.application import Skolefravaer
from tests.support.events import absent, enrolled, envelope, new_pupil, notice

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ingestor() -> Ingestor:
    app = Skolefravaer(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return Ingestor(app, clock=lambda: NOW)


def statuses(outcomes: list[Outcome]) -> list[str]:
    return [o.status for o in outcomes]


def stored_count(ingestor: Ingestor) -> int:
    return ingestor.app.recorder.max_notification_id() or 0


def test_each_event_of_a_batch_is_decided_on_its_own(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    outcomes = ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01"),
                                absent(new_pupil(), "2026-09-01")])

    assert statuses(outcomes) == ["accepted", "accepted", "rejected"]
    assert outcomes[2].problems[0].code == "not_enrolled"
    assert outcomes[2].problems[0].field == "data.pupil_id"


def test_accepted_events_are_stored_in_batch_order(ingestor: Ingestor) -> None:
    first, second = new_pupil(), new_pupil()
    outcomes = ingestor.ingest([enrolled(first), enrolled(second),
                                absent(first, "2026-09-01"), absent(second, "2026-09-01")])

    positions = [o.position for o in outcomes]
    assert positions == sorted(positions)
    assert None not in positions


def test_the_same_event_posted_again_is_a_duplicate_and_stores_nothing(
        ingestor: Ingestor) -> None:
    pupil = new_pupil()
    batch = [enrolled(pupil), absent(pupil, "2026-09-01")]
    ingestor.ingest(batch)
    stored = stored_count(ingestor)

    again = ingestor.ingest([dict(reversed(list(event.items()))) for event in batch])

    assert statuses(again) == ["duplicate", "duplicate"]
    assert stored_count(ingestor) == stored


def test_a_duplicate_within_one_batch_is_stored_once(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    event = absent(pupil, "2026-09-01")

    outcomes = ingestor.ingest([enrolled(pupil), event, event])

    assert statuses(outcomes) == ["accepted", "accepted", "duplicate"]


def test_the_same_event_id_with_other_content_is_a_conflict(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    event = absent(pupil, "2026-09-01")
    ingestor.ingest([enrolled(pupil), event])

    outcomes = ingestor.ingest([{**event, "data": {**event["data"], "date": "2026-09-02"}}])

    assert statuses(outcomes) == ["rejected"]
    assert outcomes[0].problems[0].code == "event_id_conflict"
    assert outcomes[0].problems[0].field == "event_id"


def test_field_errors_name_the_path_of_the_field(ingestor: Ingestor) -> None:
    event = enrolled(new_pupil())
    event["data"]["guardians"][0]["relation"] = "uncle"
    del event["tenant"]

    [outcome] = ingestor.ingest([event])

    fields = {problem.field for problem in outcome.problems}
    assert fields == {"tenant"}  # the envelope is checked before the data
    event["tenant"] = "3101"
    [outcome] = ingestor.ingest([event])
    assert {problem.field for problem in outcome.problems} == {"data.guardians[0].relation"}


def test_an_event_from_the_future_is_rejected(ingestor: Ingestor) -> None:
    [outcome] = ingestor.ingest([enrolled(new_pupil(), occurred_at="2026-09-01T12:06:00Z")])

    assert outcome.problems[0].code == "occurred_in_future"


def test_an_unknown_type_or_version_is_rejected_with_the_accepted_types(
        ingestor: Ingestor) -> None:
    unknown_type = envelope("PupilTeleported", {})
    unknown_version = {**enrolled(new_pupil()), "type_version": 7}

    outcomes = ingestor.ingest([unknown_type, unknown_version])

    assert outcomes[0].problems[0].code == "unknown_type"
    assert "AbsenceRecorded" in outcomes[0].problems[0].detail
    assert outcomes[1].problems[0].code == "unknown_type_version"


@pytest.mark.rule("ABS-2")
def test_a_lesson_absence_without_the_lesson_is_rejected(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    without_lesson = absent(pupil, "2026-09-01")
    without_lesson["data"]["scope"] = "lesson"

    outcomes = ingestor.ingest([enrolled(pupil), without_lesson])

    assert outcomes[1].status == "rejected"
    assert (outcomes[1].problems[0].rule, outcomes[1].problems[0].field) == ("ABS-2",
                                                                          "data.lesson")


@pytest.mark.rule("ABS-3")
def test_a_notice_must_come_from_a_registered_guardian(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    from_stranger = notice(pupil, "2026-09-01")
    from_stranger["data"]["guardian_id"] = "someone-else"

    outcomes = ingestor.ingest([enrolled(pupil), from_stranger])

    assert outcomes[1].problems[0].rule == "ABS-3"


def test_absence_outside_the_enrolled_school_year_is_rejected(ingestor: Ingestor) -> None:
    pupil = new_pupil()

    outcomes = ingestor.ingest([enrolled(pupil), absent(pupil, "2027-08-20")])

    assert outcomes[1].problems[0].code == "not_enrolled"
    assert outcomes[1].problems[0].field == "data.date"


def test_a_rejected_event_leaves_no_trace_in_the_store(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    ingestor.ingest([enrolled(pupil)])
    stored = stored_count(ingestor)

    ingestor.ingest([absent(pupil, "not-a-date"), absent(new_pupil(), "2026-09-01")])

    assert stored_count(ingestor) == stored
