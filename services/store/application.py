"""The event-sourced application: one log of every fact, in the order it was stored."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from copy import deepcopy
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import InfrastructureFactory, JSONTranscoder, Mapper
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from domain.case import FollowUpCase
from domain.pupil import Pupil
from domain.read_log import ReadLog
from projections.transcoding import register_domain_transcodings
from services.store.pupil_keys import PupilKeyMapper, PupilKeys

T = TypeVar("T")


class Skolefravaer(Application[UUID]):
    """Stores the aggregates of ``domain/``; its notification log is the audit log."""

    name = "skolefravaer"
    # A connection is waited for 3 s (eventsourcing's default: 30, and its recorder tries
    # 10 times), so a server that stays away gives the caller a 503 well inside gunicorn's
    # 30 s worker timeout. Pooled connections broken by a restart are not pinged first:
    # the recorder's retry replaces them (measured: 1.2 s to recover a pool of 6; with
    # POSTGRES_PRE_PING, 28 s).
    env: ClassVar[dict[str, str]] = {"POSTGRES_CONNECT_TIMEOUT": "3"}
    # A pupil (and the pupil's case) accumulates hundreds of events a year; loading one
    # replays from the latest snapshot instead of from the start.
    # So is a pupil's read log (PRIV-3), which grows with every read.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Pupil: 50, FollowUpCase: 50,
                                                              ReadLog: 100}

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 session_options: str | None = None, keys: PupilKeys | None = None) -> None:
        self._session_options = session_options
        self.keys = keys
        super().__init__(env=env)
        self._locks = [threading.Lock() for _ in range(64)]

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        """eventsourcing's factory; on PostgreSQL its pool's connections carry
        ``session_options`` (libpq ``options``: the statement and idle-in-transaction
        timeouts). Set before the pool opens, so that no connection goes without."""
        factory = super().construct_factory(env)
        if self._session_options and isinstance(factory, PostgresFactory):
            kwargs = factory.datastore.pool.kwargs
            assert isinstance(kwargs, dict)  # eventsourcing passes its connect arguments
            kwargs["options"] = self._session_options
        return factory

    def construct_mapper(self) -> Mapper[UUID]:
        """With ``keys`` (given when a master key is configured), each pupil's events and
        snapshots are encrypted with the pupil's own key (PRIV-4)."""
        if self.keys is None:
            return super().construct_mapper()
        return PupilKeyMapper(self.construct_transcoder(), self.keys,
                              compressor=self.factory.compressor())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    def find(self, aggregate_id: UUID) -> Any:
        """A copy of the aggregate to change, or None when nothing was stored under this id.

        eventsourcing copies a cached aggregate outside the lock under which another thread
        fast-forwards that same object, and a copy taken mid-update fails ("dictionary
        changed size during iteration", seen as a 500 under concurrent posts): here the
        fast-forward and the copy happen under one lock per aggregate (striped)."""
        cached = self.repository.cache is not None
        return self.peek(aggregate_id, lambda found: deepcopy(found) if cached else found)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        """Drop these aggregates from the cache: the next `find` reads them from the store
        (a disposed pupil's then refuses to be read)."""
        if self.repository.cache is not None:
            for aggregate_id in aggregate_ids:
                with self._locks[hash(aggregate_id) % len(self._locks)], suppress(KeyError):
                    self.repository.cache.get(aggregate_id, evict=True)

    def peek(self, aggregate_id: UUID, read: Callable[[Any], T]) -> T | None:
        """What ``read`` finds in the stored aggregate, or None when nothing was stored
        under this id: under the aggregate's lock and without a copy, so ``read`` must
        change nothing and keep no reference to it."""
        with self._locks[hash(aggregate_id) % len(self._locks)]:
            try:
                found: Any = self.repository.get(aggregate_id, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                return None
            return read(found)
