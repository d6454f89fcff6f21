"""eventsourcing's PostgreSQL recorder, inserting without psycopg's pipeline mode.

eventsourcing sends the table lock, the notification and the insert (one statement, the
batch's rows as one array parameter) in a psycopg pipeline. With a batch of several MB
(1,000 posted events become ~5,000 rows) that pipeline intermittently hangs for good
(psycopg 3.3.9, binary): the server waits in ClientRead for the rest of the insert while
the client waits for its results, holding the table lock, so every writer after it
stops too (reproduced: a 10 MB insert hung in 2 of 3 tries; the same insert outside a
pipeline never did). Here the lock and the notification go in one simple-protocol
round trip, then the insert: one round trip more than the pipeline, and the same lock.

The rows go as four plain arrays, built before the transaction begins: psycopg dumps an
array of composite values (eventsourcing's parameter) in Python, 0.3 s for a batch on a
quiet machine, and it does so after the lock is taken, so the table stayed locked that
long and, on a busy machine, past the idle-in-transaction timeout (seen at 200k events).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


class UnpipelinedRecorder(PostgresApplicationRecorder):

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        if not stored_events:
            return None
        columns = ([e.originator_id for e in stored_events],
                   [e.originator_version for e in stored_events],
                   [e.topic for e in stored_events], [e.state for e in stored_events])
        statement = SQL("INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
                        "SELECT * FROM unnest(%s::{}[], %s::bigint[], %s::text[], %s::bytea[]) "
                        "RETURNING notification_id").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name),
            SQL(self.datastore.originator_id_type))
        with self.datastore.get_connection() as connection, connection.transaction(), \
                connection.cursor() as cursor:
            self._lock_table(cursor)
            cursor.execute(statement, columns)
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        """The lock and the notification in one round trip (no parameters: the simple
        protocol, which takes several statements)."""
        notify = SQL("NOTIFY {}").format(Identifier(self.channel_name))
        curs.execute(SQL("; ").join([*self.lock_table_statements, notify]))
