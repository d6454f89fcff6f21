"""Ingestion throughput beside the same rows written raw, printed (never asserted).

    python -m benchmarks.ingest --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.ingest --events 200000 --postgres "..."   # a long log
    python -m benchmarks.ingest                  # SQLite in a temporary folder (no raw)

The workload of issue 15: 10 schools, ``--pupils`` pupils (2,000), absences by day and by
lesson, late arrivals and notices, half of the events on a tenth of the pupils. The events
are posted through the Ingestor in batches of each ``--batch`` size (a fresh schema per
size). On PostgreSQL the rows the project stored in its events table are then written
again, in the same batches, into a fresh schema by the recorder the project's store uses
(eventsourcing's, table lock, notify and insert, outside psycopg's pipeline mode, see
``services.store.recorder``): the "raw" figure of the same data in the same run.

Printed: events/s and CPU seconds for both, their ratio, ms per 1,000 events by tenth of
the log (a cost that grows with history shows as a rising row) and the process's peak
RSS. Run it at two ``--events`` to see whether RSS grows with the log. The machine is
shared: compare ratios from one run, not runs.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import psycopg
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment, get_topic

from services.bootstrap import build
from services.config import Settings
from services.store.recorder import UnpipelinedRecorder
from tests.conftest import postgres_environ
from tests.support.events import absent, enrolled, envelope, notice

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--events", "600", "--pupils", "40")

Event = dict[str, object]
SCHOOLS = 10
DAYS = [d for d in (date(2026, 8, 17) + timedelta(days=n) for n in range(400))
        if d.weekday() < 5][:190]


def pupil_ids(pupils: int) -> list[str]:
    return [str(uuid.UUID(int=n + 1)) for n in range(pupils)]


def setup(pupils: int) -> list[Event]:
    """Every pupil's enrolment, spread over ``SCHOOLS`` schools."""
    return [enrolled(p, more={"school_id": f"school-{n % SCHOOLS + 1}"})
            for n, p in enumerate(pupil_ids(pupils))]


def fact(pupil: str, k: int) -> Event:
    """The pupil's ``k``-th fact: three a school day, by day and lesson, late arrivals,
    and now and then the guardians' notice for the day."""
    day = DAYS[(k // 3) % len(DAYS)].isoformat()
    kind = k % 9
    if kind in (0, 1):
        return absent(pupil, day)
    if kind == 5:
        return envelope("LateArrivalRecorded", {"pupil_id": pupil, "date": day,
                                                "minutes_late": 10})
    if kind == 8:
        return notice(pupil, day)
    return absent(pupil, day, period=kind + 1)


def events(count: int, pupils: int) -> Iterator[Event]:
    """``count`` facts, made as they are taken (the workload costs no memory): every
    other one on the busiest tenth of the pupils."""
    ids = pupil_ids(pupils)
    hot = max(1, pupils // 10)
    seen = [0] * pupils
    for i in range(count):
        n = (i // 2) % hot if i % 2 == 0 else hot + (i // 2) % (pupils - hot)
        yield fact(ids[n], seen[n])
        seen[n] += 1


def workload(count: int, pupils: int = 2000) -> tuple[list[Event], list[Event]]:
    """The enrolments and ``count`` facts (as lists, for ``benchmarks.http_ingest``)."""
    return setup(pupils), list(events(count, pupils))


@dataclass
class Figures:
    seconds: float = 0.0
    cpu: float = 0.0
    tenths: list[float] = field(default_factory=lambda: [0.0] * 10)
    stored: list[int] = field(default_factory=list)
    """How many rows each batch added to the events table (the raw run writes the same)."""
    skip: int = 0
    """How many rows the enrolments took before."""
    rss: float = 0.0
    """The process's peak RSS (MB) when ingestion ended."""

    def add(self, index: int, count: int, seconds: float) -> None:
        self.seconds += seconds
        self.tenths[min(9, index * 10 // count)] += seconds


def batches(count: int, pupils: int, size: int) -> Iterator[list[Event]]:
    chunk: list[Event] = []
    for event in events(count, pupils):
        chunk.append(event)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ingest(environ: dict[str, str], size: int, count: int, pupils: int) -> Figures:
    service = build(Settings.from_environ(environ), with_relay=False)
    figures = Figures()
    try:
        ingestor, recorder = service.ingestor, service.app.recorder
        enrolments = setup(pupils)
        for start in range(0, pupils, 1000):
            outcomes = ingestor.ingest(enrolments[start:start + 1000])
            assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        last = figures.skip = recorder.max_notification_id() or 0
        cpu = time.process_time()
        done = 0
        for chunk in batches(count, pupils, size):
            started = time.perf_counter()
            outcomes = ingestor.ingest(chunk)
            figures.add(done, count, time.perf_counter() - started)
            assert all(o.status == "accepted" for o in outcomes), outcomes[0]
            done += len(chunk)
            newest = recorder.max_notification_id() or 0
            figures.stored.append(newest - last)
            last = newest
        figures.cpu = time.process_time() - cpu
        figures.rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return figures
    finally:
        service.close()


def stored_rows(conninfo: str, schema: str, skip: int) -> list[StoredEvent]:
    """The rows ingestion stored after the first ``skip``, in log order."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM "
            f"{schema}.skolefravaer_events ORDER BY notification_id OFFSET %s", [skip]
        ).fetchall()
    return [StoredEvent(*row) for row in rows]


def raw(environ: dict[str, str], rows: list[StoredEvent], sizes: list[int]) -> Figures:
    """The same rows written in the same batches by the store's recorder alone."""
    factory: Any = InfrastructureFactory.construct(Environment("skolefravaer", {
        **environ, "APPLICATION_RECORDER_TOPIC": get_topic(UnpipelinedRecorder)}))
    recorder = factory.application_recorder()
    figures = Figures()
    try:
        cpu, done = time.process_time(), 0
        for size in sizes:
            started = time.perf_counter()
            recorder.insert_events(rows[done:done + size])
            figures.add(done, len(rows), time.perf_counter() - started)
            done += size
        figures.cpu = time.process_time() - cpu
        return figures
    finally:
        factory.close()


class Schema:
    """A fresh PostgreSQL schema, dropped on exit."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo, self.name = conninfo, f"bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> dict[str, str]:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.name}")
        return postgres_environ(self.conninfo, self.name)

    def __exit__(self, *_: object) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.name} CASCADE")


def report(name: str, figures: Figures, count: int) -> None:
    per_tenth = " ".join(f"{t / (count / 10) * 1e6:6.0f}" for t in figures.tenths)
    print(f"  {name:<8} {count / figures.seconds:>9,.0f} ev/s  {figures.cpu:6.1f} s CPU  "
          f"ms/1,000 by tenth: {per_tenth}  (last/first "
          f"{figures.tenths[9] / max(figures.tenths[0], 1e-9):.2f})")


def run_postgres(conninfo: str, cipher: dict[str, str], size: int, count: int,
                 pupils: int) -> None:
    with Schema(conninfo) as environ:
        project = ingest({**environ, **cipher}, size, count, pupils)
        rows = stored_rows(conninfo, environ["POSTGRES_SCHEMA"], project.skip)
    with Schema(conninfo) as environ:
        written = raw(environ, rows, project.stored)
    report("project", project, count)
    report("raw", written, count)
    print(f"  ratio    {written.seconds / project.seconds:.3f} (wall)  "
          f"{written.cpu / max(project.cpu, 1e-9):.3f} (process CPU); "
          f"{sum(project.stored)} rows for {count} events; peak RSS after ingestion "
          f"{project.rss:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="libpq conninfo; default SQLite")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1000])
    parser.add_argument("--encrypted", action="store_true",
                        help="with a master key: each pupil's events under the pupil's key")
    args = parser.parse_args()
    store = "PostgreSQL" if args.postgres else "SQLite"
    cipher = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
              "CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()} if args.encrypted else {}
    print(f"{store}{', per-pupil keys' if cipher else ''}: {args.events} facts, "
          f"{args.pupils} pupils in {SCHOOLS} schools, half the facts on a tenth of them")
    for size in args.batch:
        count = min(args.events, 500 * size)  # keep batch=1 runs short
        print(f"batches of {size}, {count} events:")
        if args.postgres:
            run_postgres(args.postgres, cipher, size, count, args.pupils)
        else:
            with tempfile.TemporaryDirectory() as folder:
                figures = ingest({"SQLITE_DBNAME": f"{folder}/bench.sqlite", **cipher},
                                 size, count, args.pupils)
            report("project", figures, count)
            print(f"  peak RSS after ingestion {figures.rss:,.0f} MB")


if __name__ == "__main__":
    main()
