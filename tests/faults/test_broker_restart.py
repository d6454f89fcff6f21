"""A broker that restarts without its state: the relay's producer is left in a fatal state
(UnknownProducerId, then ``InitProducerIdResponse UnknownError`` on every send) and must be
rebuilt — and the topic created again — by the relay itself, within 30 s; meanwhile
/readyz says the service is not ready."""

from __future__ import annotations

import time
from typing import Any

import pytest

from projections.follower import wait_until
from services.bootstrap import build
from services.config import Settings
from services.http.app import create_app
from services.outbound.relay import KafkaRelay
from tests.support.events import absent, enrolled, new_pupil, school_days
from tests.support.kafka import consume_all, gaps_per_pupil
from tests.support.servers import Tansu

pytestmark = pytest.mark.faults


def pupils_batch(count: int, days: int) -> tuple[list[str], list[dict[str, Any]]]:
    pupils = [new_pupil() for _ in range(count)]
    return pupils, [enrolled(p) for p in pupils] + [
        absent(p, day) for p in pupils for day in school_days(days)]


def test_the_relay_resumes_by_itself_after_the_broker_came_back_empty(
        pg_environ: dict[str, str], broker: Tansu) -> None:
    service = build(Settings.from_environ({
        **pg_environ, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "SKOLEFRAVAER_WORKER_STALL_SECONDS": "2"}))
    relay = service.relays[0]
    assert isinstance(relay, KafkaRelay)
    client = create_app(lambda: service).test_client()
    service.start_workers()
    try:
        service.ingestor.ingest(pupils_batch(3, 5)[1])
        head = service.app.recorder.max_notification_id()
        assert wait_until(lambda: relay.position() == head, timeout=30)
        assert client.get("/readyz").status_code == 200

        broker.kill()
        pupils, batch = pupils_batch(3, 5)
        expected = {str(o.event_id) for o in service.ingestor.ingest(batch)}
        down = client.get("/readyz")
        time.sleep(3)  # the relay fails, backs off, fails again
        stalled = client.get("/readyz")

        broker.start()  # empty: no topics, no producer ids
        restarted = time.monotonic()
        head = service.app.recorder.max_notification_id()
        assert wait_until(lambda: relay.position() == head, timeout=30), \
            f"the relay did not resume within 30 s (last error: {relay.last_error})"
        resumed = time.monotonic() - restarted
        # Every relay must recover, the outbox's too: it may still be in its backoff (up
        # to 5 s) when the events relay has caught up.
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout=30)
        ready = client.get("/readyz")
    finally:
        service.close()
    messages = consume_all(broker.bootstrap, service.settings.events_topic, expected,
                           timeout=30)

    assert down.status_code == 503
    assert down.get_json()["checks"]["broker"]["ok"] is False
    assert stalled.get_json()["checks"][f"worker:{relay.name}"]["ok"] is False
    assert ready.status_code == 200, ready.get_json()
    assert expected <= {m["event_id"] for m in messages}
    assert gaps_per_pupil([m for m in messages if m["pupil_id"] in pupils]) == {}
    print(f"relay resumed {resumed:.1f}s after the broker came back empty")
