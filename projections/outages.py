"""What an outage of a store looks like from here: the errors that mean "nothing was done,
try again later" rather than "this request is wrong" or "this code is wrong"."""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,  # eventsourcing: lock timeout, lost connection (after its retries)
    InterfaceError,  # eventsourcing: a connection closed under it
    psycopg.OperationalError,  # the views' pool: server gone, restarting, pool timeout
    sqlite3.OperationalError,  # SQLite: database locked past its timeout
)
