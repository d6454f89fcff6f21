"""On PostgreSQL the audit log hashes its leaves inside the database (the stored bytes never
travel): the leaves, nodes and roots must be exactly those of `leaf_bytes` computed in Python,
over an encrypted store too."""

from __future__ import annotations

import base64
import os

import pytest

from services.bootstrap import Service, build
from services.config import Settings
from services.evidence import merkle
from services.evidence.keys import build_audit_log
from services.evidence.recorder import AuditLog, load_accumulator, notification_leaf_hash
from tests.support.audit import recorded_leaf_hashes
from tests.support.events import absent, enrolled, new_pupil, school_days

NO_ENVIRONMENT: dict[str, str] = {}


def stored_leaves(service: Service) -> list[bytes]:
    """Every stored event's leaf hash, computed in Python from the notifications."""
    return [notification_leaf_hash(n)
            for n in service.app.recorder.select_notifications(start=1, limit=10_000)]


def record(service: Service, batch_size: int) -> AuditLog:
    pupils = [new_pupil() for _ in range(3)]
    outcomes = service.ingestor.ingest([enrolled(p) for p in pupils] +
                                       [absent(p, d) for p in pupils for d in school_days(7)])
    assert {o.status for o in outcomes} == {"accepted"}
    log = build_audit_log(service.app, service.views, service.settings, NO_ENVIRONMENT,
                          batch_size=batch_size)
    assert log._events_table is not None  # the in-database path is the one under test
    log.catch_up()
    return log


@pytest.mark.parametrize("cipher", [False, True], ids=["plain", "encrypted"])
def test_leaves_hashed_in_postgresql_are_the_leaves_of_leaf_bytes(
        pg_environ: dict[str, str], cipher: bool) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    environ = {**pg_environ, **({"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                                 "CIPHER_KEY": key} if cipher else {})}
    service = build(Settings.from_environ(environ), with_relay=False)
    try:
        log = record(service, batch_size=7)  # batches that end inside subtrees
        expected = stored_leaves(service)
        assert len(expected) > 50
        assert recorded_leaf_hashes(log, len(expected)) == expected
        with service.views.transaction() as tx:
            assert load_accumulator(tx).root() == merkle.root(expected)
        proofs = log.proofs([log.position()])
        assert proofs is not None
        index, path = proofs.by_position[log.position()]
        assert merkle.inclusion_proof(expected, index) == path
        assert log.consistency(9, len(expected)) == merkle.consistency_proof(expected, 9)
    finally:
        service.close()


def test_a_batch_starts_where_the_last_one_ended(pg_service: Service) -> None:
    log = record(pg_service, batch_size=10)
    head = pg_service.app.recorder.max_notification_id()
    assert log.position() == head
    assert log.run_once() == 0
    assert log.latest_checkpoint() is not None
    assert log.latest_checkpoint()[0] == len(stored_leaves(pg_service))  # type: ignore[index]
