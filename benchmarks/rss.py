"""Peak RSS of the view worker and of the API as deployed, at two log sizes (issue 15: they
must not grow with the log; 10k against 200k within 20 %).

    python -m benchmarks.rss --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.rss --postgres ... --reuse bench_dossier200k   # a kept 200k log

For each ``--sizes`` a log of that many stored events is built in a fresh schema as
`benchmarks.proofs` builds it (lesson absences of 2,000 pupils, one pupil's history of about
1,000 events spread over it) and the audit log caught up; ``--reuse`` takes a log kept by
``benchmarks.proofs --keep`` as the largest size instead. Then, each in its own process:

- the view worker as deployed (``python -m services.cli worker``), its pupil views emptied
  first, so it folds the whole log from the start;
- gunicorn with deploy/gunicorn.conf.py (2 workers), once the views have caught up, serving
  ``--rounds`` rounds of a mix: a batch posted (a day's absence of 200 pupils with a history,
  new pupils' enrolments and absences), per-pupil reads (tally, case, history) and the large
  pupil's dossier as JSON and as PDF.

Printed per size: the peak RSS (VmHWM) of the worker process and of the largest gunicorn
worker, then each one's ratio of the largest size to the smallest. Figures, not assertions.

Measured (2 shared cores, ``--reuse`` of a kept 200k log grown to 232k by earlier runs):
the API 158 MB at 10k, 175 MB at 232k (1.11); the worker 87 MB and 226 MB (2.61). The
worker's growth is its overdue clock, which posts through the Ingestor: every aggregate it
loads stays in eventsourcing's cache (``AGGREGATE_CACHE_MAXSIZE`` 20,000, services/config)
and a pupil's aggregates grow with the pupil's history. One clock round of 1,000 overdue
tasks on the 232k log took a process from 90 to 183 MB; with a cache of 50 it stayed at
90 MB. The pupil views' fold from empty: 84 MB at 20k events, 90 MB at 220k.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.proofs import DEFAULT_POSTGRES, OTHER_PUPILS, build_log, keep_log, kept_log
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import ROOT, postgres_environ
from tests.support import tokens
from tests.support.events import absent, enrolled
from tests.support.http import Gunicorn

# A run of seconds, for benchmarks.smoke.
TINY = ("--postgres", "{postgres}", "--sizes", "500", "1000", "--pupils", "20",
        "--pupil-events", "40", "--rounds", "1")

CATCH_UP_TIMEOUT = 3600.0  # seconds for the worker to fold the largest log
UNAVAILABLE_ATTEMPTS = 5
KNOWN_PER_POST = 200  # pupils with a history whose absences each post of the mix carries


@dataclass(frozen=True)
class Peaks:
    size: int
    worker_mb: float
    api_mb: float
    fold_seconds: float


def peak_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmHWM for process {pid}")


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (gunicorn's workers, for its master)."""
    return [int(child) for child in
            Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def fetch(url: str, body: object = None, accept: str = "application/json") -> bytes:
    """One request with the default test token; the answer's body (a 2xx, else an error).
    A 503 (the views not caught up within the read's wait, under load) is asked again."""
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(
        url, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": accept, "Authorization":
                 f"Bearer {tokens.default_for(method, urllib.parse.urlsplit(url).path)}"})
    for attempt in range(UNAVAILABLE_ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            if error.code != 503 or attempt == UNAVAILABLE_ATTEMPTS - 1:
                raise
            print(f"503 on {method} {urllib.parse.urlsplit(url).path.split('/')[-1]}, "
                  "asked again", flush=True)
    raise AssertionError("unreachable")


def serve_mix(base: str, pupil: uuid.UUID, known: list[str], rounds: int) -> None:
    """What the API serves in a working day, in little: posts (a day's absences of pupils
    with a history, new pupils) and per-pupil reads."""
    for day in range(1, rounds + 1):
        fresh = [str(uuid.uuid4()) for _ in range(20)]
        fetch(f"{base}/v1/events", {"events": [
            *(absent(p, f"2027-06-{day:02}") for p in known),
            *(enrolled(p) for p in fresh),
            *(absent(p, "2026-09-01", period=period) for p in fresh for period in range(1, 5))]})
        for who in [str(pupil), *fresh[:4]]:
            for read in ("absence", "case", "history"):
                fetch(f"{base}/v1/pupils/{who}/{read}")
        fetch(f"{base}/v1/pupils/{pupil}/dossier")
        fetch(f"{base}/v1/pupils/{pupil}/dossier", accept="application/pdf")


def measure(environ: dict[str, str], pupil: uuid.UUID, known: list[str], rounds: int
            ) -> tuple[float, float, float]:
    """(worker peak MB, API peak MB, seconds the worker took to fold the log)."""
    worker = subprocess.Popen([sys.executable, "-m", "services.cli", "worker", "--no-relay"],
                              cwd=ROOT, env={**environ, "LOG_LEVEL": "WARNING"})
    service = build(Settings.from_environ(environ), with_relay=False)
    try:
        started = time.perf_counter()
        while service.pupil_views.lag() > 0:
            if time.perf_counter() - started > CATCH_UP_TIMEOUT or worker.poll() is not None:
                raise RuntimeError(f"the worker did not fold the log (exit {worker.poll()})")
            time.sleep(0.5)
        folded = time.perf_counter() - started
        api = Gunicorn(environ, workers=2)
        try:
            serve_mix(api.base, pupil, known, rounds)
            api_mb = max(peak_mb(pid) for pid in children(api.process.pid))
        finally:
            api.stop()
        return peak_mb(worker.pid), api_mb, folded
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        service.close()


def known_pupils(service: Service, count: int) -> list[str]:
    """``count`` pupils with a history in the log, before the views are emptied."""
    with service.views.transaction() as tx:
        rows = tx.execute("SELECT DISTINCT pupil_id FROM pupil_log WHERE pupil_id IS NOT NULL "
                          "ORDER BY pupil_id LIMIT :count", {"count": count})
    return [str(row[0]) for row in rows]


def peaks_at(conninfo: str, schema: str, size: int, args: argparse.Namespace) -> Peaks:
    """Build (or take the kept) log in ``schema``, empty its views, and measure."""
    environ = postgres_environ(conninfo, schema)
    service = build(Settings.from_environ(environ), with_relay=False)
    try:
        log = kept_log(service)
        if log is None:
            log = build_log(service, size, args.pupil_events, 1000, args.pupils)
            keep_log(service, log)
        service.audit_log.catch_up()
        service.pupil_views.catch_up()
        known = known_pupils(service, KNOWN_PER_POST)
        with service.views.transaction() as tx:
            PupilViews().clear(tx)
        head = service.app.recorder.max_notification_id() or 0
    finally:
        service.close()
    worker_mb, api_mb, folded = measure(environ, log.pupil, known, args.rounds)
    peaks = Peaks(head, worker_mb, api_mb, folded)
    print(f"log of {head:,} events: worker peak {worker_mb:6.0f} MB (folded the log in "
          f"{folded:.0f} s); API peak {api_mb:6.0f} MB (largest gunicorn worker)", flush=True)
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="libpq conninfo")
    parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 200_000],
                        help="two log sizes (stored events)")
    parser.add_argument("--reuse", metavar="bench_NAME",
                        help="a log kept by benchmarks.proofs --keep, as the larger size")
    parser.add_argument("--pupils", type=int, default=OTHER_PUPILS)
    parser.add_argument("--pupil-events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the API's mix")
    args = parser.parse_args()
    small, large = sorted(args.sizes)
    made = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(1 if args.reuse else 2)]
    with psycopg.connect(args.postgres, autocommit=True) as connection:
        for schema in made:
            connection.execute(f"CREATE SCHEMA {schema}")
    try:
        first = peaks_at(args.postgres, made[0], small, args)
        second = peaks_at(args.postgres, args.reuse or made[1], large, args)
        print(f"peak RSS, {second.size:,} ÷ {first.size:,} events: "
              f"worker {second.worker_mb / first.worker_mb:.2f}, "
              f"API {second.api_mb / first.api_mb:.2f}")
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            for schema in made:
                connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
