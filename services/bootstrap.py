"""The composition root: the one place where settings become running parts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from projections import shares
from projections.absence import AbsenceReader
from projections.cases import CaseReader
from projections.concerns import ConcernReader
from projections.db import PostgresViews, SQLiteViews, ViewDatabase
from projections.follower import Follower, ViewSink, Worker
from projections.leases import FileLeases, Leases, PostgresLeases
from projections.pupil_views import PupilViews
from projections.requests import RequestReader
from projections.school_routine import RoutineReader
from services.config import Settings
from services.evidence.keys import build_audit_log, public_key
from services.evidence.recorder import AuditLog
from services.intake.ingestion import Ingestor
from services.outbound.clock import OverdueClock
from services.reads.dossier import Dossiers
from services.reads.history import History, PupilViewReaders
from services.reads.issued import IssuedDossiers
from services.store.application import Skolefravaer
from services.store.pupil_keys import PupilKeys, ViewSealer

log = logging.getLogger(__name__)

SCHEMA_LOCK = 0x5B0_1EF4  # advisory lock key held while tables are created


@dataclass
class Service:
    settings: Settings
    app: Skolefravaer
    views: ViewDatabase
    ingestor: Ingestor
    absence: AbsenceReader
    concerns: ConcernReader
    requests: RequestReader
    cases: CaseReader
    routine: RoutineReader
    history: History
    dossiers: Dossiers
    issued: IssuedDossiers
    projections: list[Follower]
    audit_log: AuditLog
    relays: list[Worker] = field(default_factory=list)
    clocks: list[Worker] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    leases: Leases | None = None

    @property
    def pupil_views(self) -> Follower:
        return self.projections[0]

    def views_position(self) -> int:
        """Where every share of the pupil views has come: what a read of them reflects."""
        return shares.reached(self.views, PupilViews.name)

    @property
    def workers(self) -> list[Worker]:
        return [*self.projections, self.audit_log, *self.relays, *self.clocks]

    def start_workers(self, workers: list[Worker] | None = None) -> None:
        """Run ``workers`` (all of them by default) in this process, as threads."""
        for worker in self.workers if workers is None else workers:
            interval = (self.settings.clock_interval if worker in self.clocks
                        else self.settings.poll_interval)
            self.threads.append(worker.start_thread(interval))

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        for thread in self.threads:
            thread.join(timeout=5)
        for relay in self.relays:
            relay.close()
        if self.leases is not None:
            self.leases.close()  # a waiting worker elsewhere takes over now
        self.views.close()
        self.app.close()


@contextmanager
def _creating_tables(settings: Settings) -> Iterator[None]:
    """Serialise table creation: PostgreSQL fails concurrent ``CREATE … IF NOT EXISTS``
    ("tuple concurrently updated") when several workers start at once."""
    if not settings.uses_postgres:
        yield
        return
    import psycopg

    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


def build(settings: Settings, *, with_relay: bool | None = None, **ingestor_options: Any
          ) -> Service:
    """Build every part; call after gunicorn forks (psycopg pools hold threads)."""
    with _creating_tables(settings):
        views: ViewDatabase = (PostgresViews(settings.postgres_conninfo())
                               if settings.uses_postgres else SQLiteViews(settings.sqlite_dbname))
        keys = _pupil_keys(settings, views)
        app = Skolefravaer(env=settings.eventsourcing_env(),
                           session_options=settings.postgres_session_options(), keys=keys)
        # One follower per share of the pupil views (one unless split: docs/scale-out.md).
        pupil_views = [Follower(app, ViewSink(views, PupilViews(), share))
                       for share in shares.prepared(views, PupilViews.name)]
        audit = build_audit_log(app, views, settings, settings.key_environ())
        relays: list[Worker] = []
        if with_relay if with_relay is not None else bool(settings.kafka_bootstrap_servers):
            from services.outbound.relay import KafkaRelay, OutboxRelay

            relays = [KafkaRelay(app, views, settings, batch_size=settings.relay_batch_size),
                      OutboxRelay(views, settings, batch_size=settings.relay_batch_size)]
    ingestor = Ingestor(app, **ingestor_options)
    current = PupilViewReaders.over(views)
    history = History(app, views, current, ingestor.clock)
    leases: Leases = (PostgresLeases(settings.postgres_conninfo()) if settings.uses_postgres
                      else FileLeases(settings.sqlite_dbname))
    dossiers = Dossiers(history, current, audit, lambda: public_key(views, settings.key_environ()))
    service = Service(settings=settings, app=app, views=views, ingestor=ingestor,
                      absence=current.absence, concerns=current.concerns,
                      requests=RequestReader(views), cases=current.cases,
                      routine=RoutineReader(views), history=history, dossiers=dossiers,
                      issued=IssuedDossiers(app, history, dossiers, audit.signer),
                      projections=pupil_views, audit_log=audit, relays=relays,
                      clocks=[OverdueClock(ingestor, current.cases, ingestor.clock)],
                      leases=leases)
    for worker in service.workers:  # one of each kind at work, whichever process runs it
        worker.lease = leases.lease(worker.name)
    return service


def _pupil_keys(settings: Settings, views: ViewDatabase) -> PupilKeys | None:
    """With a master key, a key per pupil for the pupil's events, snapshots and view
    columns (PRIV-4); without one (development), everything is stored as it is."""
    if settings.cipher_key is None or settings.cipher_topic is None:
        return None
    keys = PupilKeys.from_settings(views, settings.cipher_topic,
                                   settings.cipher_key.get_secret_value())
    views.sealer = ViewSealer(keys)
    return keys
