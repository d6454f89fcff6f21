"""The clock that records deadlines passing (FOL, CT, MISS): a task whose due time has
passed undone turns overdue even when nothing else happens, and that is itself an event
in the log (``TaskOverdue``), published on ``absence.alerts.v1``.

It records in small batches and yields to the clients: a batch of overdue events touches
many pupils, and when client writers keep storing events of the same pupils first, the
batch (decided again each time) can lose every attempt. Then it halves its batches — down
to one pupil's task, which a client's writes cannot keep beating — and grows them again
after each batch it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid5

from domain.envelope import Role
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

    def run_once(self) -> int:
        """Record every task now past due; answer how many were recorded."""
        waiting = [self._event(*row) for row in self.cases.due(self.clock())]
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
            recorded += sum(1 for o in outcomes if o.status == "accepted")
        return recorded

    @staticmethod
    def _event(task_id: str, tenant: str, pupil_id: str, rule: str,
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

    def lag(self) -> int:
        return len(self.cases.due(self.clock()))

    def reached(self) -> Hashable:
        """The task it would record next: it changes as the clock records them."""
        first = self.cases.due(self.clock(), limit=1)
        return first[0][0] if first else None
