"""How far each read model (and the Kafka relay) has come in the event log.

A position moves only from the value the writer last read, in the same transaction
as the rows it covers: two copies of a projection running at once cannot both apply
the same events, and a crash leaves rows and position together.
"""

from __future__ import annotations

from projections.db import Transaction, ViewDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS projection_position (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
)
"""


class PositionMoved(Exception):
    """Another runner advanced this position first; this batch was rolled back."""


def create(tx: Transaction) -> None:
    tx.execute(SCHEMA)


def read(db: ViewDatabase, name: str) -> int:
    with db.transaction() as tx:
        rows = tx.execute("SELECT position FROM projection_position WHERE name = :name",
                          {"name": name})
    return int(rows[0][0]) if rows else 0


def read_all(db: ViewDatabase) -> dict[str, int]:
    """Every saved position by name; a runner that never committed a batch has none."""
    with db.transaction() as tx:
        rows = tx.execute("SELECT name, position FROM projection_position")
    return {str(name): int(position) for name, position in rows}


def claim(tx: Transaction, name: str, expected: int) -> None:
    """Hold the position's row until the transaction ends, or `PositionMoved` if it is no
    longer ``expected``. Taken before a batch writes anything: a second runner of the same
    batch (a read's catch-up beside the worker) waits here and then stands aside, instead of
    colliding with the first one's rows half-way (a unique violation, or a deadlock)."""
    advance(tx, name, expected, expected)


def advance(tx: Transaction, name: str, expected: int, new: int) -> None:
    if expected == 0:
        tx.execute("INSERT INTO projection_position (name, position) VALUES (:name, 0) "
                   "ON CONFLICT (name) DO NOTHING", {"name": name})
    moved = tx.execute(
        "UPDATE projection_position SET position = :new WHERE name = :name "
        "AND position = :expected RETURNING position",
        {"name": name, "new": new, "expected": expected})
    if not moved:
        raise PositionMoved(name)
