"""The event-sourced application: one log of every fact, in the order it was stored."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import InfrastructureFactory, JSONTranscoder, Mapper, Recording
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, get_topic

from domain.case import FollowUpCase
from domain.pupil import Pupil
from domain.read_log import ReadLog
from projections.transcoding import register_domain_transcodings
from services.store.aggregate_cache import AggregateCache
from services.store.pupil_keys import PupilKeyMapper, PupilKeys
from services.store.recorder import UnpipelinedRecorder

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
    # replays from the latest snapshot instead of from the start. So does a pupil's read
    # log (PRIV-3), which grows with every read. A snapshot is the whole state, which grows
    # through the year, and ingestion keeps aggregates in memory: every 200 events (not
    # 50) took ingestion at 60k events from 0.151 to 0.167 of the raw write, its last
    # tenth from 1.53 to 1.21 of its first; a cold load replays at most 199 events.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Pupil: 200, FollowUpCase: 200,
                                                              ReadLog: 100}

    def __init__(self, env: Mapping[str, str] | None = None, *,
                 session_options: str | None = None, keys: PupilKeys | None = None) -> None:
        self._session_options = session_options
        self.keys = keys
        super().__init__(env=env)
        self.writing = threading.RLock()
        """Held by ingestion while it decides and stores a batch (``Ingestor``)."""

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        """eventsourcing's factory; on PostgreSQL its pool's connections carry
        ``session_options`` (libpq ``options``: the statement and idle-in-transaction
        timeouts). Set before the pool opens, so that no connection goes without. Its
        recorder inserts outside psycopg's pipeline mode (``services.store.recorder``)."""
        factory = super().construct_factory(env)
        if isinstance(factory, PostgresFactory):
            factory.env.setdefault(factory.APPLICATION_RECORDER_TOPIC,
                                   get_topic(UnpipelinedRecorder))
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

    def construct_repository(self) -> Repository[UUID]:
        """eventsourcing's repository without its cache: ``aggregates`` is this process's
        cache (AGGREGATE_CACHE_MAXSIZE aggregates), lent to ingestion without copies."""
        maxsize = int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or 0)
        self.aggregates = AggregateCache(self, maxsize)
        return Repository(event_store=self.events, snapshot_store=self.snapshots)

    def find(self, aggregate_id: UUID) -> Any:
        """A copy of the aggregate to change, or None when nothing was stored under this id
        (copied under the aggregate's lock: no loan takes it meanwhile)."""
        return self.peek(aggregate_id, deepcopy)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        """Drop these aggregates from the cache: the next `find` reads them from the store
        (a disposed pupil's then refuses to be read)."""
        self.aggregates.forget(aggregate_ids)

    def peek(self, aggregate_id: UUID, read: Callable[[Any], T]) -> T | None:
        """What ``read`` finds in the stored aggregate, or None when nothing was stored
        under this id: under the aggregate's lock and without a copy, so ``read`` must
        change nothing and keep no reference to it."""
        return self.aggregates.peek(aggregate_id, read)

    def record(self, events: Sequence[Any], aggregates: Iterable[Aggregate]
               ) -> list[Recording[UUID]]:
        """``save`` of events already collected, and of the aggregates they came from (for
        their snapshots): eventsourcing's ``save`` tells events from aggregates by runtime
        protocol checks that cost more than writing the events."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(events)
        processing_event.aggregates.update((a.id, a) for a in aggregates)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        recordings = super()._record(processing_event)
        self.aggregates.saved(recordings)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots of the saved aggregates that passed a multiple of their interval, taken
        from them as they are in memory (eventsourcing reads each again from the store to
        take it) and stored together, in one statement."""
        if self.snapshots is None:
            return
        first: dict[UUID, int] = {}
        for event in processing_event.events:
            first.setdefault(event.originator_id, event.originator_version)
        snapshots = [
            getattr(type(aggregate), "Snapshot", Snapshot).take(aggregate)
            for aggregate_id, aggregate in processing_event.aggregates.items()
            if aggregate_id in first and _passed_interval(
                self.snapshotting_intervals.get(type(aggregate)), first[aggregate_id] - 1,
                aggregate.version)]
        if snapshots:
            self.snapshots.put(snapshots)


def _passed_interval(interval: int | None, before: int, after: int) -> bool:
    return interval is not None and before // interval != after // interval
