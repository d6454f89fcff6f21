"""The deadline clock yields to client writers without starving: a batch of overdue
events that keeps losing its race with the clients (who store events of the same pupils
first) is tried again in smaller batches, down to a single task, which gets through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.bootstrap import build
from services.config import Settings
from services.intake.ingestion import Ingestor, Outcome
from services.outbound.clock import OverdueClock
from services.store.unit_of_work import UnitOfWork
from tests.support.events import absent, enrolled, new_pupil, school_days

OSLO = ZoneInfo("Europe/Oslo")
LATER = "2026-09-08T06:30:00+02:00"  # the clients write on the morning the tasks are late


class ContestedIngestor(Ingestor):
    """Between deciding a batch of more than one event and saving it, a client stores an
    absence of the batch's first pupil: the save loses the race, every attempt."""

    def __init__(self, *args: Any, client: Ingestor, days: Iterator[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.client = client
        self.days = days
        self.contested = 0

    def _decide(self, uow: UnitOfWork, raw_events: list[dict[str, Any]], poster: Any
                ) -> list[Outcome]:
        decided = super()._decide(uow, raw_events, poster)
        if len(raw_events) > 1:
            pupil = raw_events[0]["data"]["pupil_id"]
            [written] = self.client.ingest([absent(pupil, next(self.days), occurred_at=LATER)])
            assert written.status == "accepted"
            self.contested += 1
        return decided


def test_the_clock_records_every_overdue_task_though_writers_keep_winning_its_batches(
        pg_environ: dict[str, str]) -> None:
    now = datetime(2026, 9, 7, 23, 0, tzinfo=OSLO)
    service = build(Settings.from_environ(pg_environ), clock=lambda: now)
    pupils = [new_pupil() for _ in range(4)]
    service.ingestor.ingest([enrolled(p) for p in pupils] + [
        absent(p, "2026-09-07", occurred_at="2026-09-07T08:30:00+02:00") for p in pupils])
    service.pupil_views.catch_up()
    contested = ContestedIngestor(service.app, clock=lambda: now, attempts=2,
                                  client=service.ingestor, days=iter(school_days(60)[10:]))
    clock = OverdueClock(contested, service.cases, lambda: now)

    now = datetime(2026, 9, 8, 7, 0, tzinfo=OSLO)
    waiting = clock.lag()
    recorded = clock.run_once()
    service.pupil_views.catch_up()
    left = clock.lag()
    service.close()

    # Each pupil's first absence opens two same-day steps (FOL-4 and FOL-5), both late now.
    assert waiting == 2 * len(pupils)
    assert (recorded, left) == (waiting, 0)
    assert contested.contested >= 2  # it lost, and recorded all the same

