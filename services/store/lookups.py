"""Reads the event store answers in one query for a whole batch, where eventsourcing's
recorder would take one query per aggregate: the first event of many aggregates, and the
log position of many stored events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

from services.store.application import Skolefravaer

Key = tuple[UUID, int]
COLUMNS = "notification_id, originator_id, originator_version, topic, state"


def first_events(app: Skolefravaer, aggregate_ids: Sequence[UUID]) -> list[StoredEvent]:
    """The stored first event (version 1) of each aggregate that exists, in no order."""
    return list(_select(app, [(aggregate_id, 1) for aggregate_id in aggregate_ids]))


def positions(app: Skolefravaer, keys: Sequence[Key]) -> dict[Key, int]:
    """The log position (notification id) of each stored (aggregate id, version)."""
    return {(_uuid(n.originator_id), n.originator_version): n.id for n in _select(app, keys)}


def _select(app: Skolefravaer, keys: Sequence[Key]) -> list[Notification]:
    """The stored events with (originator_id, originator_version) in ``keys``, in one
    statement on either database."""
    if not keys:
        return []
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _select_postgres(recorder, keys)
    elif isinstance(recorder, SQLiteAggregateRecorder):
        rows = _select_sqlite(recorder, keys)
    else:  # the in-memory recorder of unit tests: its own API is as fast as it gets
        wanted = set(keys)
        return [n for n in recorder.select_notifications(
            start=1, limit=recorder.max_notification_id() or 1)
            if (n.originator_id, n.originator_version) in wanted]
    return [Notification(id=int(r[0]), originator_id=_uuid(r[1]), originator_version=int(r[2]),
                         topic=str(r[3]), state=bytes(r[4])) for r in rows]


def _select_postgres(recorder: Any, keys: Sequence[Key]) -> list[Any]:
    statement = SQL("SELECT {columns} FROM {schema}.{table} WHERE (originator_id, "
                    "originator_version) IN (SELECT * FROM unnest(%s::{id_type}[], "
                    "%s::bigint[]))").format(
        columns=SQL(COLUMNS), schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
        id_type=SQL(recorder.datastore.originator_id_type))
    arguments = ([k[0] for k in keys], [k[1] for k in keys])
    failure: OperationalError | None = None
    # After a restart every pooled connection is broken and fails at once: take the next
    # (the pool drops the broken one) until a fresh one answers. A pool timeout means the
    # server is away: give up at once, so the caller hears 503 in seconds.
    for _ in range(recorder.datastore.pool.max_size + 1):
        try:
            with recorder.datastore.get_connection() as connection, \
                    connection.cursor() as cursor:
                cursor.execute(statement, arguments, prepare=False)
                return [tuple(row.values()) for row in cursor.fetchall()]
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise
            failure = error
    assert failure is not None
    raise failure


def _select_sqlite(recorder: Any, keys: Sequence[Key]) -> list[Any]:
    pairs = ", ".join(["(?, ?)"] * len(keys))
    with recorder.datastore.transaction(commit=False) as cursor:
        # SQLite's notification id is the table's rowid.
        cursor.execute(f"SELECT rowid, {COLUMNS.split(', ', 1)[1]} "
                       f"FROM {recorder.events_table_name} "
                       f"WHERE (originator_id, originator_version) IN (VALUES {pairs})",
                       [value for k in keys for value in (k[0].hex, k[1])])
        return [tuple(row) for row in cursor.fetchall()]


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
