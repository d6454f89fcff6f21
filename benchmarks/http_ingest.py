"""The integrator's night: 50,000 events posted over HTTP to gunicorn on PostgreSQL.

    python -m benchmarks.http_ingest --postgres "host=127.0.0.1 user=postgres dbname=test"

Starts gunicorn with deploy/gunicorn.conf.py (2 workers) in a fresh schema, then posts
``--events`` events in batches of ``--batch`` from 1 and from 4 concurrent clients and
prints events/s. Numbers, not assertions; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

import psycopg

from benchmarks.ingest import workload
from tests.conftest import postgres_environ
from tests.support.http import Gunicorn, call

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--events", "120", "--batch", "40", "--pupils", "40")


def post_all(base: str, events: list[dict[str, object]], batch: int, clients: int) -> float:
    batches = [events[i:i + batch] for i in range(0, len(events), batch)]
    started = time.perf_counter()

    def client(mine: list[list[dict[str, object]]]) -> None:
        for chunk in mine:
            status, answer = call("POST", f"{base}/v1/events", {"events": chunk})
            assert status == 200 and answer["accepted"] == len(chunk), (status, answer)

    threads = [threading.Thread(target=client, args=(batches[i::clients],))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(events) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=2000)
    args = parser.parse_args()
    for clients in (1, 4):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        server = Gunicorn({**postgres_environ(args.postgres, schema),
                           "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"}, workers=2)
        try:
            setup, events = workload(args.events, pupils=args.pupils)
            call("POST", f"{server.base}/v1/events", {"events": setup[:1000]})
            call("POST", f"{server.base}/v1/events", {"events": setup[1000:]})
            rate = post_all(server.base, events, args.batch, clients)
            print(f"{args.events} events, batches of {args.batch}, {clients} client(s): "
                  f"{rate:,.0f} events/s")
        finally:
            server.stop()
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
