"""Ingestion changes cached aggregates in place (no copies): what a refused command or a
failed batch changed in memory must never be stored nor stay cached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.errors import RuleViolation
from domain.pupil import pupil_aggregate_id
from services.intake import commands as c
from services.intake.handlers import HANDLERS
from services.intake.ingestion import Ingestor
from services.store.application import Skolefravaer
from tests.support.events import TENANT, absent, enrolled, new_pupil

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ingestor() -> Ingestor:
    app = Skolefravaer(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                            "AGGREGATE_CACHE_MAXSIZE": "100"})
    return Ingestor(app, clock=lambda: NOW)


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Exception]]:
    """Absences whose event_id is in the answer are recorded on the pupil, then fail with
    the exception given: a handler that changed the pupil before something refused."""
    failing: dict[str, Exception] = {}
    record = HANDLERS[c.RecordAbsence]

    def half_done(uow: Any, envelope: Any, command: Any) -> Any:
        changed = record(uow, envelope, command)
        if str(envelope.event_id) in failing:
            raise failing[str(envelope.event_id)]
        return changed

    monkeypatch.setitem(HANDLERS, c.RecordAbsence, half_done)
    yield failing


def stored_event_ids(app: Skolefravaer, aggregate_id: UUID) -> list[str]:
    return [str(e.envelope.event_id) for e in app.repository.event_store.get(aggregate_id)]


def test_a_command_refused_half_way_leaves_nothing_in_the_batch(
        ingestor: Ingestor, poisoned: dict[str, Exception]) -> None:
    pupil = new_pupil()
    key = pupil_aggregate_id(TENANT, UUID(pupil))
    refused, after = absent(pupil, "2026-09-01"), absent(pupil, "2026-09-02")
    poisoned[refused["event_id"]] = RuleViolation("case_refused", "the case refused")

    outcomes = ingestor.ingest([enrolled(pupil), refused, after])

    assert [o.status for o in outcomes] == ["accepted", "rejected", "accepted"]
    assert refused["event_id"] not in stored_event_ids(ingestor.app, key)
    assert after["event_id"] in stored_event_ids(ingestor.app, key)
    assert ingestor.app.peek(key, lambda p: p.version) == \
        ingestor.app.repository.get(key).version


def test_a_failed_batch_leaves_nothing_cached(
        ingestor: Ingestor, poisoned: dict[str, Exception]) -> None:
    pupil = new_pupil()
    key = pupil_aggregate_id(TENANT, UUID(pupil))
    ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01")])
    failing = absent(pupil, "2026-09-02")
    poisoned[failing["event_id"]] = RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        ingestor.ingest([absent(pupil, "2026-09-03"), failing])
    [outcome] = ingestor.ingest([absent(pupil, "2026-09-04")])

    assert outcome.status == "accepted"
    assert ingestor.app.peek(key, lambda p: p.version) == \
        ingestor.app.repository.get(key).version == 3


def test_what_is_missing_is_remembered_until_it_is_written(ingestor: Ingestor) -> None:
    pupil = new_pupil()
    key = pupil_aggregate_id(TENANT, UUID(pupil))

    assert ingestor.app.peek(key, lambda p: p.version) is None
    ingestor.ingest([enrolled(pupil)])
    assert ingestor.app.peek(key, lambda p: p.version) == 1
