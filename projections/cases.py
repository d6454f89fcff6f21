"""The follow-up case of each pupil: its stage, its tasks with legal deadlines, and
every record (contacts, letters, meetings, agreements, consents, referrals …).

Applied by the pupil views in their transaction, event by event in log order, so a task
opened by a concern and the concern itself come from the same facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from domain.case import SAFEGUARDING_RECORDS
from domain.case import FollowUpCase as Case
from domain.follow_up import (
    Stage,
    TaskSpec,
    concern_tasks,
    facets,
    failed_contact_tasks,
    next_stage,
    stage_after_located,
    tasks_opened_by,
)
from domain.ids import NAMESPACE
from domain.pupil import Pupil
from domain.rule_sets import RuleSet
from domain.school_year import school_year_of
from projections import codec, outbox, tasks_due
from projections.absence import FOR_PUPIL
from projections.db import Transaction, ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS case_state (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        previous_stage TEXT,
        episode INTEGER NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id)
    )""",
    """CREATE TABLE IF NOT EXISTS case_stage (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        at TEXT NOT NULL,
        event_id TEXT NOT NULL,
        position BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS case_stage_pupil ON case_stage (pupil_id, tenant)",
    """CREATE TABLE IF NOT EXISTS case_task (
        task_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        school_id TEXT,
        rule TEXT NOT NULL,
        title TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        closes_on TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        closed_at TEXT,
        closed_by TEXT,
        overdue_at TEXT,
        position BIGINT NOT NULL
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
)

FACTS = (Pupil.AbsenceRecorded, Pupil.LateArrivalRecorded, Pupil.LeftSchoolRecorded,
         Pupil.AbsenceNoticeReceived, Pupil.MedicalCertificateReceived, Pupil.RecordCorrected)
"""Absence facts live in the absence view, not among the case's records."""


def task_id(pupil_id: UUID, opened_by: UUID, spec: TaskSpec) -> str:
    return str(uuid5(NAMESPACE, f"task/{pupil_id}/{opened_by}/{spec.rule}/{spec.key}"))


def apply(tx: Transaction, event: Any, position: int, *, rules: RuleSet,
          concern_raised: bool = False, undocumented: bool = False) -> None:
    """Move the case of ``event``'s pupil: close tasks, change stage, open tasks, record."""
    tenant, pupil_id = event.envelope.tenant, event.pupil_id
    stage, previous, episode = _state(tx, tenant, pupil_id, position)
    at: datetime = event.envelope.occurred_at
    if isinstance(event, Case.TaskOverdue):
        _mark_overdue(tx, event, position)
        return
    _close_tasks(tx, tenant, pupil_id, event, at)

    new_stage = next_stage(stage, event, concern=concern_raised)
    if isinstance(event, Case.PupilLocated):
        new_stage = stage_after_located(previous or Stage.REGISTRATION, event.outcome)
    opened: list[TaskSpec] = []
    if new_stage is Stage.CONCERN and stage in (Stage.REGISTRATION, Stage.CLOSED):
        episode += 1  # a concern, an early warning (FOL-19) or staff open a new episode
        opened += concern_tasks(at)
    if new_stage is not stage:
        tx.execute("INSERT INTO case_stage (tenant, pupil_id, stage, at, event_id, position) "
                   "VALUES (:tenant, :pupil_id, :stage, :at, :event_id, :position)",
                   {"tenant": tenant, "pupil_id": str(pupil_id), "stage": new_stage.value,
                    "at": at.isoformat(), "event_id": str(event.envelope.event_id),
                    "position": position})
        if new_stage is Stage.WHEREABOUTS_UNKNOWN:
            previous = stage
    tx.execute("UPDATE case_state SET stage = :stage, previous_stage = :previous, "
               "episode = :episode, position = :position WHERE tenant = :tenant "
               "AND pupil_id = :pupil_id",
               {"tenant": tenant, "pupil_id": str(pupil_id), "stage": new_stage.value,
                "previous": previous.value if previous else None, "episode": episode,
                "position": position})

    opened += tasks_opened_by(event, rules, undocumented=undocumented)
    if isinstance(event, Case.ContactLogged) and not event.contact.reached \
            and new_stage is Stage.WHEREABOUTS_UNKNOWN:
        deadline = _due_of(tx, tenant, pupil_id, "MISS-4")
        if deadline is not None:
            opened += failed_contact_tasks(at, deadline)
    school = _school(tx, tenant, pupil_id, at)
    for spec in opened:
        _open_task(tx, event, spec, school, at, position)
    if isinstance(event, Case.Event) and not isinstance(event, FACTS):
        _record(tx, event, position)


def _state(tx: Transaction, tenant: str, pupil_id: UUID, position: int
           ) -> tuple[Stage, Stage | None, int]:
    rows = tx.execute("SELECT stage, previous_stage, episode FROM case_state WHERE "
                      "tenant = :tenant AND pupil_id = :pupil_id",
                      {"tenant": tenant, "pupil_id": str(pupil_id)})
    if not rows:
        tx.execute("INSERT INTO case_state (tenant, pupil_id, stage, episode, position) "
                   "VALUES (:tenant, :pupil_id, :stage, 0, :position)",
                   {"tenant": tenant, "pupil_id": str(pupil_id),
                    "stage": Stage.REGISTRATION.value, "position": position})
        return Stage.REGISTRATION, None, 0
    stage, previous, episode = rows[0]
    return Stage(stage), Stage(previous) if previous else None, int(episode)


def _school(tx: Transaction, tenant: str, pupil_id: UUID, at: datetime) -> str | None:
    rows = tx.execute("SELECT school_id FROM pupil_year WHERE tenant = :tenant AND "
                      "pupil_id = :pupil_id ORDER BY (school_year = :year) DESC, "
                      "school_year DESC",
                      {"tenant": tenant, "pupil_id": str(pupil_id),
                       "year": school_year_of(at.date())})
    return rows[0][0] if rows else None


def _due_of(tx: Transaction, tenant: str, pupil_id: UUID, rule: str) -> datetime | None:
    rows = tx.execute("SELECT due_at FROM case_task WHERE tenant = :tenant AND pupil_id = "
                      ":pupil_id AND rule = :rule AND closed_at IS NULL ORDER BY position DESC",
                      {"tenant": tenant, "pupil_id": str(pupil_id), "rule": rule})
    return datetime.fromisoformat(rows[0][0]) if rows else None


def _open_task(tx: Transaction, event: Any, spec: TaskSpec, school: str | None,
               at: datetime, position: int) -> None:
    tx.execute(
        "INSERT INTO case_task (task_id, tenant, pupil_id, school_id, rule, title, opened_at, "
        "due_at, closes_on, opened_by, position) VALUES (:task_id, :tenant, :pupil_id, "
        ":school, :rule, :title, :opened_at, :due_at, :closes_on, :opened_by, :position) "
        "ON CONFLICT (task_id) DO NOTHING",
        {"task_id": task_id(event.pupil_id, event.envelope.event_id, spec),
         "tenant": event.envelope.tenant, "pupil_id": str(event.pupil_id), "school": school,
         "rule": spec.rule, "title": spec.title, "opened_at": at.isoformat(),
         "due_at": spec.due.astimezone(UTC).isoformat(),
         "closes_on": json.dumps(list(spec.closes_on)),
         "opened_by": str(event.envelope.event_id), "position": position})


def _close_tasks(tx: Transaction, tenant: str, pupil_id: UUID, event: Any,
                 at: datetime) -> None:
    found = facets(event)
    open_tasks = tx.execute("SELECT task_id, closes_on FROM case_task WHERE tenant = :tenant "
                            "AND pupil_id = :pupil_id AND closed_at IS NULL",
                            {"tenant": tenant, "pupil_id": str(pupil_id)})
    for task, closes_on in open_tasks:
        if any(found.satisfies(matcher) for matcher in json.loads(closes_on)):
            tx.execute("UPDATE case_task SET closed_at = :at, closed_by = :event_id "
                       "WHERE task_id = :task_id",
                       {"task_id": task, "at": at.isoformat(),
                        "event_id": str(event.envelope.event_id)})


def _mark_overdue(tx: Transaction, event: Any, position: int) -> None:
    tx.execute("UPDATE case_task SET overdue_at = :at WHERE task_id = :task_id",
               {"task_id": event.task_id, "at": event.envelope.occurred_at.isoformat()})
    rows = tx.execute("SELECT rule, title, due_at, school_id FROM case_task "
                      "WHERE task_id = :task_id", {"task_id": event.task_id})
    if rows:
        rule, title, due_at, school = rows[0]
        outbox.put(tx, position, outbox.ALERTS_TOPIC, str(event.pupil_id), {
            "kind": "task_overdue", "tenant": event.envelope.tenant,
            "pupil_id": str(event.pupil_id), "school_id": school, "task_id": event.task_id,
            "rule": rule, "title": title, "due_at": due_at, "position": position,
            "recorded_at": event.envelope.recorded_at.isoformat()})


def _record(tx: Transaction, event: Any, position: int) -> None:
    body = {name: value for name, value in vars(event).items()
            if name not in ("envelope", "pupil_id", "originator_id", "originator_version",
                            "timestamp")}
    tx.execute(
        "INSERT INTO case_record (event_id, tenant, pupil_id, type, occurred_at, actor, body, "
        "restricted, position) VALUES (:event_id, :tenant, :pupil_id, :type, :occurred_at, "
        ":actor, :body, :restricted, :position) ON CONFLICT (event_id) DO NOTHING",
        {"event_id": str(event.envelope.event_id), "tenant": event.envelope.tenant,
         "pupil_id": str(event.pupil_id), "type": event.envelope.type,
         "occurred_at": event.envelope.occurred_at.isoformat(),
         "actor": codec.dumps(event.envelope.actor), "body": codec.dumps(body),
         "restricted": int(isinstance(event, SAFEGUARDING_RECORDS)), "position": position})


@dataclass(frozen=True)
class Task:
    task_id: str
    pupil_id: str
    school_id: str | None
    rule: str
    title: str
    opened_at: str
    due_at: str
    closed_at: str | None
    closed_by: str | None
    overdue_at: str | None

    def status(self, now: datetime) -> str:
        if self.closed_at is not None:
            return "done"
        if self.overdue_at is not None or datetime.fromisoformat(self.due_at) < now:
            return "overdue"
        return "open"


TASK_COLUMNS = ("task_id, pupil_id, school_id, rule, title, opened_at, due_at, closed_at, "
                "closed_by, overdue_at")


class CaseReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def case(self, pupil_id: UUID, tenant: str | None, *, restricted: bool
             ) -> dict[str, Any]:
        """The case; an enrolled pupil nothing has happened to yet is at registration."""
        params = {"pupil_id": str(pupil_id), "tenant": tenant}
        with self.db.transaction() as tx:
            state = tx.execute("SELECT stage FROM case_state " + FOR_PUPIL, params)
            stages = tx.execute("SELECT stage, at, event_id FROM case_stage " + FOR_PUPIL
                                + " ORDER BY position", params)
            tasks = tx.execute("SELECT " + TASK_COLUMNS + " FROM case_task " + FOR_PUPIL
                               + " ORDER BY position, rule", params)
            records = tx.execute(
                "SELECT event_id, type, occurred_at, actor, body, position FROM case_record "
                + FOR_PUPIL + ("" if restricted else " AND restricted = 0")
                + " ORDER BY position", params)
        return {"stage": state[0][0] if state else Stage.REGISTRATION.value,
                "stage_history": [{"stage": s, "at": at, "event_id": e} for s, at, e in stages],
                "tasks": [Task(*row) for row in tasks],
                "records": [{"event_id": e, "type": t, "occurred_at": at,
                             "actor": codec.loads(actor), "body": codec.loads(body),
                             "position": p} for e, t, at, actor, body, p in records]}

    def tasks(self, *, school_id: str | None, tenant: str | None) -> list[Task]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT " + TASK_COLUMNS + " FROM case_task WHERE "
                "(CAST(:school AS TEXT) IS NULL OR school_id = :school) AND "
                "(CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant) ORDER BY due_at",
                {"school": school_id, "tenant": tenant})
        return [Task(*row) for row in rows]

    def due(self, now: datetime, limit: int = 500) -> list[tuple[str, str, str, str, str]]:
        """Open tasks past due and not yet recorded overdue: (task, tenant, pupil, rule, due)."""
        return tasks_due.due(self.db, now, limit)
