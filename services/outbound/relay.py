"""Publishing to Kafka: the stored log, and the projections' outbox.

Both relays send a batch, wait until the broker has acknowledged every message, and only
then save their new position (the events relay sends its next batch meanwhile). A crash in
between sends some messages again (at-least-once); consumers dedupe by ``event_id`` (events,
alerts) or keep the latest per key (pupil status).

A producer that failed is thrown away and the next attempt builds a new one (after the
worker's backoff), creating the topics again: kafka-python's idempotent producer can be
left in a fatal state for good — ``InitProducerIdResponse UnknownError`` from a broker that
came back without its state — and would fail every send after.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from eventsourcing.application import Application

from domain.disposal import DataDisposed
from projections import outbox, positions, shares
from projections.db import ViewDatabase
from projections.follower import LoggedEvent, Unavailable, Worker
from services.config import Settings
from services.outbound.publication import Sequences, published_topic

log = logging.getLogger(__name__)

Message = tuple[str, str, bytes, list[tuple[str, bytes]]]
"""(topic, key, value, headers)."""

HEADER_FIELDS = ("event_id", "type", "type_version", "tenant", "occurred_at", "recorded_at",
                 "position", "sequence")
# Milliseconds. A broker that does not answer fails an attempt within about half a minute
# (the acknowledgements' wait), and a readiness probe within two seconds.
TIMEOUTS = {"bootstrap_timeout_ms": 5_000, "request_timeout_ms": 10_000}
PROBE_TIMEOUTS = {"bootstrap_timeout_ms": 2_000, "request_timeout_ms": 2_000}
ACKNOWLEDGED_WITHIN = 30  # seconds
BATCHES_PER_RUN = 20  # the events relay's batches in flight, one after the other, per run
# Idempotent (kafka-python's default): the producer's own retries of a batch are not stored
# twice; one message in flight keeps each pupil's order.
PRODUCER_SETTINGS: dict[str, Any] = {
    "acks": "all", "linger_ms": 5, "max_in_flight_requests_per_connection": 1,
    "delivery_timeout_ms": (ACKNOWLEDGED_WITHIN - 5) * 1000, **TIMEOUTS}


class BrokerUnavailable(Unavailable):
    """The broker did not take a batch (or answer a probe); nothing is lost: retried."""


class KafkaPublisher:
    """A producer, built on first use and after each failure, that creates the topics it
    publishes to."""

    def __init__(self, settings: Settings, topics: dict[str, bool]) -> None:
        self.settings = settings
        self.topics = topics  # name -> compacted
        self._producer: Any = None

    def producer(self) -> Any:
        if self._producer is None:
            from kafka import KafkaProducer

            self._create_topics()
            self._producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers, **PRODUCER_SETTINGS)
        return self._producer

    def _create_topics(self) -> None:
        from kafka.admin import KafkaAdminClient, NewTopic
        from kafka.errors import TopicAlreadyExistsError

        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                                 **TIMEOUTS)
        try:
            for name, compacted in self.topics.items():
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics([NewTopic(
                        name, num_partitions=self.settings.kafka_topic_partitions,
                        replication_factor=self.settings.kafka_replication_factor,
                        topic_configs={"cleanup.policy": "compact"} if compacted else {})])
        finally:
            admin.close()

    def publish(self, messages: Sequence[Message]) -> None:
        """Send (topic, key, value, headers) and return once the broker acknowledged all."""
        self.wait(self.send(messages))

    def send(self, messages: Sequence[Message]) -> list[Any]:
        """Hand (topic, key, value, headers) to the producer; answer what `wait` waits for."""
        with self._failing():
            producer = self.producer()
            return [producer.send(topic, key=key.encode(), value=value, headers=headers)
                    for topic, key, value, headers in messages]

    def wait(self, sent: list[Any]) -> None:
        """Return once the broker acknowledged every message of ``sent``, the last first:
        by then the others are mostly acknowledged too."""
        with self._failing():
            for future in reversed(sent):
                future.get(timeout=ACKNOWLEDGED_WITHIN)  # raises unless acknowledged

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        from kafka.errors import KafkaError

        try:
            yield
        except KafkaError as error:
            self.close(timeout=0)  # it may never send again: the next attempt builds anew
            raise BrokerUnavailable(f"{type(error).__name__}: {error}") from error

    def ping(self) -> dict[str, Any]:
        """The broker answers a metadata request within two seconds (a fresh connection:
        the producer's may be idle, or gone)."""
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                             **PROBE_TIMEOUTS).close()
        except KafkaError as error:
            raise BrokerUnavailable(f"the broker does not answer ({type(error).__name__})"
                                    ) from error
        return {"answers": True}

    def close(self, timeout: float = 5) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            producer.close(timeout=timeout)


class KafkaRelay(Worker):
    """The stored log to ``absence.events.v1``, keyed by pupil.

    A worker of its own rather than a `Follower` sink, so that it can keep the producer busy:
    each batch is sent before the one before it is awaited, so the broker acknowledges one
    while the next is read, decoded and built (the first waits on nothing, the last on
    everything). A batch's position and sequences are saved once every message up to it is
    acknowledged, and `run_once` returns only with every batch it sent saved. Events that are
    never published (receipts …) are not decoded at all."""

    def __init__(self, app: Application[Any], db: ViewDatabase, settings: Settings, *,
                 batch_size: int = 500) -> None:
        super().__init__()
        self.app = app
        self.db = db
        self.batch_size = batch_size
        self.topic = settings.events_topic
        self.name = f"relay:{self.topic}"
        self.publisher = KafkaPublisher(settings, {self.topic: False})
        with db.transaction() as tx:
            positions.create(tx)
        self.sequences = Sequences(db, self.name)

    def position(self) -> int:
        return positions.read(self.db, self.name)

    def run_once(self) -> int:
        """Publish up to `BATCHES_PER_RUN` batches; answer how many stored events they
        covered."""
        saved = start = self.position()
        self.sequences.forget()  # another process may have published since this one did
        sent: tuple[int, list[Any]] | None = None  # a batch's end, awaiting acknowledgement
        covered = 0
        for _ in range(BATCHES_PER_RUN):
            notifications = self.app.recorder.select_notifications(start=start + 1,
                                                                   limit=self.batch_size)
            if not notifications:
                break
            acknowledgements = self.publisher.send(self.messages(self._events(notifications),
                                                                 start))
            if sent is not None:
                saved = self._save(saved, *sent)
            start, covered = notifications[-1].id, covered + len(notifications)
            sent = (start, acknowledgements)
        if sent is not None:
            self._save(saved, *sent)
        return covered

    def _save(self, saved: int, end: int, acknowledgements: list[Any]) -> int:
        self.publisher.wait(acknowledgements)
        with self.db.transaction() as tx:
            self.sequences.save(tx)
            positions.advance(tx, self.name, saved, end)
        return end

    def _events(self, notifications: Sequence[Any]) -> list[LoggedEvent]:
        """The published events among ``notifications``, decoded; a disposed pupil's
        (PRIV-4) can no longer be read, and is not published."""
        events = []
        for notification in notifications:
            if not published_topic(notification.topic):
                continue
            with contextlib.suppress(DataDisposed):
                events.append(LoggedEvent(notification.id,
                                          self.app.mapper.to_domain_event(notification)))
        return events

    def messages(self, batch: Sequence[LoggedEvent], start: int) -> list[Message]:
        """What ``batch`` publishes: (topic, key, value, headers) in log order."""
        return [(self.topic, key, json.dumps(body, separators=(",", ":")).encode(),
                 [(name, str(body[name]).encode()) for name in HEADER_FIELDS])
                for key, body in self.sequences.messages(batch, start)]

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    def reached(self) -> Hashable:
        return self.position()

    def ping(self) -> dict[str, Any]:
        return self.publisher.ping()

    def close(self) -> None:
        self.publisher.close()


class OutboxRelay(Worker):
    """The projections' outbox (concerns, alerts, pupil status) to its topics."""

    name = "relay:outbox"

    def __init__(self, db: ViewDatabase, settings: Settings, *, batch_size: int = 500,
                 projection: str = "pupil-views") -> None:
        super().__init__()
        self.db = db
        self.batch_size = batch_size
        self.projection = projection
        self.topics = {outbox.ALERTS_TOPIC: settings.alerts_topic,
                       outbox.STATUS_TOPIC: settings.status_topic}
        self.publisher = KafkaPublisher(settings, {settings.alerts_topic: False,
                                                   settings.status_topic: True})
        with db.transaction() as tx:
            positions.create(tx)
            shares.create(tx)
            outbox.create(tx)

    def position(self) -> int:
        return positions.read(self.db, self.name)

    def run_once(self) -> int:
        start = self.position()
        # The projection's position first: its outbox rows up to it are all committed. Of a
        # projection in shares, the least of theirs: a share that is behind may yet write
        # rows below the others' positions, and a row passed over is never sent.
        projected = shares.reached(self.db, self.projection)
        rows = [row for row in outbox.after(self.db, start, self.batch_size)
                if row[0] <= projected]
        if not rows:
            if projected > start:  # events that wrote no message: nothing to send for them
                with self.db.transaction() as tx:
                    positions.advance(tx, self.name, start, projected)
            return 0
        self.publisher.publish([
            (self.topics[topic], key, body.encode(),
             [("position", str(position).encode()), ("seq", str(seq).encode())])
            for position, seq, topic, key, body in rows])
        with self.db.transaction() as tx:
            positions.advance(tx, self.name, start, rows[-1][0])
        return len(rows)

    def lag(self) -> int:
        return max(0, shares.reached(self.db, self.projection) - self.position())

    def reached(self) -> Hashable:
        return self.position()

    def ping(self) -> dict[str, Any]:
        return self.publisher.ping()

    def close(self) -> None:
        self.publisher.close()
