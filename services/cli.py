"""Command line: the background worker (projections and Kafka relay) and operator tasks."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

from services.bootstrap import build
from services.config import Settings
from services.evidence import checkpoints
from services.evidence.verify import Progress, verify_store


def run_worker(args: argparse.Namespace) -> int:
    """Follow the log: the projections, the audit log and the deadline clock, and the
    Kafka relays when Kafka is configured (``--only-relay``: the relays alone)."""
    settings = Settings.from_environ()
    service = build(settings, with_relay=None if args.relay else False)
    chosen = service.relays if args.only_relay else service.workers
    if not chosen:
        print("KAFKA_BOOTSTRAP_SERVERS is not set: no relay to run", file=sys.stderr)
        return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        for worker in service.workers:
            worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.start_workers(chosen)
    for thread in service.threads:
        while thread.is_alive():
            thread.join(timeout=1)
    service.close()
    return 0


def catch_up(args: argparse.Namespace) -> int:
    """Bring every projection up to the head of the log once, then exit."""
    service = build(Settings.from_environ(), with_relay=False)
    for follower in service.projections:
        count = follower.catch_up()
        print(f"{follower.name}: {count} events applied, lag {follower.lag()}")
    service.close()
    return 0


def rebuild(args: argparse.Namespace) -> int:
    """Empty the pupil views and build them again from the whole log."""
    from projections.pupil_views import PupilViews

    service = build(Settings.from_environ(), with_relay=False)
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    count = service.pupil_views.catch_up()
    print(f"pupil-views rebuilt from {count} events")
    service.close()
    return 0


def status(args: argparse.Namespace) -> int:
    """Print how far each follower is behind the log; exit 1 past --max-lag or on error."""
    settings = Settings.from_environ()
    service = build(settings, with_relay=None)
    healthy = True
    try:
        for worker in service.workers:
            lag = worker.lag()
            healthy &= args.max_lag is None or lag <= args.max_lag
            print(f"{worker.name}: lag {lag}")
    except Exception as error:  # the health answer is the exit code
        print(f"unhealthy: {type(error).__name__}", file=sys.stderr)
        healthy = False
    finally:
        service.close()
    return 0 if healthy else 1


def verify(args: argparse.Namespace) -> int:
    """Recompute the tamper-evident log with a progress bar; exit 1 when it is broken."""
    service = build(Settings.from_environ(), with_relay=False)
    try:
        key = None
        if args.public_key:
            with open(args.public_key, "rb") as pem:
                key = checkpoints.load_public_key(pem.read())
        if args.catch_up:
            service.audit_log.catch_up()
        started = time.monotonic()
        result = verify_store(service.app, service.views, progress_bar(), key=key)
        seconds = time.monotonic() - started
        sys.stderr.write("\n")
        if lag := service.audit_log.lag():
            print(f"note: {lag} newer event(s) are not yet recorded by the audit log",
                  file=sys.stderr)
        if result.intact:
            print(f"intact: {result.checked} stored events checked in {seconds:.1f}s")
            return 0
        print(f"NOT intact: first broken position {result.first_broken_position}: "
              f"{result.reason} ({result.checked} stored events checked)")
        return 1
    finally:
        service.close()


def progress_bar(stream: Any = None, width: int = 30) -> Progress:
    """A plain-text progress bar: ``\\r[#####-----]  50% 5000/10000``."""
    out = sys.stderr if stream is None else stream

    def show(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        filled = int(share * width)
        out.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {share:4.0%} {done}/{total}")
        out.flush()

    return show


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="skolefravaer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help=run_worker.__doc__)
    worker.add_argument("--no-relay", dest="relay", action="store_false",
                        help="do not publish to Kafka even when it is configured")
    worker.add_argument("--only-relay", action="store_true",
                        help="run only the Kafka relay")
    worker.set_defaults(func=run_worker)
    commands.add_parser("catch-up", help=catch_up.__doc__).set_defaults(func=catch_up)
    commands.add_parser("rebuild", help=rebuild.__doc__).set_defaults(func=rebuild)
    verify_parser = commands.add_parser("verify", help=verify.__doc__)
    verify_parser.add_argument("--public-key", help="the published public key (PEM file)")
    verify_parser.add_argument("--no-catch-up", dest="catch_up", action="store_false",
                               help="do not first record events the audit log has not seen")
    verify_parser.set_defaults(func=verify)
    status_parser = commands.add_parser("status", help=status.__doc__)
    status_parser.add_argument("--max-lag", type=int, default=None)
    status_parser.set_defaults(func=status)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
