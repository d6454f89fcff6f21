"""Storing and projecting on a real PostgreSQL: idempotency, exactly-once, failures."""

from __future__ import annotations

import threading

import psycopg
import pytest

from domain.pupil import Pupil
from projections.follower import Follower, LoggedEvent, ViewSink
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from services.intake.ingestion import StoreUnavailable
from services.store.application import Skolefravaer
from tests.support.events import absent, enrolled, new_pupil, notice, school_days
from tests.support.store import stored


def stored_rows(service: Service) -> int:
    return len(service.app.recorder.select_notifications(start=1, limit=1_000_000))


def september_batch(pupil: str, days: int = 20) -> list[dict[str, object]]:
    return [enrolled(pupil), *(absent(pupil, day) for day in school_days(days))]


def test_a_batch_posted_twice_is_stored_once(pg_service: Service) -> None:
    pupils = [new_pupil() for _ in range(5)]
    batch = [event for pupil in pupils for event in september_batch(pupil, 10)]

    first = pg_service.ingestor.ingest(batch)
    rows_after_first = stored_rows(pg_service)
    second = pg_service.ingestor.ingest(batch)

    assert {o.status for o in first} == {"accepted"}
    assert {o.status for o in second} == {"duplicate"}
    assert stored_rows(pg_service) == rows_after_first == stored(pg_service.app).rows
    held = stored(pg_service.app)
    assert (held.posted, held.receipts, held.repeated_event_ids) == (len(batch), len(batch), 0)


def test_the_same_event_id_with_other_content_is_rejected_and_changes_nothing(
        pg_service: Service) -> None:
    pupil = new_pupil()
    event = absent(pupil, "2026-09-01")
    pg_service.ingestor.ingest([enrolled(pupil), event])
    rows = stored_rows(pg_service)

    [outcome] = pg_service.ingestor.ingest(
        [{**event, "data": {**event["data"], "date": "2026-09-02"}}])

    assert outcome.status == "rejected"
    assert outcome.problems[0].code == "event_id_conflict"
    assert stored_rows(pg_service) == rows


def test_concurrent_writers_to_the_same_pupils_all_land_exactly_once(
        pg_environ: dict[str, str]) -> None:
    pupils = [new_pupil() for _ in range(3)]
    setup = build(Settings.from_environ(pg_environ))
    setup.ingestor.ingest([enrolled(p) for p in pupils])
    days = school_days(40)
    batches = [[absent(p, day) for p in pupils for day in days[m * 10:(m + 1) * 10]]
               for m in range(4)]
    results: list[list[str]] = []

    def post(batch: list[dict[str, object]]) -> None:
        service = build(Settings.from_environ(pg_environ))
        try:
            results.append([o.status for o in service.ingestor.ingest(batch)])
            results.append([o.status for o in service.ingestor.ingest(batch)])
        finally:
            service.close()

    threads = [threading.Thread(target=post, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    accepted = sum(statuses.count("accepted") for statuses in results)
    assert accepted == sum(len(b) for b in batches)
    held = stored(setup.app)
    assert (held.posted, held.receipts) == (len(pupils) + accepted, len(pupils) + accepted)
    assert held.repeated_event_ids == 0 and stored_rows(setup) == held.rows
    setup.close()


def test_a_lock_timeout_answers_store_unavailable_and_stores_nothing(
        pg_service: Service, postgres_conninfo: str, pg_schema: str) -> None:
    pupil = new_pupil()
    pg_service.ingestor.ingest([enrolled(pupil)])
    rows = stored_rows(pg_service)

    with psycopg.connect(postgres_conninfo) as blocker:
        blocker.execute(f"LOCK TABLE {pg_schema}.skolefravaer_events IN EXCLUSIVE MODE")
        with pytest.raises(StoreUnavailable):
            pg_service.ingestor.ingest([absent(pupil, "2026-09-01")])
        blocker.rollback()

    assert stored_rows(pg_service) == rows
    [outcome] = pg_service.ingestor.ingest([absent(pupil, "2026-09-01")])
    assert outcome.status == "accepted"


class CrashingProjection(PupilViews):
    """Fails once, in the middle of a batch, like a process killed mid-transaction."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at

    def apply(self, tx: object, logged: LoggedEvent) -> object:
        if logged.position == self.crash_at:
            raise RuntimeError("killed")
        return super().apply(tx, logged)  # type: ignore[arg-type]


def days_counted(service: Service, pupil: str) -> int:
    from uuid import UUID
    return service.absence.tally(UUID(pupil), None).totals.days.total


@pytest.mark.rule("ABS-1", "ABS-3", "ABS-4")
def test_a_projection_stopped_half_way_and_restarted_counts_every_event_once(
        pg_service: Service) -> None:
    pupil = new_pupil()
    outcomes = pg_service.ingestor.ingest([*september_batch(pupil, 20),
                                           notice(pupil, "2026-09-01", "2026-09-05")])
    middle = outcomes[10].position
    assert middle is not None

    crashing = Follower(pg_service.app, ViewSink(pg_service.views, CrashingProjection(middle)),
                        batch_size=8)
    crashing.run_once()
    with pytest.raises(RuntimeError):
        crashing.catch_up()
    assert 0 < days_counted(pg_service, pupil) < 20

    restarted = Follower(pg_service.app, ViewSink(pg_service.views, PupilViews()),
                         batch_size=8)
    restarted.catch_up()

    from uuid import UUID
    tally = pg_service.absence.tally(UUID(pupil), "2026-2027")
    # 1–5 September 2026 holds four school days (the 5th is a Saturday).
    assert tally.totals.days.as_dict() == {"documented": 4, "undocumented": 16, "total": 20}
    assert restarted.lag() == 0


def test_two_copies_of_a_projection_never_apply_the_same_batch_twice(
        pg_service: Service) -> None:
    pupil = new_pupil()
    pg_service.ingestor.ingest(september_batch(pupil, 20))
    copies = [Follower(pg_service.app, ViewSink(pg_service.views, PupilViews()),
                       batch_size=4) for _ in range(2)]
    errors: list[BaseException] = []

    def run(follower: Follower) -> None:
        while True:
            try:
                if not follower.run_once():
                    return
            except Exception as error:  # a lost race: the other copy moved first
                errors.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert days_counted(pg_service, pupil) == 20
    with pg_service.views.transaction() as tx:
        [(rows,)] = tx.execute("SELECT count(*) FROM absence_fact")
    assert rows == 20


@pytest.mark.rule("ABS-4")
def test_rebuilding_the_view_from_empty_gives_the_same_figures(pg_service: Service) -> None:
    from uuid import UUID

    pupil = new_pupil()
    pg_service.ingestor.ingest(september_batch(pupil, 12))
    pg_service.projections[0].catch_up()
    pg_service.ingestor.ingest([notice(pupil, "2026-09-03", "2026-09-08"),
                                absent(pupil, "2026-10-01", period=2)])
    pg_service.projections[0].catch_up()
    incremental = pg_service.absence.tally(UUID(pupil), None)

    with pg_service.views.transaction() as tx:
        PupilViews().clear(tx)
    Follower(pg_service.app, ViewSink(pg_service.views, PupilViews())).catch_up()
    rebuilt = pg_service.absence.tally(UUID(pupil), None)

    assert rebuilt == incremental
    assert rebuilt.totals.days.documented == 4  # 3, 4, 7 and 8 September


def test_stored_events_decode_to_domain_events(pg_service: Service) -> None:
    pupil = new_pupil()
    pg_service.ingestor.ingest([enrolled(pupil), absent(pupil, "2026-09-01", period=3)])

    notifications = pg_service.app.recorder.select_notifications(start=1, limit=10)
    events = [pg_service.app.mapper.to_domain_event(n) for n in notifications]

    recorded = [e for e in events if isinstance(e, Pupil.AbsenceRecorded)]
    assert recorded[0].absence.lesson.period == 3
    assert str(recorded[0].pupil_id) == pupil


@pytest.mark.rule("PRIV-1")
def test_with_a_cipher_key_stored_events_hold_no_readable_personal_data(
        pg_environ: dict[str, str], postgres_conninfo: str, pg_schema: str) -> None:
    import base64
    import os
    from uuid import UUID

    service = build(Settings.from_environ({
        **pg_environ, "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": base64.b64encode(os.urandom(32)).decode()}))
    pupil = new_pupil()
    sick = notice(pupil, "2026-09-01")
    sick["data"]["cause_text"] = "Innlagt med lungebetennelse"
    service.ingestor.ingest([enrolled(pupil, more={"name": "Kari Nordmann",
                                                   "national_id": "01011250013"}),
                             absent(pupil, "2026-09-01"), sick])
    service.projections[0].catch_up()

    with psycopg.connect(postgres_conninfo) as connection:
        states = [bytes(row[0]) for row in connection.execute(
            f"SELECT state FROM {pg_schema}.skolefravaer_events")]
    assert states
    for secret in (b"Kari", b"01011250013", b"lungebetennelse"):
        assert not any(secret in state for state in states)
    assert service.absence.tally(UUID(pupil), None).totals.days.documented == 1
    service.close()


def test_a_pupil_with_hundreds_of_events_loads_from_its_snapshot(
        pg_environ: dict[str, str]) -> None:
    from datetime import UTC, datetime

    from tests.support.events import applied_for_leave, corrected, decided_leave

    clock = {"clock": lambda: datetime(2027, 7, 1, tzinfo=UTC)}
    first = build(Settings.from_environ(pg_environ), **clock)
    pupil = new_pupil()
    days = school_days(150)
    every = Skolefravaer.snapshotting_intervals[Pupil]
    # Three lessons a day: enough events to pass two snapshot intervals in one school year.
    absences = [absent(pupil, day, period=period) for day in days[:140]
                for period in (1, 2, 3)][:every * 2 + 20]
    half = len(absences) // 2
    first.ingestor.ingest([enrolled(pupil), *absences[:half],
                           applied_for_leave(pupil, "p-1", days[-10], days[-9]),
                           decided_leave("p-1", "granted"),
                           corrected(absences[0]["event_id"], "feil dag"), *absences[half:]])
    first.close()

    second = build(Settings.from_environ(pg_environ), **clock)  # a cold cache
    from uuid import UUID

    from domain.pupil import pupil_aggregate_id
    loaded = second.app.repository.get(pupil_aggregate_id("3101", UUID(pupil)))
    [outcome] = second.ingestor.ingest([corrected(absences[1]["event_id"], "feil dag")])
    snapshots = second.app.snapshots.get(loaded.id) if second.app.snapshots else []  # type: ignore[union-attr]

    assert outcome.status == "accepted"
    # The batch passed two intervals: one snapshot, of the pupil as the batch left it.
    assert [s.originator_version for s in snapshots] == [loaded.version]
    assert loaded.standing.records[absences[0]["event_id"]] is None
    assert loaded.leave["p-1"].decision is not None
    second.close()
