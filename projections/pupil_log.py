"""Which stored event is about which pupil, and when it was recorded: the index behind a
pupil's history, and behind reading it as it was known at a past moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from projections.batch import Batch
from projections.db import ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS pupil_log (
        position BIGINT PRIMARY KEY,
        tenant TEXT NOT NULL,
        pupil_id TEXT,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        stream TEXT NOT NULL,
        version BIGINT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS pupil_log_pupil ON pupil_log (pupil_id, tenant)",
)


def utc(moment: datetime) -> str:
    """Recorded times compared as text: all in UTC, all with the same width."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def record(batch: Batch, event: Any, position: int) -> None:
    envelope = getattr(event, "envelope", None)
    if envelope is None:
        return
    pupil = getattr(event, "pupil_id", None)
    batch.insert("INSERT INTO pupil_log (position, tenant, pupil_id, event_id, type, recorded_at, "
                 "stream, version) VALUES (:position, :tenant, :pupil_id, :event_id, :type, "
                 ":recorded_at, :stream, :version) ON CONFLICT (position) DO NOTHING",
                 {"position": position, "tenant": envelope.tenant,
                  "pupil_id": str(pupil) if pupil else None, "event_id": str(envelope.event_id),
                  "type": envelope.type, "recorded_at": utc(envelope.recorded_at),
                  "stream": str(event.originator_id), "version": event.originator_version})


@dataclass(frozen=True)
class LogEntry:
    position: int
    tenant: str
    pupil_id: str | None


@dataclass(frozen=True)
class Placed:
    """Where one of a pupil's events is: its log position, its stream and version there
    (the pupil, or the pupil's case)."""

    position: int
    stream: UUID
    version: int


class PupilLogReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def tenant_of(self, pupil_id: UUID, tenant: str | None) -> str | None:
        """The municipality the pupil belongs to; None for a pupil never recorded."""
        with self.db.transaction() as tx:
            found = tx.execute("SELECT tenant FROM pupil_log WHERE pupil_id = :pupil_id "
                               "AND (CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant) "
                               "ORDER BY tenant LIMIT 1",
                               {"pupil_id": str(pupil_id), "tenant": tenant})
        return str(found[0][0]) if found else None

    def entries(self, pupil_id: UUID, tenant: str, as_of: datetime | None, *,
                with_tenant_wide: bool = False) -> list[LogEntry]:
        """The pupil's events (and, for a rebuild, the tenant's calendars and rule sets)
        recorded by ``as_of``, in log order."""
        tenant_wide = " OR (pupil_id IS NULL AND tenant = :pupil_tenant)" if with_tenant_wide \
            else ""
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT position, tenant, pupil_id FROM pupil_log WHERE "
                "((pupil_id = :pupil_id AND tenant = :pupil_tenant)" + tenant_wide + ") "
                "AND (CAST(:as_of AS TEXT) IS NULL OR recorded_at <= :as_of) "
                "ORDER BY position",
                {"pupil_id": str(pupil_id), "pupil_tenant": tenant,
                 "as_of": utc(as_of) if as_of else None})
        return [LogEntry(int(p), t, u) for p, t, u in rows]

    def pupil_positions(self, pupil_id: UUID, tenant: str) -> list[Placed]:
        """Every event of the pupil's streams (the pupil, the case), in log order."""
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT position, stream, version FROM pupil_log WHERE pupil_id "
                              "= :pupil_id AND tenant = :tenant ORDER BY position",
                              {"pupil_id": str(pupil_id), "tenant": tenant})
        return [Placed(int(p), UUID(str(s)), int(v)) for p, s, v in rows]
