"""Messages for Kafka written with the view rows they describe (a transactional outbox).

Concerns and pupil status are derived in the projection's transaction; writing their
messages in that same transaction means a message exists exactly when its row does, and
the outbox relay publishes them in log order.
"""

from __future__ import annotations

import json
from typing import Any

from projections.batch import Batch
from projections.db import Transaction, ViewDatabase

ALERTS_TOPIC = "absence.alerts.v1"
STATUS_TOPIC = "absence.pupil-status.v1"

SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (
    position BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    topic TEXT NOT NULL,
    message_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (position, seq)
)"""


def create(tx: Transaction) -> None:
    tx.execute(SCHEMA)


def put(batch: Batch, position: int, topic: str, key: str, body: dict[str, Any]) -> None:
    batch.insert("INSERT INTO outbox (position, seq, topic, message_key, body) VALUES "
                 "(:position, :seq, :topic, :key, :body)",
                 {"position": position, "seq": batch.next_seq(position), "topic": topic,
                  "key": key, "body": json.dumps(body, separators=(",", ":"), sort_keys=True)})


def after(db: ViewDatabase, position: int, limit: int) -> list[tuple[int, int, str, str, str]]:
    """Messages past ``position``, whole positions only, in order."""
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT position, seq, topic, message_key, body FROM outbox "
            "WHERE position > :position ORDER BY position, seq LIMIT :limit",
            {"position": position, "limit": limit})
        if len(rows) == limit:
            last = rows[-1][0]
            rows = [r for r in rows if r[0] < last] or tx.execute(
                "SELECT position, seq, topic, message_key, body FROM outbox "
                "WHERE position = :last ORDER BY seq", {"last": last})
    return [(int(p), int(s), t, k, b) for p, s, t, k, b in rows]
