"""The clock that records time passing, for what nothing else would record: a task whose due
time passed undone turns overdue (FOL, CT, MISS), and a day with single-lesson absence
ends (CON-3: a lesson is undocumented only when its day ends without a notice). Both are
events in the log, posted through ingestion as the service itself: ``TaskOverdue`` (also
published on ``absence.alerts.v1``) and ``DayClosed``, on which the case decides.

It records in small batches and yields to the clients: a batch touches many pupils, and
when client writers keep storing events of the same pupils first, the batch (decided again
each time) can lose every attempt. Then it halves its batches — down to one event, which a
client's writes cannot keep beating — and grows them again after each batch it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid5

from domain.envelope import Role
from domain.follow_up import end_of_day
from domain.ids import NAMESPACE
from projections.cases import CaseReader
from projections.follower import Unavailable, Worker
from services.intake.ingestion import Ingestor, StoreUnavailable

CLOCK_ACTOR = {"id": "skolefravaer-clock", "role": Role.SERVICE.value}
MAX_BATCH = 50


class OverdueClock(Worker):
    name = "clock:overdue"

    def __init__(self, ingestor: Ingestor, cases: CaseReader,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.ingestor = ingestor
        self.cases = cases
        self.clock = clock
        self.batch_size = MAX_BATCH
        # What this clock posted and had answered, while the views still show it to do
        # (they follow the log a moment behind): not posted again every round.
        self._answered: set[str] = set()

    def run_once(self) -> int:
        """Record every task now past due and every day now ended; answer how many were
        recorded."""
        waiting = self._waiting()
        recorded = 0
        while waiting:
            batch = waiting[:self.batch_size]
            try:
                outcomes = self.ingestor.ingest(batch, internal=True)
            except StoreUnavailable as unavailable:
                # An outage (the store's error is the cause) is the worker's to retry; a
                # batch that kept losing to concurrent writers is tried again, smaller.
                if unavailable.__cause__ is not None or self.batch_size == 1:
                    raise Unavailable(f"the event store: {unavailable}") from unavailable
                self.batch_size = max(1, self.batch_size // 2)
                continue
            self.batch_size = min(MAX_BATCH, self.batch_size * 2)
            waiting = waiting[len(batch):]
            self._answered |= {str(o.event_id) for o in outcomes}
            recorded += sum(1 for o in outcomes if o.status == "accepted")
        return recorded

    def _waiting(self) -> list[dict[str, Any]]:
        """What is due now and not yet answered."""
        now = self.clock()
        events = [self._overdue(*row) for row in self.cases.due(now)]
        events += [self._day_closed(*row) for row in self.cases.ended_days(now)]
        self._answered &= {e["event_id"] for e in events}
        return [e for e in events if e["event_id"] not in self._answered]

    @staticmethod
    def _overdue(task_id: str, tenant: str, pupil_id: str, rule: str,
                 due_at: str) -> dict[str, Any]:
        return {
            # One overdue event per task, whichever process or retry records it.
            "event_id": str(uuid5(NAMESPACE, f"overdue/{task_id}")),
            # It became overdue at its due time, whenever the clock noticed.
            "type": "TaskOverdue", "tenant": tenant, "occurred_at": due_at,
            "actor": CLOCK_ACTOR, "source": "skolefravaer",
            "data": {"pupil_id": pupil_id, "task_id": task_id, "rule": rule,
                     "due_at": due_at},
        }

    @staticmethod
    def _day_closed(tenant: str, pupil_id: str, day: str, position: int) -> dict[str, Any]:
        return {
            # One per day and latest lesson absence of that day: a lesson recorded for the
            # day after it was closed has the day closed again.
            "event_id": str(uuid5(NAMESPACE, f"day-closed/{tenant}/{pupil_id}/{day}/"
                                             f"{position}")),
            "type": "DayClosed", "tenant": tenant,
            "occurred_at": end_of_day(date.fromisoformat(day)).isoformat(),
            "actor": CLOCK_ACTOR, "source": "skolefravaer",
            "data": {"pupil_id": pupil_id, "date": day},
        }

    def lag(self) -> int:
        now = self.clock()
        return len(self.cases.due(now)) + len(self.cases.ended_days(now))

    def reached(self) -> Hashable:
        """What it would record next: it changes as the clock records."""
        now = self.clock()
        task = self.cases.due(now, limit=1)
        day = self.cases.ended_days(now, limit=1)
        return (task[0][0] if task else None, tuple(day[0]) if day else None)
