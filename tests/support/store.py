"""What the event store holds, counted by kind: the tests' independent view of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from domain.envelope import Role
from domain.receipt import IngestionReceipt


@dataclass(frozen=True)
class Stored:
    posted: int  # events posted from outside, one per accepted event
    receipts: int
    decided: int  # what the service decided on them (concerns, stages, tasks, cases)
    repeated_event_ids: int  # envelopes stored more than once: always 0

    @property
    def rows(self) -> int:
        return self.posted + self.receipts + self.decided


def stored(app: Any) -> Stored:
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    envelopes = [e.envelope for e in events if hasattr(e, "envelope")]
    decided = [e for e in envelopes if e.actor.role is Role.SERVICE]
    counted = Counter(e.event_id for e in envelopes)
    return Stored(posted=len(envelopes) - len(decided),
                  receipts=sum(isinstance(e, IngestionReceipt.Issued) for e in events),
                  decided=len(decided),
                  repeated_event_ids=sum(n - 1 for n in counted.values()))


def envelope_ids(app: Any) -> set[str]:
    """The event id of every stored event that has an envelope: what reaches the events
    topic (posted and decided alike; receipts and references do not)."""
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    return {str(e.envelope.event_id) for e in events if hasattr(e, "envelope")}
