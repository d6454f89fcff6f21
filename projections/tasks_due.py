"""Open tasks past their due time and not yet recorded overdue: what the deadline clock
records, and what ``skolefravaer status`` counts as the clock's lag.

Plain SQL over the case views, apart from `projections.cases`: a health check that must
answer quickly should not have to import the domain to ask.
"""

from __future__ import annotations

from datetime import datetime

from projections.db import ViewDatabase


def due(db: ViewDatabase, now: datetime, limit: int = 500
        ) -> list[tuple[str, str, str, str, str]]:
    """(task, tenant, pupil, rule, due) of each open task past due and not yet overdue."""
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT task_id, tenant, pupil_id, rule, due_at FROM case_task WHERE "
            "closed_at IS NULL AND overdue_at IS NULL ORDER BY due_at, task_id LIMIT :limit",
            {"limit": limit})
    return [r for r in rows if datetime.fromisoformat(r[4]) < now]
