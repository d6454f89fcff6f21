"""One worker of a kind at a time: the lease a worker holds while it works.

A second `skolefravaer worker` started by mistake (or a new one before the old has gone)
would otherwise follow the log too: harmless for the views, whose positions move only from
the value read, but every message the two relays both send is a duplicate on the topic,
and two deadline clocks race each other. With leases the second waits, quietly, and takes
over within a second or two of the first stopping or dying.

On PostgreSQL a lease is a session advisory lock, keyed by the schema and the worker's
name, on a connection of its own: the server releases it when that connection ends — the
process exited or was killed, or the server restarted. On SQLite it is an exclusive lock
on a file beside the database, which the kernel releases when the process ends.
"""

from __future__ import annotations

import fcntl
import re
import threading
import time
from pathlib import Path
from typing import IO, Any, Protocol

# How often a held lease's connection is checked: a lease lost with its connection (a
# server restart) lets another process take it, and this one must notice and stop.
CHECK_EVERY = 1.0


class Lease(Protocol):
    def held(self) -> bool:
        """Hold the lease (take it if free); False while another process holds it. Raises
        the database's error when it cannot be asked."""
        ...


class Leases(Protocol):
    def lease(self, name: str) -> Lease: ...

    def close(self) -> None:
        """Give up every lease held."""
        ...


class Unshared:
    """A lease nobody else wants: for workers run alone (tests, tools)."""

    def held(self) -> bool:
        return True


ALWAYS = Unshared()


class _Named:
    def __init__(self, leases: PostgresLeases | FileLeases, name: str) -> None:
        self._leases = leases
        self._name = name

    def held(self) -> bool:
        return self._leases.hold(self._name)


class PostgresLeases:
    """Advisory locks of one process, on one connection that holds nothing else."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._connection: Any = None
        self._held: set[str] = set()
        self._checked = 0.0
        self._mutex = threading.Lock()  # the workers are threads sharing the connection

    def lease(self, name: str) -> Lease:
        return _Named(self, name)

    def hold(self, name: str) -> bool:
        import psycopg

        with self._mutex:
            try:
                return self._hold(name)
            except psycopg.Error:
                self._drop()  # with its connection went every lock it held
                raise

    def _hold(self, name: str) -> bool:
        import psycopg

        if self._connection is None:
            self._connection = psycopg.connect(self._conninfo, autocommit=True,
                                               connect_timeout=5)
            self._held.clear()
        if name in self._held:
            if time.monotonic() - self._checked > CHECK_EVERY:
                self._connection.execute("SELECT 1")
                self._checked = time.monotonic()
            return True
        # Keyed by schema too: each municipality's schema has its own workers.
        [(taken,)] = self._connection.execute(
            "SELECT pg_try_advisory_lock(hashtext('skolefravaer-worker'), "
            "hashtext(current_schema() || '/' || %s))", (name,)).fetchall()
        if taken:
            self._held.add(name)
            self._checked = time.monotonic()
        return bool(taken)

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._held.clear()

    def close(self) -> None:
        with self._mutex:
            self._drop()


class FileLeases:
    """flock(2) on a file per worker beside the SQLite database: `x.sqlite-clock_overdue.lock`."""

    def __init__(self, database: str) -> None:
        # An in-memory database is this process's alone: nobody to share it with.
        self._base = None if database.startswith((":memory:", "file:")) else database
        self._files: dict[str, IO[str]] = {}
        self._mutex = threading.Lock()

    def lease(self, name: str) -> Lease:
        return _Named(self, name)

    def hold(self, name: str) -> bool:
        if self._base is None:
            return True
        with self._mutex:
            if name in self._files:
                return True
            path = Path(f"{self._base}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.lock")
            file = path.open("a")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                return False
            self._files[name] = file
            return True

    def close(self) -> None:
        with self._mutex:
            for file in self._files.values():
                file.close()
            self._files.clear()
