"""The pupil views in shares beside one worker, on one log of several municipalities, in one
run on PostgreSQL (figures printed, never asserted; docs/scale-out.md).

    python -m benchmarks.shares --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.shares --postgres ... --events 2000 --shares 2      # tiny

Each share reads and decodes the whole log and folds its municipalities' events. Printed:
the CPU seconds of this process for eventsourcing's read + decode of the log (raw), for one
worker's catch-up from empty, and for each share's catch-up from empty, one after another.
With a process per share the slowest share bounds the time (``slowest / one worker``: the
fraction of one worker's time that N processes need) and every share's repeated decode is
the overhead (``sum / one worker``). The machine is shared: CPU seconds and ratios count.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable

import psycopg

from projections import shares
from projections.follower import Follower, ViewSink
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import postgres_environ
from tests.support.events import absent, enrolled, notice, school_days

TINY = ("--postgres", "{postgres}", "--events", "2000", "--shares", "2")

TENANTS = ("0301", "1103", "4601", "5001", "3101", "3403", "1506", "4204")


def ingest(service: Service, events: int, pupils: int, seed: int = 15) -> None:
    rng = random.Random(seed)
    pupil_of = {str(uuid.UUID(int=rng.getrandbits(128))): TENANTS[n % len(TENANTS)]
                for n in range(pupils)}
    days = school_days(180)
    batch = [enrolled(p, tenant=t) for p, t in pupil_of.items()]
    for i in range(events):
        pupil = rng.choice(list(pupil_of))
        day, tenant = days[i * len(days) // events], pupil_of[pupil]
        roll = rng.random()
        batch.append(absent(pupil, day, tenant=tenant) if roll < 0.4 else
                     absent(pupil, day, period=rng.randint(1, 8), tenant=tenant) if roll < 0.8
                     else notice(pupil, day, tenant=tenant))
    for start in range(0, len(batch), 500):
        service.ingestor.ingest(batch[start:start + 500])


def cpu(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def decode_all(service: Service) -> None:
    start = 1
    while notifications := service.app.recorder.select_notifications(start=start, limit=1000):
        for notification in notifications:
            service.app.mapper.to_domain_event(notification)
        start = notifications[-1].id + 1


def from_empty(service: Service, count: int) -> list[Follower]:
    """Empty views of ``count`` shares, and a follower for each."""
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
        shares.forget(tx, PupilViews.name)
        shares.swap(tx, PupilViews.name, shares.count_in(tx, PupilViews.name), count, 0)
    return [Follower(service.app, ViewSink(service.views, PupilViews(), share))
            for share in shares.all_shares(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, help="a libpq conninfo")
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--pupils", type=int, default=400)
    parser.add_argument("--shares", type=int, default=4)
    args = parser.parse_args()
    schema = f"bench_shares_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        service = build(Settings.from_environ(postgres_environ(args.postgres, schema)))
        ingest(service, args.events, args.pupils)
        head = service.app.recorder.max_notification_id() or 0
        raw = cpu(lambda: decode_all(service))
        [whole] = from_empty(service, 1)
        one = cpu(whole.catch_up)
        each = [cpu(follower.catch_up) for follower in from_empty(service, args.shares)]
        service.close()
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
    print(f"log: {head} positions, {len(TENANTS)} municipalities")
    print(f"raw read + decode: {raw:.2f} s CPU")
    print(f"one worker: {one:.2f} s CPU ({one / raw:.1f} x raw)")
    print(f"{args.shares} shares: " + ", ".join(f"{s:.2f}" for s in each) + " s CPU")
    print(f"slowest / one worker: {max(each) / one:.2f}   sum / one worker: "
          f"{sum(each) / one:.2f}")


if __name__ == "__main__":
    main()
