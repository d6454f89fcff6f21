"""Reads the event store answers in one query for a whole batch, where eventsourcing's
recorder would take one query per aggregate: the first event of many aggregates, the log
position of many stored events, the latest state (snapshot and events after it) of many
aggregates, and what was written since a log position."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Composed, Identifier
from psycopg_pool import PoolTimeout

Key = tuple[UUID, int]
COLUMNS = "notification_id, originator_id, originator_version, topic, state"
STATE = "originator_id, originator_version, topic, state"


def first_events(app: Application[UUID], aggregate_ids: Sequence[UUID]) -> list[StoredEvent]:
    """The stored first event (version 1) of each aggregate that exists, in no order."""
    return list(_select(app, [(aggregate_id, 1) for aggregate_id in aggregate_ids]))


def positions(app: Application[UUID], keys: Sequence[Key]) -> dict[Key, int]:
    """The log position (notification id) of each stored (aggregate id, version)."""
    return {(_uuid(n.originator_id), n.originator_version): n.id for n in _select(app, keys)}


def latest_snapshots(app: Application[UUID], aggregate_ids: Sequence[UUID]
                     ) -> list[StoredEvent]:
    """The newest snapshot of each of these aggregates that has one, in no order."""
    store = app.snapshots
    if not aggregate_ids or store is None:
        return []
    recorder: Any = store.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _query_postgres(recorder, SQL(
            "SELECT DISTINCT ON (originator_id) {state} FROM {table} WHERE originator_id = "
            "ANY(%s::{id_type}[]) ORDER BY originator_id, originator_version DESC").format(
            state=SQL(STATE), table=_table(recorder), id_type=_id_type(recorder)),
            (list(aggregate_ids),))
    elif isinstance(recorder, SQLiteAggregateRecorder):
        table, marks = recorder.events_table_name, ", ".join("?" * len(aggregate_ids))
        rows = _query_sqlite(recorder, f"SELECT {STATE} FROM {table} WHERE (originator_id, "
                             f"originator_version) IN (SELECT originator_id, "
                             f"max(originator_version) FROM {table} WHERE originator_id IN "
                             f"({marks}) GROUP BY originator_id)",
                             [i.hex for i in aggregate_ids])
    else:  # the in-memory recorder of unit tests
        return [s for i in aggregate_ids for s in recorder.select_events(i, desc=True, limit=1)]
    return [_stored(row) for row in rows]


def events_after(app: Application[UUID], versions: Mapping[UUID, int]) -> list[StoredEvent]:
    """The stored events of each aggregate in ``versions`` after its version there, ordered
    by aggregate and version."""
    if not versions:
        return []
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _query_postgres(recorder, SQL(
            "SELECT {state} FROM {table} e JOIN unnest(%s::{id_type}[], %s::bigint[]) AS "
            "a(id, after) ON e.originator_id = a.id AND e.originator_version > a.after "
            "ORDER BY e.originator_id, e.originator_version").format(
            state=SQL(", ".join(f"e.{c}" for c in STATE.split(", "))),
            table=_table(recorder), id_type=_id_type(recorder)),
            (list(versions), list(versions.values())))
    elif isinstance(recorder, SQLiteAggregateRecorder):
        pairs = ", ".join(["(?, ?)"] * len(versions))
        rows = _query_sqlite(recorder, f"WITH a(id, after) AS (VALUES {pairs}) SELECT "
                             f"{', '.join(f'e.{c}' for c in STATE.split(', '))} FROM "
                             f"{recorder.events_table_name} e JOIN a ON e.originator_id = a.id "
                             "AND e.originator_version > a.after "
                             "ORDER BY e.originator_id, e.originator_version",
                             [v for i, after in versions.items() for v in (i.hex, after)])
    else:  # the in-memory recorder of unit tests
        return [s for i, after in versions.items() for s in recorder.select_events(i, gt=after)]
    return [_stored(row) for row in rows]


def written_since(app: Application[UUID], position: int) -> tuple[int, dict[UUID, int]]:
    """The last log position after ``position`` (``position`` when none) and the newest
    version of each aggregate written after it: one query, which finds nothing in the
    common case of a process that wrote the log's last events itself."""
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _query_postgres(recorder, SQL(
            "SELECT originator_id, max(originator_version) AS version, "
            "max(notification_id) AS position FROM "
            "{table} WHERE notification_id > %s GROUP BY originator_id").format(
            table=_table(recorder)), (position,))
    elif isinstance(recorder, SQLiteAggregateRecorder):
        rows = _query_sqlite(recorder, "SELECT originator_id, max(originator_version), "
                             f"max(rowid) FROM {recorder.events_table_name} WHERE rowid > ? "
                             "GROUP BY originator_id", [position])
    else:  # the in-memory recorder of unit tests
        rows = [(n.originator_id, n.originator_version, n.id) for n in
                recorder.select_notifications(start=position + 1, limit=1 << 30)]
    versions: dict[UUID, int] = {}
    for row in rows:
        versions[_uuid(row[0])] = max(int(row[1]), versions.get(_uuid(row[0]), 0))
    return max([position, *(int(row[2]) for row in rows)]), versions


def last_position(app: Application[UUID]) -> int:
    return app.recorder.max_notification_id() or 0


def _select(app: Application[UUID], keys: Sequence[Key]) -> list[Notification]:
    """The stored events with (originator_id, originator_version) in ``keys``, in one
    statement on either database."""
    if not keys:
        return []
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        rows = _query_postgres(recorder, SQL(
            "SELECT {columns} FROM {table} WHERE (originator_id, originator_version) IN "
            "(SELECT * FROM unnest(%s::{id_type}[], %s::bigint[]))").format(
            columns=SQL(COLUMNS), table=_table(recorder), id_type=_id_type(recorder)),
            ([k[0] for k in keys], [k[1] for k in keys]))
    elif isinstance(recorder, SQLiteAggregateRecorder):
        pairs = ", ".join(["(?, ?)"] * len(keys))
        # SQLite's notification id is the table's rowid.
        rows = _query_sqlite(recorder, f"SELECT rowid, {STATE} FROM "
                             f"{recorder.events_table_name} WHERE (originator_id, "
                             f"originator_version) IN (VALUES {pairs})",
                             [value for k in keys for value in (k[0].hex, k[1])])
    else:  # the in-memory recorder of unit tests: its own API is as fast as it gets
        wanted = set(keys)
        return [n for n in recorder.select_notifications(
            start=1, limit=recorder.max_notification_id() or 1)
            if (n.originator_id, n.originator_version) in wanted]
    return [Notification(id=int(r[0]), originator_id=_uuid(r[1]), originator_version=int(r[2]),
                         topic=str(r[3]), state=bytes(r[4])) for r in rows]


def _table(recorder: Any) -> Composed:
    return SQL("{}.{}").format(Identifier(recorder.datastore.schema),
                               Identifier(recorder.events_table_name))


def _id_type(recorder: Any) -> SQL:
    return SQL(recorder.datastore.originator_id_type)


def _query_postgres(recorder: Any, statement: Composed, arguments: Sequence[Any]
                    ) -> list[Any]:
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


def _query_sqlite(recorder: Any, statement: str, arguments: Sequence[Any]) -> list[Any]:
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, arguments)
        return [tuple(row) for row in cursor.fetchall()]


def _stored(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(originator_id=_uuid(row[0]), originator_version=int(row[1]),
                       topic=str(row[2]), state=bytes(row[3]))


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
