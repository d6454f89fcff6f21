"""What consistent reads cost: a read waits until the pupil views have reached the log's head.

    python -m benchmarks.consistent_reads --postgres "host=127.0.0.1 user=postgres dbname=test"

On PostgreSQL, through the Flask app in this process (no HTTP server: the figures are the
service's, not a socket's). Prints, median and 95th percentile in milliseconds:

- caught up: a tally read, and of it the consistency check (the log's head and the views'
  position, as the service asks them), and the same two lookups as raw SQL on one
  connection: the floor the check can approach;
- a read after another read's PRIV-3 record (history), which it looks past (the record's
  topic) rather than delivers to the views, and what delivering it would cost;
- a read at once after a post: the read brings the views forward itself; and, for
  comparison, waiting for the background follower as before (polling every 0.2 s).

Numbers, not assertions; compare within one run.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from projections.follower import wait_until
from services.bootstrap import build
from services.config import Settings
from services.http.context import CATCH_UP
from tests.conftest import postgres_environ
from tests.support import http
from tests.support.events import absent, enrolled, new_pupil

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--rounds", "3")

ROUNDS = 300


def timed(action: Callable[[], Any], rounds: int = ROUNDS) -> list[float]:
    """Milliseconds per call of ``action``, after a few calls to warm up."""
    for _ in range(5):
        action()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(label: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"{label:<62} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms")


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed reads per figure")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    service = build(Settings.from_environ(postgres_environ(args.postgres, schema)))
    try:
        run(service, args.postgres, schema, args.rounds)
    finally:
        service.close()
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def run(service: Any, conninfo: str, schema: str, rounds: int) -> None:
    fewer = max(2, rounds // 6)  # for reads that each need a post or a record first

    def each(prepare: Callable[[], Any], action: Callable[[], Any]) -> list[float]:
        return after_each(prepare, action, fewer)
    client = http.client(service)
    pupil = new_pupil()
    ok(client.post("/v1/events", json={"events": [enrolled(pupil), absent(pupil, "2026-09-01")]}))
    tally = f"/v1/pupils/{pupil}/absence"
    ok(client.get(tally))
    catch_up = client.application.extensions[CATCH_UP]()

    print("caught up")
    line("  tally read (consistent, the default)", timed(lambda: ok(client.get(tally)), rounds))
    line("  of it, the check: log head + views' position",
         timed(lambda: catch_up.reach(service.app.recorder.max_notification_id(), 5.0), rounds))
    with psycopg.connect(conninfo, autocommit=True) as raw:
        raw.execute(f"SET search_path TO {schema}")

        def lookups() -> None:
            raw.execute("SELECT max(notification_id) FROM skolefravaer_events").fetchone()
            raw.execute("SELECT position FROM projection_position WHERE name = %s",
                        ("pupil-views",)).fetchone()

        line("  raw SQL: the same two lookups on one open connection", timed(lookups, rounds))

    history = f"/v1/pupils/{pupil}/history"
    print("after another read's PRIV-3 record")
    line("  history read (records the read)", timed(lambda: ok(client.get(history)), fewer))
    line("  tally read looking past the one record", each(
        lambda: (service.pupil_views.catch_up(), ok(client.get(history))),
        lambda: ok(client.get(tally))))
    line("    of it, the look (the record's topic)", each(
        lambda: (service.pupil_views.catch_up(), ok(client.get(history))),
        lambda: catch_up._only_reads(catch_up.position(),
                                     service.app.recorder.max_notification_id())))
    line("    instead: delivering the record to the views", each(
        lambda: (service.pupil_views.catch_up(), ok(client.get(history))),
        lambda: catch_up._deliver_one(service.pupil_views)))

    print("at once after a post (enrolment and an absent day)")
    line("  read brings the views forward itself", each(
        lambda: post_new_pupil(client), lambda: ok(client.get(tally))))
    service.start_workers([service.pupil_views])
    line("  the same, a background follower polling every 0.2 s too", each(
        lambda: post_new_pupil(client), lambda: ok(client.get(tally))))
    line("  before: wait for the background follower, then read", each(
        lambda: post_new_pupil(client),
        lambda: wait_until(lambda: service.pupil_views.sink.position()
                           >= service.app.recorder.max_notification_id(), 5.0, 0.005)
        and ok(client.get(f"{tally}?min_position=1"))))


def post_new_pupil(client: Any) -> None:
    pupil = new_pupil()
    ok(client.post("/v1/events", json={"events": [enrolled(pupil), absent(pupil, "2026-09-01")]}))


def after_each(prepare: Callable[[], Any], action: Callable[[], Any],
               rounds: int) -> list[float]:
    """Milliseconds of ``action`` alone, each time right after ``prepare``."""
    times = []
    for _ in range(rounds):
        prepare()
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    main()
