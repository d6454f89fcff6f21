"""The pupil views as rows, to compare one build of them with another."""

from __future__ import annotations

from typing import Any

from projections.db import ViewDatabase
from projections.pupil_views import PupilViews
from services.bootstrap import Service

# The outbox is left out: its pupil-status messages are written per batch, and a rebuild's
# batches need not be the live run's.
VIEW_TABLES = tuple(table for table in PupilViews.TABLES if table != "outbox")

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(views: ViewDatabase, tables: tuple[str, ...] = VIEW_TABLES) -> Snapshot:
    """Every row of each table, in one order whatever order they lie in."""
    with views.transaction() as tx:
        return {table: sorted(tx.execute(f"SELECT * FROM {table}"), key=repr)
                for table in tables}


def rebuild(service: Service, batch_size: int = 1000) -> None:
    """Empty the views and build them again from the whole log (`skolefravaer rebuild`)."""
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    follower = service.pupil_views
    follower.batch_size = batch_size
    follower.catch_up()


def differences(first: Snapshot, second: Snapshot) -> dict[str, int]:
    """Per table, how many rows one build has that the other has not."""
    return {table: len(set(first[table]) ^ set(second[table]))
            for table in first if first[table] != second[table]}
