"""A log of several municipalities, and the pupil views built from it by one worker, to
compare with the views built in shares."""

from __future__ import annotations

import json
from typing import Any

from projections import outbox, shares
from projections.follower import Follower, ViewSink
from projections.pupil_views import PupilViews
from services.bootstrap import Service
from tests.support import events as posted
from tests.support.views import Snapshot, snapshot

# Their shares of 2 are 1, 0, 1, 0, 0, 0 and of 3 are 1, 0, 0, 1, 1, 2: every share has some.
TENANTS = ("0301", "1103", "4601", "5001", "3101", "3403")


def autumn(pupil: str, tenant: str) -> list[dict[str, Any]]:
    """Absent days that raise concerns (alerts), a lesson, a notice, a correction, leave."""
    days = posted.school_days(8)
    whole = [posted.absent(pupil, day, tenant=tenant) for day in days[:4]]
    return [
        posted.enrolled(pupil, tenant=tenant), *whole,
        posted.absent(pupil, days[5], period=2, tenant=tenant),
        posted.envelope("LeftSchoolRecorded",
                        {"pupil_id": pupil, "date": days[6], "time": "10:15"}, tenant=tenant),
        posted.notice(pupil, days[1], days[2], tenant=tenant),
        posted.corrected(whole[3]["event_id"], "Feilregistrert", tenant=tenant),
        posted.applied_for_leave(pupil, f"perm-{pupil[:8]}", "2026-10-05", "2026-10-06",
                                 tenant=tenant),
        posted.decided_leave(f"perm-{pupil[:8]}", "granted", tenant=tenant),
    ]


def calendar_of(tenant: str) -> dict[str, Any]:
    """A tenant-wide event: the school calendar (no pupil)."""
    return posted.envelope("SchoolCalendarPublished", {
        "school_id": posted.SCHOOL, "school_year": "2026-2027", "first_day": "2026-08-17",
        "last_day": "2027-06-18"}, occurred_at="2026-08-01T08:00:00+02:00", tenant=tenant)


def ingest_municipalities(service: Service, pupils_each: int = 2) -> None:
    """Each municipality's calendar and pupils, interleaved in the log."""
    events = [calendar_of(tenant) for tenant in TENANTS]
    for _ in range(pupils_each):
        for tenant in TENANTS:
            events += autumn(posted.new_pupil(), tenant)
    for start in range(0, len(events), 25):
        outcomes = service.ingestor.ingest(events[start:start + 25])
        assert {o.status for o in outcomes} == {"accepted"}, [o.problems for o in outcomes]


Built = tuple[Snapshot, list[tuple[Any, ...]], dict[str, Any]]


def built(service: Service) -> Built:
    """The views' tables, the outbox's alerts, and each pupil's latest status message
    (without its position: a status is written at the end of a batch)."""
    with service.views.transaction() as tx:
        alerts = tx.execute("SELECT * FROM outbox WHERE topic = :topic ORDER BY position, seq",
                            {"topic": outbox.ALERTS_TOPIC})
        statuses = tx.execute("SELECT message_key, body FROM outbox WHERE topic = :topic "
                              "ORDER BY position, seq", {"topic": outbox.STATUS_TOPIC})
    latest: dict[str, Any] = {}
    for key, body in statuses:
        latest[key] = {k: v for k, v in json.loads(body).items()
                       if k != "position"}
    return snapshot(service.views), alerts, latest


def built_by_one_worker(service: Service) -> Built:
    """Empty the views, make them one share again, and build them from the whole log."""
    with service.views.transaction() as tx:
        PupilViews().clear(tx)
        shares.forget(tx, PupilViews.name)
        shares.swap(tx, PupilViews.name, shares.count_in(tx, PupilViews.name), 1, 0)
    Follower(service.app, ViewSink(service.views, PupilViews())).catch_up()
    return built(service)
