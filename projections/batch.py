"""A batch of view writes, folded in memory and sent as one ``executemany`` per statement.

A projection applies a batch's events to a `Batch` instead of the database: each row is
kept under its statement, and `flush` sends every insert (or upsert) first, then every
update, each statement once with all its rows in log order. That order is enough for
the pupil views: an update only ever refers to a row inserted by an earlier event (a
correction to its fact, a closed task to the task, a decision to its application), and
where a later insert must win over an earlier update it says so in SQL (a closed day
re-opened by a later lesson compares positions). What a fold must read — a task's title
for its overdue alert, say — it reads once per batch (`state`), not once per event.
"""

from __future__ import annotations

from typing import Any

from projections.db import Transaction


class Batch:
    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.sealer = tx.sealer
        self._inserts: dict[str, list[dict[str, Any]]] = {}
        self._updates: dict[str, list[dict[str, Any]]] = {}
        self._seqs: dict[int, int] = {}
        self._state: dict[str, dict[Any, Any]] = {}

    def insert(self, sql: str, row: dict[str, Any]) -> None:
        self._inserts.setdefault(sql, []).append(row)

    def update(self, sql: str, row: dict[str, Any]) -> None:
        self._updates.setdefault(sql, []).append(row)

    def next_seq(self, position: int) -> int:
        """0, 1, 2 … for the rows a batch adds at one log position (its outbox messages):
        no batch adds to a position an earlier batch wrote."""
        seq = self._seqs.get(position, 0)
        self._seqs[position] = seq + 1
        return seq

    def state(self, name: str) -> dict[Any, Any]:
        """What the batch read or made of one kind (tasks by id, say), kept for its events."""
        return self._state.setdefault(name, {})

    def flush(self) -> None:
        """Send what is kept: inserts, then updates; afterwards the tables are current."""
        for statements in (self._inserts, self._updates):
            for sql, rows in statements.items():
                self.tx.executemany(sql, rows)
            statements.clear()
