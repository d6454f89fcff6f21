"""PRIV-4: a key per pupil, disposal by crypto-shredding, and encryption at rest that covers
the view tables and snapshots, scanned table by table in the test's PostgreSQL schema."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.disposal import DataDisposed, disposal_id
from domain.envelope import Actor, Role
from domain.issued_dossier import IssuedDossier
from domain.privacy import Sight
from domain.pupil import Pupil
from services.bootstrap import Service, build
from services.config import Settings
from services.evidence.verify import verify_store
from services.reads.history import Reader
from services.reads.issued import Disposed
from services.store import disposal
from services.store.application import Skolefravaer
from tests.support.case_events import contact
from tests.support.events import (
    TENANT,
    absent,
    applied_for_leave,
    enrolled,
    new_pupil,
    notice,
    school_days,
)

NAME, NATIONAL_ID = "Kari Nordmann", "01011250013"
HEALTH = ("lungebetennelse", "magesmerter", "angstplager")
PRINCIPAL = Reader(Actor("rektor-1", Role.PRINCIPAL), Sight.of(Role.PRINCIPAL, None))


ABSENT_DAYS = Skolefravaer.snapshotting_intervals[Pupil] // 3 + 1
"""Days of three lesson absences each: more events than a snapshot interval."""


@pytest.fixture
def encrypted(pg_environ: dict[str, str]) -> Iterator[Service]:
    service = build(Settings.from_environ({
        **pg_environ, "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()}))
    yield service
    service.close()


def _record(service: Service, pupil: str) -> None:
    """A pupil with a name, an identity number and health details in every place they go:
    the enrolment, a notice's cause, a contact's result, a leave application; and enough
    lesson absences (three a day) for the pupil's stream to be snapshotted."""
    days = school_days(ABSENT_DAYS + 1)
    sick = notice(pupil, days[0])
    sick["data"]["cause_text"] = "Innlagt med lungebetennelse"
    leave = applied_for_leave(pupil, f"s-{pupil[:8]}", "2027-03-01", "2027-03-02")
    leave["data"]["reason"] = "Utredning for angstplager"
    service.ingestor.ingest([
        enrolled(pupil, more={"name": NAME, "national_id": NATIONAL_ID}),
        *[absent(pupil, day, period=period) for day in days[1:] for period in (1, 2, 3)],
        sick, leave,
        contact(pupil, "2026-09-20T10:00:00+02:00", result="Mor forteller om magesmerter")])
    service.pupil_views.catch_up()
    service.audit_log.catch_up()
    # An issued dossier: a signed copy of it all, under the pupil's key as well.
    assert service.issued.issue(UUID(pupil), TENANT, PRINCIPAL)


def _hits(conninfo: str, schema: str, secrets: tuple[str, ...]) -> dict[str, int]:
    """How many rows of each table of ``schema`` hold any of ``secrets`` in plain text, in
    any column (text, JSON or bytes)."""
    found: dict[str, int] = {}
    with psycopg.connect(conninfo) as connection:
        tables = [t for (t,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name", (schema,))]
        assert "skolefravaer_snapshots" in tables and "case_record" in tables
        for table in tables:
            rows = connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            found[table] = sum(1 for row in rows if any(_holds(value, secrets)
                                                         for value in row))
    return found


def _holds(value: Any, secrets: tuple[str, ...]) -> bool:
    data = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
    return any(secret.encode() in data for secret in secrets)


def _snapshots(conninfo: str, schema: str) -> int:
    with psycopg.connect(conninfo) as connection:
        [(count,)] = connection.execute(
            f'SELECT COUNT(*) FROM "{schema}".skolefravaer_snapshots').fetchall()
    return int(count)


@pytest.mark.rule("PRIV-4")
def test_with_encryption_on_no_view_row_or_snapshot_holds_a_health_detail_in_plain_text(
        encrypted: Service, postgres_conninfo: str, pg_schema: str) -> None:
    pupil = new_pupil()
    _record(encrypted, pupil)

    assert _snapshots(postgres_conninfo, pg_schema) >= 1
    hits = _hits(postgres_conninfo, pg_schema, (NAME, NATIONAL_ID, *HEALTH))
    assert {table: n for table, n in hits.items() if n} == {}
    # ... and yet the service reads them, with the pupil's key.
    case = encrypted.cases.case(UUID(pupil), TENANT, restricted=True)
    assert any("magesmerter" in str(r["body"]) for r in case["records"])


@pytest.mark.rule("PRIV-4")
def test_a_shredded_pupil_leaves_nothing_readable_and_the_log_verifies(
        encrypted: Service, postgres_conninfo: str, pg_schema: str) -> None:
    shredded, kept = new_pupil(), new_pupil()
    _record(encrypted, shredded)
    _record(encrypted, kept)
    before = _snapshots(postgres_conninfo, pg_schema)  # each pupil's and each case's
    issued = [d.dossier_id for d in _issued(encrypted, shredded)]

    at = disposal.dispose(encrypted.app, encrypted.views, TENANT, UUID(shredded),
                          retention_class="absence_record", due_at=None, by="arkivar-1")
    encrypted.pupil_views.catch_up()
    encrypted.audit_log.catch_up()

    # The pupil's key is gone: the events of the pupil can be read as plain text nowhere
    # (the scan reaches plaintext only through a key, and the pupil's is destroyed).
    assert encrypted.app.keys is not None
    encrypted.app.keys._cache.clear()  # as a new process would: only the table is left
    events = [_readable(encrypted, n) for n in
              encrypted.app.recorder.select_notifications(start=1, limit=10_000)]
    by_pupil = {str(getattr(e, "pupil_id", None)) for e in events if e is not None}
    assert kept in by_pupil and shredded not in by_pupil - {disposal_of(encrypted, shredded)}
    assert 1 <= _snapshots(postgres_conninfo, pg_schema) == before // 2  # the kept pupil's
    kept_name = _hits(postgres_conninfo, pg_schema, (NAME,))  # both pupils had the name
    assert kept_name == {table: 0 for table in kept_name}  # encrypted for the kept one
    hits = _hits(postgres_conninfo, pg_schema, (NAME, NATIONAL_ID, *HEALTH))
    assert {table: n for table, n in hits.items() if n} == {}
    assert verify_store(encrypted.app, encrypted.views).intact
    # Others' data is untouched.
    assert encrypted.absence.tally(UUID(kept), None, TENANT).totals.lessons.total == \
        3 * ABSENT_DAYS

    reader = PRINCIPAL
    with pytest.raises(Disposed):
        encrypted.issued.fetch(issued[0], TENANT, reader, lambda _: True)
    dossier = encrypted.dossiers.build(UUID(shredded), TENANT, reader)
    assert dossier is not None and dossier["disposed"]["disposed_at"] == at.isoformat()
    assert "slettet" in dossier["disposed"]["text"]


def _issued(service: Service, pupil: str) -> list[Any]:
    """The dossiers issued of ``pupil`` (read from the log while they still can be)."""
    found = []
    for notification in service.app.recorder.select_notifications(start=1, limit=10_000):
        event = _readable(service, notification)
        if isinstance(event, IssuedDossier.DossierIssued) and str(event.pupil_id) == pupil:
            found.append(event)
    return found


def _readable(service: Service, notification: Any) -> Any:
    try:
        return service.app.mapper.to_domain_event(notification)
    except DataDisposed:
        return None


def disposal_of(service: Service, pupil: str) -> str:
    """The disposal's own event names the pupil's pseudonym, and is readable: it is the
    record that the data was disposed of."""
    found = service.app.find(disposal_id(TENANT, UUID(pupil)))
    assert found is not None and found.by == "arkivar-1"
    return pupil


@pytest.mark.rule("PRIV-4")
def test_the_dispose_command_lists_on_a_dry_run_and_disposes_of_one_pupil(
        pg_environ: dict[str, str]) -> None:
    from tests.integration.test_cli import run

    environ = {**pg_environ, "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
               "CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()}
    service = build(Settings.from_environ(environ))
    pupil = new_pupil()
    service.ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01")])
    service.close()

    nothing_due = run(["dispose", "--due", "--dry-run"], environ)
    assert nothing_due.returncode == 0 and "0 pupil(s) due" in nothing_due.stdout
    dry = run(["dispose", "--pupil", pupil, "--tenant", TENANT, "--dry-run"], environ)
    assert f"would dispose of {TENANT} {pupil} on_request" in dry.stdout
    done = run(["dispose", "--pupil", pupil, "--tenant", TENANT, "--by", "arkivar-1"],
               environ)
    assert done.returncode == 0 and f"disposed of {TENANT} {pupil}" in done.stdout

    again = build(Settings.from_environ(environ))
    assert again.history.disposed(UUID(pupil), TENANT) is not None
    again.close()


def test_without_a_master_key_nothing_can_be_crypto_shredded(pg_service: Service) -> None:
    pupil = new_pupil()
    pg_service.ingestor.ingest([enrolled(pupil)])
    with pytest.raises(disposal.NoPupilKeys):
        disposal.dispose(pg_service.app, pg_service.views, TENANT, UUID(pupil),
                         retention_class="on_request", due_at=None, by="arkivar-1")


@pytest.mark.rule("PRIV-4")
@pytest.mark.parametrize(("posted", "new_process"), [
    (lambda pupil: absent(pupil, "2027-05-03"), True),
    (lambda pupil: absent(pupil, "2027-05-03"), False),  # this process had it cached
    (enrolled, False),  # a new enrolment under the same id is no way back in
])
def test_an_event_for_a_disposed_pupil_is_refused_and_stores_nothing(
        encrypted: Service, posted: Callable[[str], dict[str, Any]],
        new_process: bool) -> None:
    pupil = new_pupil()
    _record(encrypted, pupil)
    disposal.dispose(encrypted.app, encrypted.views, TENANT, UUID(pupil),
                     retention_class="absence_record", due_at=None, by="arkivar-1")
    if new_process:
        assert encrypted.app.keys is not None
        encrypted.app.keys._cache.clear()
    head = encrypted.app.recorder.max_notification_id()

    [late] = encrypted.ingestor.ingest([posted(pupil)])

    assert (late.status, late.problems[0].code, late.problems[0].rule) == (
        "rejected", "pupil_data_disposed", "PRIV-4")
    assert encrypted.app.recorder.max_notification_id() == head
