"""The integrator's night: events posted over HTTP to gunicorn on PostgreSQL, beside the
same events ingested in-process, in the same run.

    python -m benchmarks.http_ingest --postgres "host=127.0.0.1 user=postgres dbname=test"

Ingests ``--events`` events of ``benchmarks.ingest``'s workload in batches of ``--batch``
in this process (the in-process figure), then starts gunicorn with
deploy/gunicorn.conf.py (2 workers) in a fresh schema and posts the same events from 1
and from 4 concurrent clients. Prints events/s, the ratio to in-process and the workers'
peak RSS. Numbers, not assertions; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from benchmarks.ingest import Schema, ingest, workload
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


def peak_rss(parent: int) -> list[float]:
    """The peak RSS (MB, the kernel's VmHWM) of each child of ``parent``: gunicorn's
    workers."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:  # exited meanwhile
            continue
        if int(fields.get("PPid", "0")) == parent and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return sorted(peaks)


def over_http(conninfo: str, events: int, batch: int, clients: int, pupils: int
              ) -> tuple[float, list[float]]:
    with Schema(conninfo) as environ:
        server = Gunicorn({**environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                          workers=2)
        try:
            setup, facts = workload(events, pupils=pupils)
            call("POST", f"{server.base}/v1/events", {"events": setup[:1000]})
            call("POST", f"{server.base}/v1/events", {"events": setup[1000:]})
            rate = post_all(server.base, facts, batch, clients)
            return rate, peak_rss(server.process.pid)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--pupils", type=int, default=2000)
    args = parser.parse_args()
    with Schema(args.postgres) as environ:
        figures = ingest(environ, args.batch, args.events, args.pupils)
    in_process = args.events / figures.seconds
    print(f"{args.events} events, batches of {args.batch}, PostgreSQL:")
    print(f"  in-process   {in_process:>8,.0f} ev/s  peak RSS {figures.rss:,.0f} MB")
    for clients in (1, 4):
        rate, peaks = over_http(args.postgres, args.events, args.batch, clients,
                                 args.pupils)
        print(f"  HTTP, {clients} client{'s' if clients > 1 else ' '} {rate:>8,.0f} ev/s  "
              f"{rate / in_process:.2f} × in-process  workers' peak RSS "
              f"{', '.join(f'{p:,.0f}' for p in peaks)} MB")


if __name__ == "__main__":
    main()
