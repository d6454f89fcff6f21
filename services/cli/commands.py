"""The commands that build the whole service: the background worker and the operator tasks
that read or rewrite the views."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from projections import shares
from projections.follower import MAX_BACKOFF
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.cli.progress import Bar, confirmed, progress
from services.cli.shares import follow, reshard
from services.config import Settings
from services.evidence import checkpoints
from services.evidence.verify import Progress, verify_store
from services.store.outages import OUTAGES

Command = Callable[[argparse.Namespace, Settings], int]

log = logging.getLogger(__name__)


def built_when_the_store_answers(settings: Settings, **options: Any) -> Service:
    """The service, once its database answers: a worker (re)started while PostgreSQL
    restarts waits for it, as its workers do once running, rather than exiting."""
    backoff = 1.0
    while True:
        try:
            return build(settings, **options)
        except OUTAGES as error:
            log.warning("the store does not answer (%s); trying again in %.0fs",
                        type(error).__name__, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    service = built_when_the_store_answers(settings.for_worker(),
                                           with_relay=None if args.relay else False)
    try:
        follow(service, args.shares, args.share)
    except (shares.LayoutChanged, ValueError) as error:
        print(error, file=sys.stderr)
        service.close()
        return 78
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


def catch_up(args: argparse.Namespace, settings: Settings) -> int:
    service = build(settings, with_relay=False)
    for follower in service.projections:
        count = follower.catch_up()
        print(f"{follower.name}: {count} events applied, lag {follower.lag()}")
    service.close()
    return 0


def rebuild(args: argparse.Namespace, settings: Settings) -> int:
    question = "Empty the pupil views and build them again from the whole log?"
    if not (args.yes or confirmed(question)):
        print("not rebuilt: pass --yes to rebuild without being asked", file=sys.stderr)
        return 1
    service = build(settings, with_relay=False)
    try:
        with service.views.transaction() as tx:
            PupilViews().clear(tx)
            shares.forget(tx, PupilViews.name)
        applied = [0] * len(service.projections)
        with progress("rebuild", total=sum(f.lag() for f in service.projections)) as bar:
            for n, follower in enumerate(service.projections):  # each share reads the log
                while count := follower.run_once():
                    applied[n] += count
                    bar.update(count)
        print(f"{PupilViews.name} rebuilt from {max(applied)} events")
        return 0
    finally:
        service.close()


def verify(args: argparse.Namespace, settings: Settings) -> int:
    service = build(settings, with_relay=False)
    try:
        key = None
        if args.public_key:
            with open(args.public_key, "rb") as pem:
                key = checkpoints.load_public_key(pem.read())
        if args.catch_up:
            service.audit_log.catch_up()
        started = time.monotonic()
        with progress("verify") as bar:
            result = verify_store(service.app, service.views, _shown_on(bar), key=key)
        seconds = time.monotonic() - started
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


def _shown_on(bar: Bar) -> Progress:
    """verify_store's progress (done, total) on a bar that learns the total as it goes."""

    def show(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return show


COMMANDS: dict[str, Command] = {"worker": run_worker, "catch-up": catch_up,
                                "rebuild": rebuild, "verify": verify, "reshard": reshard}
