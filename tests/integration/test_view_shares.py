"""The pupil views in shares of municipalities: each event folded by exactly one share, the
views byte-identical to one worker's, a share taken over without a gap when its worker dies,
and the number of shares changed without folding anything twice."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from projections import shares
from projections.db import Transaction
from projections.follower import Follower, LoggedEvent, ViewSink, wait_until
from projections.leases import PostgresLeases
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.cli import status
from services.cli.shares import follow, reshard
from services.config import Settings
from services.http.context.consistency import CatchUp
from tests.conftest import ROOT
from tests.support.kafka import consume_all
from tests.support.shares import TENANTS, built, built_by_one_worker, ingest_municipalities

VIEWS = PupilViews.name


class Noting(PupilViews):
    """The pupil views, noting the positions of the events each batch folds."""

    def __init__(self) -> None:
        self.folded: list[list[int]] = []

    def fold(self, tx: Transaction, batch: Sequence[LoggedEvent], end: int | None = None
             ) -> None:
        super().fold(tx, batch, end)
        self.folded.append([logged.position for logged in batch])


def stream_tenants(service: Service) -> dict[str, set[str]]:
    """The tenants each stream's events carry."""
    found: dict[str, set[str]] = {}
    for notification in service.app.recorder.select_notifications(start=1, limit=100_000):
        event = service.app.mapper.to_domain_event(notification)
        found.setdefault(str(event.originator_id), set()).add(shares.tenant_of(event))
    return found


def heads(service: Service) -> dict[str, int]:
    return shares.positions_of(service.views, VIEWS)


def test_shares_on_threads_fold_each_event_once_into_the_views_one_worker_builds(
        pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    ingest_municipalities(service, pupils_each=3)
    head = service.app.recorder.max_notification_id() or 0
    shares.claim(service.views, VIEWS, 3)
    noting = [Noting() for _ in range(3)]
    followers = [Follower(service.app, ViewSink(service.views, noting[k], shares.Share(k, 3)),
                          batch_size=7) for k in range(3)]
    threads = [threading.Thread(target=f.catch_up) for f in followers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    in_shares = built(service)
    positions = heads(service)
    one_worker = built_by_one_worker(service)
    tenants_of_streams = stream_tenants(service)
    service.close()

    folded = [[p for batch in n.folded for p in batch] for n in noting]
    # What lets a share pass over another's events undecoded: a stream has one tenant.
    assert all(len(tenants) == 1 for tenants in tenants_of_streams.values())
    assert positions == {f"{VIEWS}/{k}of3": head for k in range(3)}
    assert all(folded), "every share has events of its own"
    assert sum(len(f) for f in folded) == len({p for f in folded for p in f}) == head
    assert in_shares[0] == one_worker[0]  # every view table, row for row
    assert sum(len(rows) for rows in in_shares[0].values()) > 300
    assert in_shares[1] == one_worker[1] and len(in_shares[1]) >= 2 * len(TENANTS)
    assert in_shares[2] == one_worker[2] and len(in_shares[2]) == 3 * len(TENANTS)


def _worker(environ: dict[str, str], log: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker", "--no-relay", *options], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        env={**os.environ, **environ, "SKOLEFRAVAER_POLL_INTERVAL": "0.05",
             "LOG_LEVEL": "INFO"})


def test_a_share_whose_worker_is_killed_is_taken_over_by_a_standby_without_a_gap(
        pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    logs = [Path(tempfile.mkdtemp()) / f"worker-{n}.log" for n in range(3)]
    first, second = (_worker(pg_environ, logs[k], "--shares", "2", "--share", str(k))
                     for k in (0, 1))
    workers = [first, second]
    try:
        ingest_municipalities(service)
        head = service.app.recorder.max_notification_id()
        assert wait_until(lambda: set(heads(service).values()) == {head}, 90)
        workers.append(_worker(pg_environ, logs[2], "--shares", "2"))  # stands by for both
        assert wait_until(lambda: all(f"{VIEWS}/{k}of2 runs in another process" in
                                      logs[2].read_text() for k in (0, 1)), 60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        ingest_municipalities(service)
        later = service.app.recorder.max_notification_id()
        assert wait_until(lambda: set(heads(service).values()) == {later}, 90)
    finally:
        for worker in reversed(workers):  # the standby first: it takes over nothing more
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    in_shares = built(service)
    one_worker = built_by_one_worker(service)
    service.close()
    standby = logs[2].read_text()

    assert f"{VIEWS}/0of2: taking over" in standby
    assert f"{VIEWS}/1of2: taking over" not in standby  # its worker still runs
    assert "Traceback" not in standby + logs[1].read_text()
    assert in_shares == one_worker


def test_changing_the_number_of_shares_folds_nothing_twice_and_skips_nothing(
        pg_environ: dict[str, str]) -> None:
    settings = Settings.from_environ(pg_environ)
    service = build(settings)
    ingest_municipalities(service)
    service.pupil_views.batch_size = 40
    service.pupil_views.run_once()  # one worker, part of the way

    assert reshard(argparse.Namespace(shares=3), settings) == 0
    with pytest.raises(shares.LayoutChanged):
        service.pupil_views.run_once()  # still built for one share: it folds nothing
    with pytest.raises(shares.LayoutChanged):
        follow(service, 4)
    follow(service)
    service.projections[0].run_once(until=200)  # the shares where they happen to be
    service.projections[2].catch_up()
    ingest_municipalities(service)
    assert reshard(argparse.Namespace(shares=2), settings) == 0
    follow(service)
    for follower in service.projections:
        follower.catch_up()
    head = service.app.recorder.max_notification_id()
    in_shares = built(service)
    positions = heads(service)
    one_worker = built_by_one_worker(service)
    service.close()

    assert positions == {f"{VIEWS}/0of2": head, f"{VIEWS}/1of2": head}
    assert in_shares == one_worker


def test_a_reshard_waits_for_the_workers_to_stop(pg_environ: dict[str, str]) -> None:
    settings = Settings.from_environ(pg_environ)
    running = PostgresLeases(settings.postgres_conninfo())
    try:
        assert running.lease(VIEWS).held()
        refused = reshard(argparse.Namespace(shares=2), settings)
    finally:
        running.close()
    service = build(settings)
    count = shares.recorded(service.views, VIEWS)
    service.close()

    assert refused == 1 and count == 1


def test_a_consistent_read_brings_every_share_to_the_head(pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    shares.claim(service.views, VIEWS, 2)
    ingest_municipalities(service)
    head = service.app.recorder.max_notification_id() or 0
    catch_up = CatchUp(service.app, service.views, batch_size=9)
    catch_up.reach(head, timeout=60)
    positions = heads(service)
    lags = status.worker_lags(service.settings)
    service.close()

    assert positions == {f"{VIEWS}/0of2": head, f"{VIEWS}/1of2": head}
    assert list(lags)[:3] == [f"{VIEWS}/0of2", f"{VIEWS}/1of2", "audit-log"]
    assert lags[f"{VIEWS}/0of2"] == lags[f"{VIEWS}/1of2"] == 0


def test_what_a_read_reports_as_its_position_is_where_the_slowest_share_stands(
        pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    shares.claim(service.views, VIEWS, 2)
    ingest_municipalities(service)
    head = service.app.recorder.max_notification_id() or 0
    first = Follower(service.app, ViewSink(service.views, PupilViews(), shares.Share(0, 2)))
    while first.run_once():
        pass
    folded, reported = first.sink.position(), service.views_position()
    service.close()

    assert folded == head
    assert reported < head  # share 1 has folded nothing: a read must not claim the head


@pytest.mark.kafka
def test_the_outbox_relay_waits_for_the_slowest_share_and_sends_every_alert(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ))
    shares.claim(service.views, VIEWS, 2)
    ingest_municipalities(service)
    follow(service)
    ahead, behind = service.projections
    outbox_relay = service.relays[1]
    ahead.catch_up()
    sent_early = outbox_relay.catch_up()
    behind.catch_up()  # its alerts lie below where the other share stands
    sent_late = outbox_relay.catch_up()
    _, alerts, _ = built(service)
    received = consume_all(kafka_bootstrap, service.settings.alerts_topic, set(), timeout=20,
                           until=lambda ms: len(ms) >= len(alerts))
    service.close()

    assert sent_early == 0 and sent_late > len(alerts)
    assert sorted(m["event_id"] for m in received) == sorted(json.loads(row[4])["event_id"]
                                                             for row in alerts)
