"""The clock that records deadlines passing (FOL, CT, MISS): a task whose due time has
passed undone turns overdue even when nothing else happens, and that is itself an event
in the log (``TaskOverdue``), published on ``absence.alerts.v1``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid5

from domain.envelope import Role
from domain.ids import NAMESPACE
from projections.cases import CaseReader
from projections.follower import Worker
from services.intake.ingestion import Ingestor

CLOCK_ACTOR = {"id": "skolefravaer-clock", "role": Role.SERVICE.value}


class OverdueClock(Worker):
    name = "clock:overdue"

    def __init__(self, ingestor: Ingestor, cases: CaseReader,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.ingestor = ingestor
        self.cases = cases
        self.clock = clock

    def run_once(self) -> int:
        """Record every task now past due; answer how many were recorded."""
        now = self.clock()
        due = self.cases.due(now)
        if not due:
            return 0
        outcomes = self.ingestor.ingest([self._event(*row) for row in due], internal=True)
        return sum(1 for o in outcomes if o.status == "accepted")

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
