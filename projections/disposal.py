"""Purging a disposed pupil's view rows (PRIV-4): done by the disposal itself and again when
the projection reaches its event, so a worker that still held the key a moment longer
leaves nothing behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from projections.db import Transaction, ViewDatabase

TABLE = """CREATE TABLE IF NOT EXISTS pupil_disposal (
    tenant TEXT NOT NULL,
    pupil_id TEXT NOT NULL,
    disposed_at TEXT NOT NULL,
    retention_class TEXT NOT NULL,
    PRIMARY KEY (tenant, pupil_id)
)"""
"""That a pupil's data was disposed of, and when: all that is left to answer a read with."""

PUPIL_TABLES = ("pupil_year", "absence_fact", "concern", "leave_application",
                "diploma_request", "case_state", "case_stage", "case_task", "case_record",
                "lesson_day", "pupil_log", "status_day", "pupil_status")


def purge(tx: Transaction, tenant: str, pupil_id: UUID, disposed_at: datetime,
          retention_class: str) -> None:
    params = {"tenant": tenant, "pupil_id": str(pupil_id), "at": disposed_at.isoformat(),
              "class": retention_class}
    tx.execute("INSERT INTO pupil_disposal (tenant, pupil_id, disposed_at, retention_class) "
               "VALUES (:tenant, :pupil_id, :at, :class) ON CONFLICT (tenant, pupil_id) "
               "DO NOTHING", params)
    for table in PUPIL_TABLES:
        tx.execute(f"DELETE FROM {table} WHERE tenant = :tenant AND pupil_id = :pupil_id",
                   params)
    # Messages not yet relayed: a status or alert about the pupil, keyed by the pseudonym.
    tx.execute("DELETE FROM outbox WHERE message_key = :pupil_id", params)


def disposed(db: ViewDatabase, pupil_id: UUID, tenant: str | None) -> dict[str, Any] | None:
    """The pupil's disposal (tenant, when, retention class), if the data was disposed of."""
    with db.transaction() as tx:
        rows = tx.execute("SELECT tenant, disposed_at, retention_class FROM pupil_disposal "
                          "WHERE pupil_id = :pupil_id AND (CAST(:tenant AS TEXT) IS NULL OR "
                          "tenant = :tenant) ORDER BY tenant",
                          {"pupil_id": str(pupil_id), "tenant": tenant})
    if not rows:
        return None
    found_tenant, at, retention_class = rows[0]
    return {"tenant": found_tenant, "disposed_at": at, "retention_class": retention_class}
