"""A projection split into shares of tenants, each followed by its own worker.

Every view row is keyed by its municipality (tenant) or by a log position, and no fold
reads another tenant's rows: the events of one tenant can be folded apart from all others.
A share ``k of n`` folds the events of the tenants whose stable hash (SHA-256, the same in
every process and on every machine — Python's ``hash()`` is salted per process) falls on
``k``, and keeps its own position, ``pupil-views/3of8``: two shares never fold the same
event, and every event is folded by exactly one (one without a tenant: as tenant '').

How many shares a projection has is recorded in the database (``projection_shares``; no
row is one share, the name without a suffix, as before shares existed). A fold checks it
in its own transaction, so a worker or a read still running with the old number after a
re-shard (`reshard`) rolls back instead of folding again from nothing. Changing the
number moves every share to one position first and then swaps the position rows, in one
transaction (`swap`): no event is folded twice or skipped.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from projections import positions
from projections.db import Transaction, ViewDatabase

SCHEMA = """CREATE TABLE IF NOT EXISTS projection_shares (
    name TEXT PRIMARY KEY,
    shares INTEGER NOT NULL
)"""


class LayoutChanged(Exception):
    """The projection has another number of shares than this worker (or read) was built for."""


@dataclass(frozen=True)
class Share:
    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"share {self.index} of {self.count} does not exist")

    def name(self, projection: str) -> str:
        """Its position's name: the projection's own for the single share."""
        return projection if self.count == 1 else f"{projection}/{self.index}of{self.count}"

    def owns(self, event: Any) -> bool:
        return self.count == 1 or share_of(tenant_of(event), self.count) == self.index


WHOLE = Share()


class Strangers:
    """The streams (aggregates) lately seen to be other shares': each stream's id is scoped
    by its tenant (`domain.ids.scoped_id`; receipts have none), so every later event of
    one is another share's too, and a share passes over it without decoding it — decoding
    the whole log is most of what a share costs. The ``limit`` most recent are kept: a
    one-event stream (a receipt) is seen once and falls out."""

    def __init__(self, limit: int = 50_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def add(self, stream: str) -> None:
        self._seen[stream] = None
        self._seen.move_to_end(stream)
        if len(self._seen) > self._limit:
            self._seen.popitem(last=False)

    def known(self, stream: str) -> bool:
        if stream not in self._seen:
            return False
        self._seen.move_to_end(stream)
        return True


def all_shares(count: int) -> list[Share]:
    return [Share(index, count) for index in range(count)]


def tenant_of(event: Any) -> str:
    """The municipality an event belongs to ('' for none): from its envelope, or its own
    field (a disposal record carries the tenant itself)."""
    envelope = getattr(event, "envelope", None)
    return str(getattr(envelope, "tenant", None) or getattr(event, "tenant", None) or "")


def share_of(tenant: str, count: int) -> int:
    digest = hashlib.sha256(tenant.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def create(tx: Transaction) -> None:
    tx.execute(SCHEMA)


def count_in(tx: Transaction, projection: str) -> int:
    rows = tx.execute("SELECT shares FROM projection_shares WHERE name = :name",
                      {"name": projection})
    return int(rows[0][0]) if rows else 1


def prepared(db: ViewDatabase, projection: str) -> list[Share]:
    """The projection's shares, creating the table that records them if need be (at start)."""
    with db.transaction() as tx:
        create(tx)
        return all_shares(count_in(tx, projection))


def recorded(db: ViewDatabase, projection: str) -> int:
    """How many shares the projection has."""
    with db.transaction() as tx:
        return count_in(tx, projection)


def check(tx: Transaction, projection: str, count: int) -> None:
    """Refuse (roll back the fold) unless the projection has ``count`` shares."""
    if (found := count_in(tx, projection)) != count:
        raise LayoutChanged(f"{projection} has {found} share(s), not {count}: restart with "
                            f"--shares {found}, or run `skolefravaer reshard`")


def claim(db: ViewDatabase, projection: str, count: int) -> None:
    """Record ``count`` shares for a projection that has folded nothing yet; check it for
    one that has. Raises `LayoutChanged` for another number."""
    with db.transaction() as tx:
        found = count_in(tx, projection)
        if found == count:
            return
        at = _positions(tx, projection)
        if found != 1 or any(at.values()):
            raise LayoutChanged(f"{projection} has {found} share(s) and has folded events: "
                                f"run `skolefravaer reshard --shares {count}` to change that")
        _record(tx, projection, count)


def reached(db: ViewDatabase, projection: str) -> int:
    """The position up to which every share has folded: below it, no share will write a
    row again (the outbox relay publishes up to here and no further)."""
    with db.transaction() as tx:
        count = count_in(tx, projection)
        at = _positions(tx, projection)
    return min(at.get(share.name(projection), 0) for share in all_shares(count))


def positions_of(db: ViewDatabase, projection: str) -> dict[str, int]:
    """Each share's position by name, in share order (0 for one that folded nothing)."""
    with db.transaction() as tx:
        count = count_in(tx, projection)
        at = _positions(tx, projection)
    return {share.name(projection): at.get(share.name(projection), 0)
            for share in all_shares(count)}


def swap(tx: Transaction, projection: str, old: int, new: int, at: int) -> None:
    """Replace ``old`` shares, all standing at position ``at``, by ``new`` shares at ``at``.
    Raises `PositionMoved` (roll back: nothing changes) when one of the old moved."""
    check(tx, projection, old)
    for share in all_shares(old):
        name = share.name(projection)
        gone = tx.execute("DELETE FROM projection_position WHERE name = :name AND "
                          "position = :at RETURNING position", {"name": name, "at": at})
        if not gone and (at or tx.execute("SELECT 1 FROM projection_position WHERE name = "
                                          ":name", {"name": name})):
            raise positions.PositionMoved(name)
    for share in all_shares(new):
        # A row left by an older layout of this number: no fold can have moved it since.
        tx.execute("DELETE FROM projection_position WHERE name = :name",
                   {"name": share.name(projection)})
        if at:
            positions.advance(tx, share.name(projection), 0, at)
    _record(tx, projection, new)


def forget(tx: Transaction, projection: str) -> None:
    """Drop every share's position (for a rebuild from the start of the log); the number
    of shares stays."""
    tx.execute("DELETE FROM projection_position WHERE name LIKE :shares",
               {"shares": projection + "/%"})


def _record(tx: Transaction, projection: str, count: int) -> None:
    tx.execute("INSERT INTO projection_shares (name, shares) VALUES (:name, :count) "
               "ON CONFLICT (name) DO UPDATE SET shares = excluded.shares",
               {"name": projection, "count": count})


def _positions(tx: Transaction, projection: str) -> dict[str, int]:
    """The saved positions of the projection and any of its shares, whatever their number."""
    rows = tx.execute("SELECT name, position FROM projection_position WHERE name = :name OR "
                      "name LIKE :shares ORDER BY name",
                      {"name": projection, "shares": projection + "/%"})
    return {str(name): int(position) for name, position in rows}
