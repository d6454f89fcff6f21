"""The process's aggregate cache on PostgreSQL: threads of one process and other processes
writing the same pupils; each batch decides on what is stored, and what stays cached is
what is stored."""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from domain.pupil import pupil_aggregate_id
from services.bootstrap import Service, build
from services.config import Settings
from services.intake.ingestion import Ingestor
from services.store.recorder import UnpipelinedRecorder
from tests.support.events import TENANT, absent, calendar, enrolled, new_pupil, school_days


def cached_and_stored(service: Service, key: UUID) -> tuple[int | None, int]:
    return service.app.peek(key, lambda p: p.version), service.app.repository.get(key).version


def test_threads_writing_the_same_pupils_store_each_event_once(pg_service: Service) -> None:
    pupils = [new_pupil() for _ in range(3)]
    pg_service.ingestor.ingest([enrolled(p) for p in pupils])
    days = school_days(40)
    failures: list[BaseException] = []
    # Every batch contends with the other threads' for all three pupils: on a busy
    # machine one may lose more than the 12 races a client's batch is given.
    ingestor = Ingestor(pg_service.app, attempts=100)

    def write(periods: range) -> None:
        try:
            for day in days:
                outcomes = ingestor.ingest(
                    [absent(p, day, period=n) for p in pupils for n in periods])
                assert {o.status for o in outcomes} == {"accepted"}, outcomes
        except BaseException as failure:
            failures.append(failure)

    threads = [threading.Thread(target=write, args=(range(n, n + 2),)) for n in (1, 3, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    for pupil in pupils:
        cached, stored = cached_and_stored(pg_service, pupil_aggregate_id(TENANT, UUID(pupil)))
        assert cached == stored == 1 + len(days) * 6


def test_what_another_process_wrote_is_seen_by_the_next_batch(
        pg_environ: dict[str, str]) -> None:
    first, second = (build(Settings.from_environ(pg_environ)) for _ in range(2))
    try:
        pupil = new_pupil()
        key = pupil_aggregate_id(TENANT, UUID(pupil))
        first.ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01")])
        assert first.ingestor.ingest([absent(pupil, "2026-10-05")])[0].status == "accepted"
        # The first process now caches the pupil, and that its school has no calendar.
        second.ingestor.ingest([absent(pupil, "2026-09-02"),
                                calendar(non_school_days=["2026-10-06"])])

        assert cached_and_stored(first, key) == (4, 4)
        [outcome] = first.ingestor.ingest([absent(pupil, "2026-10-06")])
        assert outcome.status == "rejected"
        assert cached_and_stored(first, key) == (4, 4)
    finally:
        first.close()
        second.close()


def test_a_batch_of_many_megabytes_is_stored_outside_a_pipeline(pg_service: Service) -> None:
    """eventsourcing's pipelined insert of a 10 MB batch hung in 2 of 3 tries (psycopg
    3.3.9): the server waiting for the rest of the statement, the client for its result."""
    recorder = pg_service.app.recorder
    rows = [StoredEvent(uuid4(), 1, "topic", bytes(2000)) for _ in range(5000)]

    assert isinstance(recorder, UnpipelinedRecorder)
    ids = recorder.insert_events(rows)
    assert ids is not None and list(ids) == sorted(ids) and len(ids) == len(rows)


def test_a_cached_pupil_another_process_wrote_is_brought_forward(
        pg_environ: dict[str, str]) -> None:
    first, second = (build(Settings.from_environ(pg_environ)) for _ in range(2))
    try:
        pupil = new_pupil()
        key = pupil_aggregate_id(TENANT, UUID(pupil))
        first.ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01")])
        second.ingestor.ingest([absent(pupil, "2026-09-02"), absent(pupil, "2026-09-03")])

        # Decided on the cached pupil with the second process's two events applied.
        [outcome] = first.ingestor.ingest([absent(pupil, "2026-09-04")])

        assert outcome.status == "accepted"
        assert cached_and_stored(first, key) == (5, 5)
        assert first.app.peek(key, lambda p: p.version) == \
            second.app.repository.get(key).version
    finally:
        first.close()
        second.close()
