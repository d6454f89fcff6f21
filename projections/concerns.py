"""Concerns (CON-*) as the pupil's case raised them (``ConcernRaised``), each with the
rule as it was in force, the period, and the facts that brought it: a fold, never a
recount, so a rebuild gives the same rows whatever the thresholds in code are by then.
Also the school calendars the absence tallies count notice deadlines by (ABS-5).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.calendar import Calendar
from projections import codec, outbox
from projections.absence import FOR_PUPIL
from projections.batch import Batch
from projections.db import ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS concern (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        description TEXT NOT NULL,
        period TEXT NOT NULL,
        trigger_day TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        event_ids TEXT NOT NULL,
        threshold REAL NOT NULL,
        rule_set_version INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id, rule, period)
    )""",
    """CREATE TABLE IF NOT EXISTS school_calendar (
        tenant TEXT NOT NULL,
        school_id TEXT NOT NULL,
        school_year TEXT NOT NULL,
        calendar TEXT NOT NULL,
        PRIMARY KEY (tenant, school_id, school_year)
    )""",
)


def record_calendar(batch: Batch, tenant: str, calendar: Calendar) -> None:
    batch.insert("INSERT INTO school_calendar (tenant, school_id, school_year, calendar) VALUES "
                 "(:tenant, :school_id, :school_year, :calendar) ON CONFLICT (tenant, school_id, "
                 "school_year) DO UPDATE SET calendar = excluded.calendar",
                 {"tenant": tenant, "school_id": calendar.school_id,
                  "school_year": calendar.school_year, "calendar": codec.dumps(calendar)})


def apply(batch: Batch, raised: Any, position: int) -> None:
    """Fold a ``ConcernRaised``: its row, and its alert in the same transaction."""
    tenant, pupil_id = raised.envelope.tenant, str(raised.pupil_id)
    event_ids = [str(e) for e in raised.event_ids]
    batch.insert(
        "INSERT INTO concern (tenant, pupil_id, rule, description, period, trigger_day, "
        "raised_at, event_ids, threshold, rule_set_version, event_id, position) VALUES "
        "(:tenant, :pupil_id, :rule, :description, :period, :day, :raised_at, :event_ids, "
        ":threshold, :version, :event_id, :position) ON CONFLICT DO NOTHING",
        {"tenant": tenant, "pupil_id": pupil_id, "rule": raised.rule,
         "description": raised.description, "period": raised.period,
         "day": raised.trigger_day.isoformat(),
         "raised_at": raised.envelope.recorded_at.isoformat(),
         "event_ids": json.dumps(event_ids), "threshold": raised.in_force.threshold,
         "version": raised.rule_set_version, "event_id": str(raised.envelope.event_id),
         "position": position})
    outbox.put(batch, position, outbox.ALERTS_TOPIC, pupil_id, {
        "kind": "concern_raised", "tenant": tenant, "pupil_id": pupil_id,
        "rule": raised.rule, "description": raised.description, "period": raised.period,
        "raised_at": raised.envelope.recorded_at.isoformat(), "position": position,
        "event_id": str(raised.envelope.event_id), "event_ids": event_ids})


@dataclass(frozen=True)
class RaisedConcern:
    rule: str
    description: str
    period: str
    raised_at: str
    trigger_day: str
    event_ids: list[str]
    threshold: float
    rule_set_version: int
    event_id: str  # of the ConcernRaised itself
    position: int


class ConcernReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def concerns(self, pupil_id: UUID, tenant: str | None = None) -> list[RaisedConcern]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT rule, description, period, raised_at, trigger_day, "
                              "event_ids, threshold, rule_set_version, event_id, position "
                              "FROM concern " + FOR_PUPIL + " ORDER BY position",
                              {"pupil_id": str(pupil_id), "tenant": tenant})
        return [RaisedConcern(r, text, p, at, d, json.loads(ids), float(limit), int(version),
                              event_id, int(position))
                for r, text, p, at, d, ids, limit, version, event_id, position in rows]
