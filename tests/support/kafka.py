"""Reading a topic back the way a reporting service would: as a consumer group."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer


def consume_all(bootstrap: str, topic: str, expected_ids: set[str], timeout: float = 60.0,
                until: Callable[[list[dict[str, Any]]], bool] | None = None
                ) -> list[dict[str, Any]]:
    """Every message until each expected event id has been seen, or ``until`` holds
    (duplicates kept)."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest", enable_auto_commit=True,
        # Tansu holds the first join for half the session timeout.
        session_timeout_ms=6000, heartbeat_interval_ms=1000, max_poll_interval_ms=6000)
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        def done() -> bool:
            return until(messages) if until is not None else expected_ids <= seen

        while not done() and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    body = json.loads(record.value)
                    body["_key"] = record.key.decode()
                    body["_headers"] = {k: v.decode() for k, v in record.headers}
                    body["_raw"] = record.value
                    messages.append(body)
                    seen.add(body.get("event_id", ""))
    finally:
        consumer.close()
    return messages


def gaps_per_pupil(messages: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Sequence numbers missing per pupil (each pupil's own events count 1, 2, 3 …)."""
    sequences: dict[str, set[int]] = defaultdict(set)
    for body in messages:
        if body["pupil_id"]:
            sequences[body["pupil_id"]].add(body["sequence"])
    return {pupil: sorted(set(range(1, max(seqs) + 1)) - seqs)
            for pupil, seqs in sequences.items() if set(range(1, max(seqs) + 1)) - seqs}
