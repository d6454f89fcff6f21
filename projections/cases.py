"""The follow-up case of each pupil: its stage, its tasks with their deadlines, and every
record (contacts, letters, meetings, agreements, consents, referrals …).

A fold of the case's events and nothing else: the stage, each task and each deadline
were decided by the case (``domain.case``) and stored as events, so a rebuild gives the
same rows whatever the code's rules are by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.case import SAFEGUARDING_RECORDS, safeguarding_rule
from domain.case import FollowUpCase as Case
from domain.follow_up import Stage
from projections import codec, outbox, tasks_due
from projections.absence import FOR_PUPIL
from projections.batch import Batch
from projections.db import ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS case_state (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        episode INTEGER NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id)
    )""",
    """CREATE TABLE IF NOT EXISTS case_stage (
        position BIGINT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        episode INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        event_id TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_stage_pupil ON case_stage (pupil_id, tenant)",
    """CREATE TABLE IF NOT EXISTS case_task (
        task_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        school_id TEXT,
        rule TEXT NOT NULL,
        title TEXT NOT NULL,
        legal_basis TEXT,
        episode INTEGER NOT NULL,
        opened_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        opened_position BIGINT NOT NULL,
        closed_at TEXT,
        closed_by TEXT,
        closed_position BIGINT,
        cancelled_at TEXT,
        cancel_reason TEXT,
        cancelled_position BIGINT,
        overdue_at TEXT,
        overdue_position BIGINT
    )""",
    "CREATE INDEX IF NOT EXISTS case_task_pupil ON case_task (pupil_id, tenant)",
    "CREATE INDEX IF NOT EXISTS case_task_open ON case_task (closed_at, due_at)",
    """CREATE TABLE IF NOT EXISTS case_record (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        body TEXT NOT NULL,
        restricted INTEGER NOT NULL,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_record_pupil ON case_record (pupil_id, tenant)",
    tasks_due.LESSON_DAYS,
)

DECISIONS = (Case.Started, Case.StageChanged, Case.TaskOpened, Case.TaskClosed,
             Case.TaskCancelled, Case.TaskOverdue, Case.ConcernRaised, Case.DayClosed)
"""The service's own decisions: folded into stage and tasks, not listed as records."""


TASKS = "case_task"
"""A batch's tasks by id: (rule, title, due, school), for the alert of an overdue one."""


def load(batch: Batch, events: list[Any]) -> None:
    """Read once what the batch's events need of earlier batches: overdue tasks."""
    overdue = sorted({e.task_id for e in events if isinstance(e, Case.TaskOverdue)})
    if overdue:
        where, params = batch.tx.one_of("ids", overdue)
        rows = batch.tx.execute("SELECT task_id, rule, title, due_at, school_id FROM "
                                "case_task WHERE task_id " + where + " ORDER BY task_id",
                                params)
        batch.state(TASKS).update({task_id: rest for task_id, *rest in rows})


def apply(batch: Batch, event: Any, position: int) -> None:
    """Fold one event of a pupil's case."""
    if isinstance(event, Case.StageChanged):
        _stage(batch, event, position)
    elif isinstance(event, Case.TaskOpened):
        _task_opened(batch, event, position)
    elif isinstance(event, Case.TaskClosed):
        _task_ended(batch, event, position, "closed_at = :at, closed_by = :by, "
                    "closed_position = :position", str(event.closed_by))
    elif isinstance(event, Case.TaskCancelled):
        _task_ended(batch, event, position, "cancelled_at = :at, cancel_reason = :by, "
                    "cancelled_position = :position", event.reason)
    elif isinstance(event, Case.TaskOverdue):
        _overdue(batch, event, position)
    elif isinstance(event, Case.DayClosed):
        tasks_due.day_closed(batch, event.envelope.tenant, event.pupil_id, event.day, position)
    elif not isinstance(event, DECISIONS):
        _record(batch, event, position)


def _stage(batch: Batch, event: Any, position: int) -> None:
    row = {"tenant": event.envelope.tenant, "pupil_id": str(event.pupil_id),
           "stage": event.stage, "episode": event.episode, "position": position}
    batch.insert("INSERT INTO case_state (tenant, pupil_id, stage, episode, position) VALUES "
                 "(:tenant, :pupil_id, :stage, :episode, :position) ON CONFLICT (tenant, "
                 "pupil_id) DO UPDATE SET stage = excluded.stage, episode = excluded.episode, "
                 "position = excluded.position", row)
    batch.insert("INSERT INTO case_stage (position, tenant, pupil_id, stage, episode, reason, at, "
                 "event_id) VALUES (:position, :tenant, :pupil_id, :stage, :episode, :reason, "
                 ":at, :event_id) ON CONFLICT (position) DO NOTHING",
                 {**row, "reason": event.reason, "at": event.envelope.occurred_at.isoformat(),
                  "event_id": str(event.envelope.event_id)})


def _task_opened(batch: Batch, event: Any, position: int) -> None:
    task = event.task
    due_at = tasks_due.utc_text(task.due_at)
    batch.state(TASKS)[task.task_id] = (task.rule, task.title, due_at, task.school_id)
    batch.insert(
        "INSERT INTO case_task (task_id, tenant, pupil_id, school_id, rule, title, legal_basis, "
        "episode, opened_at, due_at, opened_by, opened_position) VALUES (:task_id, :tenant, "
        ":pupil_id, :school, :rule, :title, :legal_basis, :episode, :opened_at, :due_at, "
        ":opened_by, :position) ON CONFLICT (task_id) DO NOTHING",
        {"task_id": task.task_id, "tenant": event.envelope.tenant,
         "pupil_id": str(event.pupil_id), "school": task.school_id, "rule": task.rule,
         "title": task.title, "legal_basis": task.legal_basis, "episode": task.episode,
         "opened_at": event.envelope.occurred_at.isoformat(),
         "due_at": due_at, "opened_by": str(task.opened_by),
         "position": position})


def _task_ended(batch: Batch, event: Any, position: int, columns: str, by: str) -> None:
    batch.update(f"UPDATE case_task SET {columns} WHERE task_id = :task_id",
                 {"task_id": event.task_id, "at": event.envelope.occurred_at.isoformat(),
                  "by": by, "position": position})


def _overdue(batch: Batch, event: Any, position: int) -> None:
    batch.update("UPDATE case_task SET overdue_at = :at, overdue_position = :position "
                 "WHERE task_id = :task_id",
                 {"task_id": event.task_id, "at": event.envelope.occurred_at.isoformat(),
                  "position": position})
    task = batch.state(TASKS).get(event.task_id)
    if task is not None:
        rule, title, due_at, school = task
        outbox.put(batch, position, outbox.ALERTS_TOPIC, str(event.pupil_id), {
            "kind": "task_overdue", "tenant": event.envelope.tenant,
            "pupil_id": str(event.pupil_id), "school_id": school, "task_id": event.task_id,
            "rule": rule, "title": title, "due_at": due_at, "position": position,
            "event_id": str(event.envelope.event_id),
            "recorded_at": event.envelope.recorded_at.isoformat()})


def _record(batch: Batch, event: Any, position: int) -> None:
    body = {name: value for name, value in vars(event).items()
            if name not in ("envelope", "pupil_id", "originator_id", "originator_version",
                            "timestamp")}
    batch.insert(
        "INSERT INTO case_record (event_id, tenant, pupil_id, type, occurred_at, actor, body, "
        "restricted, position) VALUES (:event_id, :tenant, :pupil_id, :type, :occurred_at, "
        ":actor, :body, :restricted, :position) ON CONFLICT (event_id) DO NOTHING",
        {"event_id": str(event.envelope.event_id), "tenant": event.envelope.tenant,
         "pupil_id": str(event.pupil_id), "type": event.envelope.type,
         "occurred_at": event.envelope.occurred_at.isoformat(),
         "actor": codec.dumps(event.envelope.actor),
         "body": batch.sealer.seal(event.envelope.tenant, event.pupil_id, codec.dumps(body)),
         "restricted": int(isinstance(event, SAFEGUARDING_RECORDS)), "position": position})


@dataclass(frozen=True)
class Task:
    task_id: str
    pupil_id: str
    school_id: str | None
    rule: str
    title: str
    legal_basis: str | None
    episode: int
    opened_at: str
    due_at: str
    closed_at: str | None
    closed_by: str | None
    cancelled_at: str | None
    cancel_reason: str | None
    overdue_at: str | None
    opened_position: int
    closed_position: int | None
    cancelled_position: int | None
    overdue_position: int | None

    def status(self, now: datetime) -> str:
        if self.closed_at is not None:
            return "done"
        if self.cancelled_at is not None:
            return "cancelled"
        if self.overdue_at is not None or datetime.fromisoformat(self.due_at) < now:
            return "overdue"
        return "open"

    @property
    def positions(self) -> dict[str, int]:
        """Where in the log each recorded decision about the task is."""
        found = {"opened": self.opened_position, "closed": self.closed_position,
                 "cancelled": self.cancelled_position, "overdue": self.overdue_position}
        return {what: int(p) for what, p in found.items() if p is not None}


TASK_COLUMNS = ("task_id, pupil_id, school_id, rule, title, legal_basis, episode, opened_at, "
                "due_at, closed_at, closed_by, cancelled_at, cancel_reason, overdue_at, "
                "opened_position, closed_position, cancelled_position, overdue_position")


class CaseReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def case(self, pupil_id: UUID, tenant: str | None, *, restricted: bool
             ) -> dict[str, Any]:
        """The case; an enrolled pupil nothing has happened to yet is at registration."""
        params = {"pupil_id": str(pupil_id), "tenant": tenant}
        with self.db.transaction() as tx:
            state = tx.execute("SELECT stage, episode FROM case_state " + FOR_PUPIL, params)
            stages = tx.execute("SELECT stage, episode, reason, at, event_id, position "
                                "FROM case_stage " + FOR_PUPIL + " ORDER BY position", params)
            tasks = tx.execute("SELECT " + TASK_COLUMNS + " FROM case_task " + FOR_PUPIL
                               + " ORDER BY opened_position, task_id", params)
            records = tx.execute(
                "SELECT event_id, type, occurred_at, actor, body, position FROM case_record "
                + FOR_PUPIL + ("" if restricted else " AND restricted = 0")
                + " ORDER BY position", params)
        stage, episode = state[0] if state else (Stage.REGISTRATION.value, 0)
        return {"stage": stage, "episode": int(episode),
                "stage_history": [{"stage": s, "episode": int(n), "reason": why, "at": at,
                                   "event_id": e, "position": int(p)}
                                  for s, n, why, at, e, p in stages],
                "tasks": [task for task in (Task(*row) for row in tasks)
                          if restricted or not safeguarding_rule(task.rule)],
                "records": [{"event_id": e, "type": t, "occurred_at": at,
                             "actor": codec.loads(actor),
                             "body": codec.loads(self.db.sealer.open(body)),
                             "position": p} for e, t, at, actor, body, p in records]}

    def tasks(self, *, school_id: str | None, tenant: str | None) -> list[Task]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT " + TASK_COLUMNS + " FROM case_task WHERE "
                "(CAST(:school AS TEXT) IS NULL OR school_id = :school) AND "
                "(CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant) ORDER BY due_at, task_id",
                {"school": school_id, "tenant": tenant})
        return [Task(*row) for row in rows]

    def due(self, now: datetime, limit: int = 500) -> list[tuple[str, str, str, str, str]]:
        """Open tasks past due and not yet recorded overdue: (task, tenant, pupil, rule, due)."""
        return tasks_due.due(self.db, now, limit)

    def ended_days(self, now: datetime, limit: int = 500) -> list[tuple[str, str, str, int]]:
        """Days with single-lesson absence that have ended and are not yet closed."""
        return tasks_due.ended_days(self.db, now, limit)
