"""Publishing the stored log to Kafka (absence.events.v1) on a real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from uuid import UUID

import pytest

from projections.follower import wait_until
from services.bootstrap import Service, build
from services.config import Settings
from services.outbound.relay import KafkaRelay
from tests.conftest import ROOT
from tests.support.events import absent, enrolled, envelope, new_pupil, notice, school_days
from tests.support.kafka import consume_all, gaps_per_pupil
from tests.support.store import envelope_ids

pytestmark = pytest.mark.kafka


def accepted_ids(service: Service, batch: list[dict[str, object]]) -> set[str]:
    outcomes = service.ingestor.ingest(batch)
    assert {o.status for o in outcomes} == {"accepted"}
    return {str(o.event_id) for o in outcomes}


def events_relay(service: Service) -> KafkaRelay:
    relay = service.relays[0]
    assert isinstance(relay, KafkaRelay)
    return relay


def term_batch(pupils: list[str], days: int) -> list[dict[str, object]]:
    events = [enrolled(p) for p in pupils]
    events += [absent(p, day) for p in pupils for day in school_days(3 * days)]
    return events


def test_a_consumer_group_reads_every_stored_event_with_no_gap_per_pupil(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ))
    pupils = [new_pupil() for _ in range(5)]
    posted = accepted_ids(service, term_batch(pupils, 10))
    posted |= accepted_ids(service, [notice(pupils[0], "2026-09-01", "2026-09-03")])
    expected = envelope_ids(service.app)  # and what the service decided on them
    assert posted < expected

    relay = events_relay(service)
    relay.batch_size = 7  # many batches, each sent before the last is acknowledged
    covered = relay.catch_up()
    messages = consume_all(kafka_bootstrap, relay.topic, expected)
    reached, head = relay.position(), service.app.recorder.max_notification_id()
    service.close()

    assert covered == reached == head
    assert {m["event_id"] for m in messages} == expected
    assert gaps_per_pupil(messages) == {}
    for body in messages:
        assert body["_key"] == body["pupil_id"]
        assert set(body["_headers"]) >= {"event_id", "type", "type_version", "tenant",
                                          "occurred_at", "recorded_at", "position"}
        positions_per_pupil = [m["position"] for m in messages
                               if m["pupil_id"] == body["pupil_id"]]
        assert positions_per_pupil == sorted(positions_per_pupil)


@pytest.mark.rule("PRIV-1")
def test_topics_carry_no_names_national_ids_or_causes_of_absence(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ))
    pupil = new_pupil()
    sick = notice(pupil, "2026-09-01")
    sick["data"]["cause_text"] = "Innlagt med lungebetennelse"
    expected = accepted_ids(service, [
        enrolled(pupil, more={"name": "Kari Nordmann", "national_id": "01011250013",
                              "faith_community": "Den katolske kirke",
                              "chronic_illness_or_disability": True}),
        absent(pupil, "2026-09-01"), sick])

    relay = events_relay(service)
    relay.catch_up()
    messages = consume_all(kafka_bootstrap, relay.topic, expected)
    service.close()

    raw = b"".join(m["_raw"] for m in messages).decode()
    for secret in ("Kari Nordmann", "01011250013", "lungebetennelse", "katolske",
                   "illness", "chronic"):
        assert secret not in raw
    assert len(messages) >= 3


def _relay_process(environ: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "worker", "--only-relay"],
        cwd=ROOT, env={**os.environ, **environ, "SKOLEFRAVAER_RELAY_BATCH_SIZE": "40",
                       "SKOLEFRAVAER_POLL_INTERVAL": "0.05", "LOG_LEVEL": "WARNING"})


def test_a_relay_killed_mid_way_and_restarted_leaves_no_gap(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ), with_relay=True)
    pupils = [new_pupil() for _ in range(8)]
    expected = accepted_ids(service, term_batch(pupils, 20)) | envelope_ids(service.app)
    relay = events_relay(service)
    head = service.app.recorder.max_notification_id()
    assert head is not None

    process = _relay_process(relay_environ)
    assert wait_until(lambda: relay.position() > 0, timeout=60)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    killed_at = relay.position()
    assert killed_at < head, "the relay finished before it could be killed mid-way"

    process = _relay_process(relay_environ)
    try:
        assert wait_until(lambda: relay.position() == head, timeout=120)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    messages = consume_all(kafka_bootstrap, relay.topic, expected)
    service.close()

    assert {m["event_id"] for m in messages} == expected
    assert gaps_per_pupil(messages) == {}
    resent = sum(count - 1 for count in Counter(m["event_id"] for m in messages).values())
    print(f"killed at position {killed_at} of {head}; {resent} messages sent twice")
    time.sleep(0)  # keep the report next to the assertions in -s runs


def test_a_crash_after_the_broker_acknowledged_resends_rather_than_loses(
        relay_environ: dict[str, str], kafka_bootstrap: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = build(Settings.from_environ(relay_environ))
    pupils = [new_pupil() for _ in range(3)]
    expected = accepted_ids(service, term_batch(pupils, 5)) | envelope_ids(service.app)
    relay = events_relay(service)
    relay.batch_size = 10

    from services.outbound import relay as relay_module

    monkeypatch.setattr(relay_module, "BATCHES_PER_RUN", 2)  # the second is sent unsaved

    real_advance = relay_module.positions.advance

    def crash_once(*args: object) -> None:
        monkeypatch.setattr(relay_module.positions, "advance", real_advance)
        raise ConnectionError("database lost after the broker acknowledged")

    relay.run_once()
    acknowledged_from = relay.position()
    monkeypatch.setattr(relay_module.positions, "advance", crash_once)
    with pytest.raises(ConnectionError):
        relay.run_once()
    assert relay.position() == acknowledged_from
    relay.catch_up()
    messages = consume_all(kafka_bootstrap, relay.topic, expected)
    service.close()

    counts = Counter(m["event_id"] for m in messages)
    # The batch whose position was not saved, and the one sent meanwhile.
    resent_batch = range(acknowledged_from + 1, acknowledged_from + 2 * relay.batch_size + 1)
    assert set(counts) == expected
    assert {m["event_id"] for m in messages if counts[m["event_id"]] == 2} == {
        m["event_id"] for m in messages if m["position"] in resent_batch}
    assert max(counts.values()) == 2
    assert gaps_per_pupil(messages) == {}


@pytest.mark.rule("CON-1", "CON-5")
def test_concerns_and_pupil_status_reach_their_topics(relay_environ: dict[str, str],
                                                      kafka_bootstrap: str) -> None:
    service = build(Settings.from_environ(relay_environ))
    pupil = new_pupil()
    left = envelope("LeftSchoolRecorded", {"pupil_id": pupil, "date": "2026-09-09",
                                           "time": "10:15"})
    accepted_ids(service, [enrolled(pupil), *(absent(pupil, d) for d in school_days(3)), left])
    service.pupil_views.catch_up()
    outbox_relay = service.relays[1]
    outbox_relay.catch_up()

    alerts = consume_all(kafka_bootstrap, service.settings.alerts_topic, set(),
                         timeout=8, until=lambda ms: len(ms) >= 2)
    statuses = consume_all(kafka_bootstrap, service.settings.status_topic, set(),
                           timeout=8, until=lambda ms: len(ms) >= 1)
    service.close()

    assert sorted((a["rule"], a["period"]) for a in alerts) == [
        ("CON-1", "2026-09"), ("CON-5", "2026-09-09")]
    assert all(a["_key"] == pupil for a in alerts + statuses)
    latest = statuses[-1]
    assert latest["days"] == {"documented": 0, "undocumented": 3, "total": 3}
    assert {c["rule"] for c in latest["concerns"]} == {"CON-1", "CON-5"}


@pytest.mark.rule("FOL-4")
def test_a_task_turns_overdue_by_the_clock_alone_and_the_alert_reaches_the_broker(
        relay_environ: dict[str, str], kafka_bootstrap: str) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    oslo = ZoneInfo("Europe/Oslo")
    now = {"at": datetime(2026, 9, 7, 9, 0, tzinfo=oslo)}
    service = build(Settings.from_environ(relay_environ), clock=lambda: now["at"])
    pupil = new_pupil()
    accepted_ids(service, [enrolled(pupil), absent(pupil, "2026-09-07",
                                                   occurred_at="2026-09-07T08:30:00+02:00")])
    service.pupil_views.catch_up()
    [clock] = service.clocks

    now["at"] = datetime(2026, 9, 7, 23, 0, tzinfo=oslo)
    before_due = clock.run_once()
    now["at"] = datetime(2026, 9, 8, 7, 0, tzinfo=oslo)
    after_due = clock.run_once()
    service.pupil_views.catch_up()
    again = clock.run_once()
    service.relays[1].catch_up()
    alerts = consume_all(kafka_bootstrap, service.settings.alerts_topic, set(), timeout=10,
                         until=lambda ms: sum(m["kind"] == "task_overdue" for m in ms) >= 2)
    # FOL-4 (call the guardians) and FOL-5 (tell the leadership), both due that day.
    tasks = service.cases.case(UUID(pupil), None, restricted=False)["tasks"]
    service.close()

    assert (before_due, after_due, again) == (0, 2, 0)
    assert all(t.status(now["at"]) == "overdue" and t.overdue_at is not None for t in tasks)
    overdue = sorted((a["rule"], a["task_id"], a["pupil_id"]) for a in alerts
                     if a["kind"] == "task_overdue")
    assert overdue == sorted((t.rule, t.task_id, pupil) for t in tasks)
    assert [t.rule for t in tasks] == ["FOL-4", "FOL-5"]
