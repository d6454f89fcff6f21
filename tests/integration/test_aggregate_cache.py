"""Many threads load the same pupil while its events keep arriving: every load is a whole,
independent copy (eventsourcing alone copies the cached aggregate outside the lock under
which another thread fast-forwards it, and the copy can fail mid-update)."""

from __future__ import annotations

import threading
from uuid import UUID

from domain.pupil import pupil_aggregate_id
from services.bootstrap import Service
from tests.support.events import TENANT, absent, enrolled, new_pupil, school_days


def test_concurrent_loads_of_a_pupil_being_written_never_fail(pg_service: Service) -> None:
    pupil = new_pupil()
    pg_service.ingestor.ingest([enrolled(pupil)])
    key = pupil_aggregate_id(TENANT, UUID(pupil))
    failures: list[BaseException] = []
    written = threading.Event()

    def write() -> None:
        for day in school_days(60):
            for period in range(1, 5):
                pg_service.ingestor.ingest([absent(pupil, day, period=period)])
        written.set()

    def load() -> None:
        while not written.is_set():
            try:
                pg_service.app.find(key).fact_types["x"] = "a change to this copy only"
            except BaseException as failure:  # whatever a torn copy raises
                failures.append(failure)
                return

    threads = [threading.Thread(target=write), *(threading.Thread(target=load)
                                                 for _ in range(6))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert "x" not in pg_service.app.find(key).fact_types
