"""One worker of a kind at a time: a second `skolefravaer worker` started by mistake waits,
quietly, and takes over when the first dies — no message sent twice, no tracebacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from projections.follower import StallWatch, wait_until
from projections.leases import CHECK_EVERY, FileLeases, PostgresLeases
from services.bootstrap import build
from services.config import Settings
from tests.conftest import ROOT
from tests.support.events import absent, enrolled, new_pupil, school_days
from tests.support.kafka import consume_all
from tests.support.views import differences, rebuild, snapshot


def test_a_file_lease_is_held_by_one_holder_until_it_lets_go(tmp_path: Path) -> None:
    database = str(tmp_path / "store.sqlite")
    first, second = FileLeases(database), FileLeases(database)

    assert first.lease("pupil-views").held() and first.lease("pupil-views").held()
    assert not second.lease("pupil-views").held()
    assert second.lease("relay:outbox").held()  # another kind
    first.close()
    assert second.lease("pupil-views").held()
    second.close()


@pytest.fixture
def other_schema(postgres_conninfo: str) -> Iterator[str]:
    """A second schema of this test's own (not ``public``: another run may hold its lease)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


def test_an_advisory_lease_is_per_schema_and_lost_with_its_connection(
        pg_environ: dict[str, str], postgres_conninfo: str, other_schema: str) -> None:
    settings = Settings.from_environ(pg_environ)
    elsewhere_settings = Settings.from_environ({**pg_environ, "POSTGRES_SCHEMA": other_schema})
    first, second = (PostgresLeases(settings.postgres_conninfo()) for _ in range(2))
    elsewhere = PostgresLeases(elsewhere_settings.postgres_conninfo())
    try:
        assert first.lease("audit-log").held()
        assert not second.lease("audit-log").held()
        assert elsewhere.lease("audit-log").held()

        # What a server restart does to the lease's connection: it ends.
        with psycopg.connect(postgres_conninfo, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)",
                          (first._connection.info.backend_pid,))
        assert wait_until(second.lease("audit-log").held, timeout=5)
        time.sleep(CHECK_EVERY)  # how often a held lease's connection is checked
        with pytest.raises(psycopg.OperationalError):
            first.lease("audit-log").held()
        assert not first.lease("audit-log").held()  # connected again; the other holds it
    finally:
        for leases in (first, second, elsewhere):
            leases.close()


def test_a_stall_is_work_waiting_while_nothing_moves() -> None:
    now = [100.0]
    watch = StallWatch(clock=lambda: now[0])

    assert watch.seconds(reached=5, lag=0) == 0.0
    assert watch.seconds(reached=5, lag=3) == 0.0  # first seen waiting
    now[0] += 20
    assert watch.seconds(reached=5, lag=3) == 20.0
    now[0] += 5
    assert watch.seconds(reached=8, lag=1) == 0.0  # it moved
    now[0] += 7
    assert watch.seconds(reached=8, lag=0) == 0.0  # caught up: nothing waits
    now[0] += 60
    assert watch.seconds(reached=8, lag=2) == 0.0  # new work; the clock starts again


STANDING_BY = "pupil-views runs in another process; standing by"


def _worker(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        env={**os.environ, **environ, "SKOLEFRAVAER_POLL_INTERVAL": "0.05",
             "SKOLEFRAVAER_RELAY_BATCH_SIZE": "50", "LOG_LEVEL": "INFO",
             "LOG_FORMAT": "json"})


@pytest.mark.kafka
def test_two_workers_started_at_once_send_nothing_twice_and_the_second_takes_over(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ), with_relay=True)
    logs = [Path(tempfile.mkdtemp()) / f"worker-{n}.log" for n in (1, 2)]
    workers = [_worker(relay_environ, log) for log in logs]
    try:
        pupils = [new_pupil() for _ in range(6)]
        expected = set()
        for day in school_days(20):
            outcomes = service.ingestor.ingest([enrolled(p) for p in pupils] if not expected
                                               else [absent(p, day) for p in pupils])
            expected |= {str(o.event_id) for o in outcomes}
        relay = service.relays[0]
        head = service.app.recorder.max_notification_id()
        assert wait_until(lambda: relay.lag() == 0 and service.pupil_views.lag() == 0, 60)

        # Kill the one that projects; the other takes over (and whatever else it held).
        assert wait_until(lambda: any(STANDING_BY in log.read_text() for log in logs), 10)
        active = next(n for n, log in enumerate(logs)
                      if STANDING_BY not in log.read_text())
        workers[active].send_signal(signal.SIGKILL)
        workers[active].wait(timeout=10)
        late = service.ingestor.ingest([absent(p, "2026-10-30") for p in pupils])
        expected |= {str(o.event_id) for o in late}
        assert wait_until(lambda: relay.lag() == 0 and service.pupil_views.lag() == 0, 60)
        assert (service.app.recorder.max_notification_id() or 0) > (head or 0)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    messages = consume_all(kafka_bootstrap, service.settings.events_topic, expected)
    live = snapshot(service.views)
    rebuild(service)
    rebuilt = snapshot(service.views)
    service.close()
    written = [log.read_text() for log in logs]

    counts = Counter(m["event_id"] for m in messages)
    # Every posted event once; the case's decisions on them are published beside them.
    assert expected <= set(counts) and max(counts.values()) == 1
    assert differences(live, rebuilt) == {}
    assert not any("Traceback" in text or "PositionMoved" in text for text in written)
    assert STANDING_BY in written[1 - active]
    assert "pupil-views: taking over" in written[1 - active]
