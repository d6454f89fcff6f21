"""Proofs, dossiers and histories over a large log on PostgreSQL, printed as numbers.

    python -m benchmarks.proofs                      # 200,000 stored events
    python -m benchmarks.proofs --events 50000 --profile

Builds a log of ``--events`` stored events in a fresh schema (lesson absences posted in
batches through the Ingestor; each is stored with its receipt and the tasks it opens) with
one pupil whose history holds about ``--pupil-events`` of them, spread evenly over the log. Then:
the audit log's catch-up beside a raw read of the same notifications in the same batches,
and the latency of that pupil's dossier (JSON and PDF), history (now and ``as_of`` the middle
of the log) and inclusion proofs, with the SQL rows the proofs read. The machine is shared:
compare numbers from one run, not runs. ``--profile`` then prints where the time of a
dossier, of its PDF and of a past history goes (cProfile). ``--keep bench_NAME`` builds the
log into that schema and keeps it, or reuses it when it is there (building 200,000 events
takes long; the latencies can then be measured again and again).

Measured (2 shared cores, a 200,003-event log built in 131 s, a pupil of 998 events spread
over it, medians of 3): proofs 220 ms (6,218 rows in 18 statements), dossier JSON 725 ms,
PDF 1,577 ms (of which drawing 1,089 ms), history now 269 ms, ``as_of`` the middle 170 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from domain.envelope import Actor, Role
from domain.privacy import Sight
from services.bootstrap import Service, build
from services.config import Settings
from services.evidence.recorder import AuditLog
from services.reads.history import Reader
from services.reads.rendering.dossier import pdf
from tests.conftest import postgres_environ
from tests.support.events import TENANT, absent, enrolled

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--events", "600", "--pupils", "20", "--pupil-events", "40",
        "--runs", "1")

DEFAULT_POSTGRES = os.environ.get("SKOLEFRAVAER_TEST_POSTGRES",
                                  "host=127.0.0.1 port=5432 user=postgres dbname=test")
# What one posted lesson absence adds: the absence, its idempotency receipt and the three
# tasks an undocumented lesson opens (FOL-5 twice, FOL-7); the pupil's history holds four.
STORED_PER_POSTED = 5
PUPIL_EVENTS_PER_ABSENCE = 4
OTHER_PUPILS = 2000
READER = Reader(Actor("benchmark", Role.AUDITOR), Sight.of(Role.AUDITOR, None))


@dataclass(frozen=True)
class Log:
    pupil: uuid.UUID
    middle: datetime
    """A moment when about half the log was recorded: the ``as_of`` of the history."""


def lessons() -> Iterator[tuple[str, int]]:
    """(school day, period) pairs, enough for a thousand and more lesson absences."""
    day = date(2026, 8, 17)
    while True:
        if day.weekday() < 5:
            for period in range(1, 9):
                yield day.isoformat(), period
        day += timedelta(days=1)


def build_log(service: Service, stored: int, pupil_events: int, batch: int,
              other_pupils: int = OTHER_PUPILS) -> Log:
    """Posts lesson absences until the log holds ``stored`` events, the pupil's spread over
    it so that their history holds about ``pupil_events``."""
    pupil, others = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(other_pupils)]
    service.ingestor.ingest([enrolled(p) for p in [pupil, *others]])
    head = service.app.recorder.max_notification_id() or 0
    posted = max(1, (stored - head) // STORED_PER_POSTED)  # about
    every = max(1, posted * PUPIL_EVENTS_PER_ABSENCE // pupil_events)
    left = {p: lessons() for p in [pupil, *others]}
    middle, count, started = datetime.now(UTC), 0, time.perf_counter()
    while head < stored:
        events, size = [], min(batch, max(1, (stored - head) // STORED_PER_POSTED))
        for i in range(count, count + size):
            who = pupil if i % every == 0 else others[i % other_pupils]
            day, period = next(left[who])
            events.append(absent(who, day, period=period))
        outcomes = service.ingestor.ingest(events)
        assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        count, before = count + size, head
        head = service.app.recorder.max_notification_id() or 0
        if before < stored // 2 <= head:
            middle = datetime.now(UTC)
    print(f"built: {head} stored events ({count} posted) in "
          f"{time.perf_counter() - started:.0f} s")
    return Log(uuid.UUID(pupil), middle)


def kept_log(service: Service) -> Log | None:
    """The log a previous ``--keep`` run built in this schema, if any."""
    with service.views.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS bench_log (pupil TEXT, middle TEXT)")
        rows = tx.execute("SELECT pupil, middle FROM bench_log")
    return Log(uuid.UUID(rows[0][0]), datetime.fromisoformat(rows[0][1])) if rows else None


def keep_log(service: Service, log: Log) -> None:
    with service.views.transaction() as tx:
        tx.execute("INSERT INTO bench_log (pupil, middle) VALUES (:pupil, :middle)",
                   {"pupil": str(log.pupil), "middle": log.middle.isoformat()})


def raw_read_rate(service: Service, batch: int) -> float:
    """Notifications per second read with `select_notifications`, batch by batch."""
    started, start, count = time.perf_counter(), 1, 0
    while batch_read := service.app.recorder.select_notifications(start=start, limit=batch):
        count += len(batch_read)
        start = batch_read[-1].id + 1
    return count / (time.perf_counter() - started)


def catch_up_rates(service: Service) -> None:
    batch = service.audit_log.batch_size
    raw_read_rate(service, batch)  # warm the cache, so neither side pays for the disk
    raw = raw_read_rate(service, batch)
    started = time.perf_counter()
    recorded = service.audit_log.catch_up()
    audit = recorded / (time.perf_counter() - started)
    print(f"audit catch-up: {audit:,.0f} events/s; raw read {raw:,.0f} events/s; "
          f"ratio {audit / raw:.2f} (batches of {batch})")
    started = time.perf_counter()
    applied = service.pupil_views.catch_up()
    print(f"pupil views catch-up: {applied / (time.perf_counter() - started):,.0f} events/s "
          "(not a target here; the views are needed by dossiers and histories)")


def backfill_time(service: Service) -> None:
    """How long a store recorded before nodes were stored takes to start: the back-fill."""
    with service.views.transaction() as tx:
        tx.execute("DELETE FROM audit_node")
    started = time.perf_counter()
    AuditLog(service.app, service.views, signer=service.audit_log.signer)
    print(f"back-fill of the nodes of {service.audit_log.position()} recorded events on start: "
          f"{time.perf_counter() - started:.1f} s")


def timed(what: str, call: Callable[[], Any], runs: int) -> Any:
    """Run ``call`` ``runs`` times; print the median and the fastest; answer the last result."""
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    print(f"{what:<34} median {statistics.median(seconds) * 1000:8.0f} ms   "
          f"fastest {min(seconds) * 1000:8.0f} ms   ({runs} runs)")
    return result


class CountingViews:
    """The view database, counting the statements run and the rows they answered."""

    def __init__(self, views: Any) -> None:
        self.views, self.statements, self.rows = views, 0, 0

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.views.transaction() as tx:
            yield _CountingTransaction(tx, self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.views, name)


class _CountingTransaction:
    def __init__(self, tx: Any, counts: CountingViews) -> None:
        self.tx, self.counts = tx, counts

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self.tx.execute(sql, params)
        self.counts.statements += 1
        self.counts.rows += len(rows)
        return rows

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self.tx.executemany(sql, rows)

    def one_of(self, name: str, values: Any) -> tuple[str, dict[str, Any]]:
        found: tuple[str, dict[str, Any]] = self.tx.one_of(name, values)
        return found


def proof_reads(service: Service, positions: list[int]) -> None:
    audit_log = service.audit_log
    counting = CountingViews(audit_log.views)
    audit_log.views = counting
    try:
        proofs = audit_log.proofs(positions)
    finally:
        audit_log.views = counting.views
    assert proofs is not None and len(proofs.by_position) == len(positions)
    print(f"proofs for {len(positions)} events in a tree of {proofs.size}: "
          f"{counting.rows} rows read in {counting.statements} statements")


def dossier(service: Service, pupil: uuid.UUID) -> dict[str, Any]:
    made = service.dossiers.build(pupil, TENANT, READER)
    assert made is not None, "the benchmark's pupil is enrolled"
    return made


def latencies(service: Service, log: Log, runs: int) -> None:
    pupil, tenant = log.pupil, TENANT
    positions = [p.position for p in service.history.log.pupil_positions(pupil, tenant)]
    print(f"the pupil: {len(positions)} events, positions {positions[0]}..{positions[-1]}")
    proof_reads(service, positions)
    timed("inclusion proofs (AuditLog.proofs)", lambda: service.audit_log.proofs(positions), runs)
    made = timed("dossier JSON (dossiers.build)", lambda: dossier(service, pupil), runs)
    timed("dossier PDF (build + pdf)",
          lambda: pdf(dossier(service, pupil)), runs)
    timed("  of which pdf() alone", lambda: pdf(made), runs)
    for label, as_of in (("now", None), ("as_of the middle", log.middle)):
        timed(f"history {label} (events + state)", history_call(service, log, as_of), runs)


def history_call(service: Service, log: Log, as_of: datetime | None) -> Callable[[], Any]:
    """What a history request computes: the events listed and the state derived."""
    history = service.history

    def call() -> Any:
        stored = history.stored_events(log.pupil, TENANT)
        return (history.events(log.pupil, TENANT, as_of, READER, stored),
                history.state(log.pupil, TENANT, as_of, READER, stored))
    return call


def profile(service: Service, log: Log) -> None:
    """Where the time of a dossier, its PDF and a past history goes (cumulative, top 25)."""
    made = dossier(service, log.pupil)
    for what, call in (
            ("dossier JSON", lambda: dossier(service, log.pupil)),
            ("pdf()", lambda: pdf(made)),
            ("history as_of the middle", history_call(service, log, log.middle))):
        profiler = cProfile.Profile()
        profiler.runcall(call)
        print(f"\n--- {what} ---")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="libpq conninfo")
    parser.add_argument("--events", type=int, default=200_000, help="stored events in the log")
    parser.add_argument("--pupil-events", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=OTHER_PUPILS, help="other pupils")
    parser.add_argument("--batch", type=int, default=1000, help="posted events per ingest")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", metavar="bench_NAME",
                        help="build into this schema and keep it; reuse it if built")
    args = parser.parse_args()
    schema = args.keep or f"bench_{uuid.uuid4().hex[:8]}"
    assert schema.startswith("bench_"), "benchmark schemas are named bench_*"
    with psycopg.connect(args.postgres, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    service = build(Settings.from_environ(postgres_environ(args.postgres, schema)),
                    with_relay=False)
    try:
        log = kept_log(service) if args.keep else None
        if log is None:
            log = build_log(service, args.events, args.pupil_events, args.batch, args.pupils)
            catch_up_rates(service)
            backfill_time(service)
            if args.keep:
                keep_log(service, log)
        else:
            service.audit_log.catch_up()
            service.pupil_views.catch_up()
        latencies(service, log, args.runs)
        if args.profile:
            profile(service, log)
    finally:
        service.close()
        if not args.keep:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
