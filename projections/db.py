"""The database the read models live in: SQLite or PostgreSQL, one SQL dialect.

SQL is written once with ``:name`` parameters; for PostgreSQL they become
``%(name)s``. Both engines take the rest of what the projections use (``ON CONFLICT``,
``BIGINT``, ``TEXT``); where they differ, a transaction writes the SQL (`Transaction.one_of`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from projections.sealing import PLAIN, Sealer

NAMED_PARAMETER = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class Transaction(Protocol):
    sealer: Sealer

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement; answer its rows (empty for statements without rows)."""
        ...

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None: ...

    def one_of(self, name: str, values: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        """SQL to follow a column, true when it is one of ``values``, and its parameters:
        one statement with one parameter for any number of values, whose text does not
        change with them (so both engines parse and plan it once)."""
        ...


class ViewDatabase(Protocol):
    sealer: Sealer

    def transaction(self) -> Any:
        """A context manager giving a Transaction that commits on success."""
        ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class _SQLiteTransaction:
    def __init__(self, connection: sqlite3.Connection, sealer: Sealer) -> None:
        self._connection = connection
        self.sealer = sealer

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, params or {}).fetchall()

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self._connection.executemany(sql, rows)

    def one_of(self, name: str, values: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        # SQLite binds no arrays; a JSON array is one parameter, however long.
        return f"IN (SELECT value FROM json_each(:{name}))", {name: json.dumps(list(values))}


class SQLiteViews:
    """One connection per thread: the web server reads while a projection writes."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self.sealer: Sealer = PLAIN

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._path, timeout=10, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[_SQLiteTransaction]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteTransaction(connection, self.sealer)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def ping(self) -> None:
        self._connection().execute("SELECT 1").fetchall()

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


class _PostgresTransaction:
    def __init__(self, cursor: Any, sealer: Sealer) -> None:
        self._cursor = cursor
        self.sealer = sealer

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self._cursor.execute(NAMED_PARAMETER.sub(r"%(\1)s", sql), params or {})
        return list(self._cursor.fetchall()) if self._cursor.description else []

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._cursor.executemany(NAMED_PARAMETER.sub(r"%(\1)s", sql), rows)

    def one_of(self, name: str, values: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        return f"= ANY(:{name})", {name: list(values)}


class PostgresViews:
    def __init__(self, conninfo: str, *, max_size: int = 4, timeout: float = 10) -> None:
        from psycopg_pool import ConnectionPool

        self.sealer: Sealer = PLAIN

        # A pooled connection is checked before it is lent: after a PostgreSQL restart the
        # pool reconnects instead of handing out dead connections (each an error).
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=max_size, open=True,
                                    timeout=timeout, check=ConnectionPool.check_connection)

    @contextmanager
    def transaction(self) -> Iterator[_PostgresTransaction]:
        with self._pool.connection() as connection, connection.transaction(), \
                connection.cursor() as cursor:
            yield _PostgresTransaction(cursor, self.sealer)

    def ping(self) -> None:
        with self.transaction() as tx:
            tx.execute("SELECT 1")

    def close(self) -> None:
        self._pool.close()
