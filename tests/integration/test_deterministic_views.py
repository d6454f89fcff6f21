"""Views depend on the log, not on the order rows happen to lie in: two rebuilds of the same
log give byte-identical view tables — also when the second finds its tables physically
reordered half-way (as CLUSTER, VACUUM FULL or pg_repack leave them, or autovacuum's reuse
of free space) — and so does the live build in small batches."""

from __future__ import annotations

from typing import Any

from projections import outbox
from projections.db import Transaction
from projections.follower import Follower
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.e2e.test_retries import story
from tests.support.events import (
    absent,
    applied_for_leave,
    certificate,
    corrected,
    decided_leave,
    enrolled,
    envelope,
    new_pupil,
    notice,
    school_days,
)
from tests.support.views import differences, rebuild, snapshot


def term(pupil: str) -> list[dict[str, Any]]:
    """A pupil's autumn: whole days and single lessons (several on one day), notices
    covering some, a certificate, corrections that void and replace, granted leave."""
    days = school_days(12)
    lessons = [absent(pupil, day, period=period) for day in days[4:8] for period in (1, 2, 3)]
    whole = [absent(pupil, day) for day in days[:4] + days[9:12]]
    late = envelope("LateArrivalRecorded", {"pupil_id": pupil, "date": days[8],
                                            "minutes_late": 15})
    return [
        enrolled(pupil), *whole, *lessons, late,
        notice(pupil, days[1], days[2]), notice(pupil, days[5], lessons=[2, 3]),
        certificate(pupil, days[10], days[11]),
        corrected(whole[0]["event_id"], "Feilregistrert"),
        corrected(lessons[0]["event_id"], "Feil time",
                  replacement={"pupil_id": pupil, "date": days[4], "scope": "lesson",
                               "lesson": {"period": 4}}),
        applied_for_leave(pupil, f"perm-{pupil[:8]}", "2026-10-05", "2026-10-06"),
        decided_leave(f"perm-{pupil[:8]}", "granted"),
    ]


def lessons_of_one_day(pupil: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Two lessons documented by a notice that is then voided, and a third lesson later:
    the CON-3 concern the third raises cites all three, two of them tied on their day."""
    day = school_days(14)[13]
    given = notice(pupil, day, lessons=[1, 2])
    return [given, absent(pupil, day, period=1), absent(pupil, day, period=2),
            corrected(given["event_id"], "Meldingen gjaldt en annen elev")
            ], absent(pupil, day, period=3)


def test_two_rebuilds_of_the_same_log_give_byte_identical_view_tables(
        pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    later = []
    for pupil in [new_pupil() for _ in range(8)]:
        first, last = lessons_of_one_day(pupil)
        outcomes = service.ingestor.ingest(term(pupil) + first)
        assert {o.status for o in outcomes} == {"accepted"}, [o.problems for o in outcomes]
        later.append(last)
    for event in story(new_pupil()):
        service.ingestor.ingest([event])
    half_way = service.app.recorder.max_notification_id()
    assert {o.status for o in service.ingestor.ingest(later)} == {"accepted"}
    # The days end (today is long after them): the clock closes them, and CON-3 is decided.
    service.pupil_views.catch_up()
    assert sum(clock.run_once() for clock in service.clocks) >= 8
    live = Follower(service.app, service.pupil_views.sink, batch_size=3)
    live.catch_up()
    built_live = snapshot(service.views)

    rebuild(service)
    first_rebuild, first_alerts = snapshot(service.views), alerts(service)
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    follower = Follower(service.app, service.pupil_views.sink, batch_size=half_way)
    follower.run_once()
    with service.views.transaction() as tx:
        reorder_physically(tx)
    follower.catch_up()
    second_rebuild, second_alerts = snapshot(service.views), alerts(service)
    service.close()

    concern_rows = first_rebuild["concern"]
    assert sum(len(rows) for rows in first_rebuild.values()) > 200
    assert sum(1 for row in concern_rows if row[2] == "CON-3" and row[7].count(",") == 2) >= 8
    assert differences(first_rebuild, second_rebuild) == {}
    assert first_alerts == second_alerts
    assert differences(built_live, first_rebuild) == {}


def reorder_physically(tx: Transaction) -> None:
    """Rewrite each view table in the order of its primary key: for most, ids that are
    UUIDs, so in no order the log knows of."""
    for table in PupilViews.TABLES:
        if tx.execute("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() "
                      "AND indexname = :index", {"index": f"{table}_pkey"}):
            tx.execute(f"CLUSTER {table} USING {table}_pkey")


def alerts(service: Service) -> list[tuple[Any, ...]]:
    """The outbox's alerts (its pupil-status messages follow the batches, not the log)."""
    with service.views.transaction() as tx:
        return tx.execute("SELECT * FROM outbox WHERE topic = :topic ORDER BY position, seq",
                          {"topic": outbox.ALERTS_TOPIC})
