"""The audit log's catch-up and ``skolefravaer verify`` beside a raw read of the same stored
events in the same batches, in one run on PostgreSQL (figures printed, never asserted).

    python -m benchmarks.audit --postgres "host=127.0.0.1 user=postgres dbname=test"
    python -m benchmarks.audit --postgres ... --sizes 2000          # tiny

The audit log hashes the stored bytes, never decodes them, so the log is written directly
through eventsourcing's recorder: synthetic stored events of about the size of the real
ones (issue 15's workload), ``--pupils`` aggregates, in the order of their versions. For each
of ``--sizes`` (ascending; the log grows from one to the next) the audit log's tables are
emptied and then, in one run:

- raw read: `select_notifications` from position 1 to the head, in the audit log's batches
  (once to warm PostgreSQL's cache, then timed);
- audit catch-up: `AuditLog.catch_up` from empty, signing a checkpoint per batch as the
  service does;
- verify: `verify_store` (what ``skolefravaer verify`` runs) beside the raw read in its
  batches.

Printed: events/s (wall) and CPU seconds of each, and the ratios project / raw. The
machine is shared: compare one run's ratios.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from services.bootstrap import Service, build
from services.config import Settings
from services.evidence import recorder, verify
from services.evidence.recorder import AuditLog
from tests.conftest import postgres_environ

TINY = ("--postgres", "{postgres}", "--sizes", "2000", "--pupils", "50")

Timed = tuple[float, float]  # (wall seconds, CPU seconds)
STATE = ('{"absence":{"date":"2026-%02d-%02d","lesson":{"period":%d,"subject":null},'
         '"scope":"lesson","source":"visma-flyt","recorded_by":"teacher-%d"},'
         '"envelope":{"event_id":"%s","occurred_at":"2026-09-01T08:15:00+02:00",'
         '"recorded_at":"2026-09-01T08:15:01.123456+00:00","tenant":"kommune-0301",'
         '"type":"AbsenceRecorded","type_version":1,"actor":{"id":"system","role":"SYSTEM"}},'
         '"originator_topic":"domain.pupil:Pupil","timestamp":"2026-09-01T06:15:01.123456"}')
TOPIC = "domain.pupil:Pupil.AbsenceRecorded"


def timed(call: Callable[[], Any]) -> Timed:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def extend_log(service: Service, size: int, pupils: list[uuid.UUID]) -> None:
    """Synthetic stored events until the log holds ``size``, 10,000 per transaction."""
    store = service.app.recorder
    head = store.max_notification_id() or 0
    for start in range(head, size, 10_000):
        rows = []
        for n in range(start, min(size, start + 10_000)):
            pupil = pupils[n % len(pupils)]
            state = STATE % (n % 12 + 1, n % 28 + 1, n % 8 + 1, n % 97, uuid.uuid4())
            rows.append(StoredEvent(pupil, n // len(pupils) + 1, TOPIC, state.encode()))
        store.insert_events(rows)


def raw_read(service: Service, batch: int) -> int:
    """Every stored event read as the audit log reads them, batch by batch; answer how many."""
    start, count = 1, 0
    while notifications := service.app.recorder.select_notifications(start=start, limit=batch):
        count += len(notifications)
        start = notifications[-1].id + 1
    return count


def fresh_audit_log(service: Service, batch: int) -> AuditLog:
    """An audit log that has recorded nothing yet, signing with the service's key."""
    with service.views.transaction() as tx:
        for table in ("audit_leaf", "audit_node", "audit_checkpoint", "audit_accumulator"):
            tx.execute(f"DELETE FROM {table}")
        tx.execute("DELETE FROM projection_position WHERE name = :name", {"name": recorder.NAME})
    return AuditLog(service.app, service.views, signer=service.audit_log.signer, batch_size=batch)


def line(name: str, figures: Timed, count: int) -> str:
    wall, cpu = figures
    return (f"  {name:<16} {count / wall:9,.0f} ev/s   {wall:6.2f} s wall   {cpu:6.2f} s CPU")


def compare(service: Service, size: int, batch: int) -> None:
    audit_log = fresh_audit_log(service, batch)
    raw_read(service, batch)  # warm the cache, so neither side pays for the disk
    raw = timed(lambda: raw_read(service, batch))
    audit = timed(audit_log.catch_up)
    assert audit_log.position() == service.app.recorder.max_notification_id()
    signer = audit_log.signer
    assert signer is not None
    key = signer.key.public_key()
    checked: list[verify.VerifyResult] = []
    raw_verify = timed(lambda: raw_read(service, verify.BATCH_SIZE))
    verified = timed(lambda: checked.append(verify.verify_store(service.app, service.views,
                                                                key=key)))
    assert checked[0].intact and checked[0].checked == size, checked[0]
    print(f"\n{size:,} stored events (audit batches of {batch}, verify batches of "
          f"{verify.BATCH_SIZE}):")
    print(line("raw read", raw, size))
    print(line("audit catch-up", audit, size))
    print(line("raw read (verify)", raw_verify, size))
    print(line("verify", verified, size))
    print(f"  ratios (project / raw): audit catch-up {raw[0] / audit[0]:.2f} wall, "
          f"{raw[1] / audit[1]:.2f} CPU; verify {raw_verify[0] / verified[0]:.2f} wall, "
          f"{raw_verify[1] / verified[1]:.2f} CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True, help="libpq conninfo")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--batch", type=int, help="stored events per audit batch "
                        "(default: the service's)")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    service = build(Settings.from_environ(postgres_environ(args.postgres, schema)),
                    with_relay=False)
    pupils = [uuid.UUID(int=n + 1) for n in range(args.pupils)]
    try:
        for size in sorted(args.sizes):
            extend_log(service, size, pupils)
            compare(service, size, args.batch or service.audit_log.batch_size)
    finally:
        service.close()
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
