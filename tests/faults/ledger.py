"""The ledger's checks: what the clients were told against what the store holds, what the
views show and what reached the topic."""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from domain.receipt import IngestionReceipt
from services.bootstrap import Service
from services.outbound.publication import message
from tests.faults.load import Ledger
from tests.support.http import call
from tests.support.kafka import consume_all, gaps_per_pupil


@dataclass
class Stored:
    """Every stored event posted from outside (by event_id: its positions) and every
    receipt, and the event ids that go on the events topic."""

    positions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    receipts: Counter[str] = field(default_factory=Counter)
    published: set[str] = field(default_factory=set)


def stored(service: Service, page: int = 1000) -> Stored:
    found = Stored()
    start = 1
    while notifications := service.app.recorder.select_notifications(start=start, limit=page):
        for notification in notifications:
            event = service.app.mapper.to_domain_event(notification)
            if isinstance(event, IngestionReceipt.Issued):
                found.receipts[str(event.event_id)] += 1
            elif (envelope := getattr(event, "envelope", None)) is not None:
                found.positions[str(envelope.event_id)].append(notification.id)
                if message(event, notification.id) is not None:
                    found.published.add(str(envelope.event_id))
        start = notifications[-1].id + 1
    return found


def lost_and_duplicated(ledger: Ledger, store: Stored) -> tuple[list[str], list[str]]:
    """Acknowledged events not stored at the position the client was told; events stored
    (or given a receipt) more than once."""
    lost = [f"{event_id}: acknowledged at {position}, stored at "
            f"{store.positions.get(event_id)}"
            for event_id, position in ledger.positions.items()
            if store.positions.get(event_id, [None])[0] != position]
    twice = [f"{event_id}: stored at {store.positions.get(event_id)}, "
             f"{store.receipts[event_id]} receipts" for event_id in ledger.positions
             if len(store.positions.get(event_id, [])) > 1 or store.receipts[event_id] > 1]
    return lost, twice


def reposted(base: str, ledger: Ledger, batches: list[list[dict[str, Any]]]) -> list[str]:
    """Post ``batches`` again: each event must answer duplicate, at its position."""

    def again(batch: list[dict[str, Any]]) -> list[str]:
        status, body = call("POST", f"{base}/v1/events", {"events": batch})
        if status != 200:
            return [f"{status}: {body}"]
        return [f"{r['status']} at {r.get('position')}, acknowledged at "
                f"{ledger.positions[e['event_id']]}"
                for e, r in zip(batch, body["results"], strict=True)
                if (r["status"], r.get("position")) != (
                    "duplicate", ledger.positions[e["event_id"]])]

    with ThreadPoolExecutor(4) as pool:
        return [problem for problems in pool.map(again, batches) for problem in problems]


@dataclass
class Topic:
    messages: int
    resent: int
    missing: int
    gaps: dict[str, list[int]]
    sequence_clashes: int  # one pupil's sequence number on two different events


def topic(bootstrap: str, name: str, expected: set[str]) -> Topic:
    messages = consume_all(bootstrap, name, expected, timeout=90)
    distinct = {m["event_id"]: m for m in messages}
    by_sequence = Counter((m["pupil_id"], m["sequence"]) for m in distinct.values()
                          if m["pupil_id"])
    return Topic(messages=len(messages), resent=len(messages) - len(distinct),
                 missing=len(expected - set(distinct)),
                 gaps=gaps_per_pupil(list(distinct.values())),
                 sequence_clashes=sum(1 for count in by_sequence.values() if count > 1))
