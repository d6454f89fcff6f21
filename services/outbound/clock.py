"""The clock that records time passing, for what nothing else would record: a task whose due
time passed undone turns overdue (FOL, CT, MISS), and a day with single-lesson absence
ends (CON-3: a lesson is undocumented only when its day ends without a notice). Both are
events in the log, posted through ingestion as the service itself: ``TaskOverdue`` (also
published on ``absence.alerts.v1``) and ``DayClosed``, on which the case decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid5

from domain.envelope import Role
from domain.follow_up import end_of_day
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
        # What this clock posted and had answered, while the views still show it to do
        # (they follow the log a moment behind): not posted again every round.
        self._answered: set[str] = set()

    def run_once(self) -> int:
        """Record every task now past due and every day now ended; answer how many were
        recorded."""
        now = self.clock()
        events = [self._overdue(*row) for row in self.cases.due(now)]
        events += [self._day_closed(*row) for row in self.cases.ended_days(now)]
        waiting = {e["event_id"] for e in events}
        self._answered &= waiting
        events = [e for e in events if e["event_id"] not in self._answered]
        if not events:
            return 0
        outcomes = self.ingestor.ingest(events, internal=True)
        self._answered |= {str(o.event_id) for o in outcomes}
        return sum(1 for o in outcomes if o.status == "accepted")

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
