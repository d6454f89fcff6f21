"""Follows the application's event log from a saved position, a batch at a time.

eventsourcing's own ProjectionRunner commits once per event; following in batches
writes each batch and its position in one transaction instead, which is what makes a
rebuild of 50,000 events take seconds rather than a minute.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.application import Application

from domain.disposal import DataDisposed
from projections import positions, shares
from projections.db import Transaction, ViewDatabase
from projections.leases import ALWAYS, Lease
from projections.outages import OUTAGES
from projections.shares import WHOLE, Share, Strangers

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0  # seconds: a part that is back is used again within this
STANDBY_INTERVAL = 1.0  # seconds between a waiting worker's tries to take over


class Unavailable(Exception):
    """A part the worker needs (the broker, say) does not answer now; retried quietly."""


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

    def fold(self, tx: Transaction, batch: Sequence[LoggedEvent], end: int) -> None:
        """Apply a batch's events (the log up to ``end``) in ``tx``; keep nothing after."""
        ...


class ViewSink:
    """Applies a projection's batch and its new position in one transaction (exactly once);
    of a `Share`, only the events of its tenants (`projections.shares`)."""

    def __init__(self, db: ViewDatabase, projection: Projection, share: Share = WHOLE) -> None:
        self.db = db
        self.projection = projection
        self.share = share
        self.name = share.name(projection.name)
        self.strangers = Strangers()
        with db.transaction() as tx:
            positions.create(tx)
            shares.create(tx)
            projection.create_tables(tx)

    def wants(self, notification: Any) -> bool:
        """Whether the event is worth decoding: not of a stream known to be another share's."""
        return not self.strangers.known(str(notification.originator_id))

    def position(self) -> int:
        return positions.read(self.db, self.name)

    def _owns(self, event: Any) -> bool:
        if self.share.owns(event):
            return True
        self.strangers.add(str(event.originator_id))
        return False

    def consume(self, batch: Sequence[LoggedEvent], start: int, end: int) -> None:
        statuses_at = end
        if self.share.count > 1:
            batch = [logged for logged in batch if self._owns(logged.event)]
            # The batch's messages go at its own last event: another share's batch may
            # end where this one does, and two shares must never write one outbox position.
            statuses_at = batch[-1].position if batch else end
        with self.db.transaction() as tx:
            positions.claim(tx, self.name, start)
            shares.check(tx, self.projection.name, self.share.count)
            self.projection.fold(tx, batch, statuses_at)
            positions.advance(tx, self.name, start, end)


class Worker:
    """A loop that delivers batches until stopped, under supervision: errors are logged,
    reported as ``last_error`` and retried with backoff, never silently dropped.

    It works only while it holds its ``lease`` (one worker of a kind at a time, whichever
    process runs it); otherwise it waits and tries again every second or so."""

    name: str

    def __init__(self) -> None:
        self.last_error: str | None = None
        self.stopped = threading.Event()
        self.lease: Lease = ALWAYS
        self.stall = StallWatch()

    def run_once(self) -> int:
        raise NotImplementedError

    def lag(self) -> int:
        raise NotImplementedError

    def reached(self) -> Hashable:
        """How far it has come (its saved position): what moves while it makes progress."""
        raise NotImplementedError

    def catch_up(self) -> int:
        total = 0
        while count := self.run_once():
            total += count
        return total

    def settle(self, timeout: float = 10.0) -> bool:
        """Bring the worker to the head of the log from a request, where the background
        copy may be doing the same: its win (PositionMoved) is as good as ours."""
        deadline = time.monotonic() + timeout
        while self.lag() > 0:
            if time.monotonic() > deadline:
                return False
            try:
                self.run_once()
            except positions.PositionMoved:
                time.sleep(0.02)
        return True

    def run(self, poll_interval: float = 0.2) -> None:
        backoff, standing_by = poll_interval, False
        while not self.stopped.is_set():
            try:
                if not self.lease.held():
                    if not standing_by:
                        log.info("%s runs in another process; standing by", self.name)
                    standing_by = True
                    self.stopped.wait(max(poll_interval, STANDBY_INTERVAL))
                    continue
                if standing_by:
                    log.info("%s: taking over", self.name)
                standing_by = False
                delivered = self.run_once()
            except positions.PositionMoved:
                continue  # a request settling this worker was first: its batch is as good
            except Exception as error:  # supervised: keep following, report health
                self.last_error = type(error).__name__
                self._log_failure(error, backoff)
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.last_error = None
            backoff = poll_interval
            if not delivered:
                self.stopped.wait(poll_interval)

    def _log_failure(self, error: Exception, backoff: float) -> None:
        if isinstance(error, (Unavailable, *OUTAGES)):
            # Expected while a database or broker restarts: a line, not a traceback.
            log.warning("%s: %s (%s); retrying in %.1fs", self.name, type(error).__name__,
                        error, backoff)
        else:
            log.exception("%s failed; retrying in %.1fs", self.name, backoff)

    def stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        """Release what the worker holds (a producer, say)."""

    def start_thread(self, poll_interval: float = 0.2) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(poll_interval,),
                                  name=f"worker-{self.name}", daemon=True)
        thread.start()
        return thread


class StallWatch:
    """A worker seen from outside — a readiness probe, perhaps in another process: for how
    long it has had work waiting without moving."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: tuple[Hashable, float] | None = None
        self._mutex = threading.Lock()

    def seconds(self, reached: Hashable, lag: int) -> float:
        """Seconds since it last moved (or since work was first seen waiting); 0 when idle."""
        with self._mutex:
            now = self._clock()
            if lag <= 0:
                self._since = None
                return 0.0
            if self._since is None or self._since[0] != reached:
                self._since = (reached, now)
            return now - self._since[1]


class Follower(Worker):
    """Follows the application's log into a sink."""

    def __init__(self, app: Application[Any], sink: Sink, *, batch_size: int = 1000) -> None:
        super().__init__()
        self.app = app
        self.sink = sink
        self.name = sink.name
        self.batch_size = batch_size

    def run_once(self, until: int | None = None) -> int:
        """Deliver the next batch (up to position ``until``), if any; answer how many
        events it held."""
        start = self.sink.position()
        notifications = self.app.recorder.select_notifications(
            start=start + 1, limit=self.batch_size, stop=until)
        if not notifications:
            return 0
        wants = getattr(self.sink, "wants", None)  # a share passes over others' streams
        batch = [LoggedEvent(n.id, event) for n in notifications
                 if (wants is None or wants(n)) and (event := self._readable(n)) is not None]
        self.sink.consume(batch, start, notifications[-1].id)
        return len(notifications)

    def _readable(self, notification: Any) -> Any:
        """The event, or None for one of a pupil whose data was disposed of (PRIV-4):
        nothing can read it any more, and nothing should."""
        try:
            return self.app.mapper.to_domain_event(notification)
        except DataDisposed:
            return None

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.sink.position())

    def reached(self) -> Hashable:
        return self.sink.position()

    def close(self) -> None:
        close = getattr(self.sink, "close", None)
        if close is not None:
            close()


def wait_until(condition: Any, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
