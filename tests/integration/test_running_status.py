"""The pupil status kept as running figures (`projections.status`) is, after every batch
and in batches of any size, what counting the pupil's standing facts from scratch gives:
notices before and after the absence they cover, lessons on a day absent in full, a
certificate over several days, corrections that void a fact, move it to another day or
into another school year and back, granted leave, late arrivals and leaving school."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.school_year import school_year_of
from projections import absence, disposal, outbox
from projections.db import Transaction
from projections.follower import Follower
from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import postgres_environ
from tests.support.events import (
    TENANT,
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

Figures = tuple[int, ...]


def year_of_changes(pupil: str) -> list[dict[str, Any]]:
    days = school_days(10)
    whole = [absent(pupil, day) for day in days[:3]]
    lessons = [absent(pupil, days[3], period=p) for p in (1, 2, 3)]
    next_year = absent(pupil, "2027-09-01")
    return [
        enrolled(pupil), enrolled(pupil, school_year="2027-2028", grade=10),
        notice(pupil, days[0]), *whole, *lessons,
        absent(pupil, days[2], period=5),  # part of a day already absent in full
        notice(pupil, days[3], lessons=[2]), certificate(pupil, days[1], days[4]),
        absent(pupil, days[4]), absent(pupil, days[5], period=1),
        envelope("LateArrivalRecorded", {"pupil_id": pupil, "date": days[6],
                                         "minutes_late": 12}),
        envelope("LeftSchoolRecorded", {"pupil_id": pupil, "date": days[6], "time": "11:00"}),
        corrected(whole[0]["event_id"], "Feilregistrert"),
        corrected(lessons[0]["event_id"], "Feil dag", replacement={
            "pupil_id": pupil, "date": days[7], "scope": "lesson", "lesson": {"period": 4}}),
        next_year,
        corrected(next_year["event_id"], "Feil år", replacement={
            "pupil_id": pupil, "date": days[8], "scope": "day"}),
        applied_for_leave(pupil, f"perm-{pupil[:8]}", days[9], days[9]),
        absent(pupil, days[9]),
        decided_leave(f"perm-{pupil[:8]}", "granted"),
        notice(pupil, days[5], days[7]),
    ]


@pytest.fixture(scope="module")
def logged(postgres_conninfo: str) -> Any:
    schema = f"status_{new_pupil()[:8]}"
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    service = build(Settings.from_environ(postgres_environ(postgres_conninfo, schema)))
    try:
        pupils = [new_pupil() for _ in range(3)]
        for pupil in pupils:
            outcomes = service.ingestor.ingest(year_of_changes(pupil))
            assert {o.status for o in outcomes} == {"accepted"}, [o.problems for o in outcomes]
        yield service, pupils
    finally:
        service.close()
        with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


def recounted(tx: Transaction) -> dict[tuple[str, str, str], Figures]:
    """Each (tenant, pupil, school year) with standing facts: its figures counted afresh."""
    found: dict[tuple[str, str, str], Figures] = {}
    for tenant, pupil in tx.execute("SELECT DISTINCT tenant, pupil_id FROM absence_fact "
                                    "ORDER BY tenant, pupil_id"):
        stored = absence.facts(tx, UUID(pupil), tenant)
        for year in sorted({school_year_of(f.row.from_day) for f in stored}):
            t = absence.tally_of(stored, year).totals
            dated = sum(school_year_of(f.row.from_day) == year for f in stored)
            found[(tenant, pupil, year)] = (t.days.documented, t.days.undocumented,
                                            t.lessons.documented, t.lessons.undocumented,
                                            t.late_arrivals, t.left_school, dated)
    return found


def kept(tx: Transaction) -> dict[tuple[str, str, str], Figures]:
    return {(t, p, y): tuple(figures) for t, p, y, *figures in tx.execute(
        "SELECT * FROM pupil_status ORDER BY tenant, pupil_id, school_year")}


def counted_afresh(tx: Transaction, message: dict[str, Any]) -> dict[str, Any]:
    """The status message as it was made before the running figures: the pupil's whole
    standing facts counted for the latest school year they fall in (else of enrolment)."""
    tenant, pupil = message["tenant"], message["pupil_id"]
    stored = absence.facts(tx, UUID(pupil), tenant)
    enrolled_in = [y for y, in tx.execute(
        "SELECT school_year FROM pupil_year WHERE tenant = :tenant AND pupil_id = :pupil "
        "ORDER BY school_year", {"tenant": tenant, "pupil": pupil})]
    year = max((school_year_of(f.row.from_day) for f in stored),
               default=enrolled_in[-1] if enrolled_in else None)
    totals = absence.tally_of(stored, year).totals
    raised = tx.execute("SELECT rule, period FROM concern WHERE tenant = :tenant AND "
                        "pupil_id = :pupil ORDER BY position, rule, period",
                        {"tenant": tenant, "pupil": pupil})
    return {"tenant": tenant, "pupil_id": pupil, "school_year": year,
            "position": message["position"], "days": totals.days.as_dict(),
            "lessons": totals.lessons.as_dict(), "late_arrivals": totals.late_arrivals,
            "left_school": totals.left_school,
            "concerns": [{"rule": r, "period": p} for r, p in raised]}


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_each_status_is_the_status_counted_afresh_after_every_batch(
        logged: tuple[Service, list[str]], batch_size: int) -> None:
    service, pupils = logged
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    follower = Follower(service.app, service.pupil_views.sink, batch_size=batch_size)
    batches, checked = 0, set()
    while follower.run_once():
        batches += 1
        with service.views.transaction() as tx:
            assert kept(tx) == recounted(tx), f"after batch {batches}"
            for message in statuses(tx, follower.sink.position()):
                assert message == counted_afresh(tx, message), f"after batch {batches}"
                checked.add((message["pupil_id"], message["school_year"]))
    assert batches >= (1 if batch_size == 1000 else 10)
    # The fact moved out of 2027-2028 took that year along: each pupil's latest is 2026-2027.
    assert {(pupil, "2026-2027") for pupil in pupils} <= checked
    if batch_size == 1:
        assert {(pupil, "2027-2028") for pupil in pupils} <= checked


def statuses(tx: Transaction, position: int) -> list[dict[str, Any]]:
    """The status messages a batch ending at ``position`` queued."""
    return [json.loads(body) for body, in tx.execute(
        "SELECT body FROM outbox WHERE topic = :topic AND position = :position ORDER BY seq",
        {"topic": outbox.STATUS_TOPIC, "position": position})]


@pytest.mark.rule("PRIV-4")
def test_a_disposal_purges_the_pupils_running_figures(logged: tuple[Service, list[str]]
                                                      ) -> None:
    service, (gone, kept_on, *_) = logged
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    service.pupil_views.catch_up()
    with service.views.transaction() as tx:
        disposal.purge(tx, TENANT, UUID(gone), datetime.now(UTC), "absence_record")
        left = {table: dict(tx.execute(f"SELECT pupil_id, COUNT(*) FROM {table} "
                                       "GROUP BY pupil_id ORDER BY pupil_id"))
                for table in ("status_day", "pupil_status")}
    assert all(gone not in rows and rows[kept_on] > 0 for rows in left.values()), left


def test_views_folded_before_the_running_figures_existed_get_them_when_they_start(
        logged: tuple[Service, list[str]]) -> None:
    service, _ = logged
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
    service.pupil_views.catch_up()
    with service.views.transaction() as tx:
        folded = kept(tx)
        tx.execute("DROP TABLE status_day")  # as an older version left its views
        tx.execute("DROP TABLE pupil_status")
    with service.views.transaction() as tx:
        PupilViews().create_tables(tx)  # what a start does
        upgraded, expected = kept(tx), recounted(tx)
    assert folded and upgraded == expected == folded
