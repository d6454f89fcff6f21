"""The audit log catches every edit of the stored events: changed, deleted, swapped, inserted.

The tamper tests edit the events table of a real PostgreSQL the way someone with database
access would, behind the service's back, and expect `verify_store` to name the first position
that no longer holds.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import Notification

from services.bootstrap import Service
from services.evidence import checkpoints, merkle, offline_verify
from services.evidence.keys import build_audit_log, public_key, signing_key
from services.evidence.recorder import AuditLog, Signer, leaf_bytes, notification_leaf_hash
from services.evidence.verify import VerifyResult, verify_store
from tests.support.audit import recorded_leaf_hashes
from tests.support.events import absent, enrolled, new_pupil, school_days
from tests.support.store import stored

NO_ENVIRONMENT: dict[str, str] = {}  # use the key kept in audit_key, whatever the shell says


def ingest(service: Service, pupils: int = 3, days: int = 8) -> list[int]:
    """Store ``pupils`` enrolments with ``days`` absences each; answer the events' positions."""
    ids = [new_pupil() for _ in range(pupils)]
    outcomes = service.ingestor.ingest(
        [enrolled(p) for p in ids] + [absent(p, d) for p in ids for d in school_days(days)])
    assert {o.status for o in outcomes} == {"accepted"}
    return [o.position for o in outcomes if o.position is not None]


def audit(service: Service, batch_size: int = 1000) -> AuditLog:
    log = build_audit_log(service.app, service.views, service.settings, NO_ENVIRONMENT,
                          batch_size=batch_size)
    log.catch_up()
    return log


def verify(service: Service) -> VerifyResult:
    key = public_key(service.views, NO_ENVIRONMENT)
    assert key is not None
    return verify_store(service.app, service.views, key=key)


@pytest.fixture
def sql(postgres_conninfo: str, pg_schema: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection of someone editing the tables directly, in the test's schema."""
    with psycopg.connect(postgres_conninfo, autocommit=True,
                         options=f"-csearch_path={pg_schema}") as connection:
        yield connection


def stored_count(sql: psycopg.Connection[tuple[object, ...]]) -> int:
    [(count,)] = sql.execute("SELECT count(*) FROM skolefravaer_events").fetchall()
    return int(str(count))


def nth_position(sql: psycopg.Connection[tuple[object, ...]], n: int) -> int:
    [(position,)] = sql.execute("SELECT notification_id FROM skolefravaer_events "
                                "ORDER BY notification_id OFFSET %s LIMIT 1", (n,)).fetchall()
    return int(str(position))


# An untouched store ------------------------------------------------------------------------------


def test_an_untouched_store_verifies_intact_checking_every_stored_event(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service, batch_size=7)
    ingest(pg_service, pupils=2)
    audit(pg_service, batch_size=7)
    seen: list[tuple[int, int]] = []

    key = public_key(pg_service.views, NO_ENVIRONMENT)
    result = verify_store(pg_service.app, pg_service.views, lambda d, t: seen.append((d, t)),
                          key=key, batch_size=10)

    assert result == VerifyResult(True, stored_count(sql), None, None)
    assert seen[-1] == (stored_count(sql), stored_count(sql))
    assert len(seen) > 2


def test_a_gap_in_the_positions_is_not_tampering(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    # PostgreSQL's sequence skips the ids of rolled-back inserts: a gap is normal.
    ingest(pg_service)
    sql.execute("SELECT setval(pg_get_serial_sequence('skolefravaer_events', "
                "'notification_id'), (SELECT max(notification_id) + 5 FROM skolefravaer_events))")
    ingest(pg_service)
    audit(pg_service)

    assert verify(pg_service).intact


def test_events_stored_after_the_audit_log_are_not_yet_checked(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    log = audit(pg_service)
    checked = stored_count(sql)
    later = ingest(pg_service, pupils=1)

    result = verify(pg_service)

    assert result.intact
    # the events, their receipts and what the service decided on them
    assert log.lag() == stored_count(sql) - checked > len(later) * 2
    assert result.checked == log.position() < min(later)


# Tampering with the events table ----------------------------------------------------------------


def test_one_changed_byte_is_found_at_its_position(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    target = nth_position(sql, 10)

    sql.execute("UPDATE skolefravaer_events SET state = overlay(state placing "
                "set_byte('\\x00'::bytea, 0, 255 - get_byte(state, 20)) from 21 for 1) "
                "WHERE notification_id = %s", (target,))
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, target)
    assert result.reason is not None and "changed" in result.reason
    assert result.checked == stored_count(sql)


def test_a_deleted_event_is_found_at_its_position(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    target = nth_position(sql, 7)

    sql.execute("DELETE FROM skolefravaer_events WHERE notification_id = %s", (target,))
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, target)
    assert result.reason is not None and "deleted" in result.reason


def test_deleting_the_newest_event_is_found_too(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    [(last,)] = sql.execute("SELECT max(notification_id) FROM skolefravaer_events").fetchall()

    sql.execute("DELETE FROM skolefravaer_events WHERE notification_id = %s", (last,))

    assert verify(pg_service).first_broken_position == last


def test_two_swapped_states_are_found_at_the_lower_position(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    low, high = nth_position(sql, 12), nth_position(sql, 30)

    sql.execute("UPDATE skolefravaer_events AS e SET state = o.state FROM skolefravaer_events o "
                "WHERE (e.notification_id, o.notification_id) IN ((%s, %s), (%s, %s))",
                (low, high, high, low))
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, low)


def test_two_whole_events_swapped_in_the_log_are_found_at_the_lower_position(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    # Swapping the positions of two rows swaps their state, topic, originator and version.
    ingest(pg_service)
    audit(pg_service)
    low, high = nth_position(sql, 5), nth_position(sql, 25)

    with sql.transaction():
        for old, new in ((low, -1), (high, low), (-1, high)):
            sql.execute("UPDATE skolefravaer_events SET notification_id = %s "
                        "WHERE notification_id = %s", (new, old))
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, low)


def test_an_event_inserted_among_recorded_ones_is_found_at_its_position(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    sql.execute("SELECT setval(pg_get_serial_sequence('skolefravaer_events', "
                "'notification_id'), (SELECT max(notification_id) + 3 FROM skolefravaer_events))")
    ingest(pg_service)
    audit(pg_service)
    [(gap,)] = sql.execute(
        "SELECT min(notification_id) - 1 FROM skolefravaer_events "
        "WHERE notification_id > (SELECT min(notification_id) FROM skolefravaer_events) "
        "AND notification_id - 1 NOT IN (SELECT notification_id FROM skolefravaer_events)"
    ).fetchall()

    sql.execute("INSERT INTO skolefravaer_events (originator_id, originator_version, topic, "
                "state, notification_id) SELECT gen_random_uuid(), 1, topic, state, %s "
                "FROM skolefravaer_events ORDER BY notification_id LIMIT 1", (gap,))
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, gap)
    assert result.reason is not None and "inserted" in result.reason


# Tampering with the audit log itself ------------------------------------------------------------


def test_an_edited_audit_leaf_is_found(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    second_batch = ingest(pg_service)
    audit(pg_service)
    target = nth_position(sql, stored_count(sql) - 3)

    sql.execute("UPDATE audit_leaf SET leaf_hash = %s WHERE position = %s",
                ("00" * 32, target))
    result = verify(pg_service)

    # The second checkpoint no longer holds: nothing it added can be vouched for, and the
    # leaf that differs from its event is named.
    assert (result.intact, result.first_broken_position) == (False, second_batch[0])
    assert result.reason is not None and "signed root" in result.reason
    assert f"position {target} differs" in result.reason


def test_an_event_and_its_leaf_edited_to_match_are_caught_by_the_signed_checkpoint(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    second_batch = ingest(pg_service)
    audit(pg_service)  # one signed checkpoint per batch: after the first, after the second
    target = nth_position(sql, stored_count(sql) - 5)

    sql.execute("UPDATE skolefravaer_events SET state = state || '\\x20'::bytea "
                "WHERE notification_id = %s", (target,))
    [forged] = pg_service.app.recorder.select_notifications(start=target, limit=1)
    sql.execute("UPDATE audit_leaf SET leaf_hash = %s WHERE position = %s",
                (notification_leaf_hash(forged).hex(), target))
    result = verify(pg_service)

    assert not result.intact
    assert result.reason is not None and "signed root" in result.reason
    # Everything up to the first checkpoint still holds; the second no longer does.
    assert result.first_broken_position == second_batch[0] <= target


def test_a_deleted_latest_checkpoint_leaves_recorded_events_unsigned(
        pg_service: Service, sql: psycopg.Connection[tuple[object, ...]]) -> None:
    ingest(pg_service)
    audit(pg_service)
    second_batch = ingest(pg_service)
    audit(pg_service)

    sql.execute("DELETE FROM audit_checkpoint WHERE size = (SELECT max(size) "
                "FROM audit_checkpoint)")
    result = verify(pg_service)

    assert (result.intact, result.first_broken_position) == (False, second_batch[0])


def test_checkpoints_signed_by_another_key_do_not_verify(pg_service: Service) -> None:
    ingest(pg_service)
    audit(pg_service)
    stranger = checkpoints.generate_private_key().public_key()

    result = verify_store(pg_service.app, pg_service.views, key=stranger)

    assert not result.intact
    assert result.reason is not None and "not validly signed" in result.reason


# SQLite: proofs, and what an auditor checks offline ---------------------------------------------


def test_leaf_bytes_bind_the_position_the_aggregate_and_the_stored_bytes() -> None:
    data = leaf_bytes(17, "5f2b7c1e-8d4a-4b0e-9f6a-2c3d4e5f6a7b", 3, "domain.pupil:Pupil.X",
                      b"\x00\xffstate\n")

    assert data == (b"skolefravaer-leaf-v1\n17\n5f2b7c1e-8d4a-4b0e-9f6a-2c3d4e5f6a7b\n3\n"
                    b"domain.pupil:Pupil.X\n\x00\xffstate\n")
    assert merkle.leaf_hash(data) == hashlib.sha256(b"\x00" + data).digest()
    with pytest.raises(ValueError):
        leaf_bytes(1, "a\nb", 1, "t", b"")


def test_the_audit_log_catches_up_and_proves_every_event_in_its_checkpoint(
        sqlite_service: Service) -> None:
    ingest(sqlite_service, pupils=4, days=10)
    key = signing_key(sqlite_service.views, NO_ENVIRONMENT)
    log = AuditLog(sqlite_service.app, sqlite_service.views, batch_size=9,
                   signer=Signer(key, "skolefravaer-test", "skolefravaer/test"))
    log.catch_up()
    notifications = sqlite_service.app.recorder.select_notifications(start=1, limit=10_000)
    proofs = log.proofs([n.id for n in notifications])
    assert proofs is not None
    note = proofs.note
    checkpoint = checkpoints.parse_and_verify(note, key.public_key())

    held = stored(sqlite_service.app)
    assert log.lag() == 0
    assert (held.posted, held.receipts) == (44, 44)  # and what was decided on them
    assert checkpoint.size == len(notifications) == held.rows
    assert merkle.root(recorded_leaf_hashes(log, checkpoint.size)) == checkpoint.root
    assert log.latest_checkpoint() == (held.rows, note)  # one per size
    for index, notification in enumerate(notifications):
        leaf_index, proof = proofs.by_position[notification.id]
        size = proofs.size
        assert (leaf_index, size) == (index, checkpoint.size)
        assert merkle.verify_inclusion(notification_leaf_hash(notification), leaf_index, size,
                                       proof, checkpoint.root)
    assert verify_store(sqlite_service.app, sqlite_service.views,
                        key=key.public_key()) == VerifyResult(True, held.rows, None, None)


def test_an_exported_event_verifies_offline(sqlite_service: Service) -> None:
    ingest(sqlite_service)
    log = audit(sqlite_service)
    latest = log.latest_checkpoint()
    key = signing_key(sqlite_service.views, NO_ENVIRONMENT)
    assert latest is not None
    notifications = sqlite_service.app.recorder.select_notifications(start=1, limit=10_000)

    proofs = log.proofs([n.id for n in notifications])
    assert proofs is not None

    def exported(n: Notification) -> dict[str, object]:
        leaf_index, proof = proofs.by_position[n.id]
        data = leaf_bytes(n.id, n.originator_id, n.originator_version, n.topic, n.state)
        return {"position": n.id, "leaf_index": leaf_index,
                "stored_bytes_b64": base64.b64encode(data).decode(),
                "inclusion_proof": [h.hex() for h in proof]}

    bundle = {"checkpoint": latest[1], "public_key_pem": checkpoints.public_key_pem(key),
              "events": [exported(n) for n in notifications[3:6]]}

    assert offline_verify.verify_bundle(bundle) == []
    bundle["events"][0]["stored_bytes_b64"] = base64.b64encode(  # type: ignore[index]
        leaf_bytes(1, "x", 1, "t", b"forged")).decode()
    assert offline_verify.verify_bundle(bundle) != []


def test_the_command_line_exits_1_with_the_first_broken_position(
        pg_service: Service, pg_environ: dict[str, str],
        sql: psycopg.Connection[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from services import cli

    for name, value in pg_environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SKOLEFRAVAER_SIGNING_KEY", raising=False)
    ingest(pg_service)

    assert cli.main(["verify"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"intact: {stored_count(sql)} stored events checked")
    assert "\r" not in err  # no progress bar when stderr is not a terminal

    target = nth_position(sql, 3)
    sql.execute("DELETE FROM skolefravaer_events WHERE notification_id = %s", (target,))
    assert cli.main(["verify", "--no-catch-up"]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith(f"NOT intact: first broken position {target}: ")
