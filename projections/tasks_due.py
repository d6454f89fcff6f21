"""What the service's clock has to record: open tasks past their due time and not yet
recorded overdue, and days with single-lesson absence that have ended and are not yet
closed (CON-3). Also what ``skolefravaer status`` counts as the clock's lag.

Plain SQL over the case views, apart from `projections.cases`: a health check that must
answer quickly should not have to import the domain to ask.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from projections.batch import Batch
from projections.db import ViewDatabase

OSLO = ZoneInfo("Europe/Oslo")

LESSON_DAYS = """CREATE TABLE IF NOT EXISTS lesson_day (
    tenant TEXT NOT NULL,
    pupil_id TEXT NOT NULL,
    day TEXT NOT NULL,
    position BIGINT NOT NULL,
    closed INTEGER NOT NULL,
    PRIMARY KEY (tenant, pupil_id, day)
)"""
"""Each day a pupil has single-lesson absence recorded for; ``position``: the latest such
absence; ``closed``: a ``DayClosed`` came after it."""


def utc_text(moment: datetime) -> str:
    """Due times compared as text: all in UTC, in one format."""
    return moment.astimezone(UTC).isoformat()


def lesson_recorded(batch: Batch, tenant: str, pupil_id: UUID, day: date,
                    position: int) -> None:
    batch.insert("INSERT INTO lesson_day (tenant, pupil_id, day, position, closed) VALUES "
                 "(:tenant, :pupil_id, :day, :position, 0) ON CONFLICT (tenant, pupil_id, day) "
                 "DO UPDATE SET position = excluded.position, closed = 0",
                 {"tenant": tenant, "pupil_id": str(pupil_id), "day": day.isoformat(),
                  "position": position})


def day_closed(batch: Batch, tenant: str, pupil_id: UUID, day: date, position: int) -> None:
    # Sent after the batch's lessons: the position says whether a lesson came after.
    batch.update("UPDATE lesson_day SET closed = 1 WHERE tenant = :tenant AND pupil_id = "
                 ":pupil_id AND day = :day AND position < :position",
                 {"tenant": tenant, "pupil_id": str(pupil_id), "day": day.isoformat(),
                  "position": position})


def due(db: ViewDatabase, now: datetime, limit: int = 500
        ) -> list[tuple[str, str, str, str, str]]:
    """(task, tenant, pupil, rule, due) of each open task past due and not yet overdue."""
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT task_id, tenant, pupil_id, rule, due_at FROM case_task WHERE "
            "closed_at IS NULL AND cancelled_at IS NULL AND overdue_at IS NULL "
            "AND due_at < :now ORDER BY due_at, task_id LIMIT :limit",
            {"now": utc_text(now), "limit": limit})
    return [(str(t), str(n), str(p), str(r), str(d)) for t, n, p, r, d in rows]


def ended_days(db: ViewDatabase, now: datetime, limit: int = 500
               ) -> list[tuple[str, str, str, int]]:
    """(tenant, pupil, day, position) of each day with single-lesson absence that ended
    before today (Norwegian time) and has not been closed since its latest absence."""
    today = now.astimezone(OSLO).date().isoformat()
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT tenant, pupil_id, day, position FROM lesson_day WHERE closed = 0 AND "
            "day < :today ORDER BY day, tenant, pupil_id LIMIT :limit",
            {"today": today, "limit": limit})
    return [(str(t), str(p), str(d), int(n)) for t, p, d, n in rows]


def lag(db: ViewDatabase, now: datetime) -> int:
    """What the clock has yet to record."""
    return len(due(db, now)) + len(ended_days(db, now))
