"""The aggregates a process keeps between batches, lent out without copies.

Ingestion decides batch after batch about the same pupils. Copying each cached pupil per
batch (eventsourcing's ``deepcopy_from_cache``) cost most of ingestion's CPU, and asking
the store per aggregate whether it changed (eventsourcing's fast-forward) most of the rest.
Here instead:

- A batch **borrows** its aggregates: they leave the cache while it decides, so no other
  thread can see or change them, and come back only when the batch was stored
  (``Loan.keep``). A failed, refused or retried batch does not bring them back
  (``Loan.drop``): what it changed in memory is forgotten and read again from the store.
  Two threads wanting the same pupil at once do not share it: the second reads its own
  from the store (the contended case costs a load, never a copy), both decide, and the
  event store's version check lets one of them store and makes the other decide again.
- Whether what is cached is still current is asked **once per batch** for all of it:
  which aggregates were written after the log position the cache is current at
  (``written_since``, which finds nothing when this process wrote the last events itself).
  Cached ones that are behind are dropped.
- What is not cached is read for the whole batch at once (``load``): the latest snapshot
  and the events after it of many aggregates in two queries.

A loan remembers the log position it was current at; an aggregate it brings back that a
check since then saw written by someone else at a newer version is not kept.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, groupby
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, project_aggregate
from eventsourcing.domain import Aggregate, OriginatorVersionError
from eventsourcing.persistence import IntegrityError, Recording

from domain.disposal import DataDisposed
from services.store.lookups import events_after, last_position, latest_snapshots, written_since

T = TypeVar("T")
Found = Aggregate | DataDisposed | None
"""A loaded aggregate; the refusal to read a disposed pupil's; None when none is stored."""


@dataclass(frozen=True)
class Absent:
    """Nothing is stored under ``id`` (yet): remembered like an aggregate at version 0,
    so that a batch asking again for a school's unpublished calendar asks no query."""

    id: UUID
    version: int = 0


class AggregateCache:
    """Up to ``maxsize`` aggregates, least recently used dropped first."""

    def __init__(self, app: Application[UUID], maxsize: int) -> None:
        self._app = app
        self._maxsize = maxsize
        self._entries: OrderedDict[UUID, Aggregate | Absent] = OrderedDict()
        self._lock = threading.Lock()
        # Held while a reader looks at a cached aggregate, so that no loan takes it then.
        self._stripes = [threading.Lock() for _ in range(64)]
        self._position: int | None = None
        """The log position up to which every cached aggregate is current, but for those
        in ``_behind``."""
        self._behind: dict[UUID, int] = {}
        """Cached aggregates another process wrote since: their newest stored version.
        A loan brings them forward with the events they miss (one query for a batch);
        a reader reads them again."""
        self._checking = threading.Lock()
        self._loans: Counter[int] = Counter()
        """The positions the loans out now were current at."""
        self._written: list[tuple[int, dict[UUID, int]]] = []
        """What checks saw written (up to a position), while a loan that may hold an older
        version is out."""

    # Lending ----------------------------------------------------------------------------

    def lend(self, aggregate_ids: Iterable[UUID]) -> Loan:
        """A loan of these aggregates (and any more it is asked for later)."""
        loan = Loan(self, self._open())
        try:
            loan.take(aggregate_ids)
        except BaseException:
            loan.drop()
            raise
        return loan

    def peek(self, aggregate_id: UUID, read: Callable[[Any], T]) -> T | None:
        """What ``read`` finds in the current aggregate (None when none is stored), read
        without a copy: ``read`` must change nothing and keep no reference to it. Raises
        ``DataDisposed`` for a disposed pupil."""
        position = self._open()
        try:
            with self._stripe(aggregate_id):
                with self._lock:
                    cached = (None if aggregate_id in self._behind
                              else self._entries.get(aggregate_id))
                found = (self.load([aggregate_id])[aggregate_id] if cached is None
                         else None if isinstance(cached, Absent) else cached)
                if isinstance(found, DataDisposed):
                    raise found
                if cached is None:
                    self.give_back(position, [found or Absent(aggregate_id)])
                return None if found is None else read(found)
        finally:
            self.close_loan(position)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            with self._stripe(aggregate_id), self._lock:
                self._entries.pop(aggregate_id, None)
                self._behind.pop(aggregate_id, None)

    def saved(self, recordings: Sequence[Recording[UUID]]) -> None:
        """This process stored ``recordings``: when they follow right after the position
        the cache is current at, it is current up to them without asking."""
        if not recordings:
            return
        first, last = recordings[0].notification.id, recordings[-1].notification.id
        with self._lock:
            if self._position is not None and first == self._position + 1:
                self._advance(last, _newest(
                    (r.domain_event.originator_id, r.domain_event.originator_version)
                    for r in recordings))

    # Reading from the store -------------------------------------------------------------

    def load(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Found]:
        """The stored state of each aggregate: its latest snapshot and the events after it,
        for all of them in two queries."""
        mapper = self._app.mapper
        snapshots = {s.originator_id: s for s in latest_snapshots(self._app, aggregate_ids)}
        after = {i: snapshots[i].originator_version if i in snapshots else 0
                 for i in aggregate_ids}
        events = {i: list(rows) for i, rows in groupby(events_after(self._app, after),
                                                       key=lambda e: e.originator_id)}
        found: dict[UUID, Found] = {}
        for aggregate_id in aggregate_ids:
            stored = list(chain([snapshots[aggregate_id]] if aggregate_id in snapshots else [],
                                events.get(aggregate_id, [])))
            try:
                found[aggregate_id] = project_aggregate(
                    None, [mapper.to_domain_event(s) for s in stored])
            except DataDisposed as disposed:  # its key is destroyed: for this one alone
                found[aggregate_id] = disposed
        return found

    # The loans' book-keeping ------------------------------------------------------------

    def _open(self) -> int:
        """Check what was written since the cache was current, drop what is behind, and
        register a loan current at the position answered."""
        with self._checking:  # one check at a time: the next one starts where it ended
            written: dict[UUID, int] = {}
            if self._position is None:  # an empty cache is current at the log's end
                position = last_position(self._app)
            else:
                position, written = written_since(self._app, self._position)
            with self._lock:
                self._advance(position, written)
                self._loans[self._position or 0] += 1
                return self._position or 0

    def _advance(self, position: int, written: dict[UUID, int]) -> None:
        """Under the lock: the cache is current up to ``position`` once what ``written``
        names at a newer version is marked behind."""
        for aggregate_id, version in written.items():
            cached = self._entries.get(aggregate_id)
            if cached is not None and cached.version < version:
                self._behind[aggregate_id] = max(version, self._behind.get(aggregate_id, 0))
        if written and self._loans:
            self._written.append((position, written))
        self._position = max(position, self._position or 0)

    def take_cached(self, aggregate_ids: Iterable[UUID]) -> tuple[
            dict[UUID, Aggregate | None], dict[UUID, Aggregate | Absent], list[UUID]]:
        """The cached ones, taken out of the cache: those current, those behind; the ids
        of the rest."""
        taken: dict[UUID, Aggregate | None] = {}
        behind: dict[UUID, Aggregate | Absent] = {}
        missing = []
        for aggregate_id in aggregate_ids:
            with self._stripe(aggregate_id), self._lock:
                found = self._entries.pop(aggregate_id, None)
                stale = self._behind.pop(aggregate_id, None) is not None
            if found is None:
                missing.append(aggregate_id)
            elif stale:
                behind[aggregate_id] = found
            else:
                taken[aggregate_id] = None if isinstance(found, Absent) else found
        return taken, behind, missing

    def bring_forward(self, behind: dict[UUID, Aggregate | Absent]) -> dict[UUID, Found]:
        """These aggregates with the events stored after their version applied (one query
        for all of them); read again those that cannot be."""
        events = {i: list(rows) for i, rows in groupby(
            events_after(self._app, {i: a.version for i, a in behind.items()}),
            key=lambda e: e.originator_id)}
        found: dict[UUID, Found] = {}
        for aggregate_id, aggregate in behind.items():
            try:
                found[aggregate_id] = project_aggregate(
                    None if isinstance(aggregate, Absent) else aggregate,
                    [self._app.mapper.to_domain_event(e) for e in events.get(aggregate_id, [])])
            except (DataDisposed, OriginatorVersionError):  # read again, whole
                found.update(self.load([aggregate_id]))
        return found

    def give_back(self, position: int, aggregates: Iterable[Aggregate | Absent]) -> None:
        """Cache what a loan current at ``position`` brings back, unless it is behind what
        was seen written since, or behind what another loan brought back."""
        with self._lock:
            newer = _newest(chain.from_iterable(
                w.items() for p, w in self._written if p > position))
            for aggregate in aggregates:
                cached = self._entries.get(aggregate.id)
                if newer.get(aggregate.id, 0) > aggregate.version or (
                        cached is not None and cached.version >= aggregate.version):
                    continue
                self._entries[aggregate.id] = aggregate
                self._entries.move_to_end(aggregate.id)
                self._behind.pop(aggregate.id, None)
            while len(self._entries) > self._maxsize:
                self._behind.pop(self._entries.popitem(last=False)[0], None)

    def close_loan(self, position: int) -> None:
        with self._lock:
            self._loans[position] -= 1
            if not self._loans[position]:
                del self._loans[position]
            oldest = min(self._loans, default=None)
            self._written = [(p, w) for p, w in self._written
                             if oldest is not None and p > oldest]

    def _stripe(self, aggregate_id: UUID) -> threading.Lock:
        return self._stripes[hash(aggregate_id) % len(self._stripes)]


class Loan:
    """The aggregates one batch decides with, its own until ``keep`` or ``drop``."""

    def __init__(self, cache: AggregateCache, position: int) -> None:
        self._cache = cache
        self._position = position
        self.found: dict[UUID, Found] = {}
        self._open = True

    def take(self, aggregate_ids: Iterable[UUID]) -> None:
        """Borrow these too: the cached ones, and the rest read together from the store."""
        wanted = [i for i in dict.fromkeys(aggregate_ids) if i not in self.found]
        taken, behind, missing = self._cache.take_cached(wanted)
        self.found.update(taken)
        if behind:
            self.found.update(self._cache.bring_forward(behind))
        if missing:
            self.found.update(self._cache.load(missing))

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        """The borrowed aggregate (borrowed now if it was not); raises ``DataDisposed``."""
        if aggregate_id not in self.found:
            self.take([aggregate_id])
        found = self.found[aggregate_id]
        if isinstance(found, DataDisposed):
            raise found
        return found

    def reload(self, aggregate_id: UUID, staged: Iterable[Any]) -> Aggregate | None:
        """The aggregate as stored, with ``staged`` (its events this batch has accepted so
        far) applied: what it was before a refused command changed it half-way."""
        stored = self._cache.load([aggregate_id])[aggregate_id]
        if isinstance(stored, DataDisposed):
            raise stored
        try:
            reloaded: Aggregate | None = project_aggregate(stored, staged)
        except OriginatorVersionError:  # written meanwhile: decide the batch again
            raise IntegrityError(f"{aggregate_id} changed while the batch was decided") from None
        self.found[aggregate_id] = reloaded
        return reloaded

    def keep(self, aggregates: Iterable[Aggregate]) -> None:
        """The batch was stored: these (what of it is worth keeping) go back, and so does
        the absence of what it found missing and did not create."""
        if self._open:
            kept = {a.id: a for a in aggregates}
            absent = [Absent(i) for i, found in self.found.items()
                      if found is None and i not in kept]
            self._cache.give_back(self._position, [*kept.values(), *absent])
            self.drop()

    def drop(self) -> None:
        """The batch was not stored: what it borrowed stays out of the cache."""
        if self._open:
            self._open = False
            self._cache.close_loan(self._position)


def _newest(versions: Iterable[tuple[UUID, int]]) -> dict[UUID, int]:
    newest: dict[UUID, int] = {}
    for aggregate_id, version in versions:
        newest[aggregate_id] = max(version, newest.get(aggregate_id, 0))
    return newest

