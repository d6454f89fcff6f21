"""Publishes the stored log to Kafka topic ``absence.events.v1``, in log order.

The relay reads from its saved position, sends a batch, waits for the broker to
acknowledge every message, and only then saves the new position. A crash in between
sends some messages again (at-least-once); consumers dedupe by ``event_id``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from projections import positions
from projections.db import ViewDatabase
from projections.follower import LoggedEvent
from services.config import Settings
from services.publication import message, message_key

log = logging.getLogger(__name__)

EVENTS_TOPIC = Settings.events_topic
HEADER_FIELDS = ("event_id", "type", "type_version", "tenant", "occurred_at", "recorded_at",
                 "position", "sequence")


class KafkaRelay:
    def __init__(self, db: ViewDatabase, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.topic = settings.events_topic
        self.name = f"relay:{self.topic}"
        self._producer: Any = None
        with db.transaction() as tx:
            positions.create(tx)

    def _connect(self) -> Any:
        if self._producer is None:
            from kafka import KafkaProducer

            self._ensure_topic()
            self._producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                acks="all", linger_ms=5, retries=5, max_in_flight_requests_per_connection=1,
                request_timeout_ms=10_000)
        return self._producer

    def _ensure_topic(self) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                                 request_timeout_ms=10_000)
        try:
            admin.create_topics([NewTopic(self.topic,
                                          num_partitions=self.settings.kafka_topic_partitions,
                                          replication_factor=1)])
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def position(self) -> int:
        return positions.read(self.db, self.name)

    def consume(self, batch: Sequence[LoggedEvent], start: int, end: int) -> None:
        producer = self._connect()
        futures = []
        for logged in batch:
            body = message(logged.event, logged.position)
            if body is None:
                continue
            futures.append(producer.send(
                self.topic, key=message_key(logged.event).encode(),
                value=json.dumps(body, separators=(",", ":")).encode(),
                headers=[(name, str(body[name]).encode()) for name in HEADER_FIELDS]))
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=30)  # raises if the broker did not acknowledge
        with self.db.transaction() as tx:
            positions.advance(tx, self.name, start, end)

    def ping(self) -> dict[str, Any]:
        producer = self._connect()
        return {"bootstrap_connected": bool(producer.bootstrap_connected())}

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
