"""The pupil views' catch-up from empty beside eventsourcing's own read + decode of the
same notifications, in one run on PostgreSQL (figures printed, never asserted).

    python -m benchmarks.catch_up --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.catch_up --postgres ... --large          # 10k, 50k and 200k
    python -m benchmarks.catch_up --postgres ... --pupils 200 --sizes 2000   # tiny

The workload (issue 15): ``--schools`` schools, ``--pupils`` pupils, absences by day and by
lesson, guardians' notices, late arrivals, half the events on a tenth of the pupils, the
school year in log order. It is ingested once, about the largest size, into a fresh
schema (``--keep`` keeps it, ``--schema`` reuses a kept one); each size then catches up
the views from empty over the first that many positions of the log (sizes count log
positions: receipts and the case's decisions are events too).

Printed per size: CPU ms per 1,000 events by tenth of the log (views, then raw), SQL
statements per event (``execute``/``executemany`` calls: round trips), and the ratio of
the raw CPU time to the views' (1.0: the views cost no more than reading the log). The
machine is shared: CPU seconds and ratios count, wall clock less.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg

from projections.db import Transaction, ViewDatabase
from projections.follower import Follower, LoggedEvent
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import postgres_environ
from tests.support.events import absent, calendar, enrolled, envelope, notice

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--pupils", "40", "--schools", "2", "--sizes", "600")

Events = list[dict[str, Any]]
YEAR = "2025-2026"  # a school year that has ended: nothing lies in the future


def school_days() -> list[date]:
    first = date(2025, 8, 18)
    return [d for d in (first + timedelta(days=n) for n in range(310)) if d.weekday() < 5][:190]


def workload(count: int, pupils: int, schools: int, seed: int = 15) -> tuple[Events, Events]:
    """(setup: calendars and enrolments, then ``count`` events through the year)."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(pupils)]
    school = {p: f"school-{n % schools}" for n, p in enumerate(ids)}
    hot = ids[: max(1, pupils // 10)]
    setup = [calendar(YEAR, school_id=f"school-{n}") for n in range(schools)]
    setup += [enrolled(p, school_year=YEAR, more={"school_id": school[p]}) for p in ids]
    days = school_days()
    events: Events = []
    for i in range(count):
        pupil = rng.choice(hot) if i % 2 else rng.choice(ids)
        day = days[min(len(days) - 1, i * len(days) // count)].isoformat()
        at = f"{day}T14:00:00+02:00"
        roll = rng.random()
        if roll < 0.3:
            events.append(absent(pupil, day, occurred_at=at))
        elif roll < 0.7:
            events.append(absent(pupil, day, period=rng.randint(1, 8), occurred_at=at))
        elif roll < 0.85:
            events.append(notice(pupil, day, lessons=None if rng.random() < 0.5
                                 else sorted(rng.sample(range(1, 9), 2)), occurred_at=at))
        else:
            events.append(envelope("LateArrivalRecorded", {
                "pupil_id": pupil, "date": day, "minutes_late": rng.randint(5, 40)},
                occurred_at=at))
    return setup, events


class Counting:
    """A view database whose transactions count the statements they send."""

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db
        self.sealer = db.sealer
        self.statements = 0

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._db.transaction() as tx:
            yield _CountingTransaction(tx, self)

    def ping(self) -> None:
        self._db.ping()

    def close(self) -> None:
        self._db.close()


class _CountingTransaction:
    def __init__(self, tx: Transaction, counter: Counting) -> None:
        self._tx = tx
        self._counter = counter
        self.sealer = tx.sealer

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        self._counter.statements += 1
        return self._tx.execute(sql, params)

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self._counter.statements += 1
        self._tx.executemany(sql, rows)

    def one_of(self, name: str, values: Any) -> tuple[str, dict[str, Any]]:
        return self._tx.one_of(name, values)


def ingest(service: Service, events: Events, batch: int = 1000) -> int:
    accepted = 0
    for start in range(0, len(events), batch):
        outcomes = service.ingestor.ingest(events[start:start + batch])
        accepted += sum(o.status == "accepted" for o in outcomes)
    return accepted


def by_tenth(marks: list[tuple[int, float]], first: int, last: int) -> list[float]:
    """CPU ms per 1,000 events in each tenth of positions ``first``..``last``, from
    (position reached, CPU seconds so far) after each batch."""
    span = (last - first) / 10
    tenths, previous = [], (first, 0.0)
    for n in range(1, 11):
        bound = first + span * n
        reached = next((m for m in marks if m[0] >= bound), marks[-1])
        events = max(1, reached[0] - previous[0])
        tenths.append((reached[1] - previous[1]) * 1e6 / events)
        previous = reached
    return tenths


def catch_up(service: Service, size: int, batch: int) -> tuple[list[tuple[int, float]], int]:
    """The views built from empty up to position ``size``: (marks, statements sent)."""
    counting = Counting(service.views)
    sink = service.pupil_views.sink
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    reached = [0]
    consume = sink.consume

    def consumed(events: Sequence[LoggedEvent], start: int, end: int) -> None:
        consume(events, start, end)
        reached[0] = end  # where the batch ended, without asking the database again

    sink.db, sink.consume = counting, consumed  # type: ignore[attr-defined, assignment]
    follower = Follower(service.app, sink, batch_size=batch)
    marks, started = [], time.process_time()
    try:
        while reached[0] < size and follower.run_once():
            marks.append((reached[0], time.process_time() - started))
    finally:
        sink.db, sink.consume = counting._db, consume  # type: ignore[attr-defined, method-assign]
    return marks, counting.statements


def read_raw(service: Service, size: int, batch: int) -> list[tuple[int, float]]:
    """eventsourcing's read + decode of the same notifications, batch by batch."""
    recorder, mapper = service.app.recorder, service.app.mapper
    marks, position, started = [], 0, time.process_time()
    while position < size:
        notifications = recorder.select_notifications(start=position + 1, limit=batch)
        if not notifications:
            break
        for n in notifications:
            mapper.to_domain_event(n)
        position = notifications[-1].id
        marks.append((position, time.process_time() - started))
    return marks


def report(service: Service, size: int, batch: int) -> None:
    head = min(size, service.app.recorder.max_notification_id() or 0)
    raw = read_raw(service, head, batch)
    wall = time.perf_counter()
    views, statements = catch_up(service, head, batch)
    wall = time.perf_counter() - wall
    raw_cpu, views_cpu = raw[-1][1], views[-1][1]
    print(f"\n{head:,} events: views {views_cpu:.2f} s CPU ({wall:.2f} s wall, "
          f"{head / views_cpu:,.0f} ev/s CPU), raw read+decode {raw_cpu:.2f} s CPU "
          f"({head / raw_cpu:,.0f} ev/s)")
    view_tenths, raw_tenths = by_tenth(views, 0, head), by_tenth(raw, 0, head)
    print("  ms CPU per 1,000 events by tenth of the log:")
    print("    views: " + " ".join(f"{t:7.1f}" for t in view_tenths))
    print("    raw:   " + " ".join(f"{t:7.1f}" for t in raw_tenths))
    print(f"  last tenth / first: views {view_tenths[-1] / view_tenths[0]:.2f}, "
          f"raw {raw_tenths[-1] / raw_tenths[0]:.2f}")
    print(f"  SQL statements per event: {statements / head:.3f} ({statements:,})")
    print(f"  ratio (raw CPU / views CPU): {raw_cpu / views_cpu:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True, help="libpq conninfo")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--large", action="store_true", help="also 200k events")
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--schema", help="reuse a schema kept by an earlier run")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()
    sizes = sorted({*args.sizes, *([200_000] if args.large else [])})
    schema = args.schema or f"bench_{uuid.uuid4().hex[:8]}"
    if not args.schema:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    service = build(Settings.from_environ(postgres_environ(args.postgres, schema)),
                    with_relay=False)
    try:
        if not args.schema:
            # Each posted event adds about three to the log (receipts, the case's decisions).
            setup, events = workload(sizes[-1] // 3, args.pupils, args.schools)
            started = time.perf_counter()
            accepted = ingest(service, setup + events)
            print(f"ingested {accepted:,} of {len(setup) + len(events):,} events in "
                  f"{time.perf_counter() - started:.0f} s into schema {schema}; log head "
                  f"{service.app.recorder.max_notification_id():,}")
        for size in sizes:
            report(service, size, args.batch)
    finally:
        service.close()
        if not (args.keep or args.schema):
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
