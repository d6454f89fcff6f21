"""Clients posting batches the way the municipality's integration platform does: each
batch until it is answered — again after a 503 or a lost connection — and every answer
written down in the ledger that the fault tests check the store, the views and the topic
against."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.events import absent, enrolled, new_pupil, notice, school_days
from tests.support.http import call

PAUSE = 0.15  # seconds between a client's batches: requests in flight, not a benchmark
# Whole days up to late November 2026, so that no absence lies in the future of the
# machine's clock; new pupils when they run out.
DAYS = school_days(55)
# An undocumented absence opens a task due that day (FOL-4), long past: the clock records
# it overdue. Every fifth batch is left undocumented, so that the clock works while the
# faults happen; the others come with the guardians' notice.
UNDOCUMENTED_EVERY = 5


@dataclass
class Ledger:
    """What the clients were told. Every list is appended to by several threads (a list's
    append is atomic in CPython)."""

    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    retried: list[list[dict[str, Any]]] = field(default_factory=list)  # not answered at once
    positions: dict[str, int] = field(default_factory=dict)  # acknowledged: event → position
    statuses: Counter[int] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)  # connection lost, timed out
    first_answered_duplicate: int = 0  # the commit went through as the database went away
    posting: threading.Event = field(default_factory=threading.Event)  # a post just began
    wrong: list[str] = field(default_factory=list)  # anything a client must never see

    def answered(self, batch: list[dict[str, Any]], body: dict[str, Any],
                 retried: bool) -> None:
        """A batch's 200: all accepted, or all duplicate; never rejected, never a mix (a
        partial batch). Duplicate at once is right when the database went away during the
        commit: eventsourcing's retry of the insert found it stored, and the batch was
        decided again."""
        statuses = {result["status"] for result in body["results"]}
        if statuses - {"accepted", "duplicate"} or len(statuses) != 1:
            self.wrong.append(f"answered {sorted(statuses)} (retried: {retried}): "
                              f"{[r for r in body['results'] if r['status'] == 'rejected'][:2]}")
        elif statuses == {"duplicate"} and not retried:
            self.first_answered_duplicate += 1
        for event, result in zip(batch, body["results"], strict=True):
            self.positions[event["event_id"]] = result["position"]


def post_until_answered(base: str, batch: list[dict[str, Any]], ledger: Ledger) -> None:
    ledger.batches.append(batch)
    retried = False
    while True:
        try:
            ledger.posting.set()
            status, body = call("POST", f"{base}/v1/events", {"events": batch}, timeout=30)
        except (OSError, ValueError) as error:  # reset by a killed worker; no answer
            ledger.unanswered.append(type(error).__name__)
            retried = True
            time.sleep(0.2)
            continue
        ledger.statuses[status] += 1
        if status == 200:
            ledger.answered(batch, body, retried)
            if retried:
                ledger.retried.append(batch)
            return
        if status != 503:
            ledger.wrong.append(f"{status}: {body}")
        # Even a 503 may have been stored: the database went away during the commit.
        retried = True
        time.sleep(0.3)  # Retry-After says 2 s; the test has no time to lose


class Client(threading.Thread):
    """Its own pupils, a few days of each per batch; new pupils when they run out."""

    def __init__(self, base: str, ledger: Ledger, stop: threading.Event, pupils: int = 3,
                 days: int = 2) -> None:
        super().__init__(daemon=True)
        self.base, self.ledger, self.stopping = base, ledger, stop
        self.pupils, self.days = pupils, days

    def run(self) -> None:
        for batch in self._batches():
            post_until_answered(self.base, batch, self.ledger)
            if self.stopping.wait(PAUSE):
                return

    def _batches(self) -> Iterator[list[dict[str, Any]]]:
        while True:
            pupils = [new_pupil() for _ in range(self.pupils)]
            yield [enrolled(pupil) for pupil in pupils]
            for first in range(0, len(DAYS), self.days):
                days = DAYS[first:first + self.days]
                documented = first // self.days % UNDOCUMENTED_EVERY != 0
                yield [event for pupil in pupils for event in (
                    [notice(pupil, days[0], days[-1])] if documented else []) + [
                    absent(pupil, day) for day in days]]


class Load:
    def __init__(self, base: str, clients: int) -> None:
        self.ledger = Ledger()
        self.stopping = threading.Event()
        self.clients = [Client(base, self.ledger, self.stopping) for _ in range(clients)]
        for client in self.clients:
            client.start()

    def stop(self) -> None:
        """Each client's batch in flight is still posted until answered."""
        self.stopping.set()
        for client in self.clients:
            client.join(timeout=120)
            assert not client.is_alive(), "a client never got its batch answered"
