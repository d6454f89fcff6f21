"""``skolefravaer status``: how far each worker is behind the log — the workers' health check.

It reads the log's head and the saved positions with a few queries and imports none of the
service's own modules, so it answers in a fraction of a second where building the service
takes seconds. The names and sums are those of the workers' own ``lag()``; a test holds the
two together.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from projections import positions, shares, tasks_due
from projections.db import PostgresViews, SQLiteViews, ViewDatabase
from services.config import POSTGRES, SQLITE, Settings

# eventsourcing's name for the table of the application's stored events.
EVENTS_TABLE = {POSTGRES: "skolefravaer_events", SQLITE: "stored_events"}


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print each worker's lag; exit 1 past ``--max-lag`` or when it cannot be read."""
    try:
        lags = worker_lags(settings)
    except Exception as error:  # the health answer is the exit code
        print(f"unhealthy: {type(error).__name__}", file=sys.stderr)
        return 1
    for name, lag in lags.items():
        print(f"{name}: lag {lag}")
    return 0 if args.max_lag is None or max(lags.values()) <= args.max_lag else 1


def worker_lags(settings: Settings) -> dict[str, int]:
    """By worker, in the order the service runs them: projections, audit log, relays, clock."""
    # A health check answers within its own timeout: give up on the database well before.
    views: ViewDatabase = (PostgresViews(settings.postgres_conninfo(), max_size=1, timeout=3)
                           if settings.uses_postgres else SQLiteViews(settings.sqlite_dbname))
    try:
        with views.transaction() as tx:
            [(head,)] = tx.execute("SELECT max(notification_id) FROM "
                                   + EVENTS_TABLE[settings.persistence_module])
        head = int(head or 0)
        at = positions.read_all(views)
        # The pupil views: one line per share (one, named "pupil-views", unless split).
        lags = {name: head - reached
                for name, reached in shares.positions_of(views, "pupil-views").items()}
        lags["audit-log"] = head - at.get("audit-log", 0)
        if settings.kafka_bootstrap_servers:
            lags[f"relay:{settings.events_topic}"] = head - at.get(
                f"relay:{settings.events_topic}", 0)
            lags["relay:outbox"] = (shares.reached(views, "pupil-views")
                                    - at.get("relay:outbox", 0))
        lags["clock:overdue"] = tasks_due.lag(views, datetime.now(UTC))
        return {name: max(0, lag) for name, lag in lags.items()}
    finally:
        views.close()
