"""Ingestion and projection throughput, printed as numbers (never asserted).

    python -m benchmarks.ingest                  # SQLite in a temporary folder
    python -m benchmarks.ingest --postgres "host=127.0.0.1 user=postgres dbname=test"

Posts ``--events`` absence events for 200 pupils through the Ingestor in batches of
each ``--batch`` size (a fresh store per size), then rebuilds the absence view once from
the whole log. The machine is shared: compare ratios from one run, not runs.
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
import time
import uuid
from datetime import date, timedelta

import psycopg

from services.bootstrap import build
from services.config import Settings
from tests.conftest import postgres_environ
from tests.support.events import absent, enrolled

Events = list[dict[str, object]]


def workload(count: int, pupils: int = 200) -> tuple[Events, Events]:
    ids = [str(uuid.uuid4()) for _ in range(pupils)]
    days = [date(2026, 8, 17) + timedelta(days=d) for d in range(300)]
    school_days = [d for d in days if d.weekday() < 5][:190]
    events = [absent(ids[i % pupils], school_days[(i // pupils) % 190].isoformat(),
                     period=(i // (pupils * 190)) % 8 + 1) for i in range(count)]
    return [enrolled(p) for p in ids], events


def run(environ: dict[str, str], batch: int, count: int) -> tuple[float, float]:
    service = build(Settings.from_environ(environ), with_relay=False)
    try:
        setup, events = workload(count)
        service.ingestor.ingest(setup)
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            outcomes = service.ingestor.ingest(events[start:start + batch])
            assert all(o.status == "accepted" for o in outcomes), outcomes[0]
        ingest_rate = len(events) / (time.perf_counter() - started)
        follower = service.projections[0]
        started = time.perf_counter()
        applied = follower.catch_up()
        project_rate = applied / (time.perf_counter() - started)
        return ingest_rate, project_rate
    finally:
        service.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="libpq conninfo; default SQLite")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--encrypted", action="store_true",
                        help="with a master key: each pupil's events under the pupil's key")
    args = parser.parse_args()
    store = "PostgreSQL" if args.postgres else "SQLite"
    cipher = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
              "CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()} if args.encrypted else {}
    print(f"{store}{', per-pupil keys' if cipher else ''}: {args.events} AbsenceRecorded "
          "events, 200 pupils")
    print(f"{'batch':>6} {'ingest ev/s':>12} {'project ev/s':>13}")
    for batch in args.batch:
        count = min(args.events, 500 * batch)  # keep batch=1 runs short
        with tempfile.TemporaryDirectory() as folder:
            if args.postgres:
                schema = f"bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"CREATE SCHEMA {schema}")
                environ = postgres_environ(args.postgres, schema)
            else:
                environ = {"SQLITE_DBNAME": f"{folder}/bench.sqlite"}
            try:
                ingest_rate, project_rate = run({**environ, **cipher}, batch, count)
            finally:
                if args.postgres:
                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        print(f"{batch:>6} {ingest_rate:>12,.0f} {project_rate:>13,.0f}   ({count} events)")


if __name__ == "__main__":
    main()
