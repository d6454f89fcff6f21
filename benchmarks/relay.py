"""The Kafka relay beside kafka-python's own producer sending the very same messages, in one
run on PostgreSQL and the Tansu broker the tests use (figures printed, never asserted).

    python -m benchmarks.relay --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.relay --postgres ... --events 20000 --keep   # build once, keep
    python -m benchmarks.relay --postgres ... --schema bench_1234abcd # reuse a kept log
    python -m benchmarks.relay --postgres ... --events 300 --pupils 20  # tiny

The log is issue 15's workload (`benchmarks.catch_up.workload`), posted through the
Ingestor; each posted event adds receipts and the case's decisions to the log, so the log
holds more messages than ``--events``. Then, in one run:

- raw: a KafkaProducer with the relay's own settings (`PRODUCER_SETTINGS`: acks, linger,
  batch size, compression, in-flight requests) sends the messages the relay would send
  (same topic layout, keys, values and headers, computed beforehand, not timed) and is
  flushed once at the end: the most a producer can do with them;
- relay: `KafkaRelay.catch_up` from position 0 to the head, as the worker runs it: reads
  and decodes the log, builds the messages, publishes them batch by batch and saves its
  position after each batch is acknowledged (at-least-once).

Printed: messages/s (wall) and CPU seconds (every thread of the process: the producer's
sender thread too) of both, and the ratios. The machine is shared: compare one run's ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaProducer

from benchmarks.catch_up import ingest, workload
from services.bootstrap import Service, build
from services.config import Settings
from services.outbound.relay import PRODUCER_SETTINGS, KafkaPublisher, KafkaRelay, Message
from tests.conftest import postgres_environ
from tests.support.servers import Tansu

TINY = ("--postgres", "{postgres}", "--events", "300", "--pupils", "20")

Timed = tuple[float, float]  # (wall seconds, CPU seconds)


@contextmanager
def tansu() -> Iterator[str]:
    """The in-memory broker the tests use, on a free port: its bootstrap address."""
    with tempfile.TemporaryDirectory() as folder, \
            (Path(folder) / "tansu.log").open("wb") as log:
        broker = Tansu(log)
        try:
            yield broker.bootstrap
        finally:
            broker.stop()


def timed(call: Callable[[], Any]) -> Timed:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def relay_settings(environ: dict[str, str], bootstrap: str, topic: str) -> Settings:
    return Settings.from_environ({**environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                                  "SKOLEFRAVAER_EVENTS_TOPIC": topic})


class Capture:
    """A publisher that keeps what it is given: the messages, without a broker."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, messages: list[Message]) -> list[Any]:
        self.messages += messages
        return []

    def wait(self, sent: list[Any]) -> None:
        """Nothing is waited for."""

    def close(self) -> None:
        """Nothing to release."""


def relayed_messages(service: Service, settings: Settings, batch: int) -> list[Message]:
    """What the relay sends, batch by batch as it would (a relay of its own: its position
    and sequences are its own)."""
    relay, capture = KafkaRelay(service.app, service.views, settings, batch_size=batch), Capture()
    relay.publisher = capture  # type: ignore[assignment]
    relay.catch_up()
    return capture.messages


def raw_producer(settings: Settings, messages: list[Message]) -> Timed:
    """kafka-python alone: the same messages (topic, keys, values, headers) to a topic of its
    own, one flush at the end."""
    topic = settings.events_topic
    KafkaPublisher(settings, {topic: False}).producer().close()  # the topic, as the relay's
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers,
                             **PRODUCER_SETTINGS)
    producer.send(topic, key=b"warm-up", value=b"{}").get(timeout=30)  # the producer id

    def send() -> None:
        for _, key, value, headers in messages:
            producer.send(topic, key=key.encode(), value=value, headers=headers)
        producer.flush(timeout=300)

    try:
        return timed(send)
    finally:
        producer.close()


def relay_run(relay: KafkaRelay) -> Timed:
    relay.publisher.producer()  # topics made and producer connected, as in a running worker
    return timed(relay.catch_up)


def report(name: str, figures: Timed, count: int) -> None:
    wall, cpu = figures
    print(f"{name:<6} {count / wall:9,.0f} msg/s   {wall:6.2f} s wall   {cpu:6.2f} s CPU "
          f"({cpu * 1e6 / count:6.1f} µs CPU per message)")


def compare(service: Service, environ: dict[str, str], bootstrap: str, batch: int) -> None:
    suffix = uuid.uuid4().hex[:8]
    messages = relayed_messages(
        service, relay_settings(environ, bootstrap, f"bench.capture.{suffix}"), batch)
    settings = relay_settings(environ, bootstrap, f"bench.relay.{suffix}")
    relay = KafkaRelay(service.app, service.views, settings, batch_size=batch)
    try:
        print(f"{len(messages):,} messages from a log of "
              f"{service.app.recorder.max_notification_id():,} stored events; producer "
              f"settings {PRODUCER_SETTINGS}; relay batches of {batch} stored events")
        raw = raw_producer(relay_settings(environ, bootstrap, f"bench.raw.{suffix}"), messages)
        project = relay_run(relay)
        assert relay.position() == service.app.recorder.max_notification_id()
    finally:
        relay.close()
    report("raw", raw, len(messages))
    report("relay", project, len(messages))
    print(f"ratio (relay / raw): {raw[0] / project[0]:.2f} msg/s, "
          f"{raw[1] / project[1]:.2f} CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True, help="libpq conninfo")
    parser.add_argument("--events", type=int, default=25_000,
                        help="events posted (the log and its messages are about twice that)")
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--batch", type=int, default=Settings.from_environ({}).relay_batch_size,
                        help="stored events per relay batch")
    parser.add_argument("--schema", help="reuse a schema kept by an earlier run")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()
    schema = args.schema or f"bench_{uuid.uuid4().hex[:8]}"
    if not args.schema:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    environ = postgres_environ(args.postgres, schema)
    service = build(Settings.from_environ(environ), with_relay=False)
    try:
        if not args.schema:
            setup, events = workload(args.events, args.pupils, args.schools)
            started = time.perf_counter()
            accepted = ingest(service, setup + events)
            print(f"ingested {accepted:,} events in {time.perf_counter() - started:.0f} s "
                  f"into schema {schema}")
        with tansu() as bootstrap:
            compare(service, environ, bootstrap, args.batch)
    finally:
        service.close()
        if not (args.keep or args.schema):
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
