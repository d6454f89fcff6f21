"""Follows the application's event log from a saved position, a batch at a time.

eventsourcing's own ProjectionRunner commits once per event; following in batches
writes each batch and its position in one transaction instead, which is what makes a
rebuild of 50,000 events take seconds rather than a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.application import Application

from projections import positions
from projections.db import Transaction, ViewDatabase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    event: Any


class Sink(Protocol):
    """Where a follower delivers events; it owns the position it has reached."""

    name: str

    def position(self) -> int: ...

    def consume(self, batch: Sequence[LoggedEvent], start: int, end: int) -> None:
        """Deliver ``batch`` and move the position from ``start`` to ``end``."""
        ...


class Projection(Protocol):
    name: str

    def create_tables(self, tx: Transaction) -> None: ...

    def apply(self, tx: Transaction, logged: LoggedEvent) -> None: ...


class ViewSink:
    """Applies a projection's batch and its new position in one transaction (exactly once)."""

    def __init__(self, db: ViewDatabase, projection: Projection) -> None:
        self.db = db
        self.projection = projection
        self.name = projection.name
        with db.transaction() as tx:
            positions.create(tx)
            projection.create_tables(tx)

    def position(self) -> int:
        return positions.read(self.db, self.name)

    def consume(self, batch: Sequence[LoggedEvent], start: int, end: int) -> None:
        with self.db.transaction() as tx:
            for logged in batch:
                self.projection.apply(tx, logged)
            positions.advance(tx, self.name, start, end)


class Follower:
    def __init__(self, app: Application[Any], sink: Sink, *, batch_size: int = 1000) -> None:
        self.app = app
        self.sink = sink
        self.batch_size = batch_size
        self.last_error: str | None = None
        self.stopped = threading.Event()

    def run_once(self) -> int:
        """Deliver the next batch, if any; answer how many events it held."""
        start = self.sink.position()
        notifications = self.app.recorder.select_notifications(
            start=start + 1, limit=self.batch_size)
        if not notifications:
            return 0
        batch = [LoggedEvent(n.id, self.app.mapper.to_domain_event(n)) for n in notifications]
        self.sink.consume(batch, start, notifications[-1].id)
        return len(batch)

    def catch_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.sink.position())

    def run(self, poll_interval: float = 0.2) -> None:
        """Follow until stopped; errors are logged and retried, never silently dropped."""
        backoff = poll_interval
        while not self.stopped.is_set():
            try:
                delivered = self.run_once()
            except Exception as error:  # supervised: keep following, report health
                self.last_error = type(error).__name__
                log.exception("follower %s failed; retrying in %.1fs", self.sink.name, backoff)
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            self.last_error = None
            backoff = poll_interval
            if not delivered:
                self.stopped.wait(poll_interval)

    def stop(self) -> None:
        self.stopped.set()

    def start_thread(self, poll_interval: float = 0.2) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(poll_interval,),
                                  name=f"follower-{self.sink.name}", daemon=True)
        thread.start()
        return thread


def wait_until(condition: Any, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
