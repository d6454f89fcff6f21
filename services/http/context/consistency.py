"""Consistent reads: a read answers from pupil views that have reached the log's head as it
was when the read arrived, so whoever posts and then reads finds what they posted.

The read does not wait for the background follower to come round (it polls every
SKOLEFRAVAER_POLL_INTERVAL, and under gunicorn it may run in another process, or in none):
when the views are behind, the read brings them forward itself, one batch at a time, and
commits each batch with its position exactly as the follower does. Where both deliver the
same batch, the position check (`positions.advance`) lets one win and the other roll back;
either way the views move. Caught up, this costs three indexed lookups (the log's head, the
views' number of shares and their positions).

Views split in shares of municipalities (`projections.shares`) are where the read needs them
when every share is: the read brings forward each share that is behind.

Reads append to the log too: each read of a pupil's data is recorded (PRIV-3, ``ReadLog``),
after this check, so a read never waits for its own record. The views apply nothing for
those records; when all that lies between the views and the head is records of reads (and
not many), the views hold everything the read needs already: it looks at those events' topics
and answers, without delivering them (the follower steps over them at its own pace).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from domain.read_log import ReadLog
from projections import shares
from projections.db import ViewDatabase
from projections.follower import Follower, ViewSink
from projections.positions import PositionMoved
from projections.pupil_views import PupilViews
from services.store.outages import OUTAGES

log = logging.getLogger(__name__)

RETRY_PAUSE = 0.01  # seconds: after another runner delivered the batch first
READS = get_topic(ReadLog) + "."
"""The topics of a read's record (every event class of ReadLog): the views apply none."""
STEP_OVER_AT_MOST = 100
"""Events a read looks over (rather than delivers) to see that they are only reads."""


class ViewsBehind(Exception):
    """The views did not reach the position in time."""


class CatchUp:
    """Brings the pupil views up to a position from a request thread.

    It has its own copy of the projection: the background follower's keeps per-batch
    caches that a second thread must not share. One request of the process delivers at a
    time; the others wait for it and then usually find the views where they need them.
    The number of shares is read with each position: a re-shard needs no restart.
    """

    def __init__(self, app: Application[Any], views: ViewDatabase, *, batch_size: int) -> None:
        self._app = app
        self._views = views
        self._batch_size = batch_size
        self._followers: dict[int, list[Follower]] = {}
        self._delivering = threading.Lock()

    def position(self) -> int:
        """Where every share of the views has come (the least of their positions)."""
        return shares.reached(self._views, PupilViews.name)

    def _shares(self) -> list[Follower]:
        """A follower per share, for the number of shares there is now."""
        count = shares.recorded(self._views, PupilViews.name)
        if count not in self._followers:
            self._followers[count] = [
                Follower(self._app, ViewSink(self._views, PupilViews(), share),
                         batch_size=self._batch_size) for share in shares.all_shares(count)]
        return self._followers[count]

    def reach(self, target: int, timeout: float) -> None:
        """Return once the views hold everything up to ``target`` (they reached it, or only
        records of reads lie beyond them); `ViewsBehind` after ``timeout`` seconds. A store
        outage propagates (a 503 of its own)."""
        deadline = time.monotonic() + timeout
        while (position := self.position()) < target:
            if self._only_reads(position, target):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._delivering.acquire(timeout=remaining):
                raise ViewsBehind(target)
            try:
                for follower in self._shares():
                    if follower.sink.position() < target:
                        self._deliver_one(follower)
            finally:
                self._delivering.release()

    def _only_reads(self, after: int, upto: int) -> bool:
        """Whether the events after ``after`` up to ``upto`` are all records of reads."""
        if upto - after > STEP_OVER_AT_MOST:
            return False
        pending = self._app.recorder.select_notifications(start=after + 1, limit=upto - after,
                                                          stop=upto)
        return all(n.topic.startswith(READS) for n in pending)

    def _deliver_one(self, follower: Follower) -> None:
        try:
            follower.run_once()
        except PositionMoved:
            time.sleep(RETRY_PAUSE)  # another runner delivered it first: look again
        except OUTAGES:
            raise
        except Exception as error:
            # A batch the views cannot take fails the background follower too, which
            # reports it (readyz, its log and backoff); the read answers 503 at once.
            log.exception("views: a read could not bring them forward")
            raise ViewsBehind(self.position()) from error
