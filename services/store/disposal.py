"""Disposal at the end of retention: crypto-shredding a pupil's data (PRIV-4).

Destroying the pupil's data key, purging the pupil's view rows and snapshots happen in one
transaction; the disposal is then recorded as an event of its own (``PupilDataDisposed``:
when, under which retention class, by whom; nothing about the pupil but the pseudonym).
The stored events stay, as ciphertext nobody can read: the audit log's leaves are hashes
of that ciphertext, so ``verify`` still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.case import case_aggregate_id
from domain.disposal import Disposal, disposal_id
from domain.pupil import pupil_aggregate_id
from domain.retention import RetentionClass, RetentionPolicy
from projections import disposal
from projections.db import ViewDatabase
from services.store.application import Skolefravaer

ON_REQUEST = "on_request"
"""The retention class recorded for a pupil disposed of by name before it was due."""


class NoPupilKeys(Exception):
    """Without a master key nothing is encrypted, so nothing can be crypto-shredded."""


@dataclass(frozen=True)
class Due:
    tenant: str
    pupil_id: UUID
    due_at: datetime
    retention_class: RetentionClass | str


def due(views: ViewDatabase, policy: RetentionPolicy, now: datetime) -> list[Due]:
    """The pupils whose every retention class has run its course, oldest due first."""
    with views.transaction() as tx:
        rows = tx.execute("SELECT tenant, pupil_id, type, MAX(recorded_at) FROM pupil_log "
                          "WHERE pupil_id IS NOT NULL GROUP BY tenant, pupil_id, type "
                          "ORDER BY tenant, pupil_id, type")
    last: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    for tenant, pupil_id, event_type, at in rows:
        last.setdefault((tenant, pupil_id), []).append((event_type, datetime.fromisoformat(at)))
    found = [Due(tenant, UUID(pupil_id), *policy.due(tenant, types))
             for (tenant, pupil_id), types in last.items()]
    return sorted((d for d in found if d.due_at <= now), key=lambda d: (d.due_at, d.tenant,
                                                                         str(d.pupil_id)))


def dispose(app: Skolefravaer, views: ViewDatabase, tenant: str, pupil_id: UUID, *,
            retention_class: str, due_at: datetime | None, by: str,
            now: datetime | None = None) -> datetime:
    """Shred the pupil's data; answer when. Running it again finishes a disposal that
    stopped half-way (the key and rows are gone already; the event is recorded once)."""
    keys = app.keys
    if keys is None:
        raise NoPupilKeys("crypto-shredding needs CIPHER_KEY: without it nothing is "
                          "encrypted and nothing can be disposed of this way")
    at = now or datetime.now(UTC)
    with views.transaction() as tx:
        keys.destroy(tx, pupil_aggregate_id(tenant, pupil_id), at)
        disposal.purge(tx, tenant, pupil_id, at, retention_class)
        table = getattr(app.snapshots.recorder, "events_table_name", None) \
            if app.snapshots else None
        for stream in (pupil_aggregate_id(tenant, pupil_id), case_aggregate_id(tenant, pupil_id)):
            if table:  # snapshots hold the pupil's state: gone with the key, not just unread
                tx.execute(f'DELETE FROM "{table}" WHERE CAST(originator_id AS TEXT) = :id',
                           {"id": str(stream)})
    if app.find(disposal_id(tenant, pupil_id)) is None:
        app.save(Disposal(tenant, pupil_id, at, retention_class, due_at, by))
    return at


def disposed_at(app: Skolefravaer, tenant: str, pupil_id: UUID) -> datetime | None:
    """When the pupil's data was disposed of, if it was."""
    record = app.find(disposal_id(tenant, pupil_id))
    return record.disposed_at if record is not None else None

