"""The relay creates its topics with the partitions and replication factor configured, so a
production cluster gets replicated topics without anyone creating them by hand."""

from __future__ import annotations

from typing import Any

import kafka.admin
import pytest

from services.config import Settings
from services.outbound.relay import KafkaPublisher


class RecordingAdmin:
    """Stands in for KafkaAdminClient: keeps the topics it is asked to create."""

    def __init__(self) -> None:
        self.created: list[Any] = []

    def create_topics(self, topics: list[Any]) -> None:
        self.created.extend(topics)

    def close(self) -> None:
        pass


def test_replication_factor_defaults_to_one_for_a_single_broker() -> None:
    assert Settings.from_environ({}).kafka_replication_factor == 1


def test_relay_creates_topics_with_the_configured_replication_factor(
        monkeypatch: pytest.MonkeyPatch) -> None:
    admin = RecordingAdmin()
    monkeypatch.setattr(kafka.admin, "KafkaAdminClient", lambda **_: admin)
    settings = Settings.from_environ({"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
                                      "KAFKA_TOPIC_PARTITIONS": "6",
                                      "KAFKA_REPLICATION_FACTOR": "3"})

    KafkaPublisher(settings, {"events": False, "status": True})._create_topics()

    assert [(topic.name, topic.num_partitions, topic.replication_factor, topic.topic_configs)
            for topic in admin.created] == [
        ("events", 6, 3, {}), ("status", 6, 3, {"cleanup.policy": "compact"})]
