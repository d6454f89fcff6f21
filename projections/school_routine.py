"""A school's absence routine: reviews (FOL-2, FOL-11), parents' meetings (FOL-18) and
cases discussed anonymously (CT-1), per half-year."""

from __future__ import annotations

from typing import Any

from domain.school_routine import SchoolRoutine
from domain.school_year import half_year_of
from projections.batch import Batch
from projections.db import ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS school_routine (
        event_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        school_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        scope_id TEXT,
        period TEXT,
        half_year TEXT NOT NULL,
        done INTEGER NOT NULL,
        position BIGINT NOT NULL
    )""",
)


def apply(batch: Batch, event: Any, position: int) -> None:
    at = event.envelope.occurred_at
    row: tuple[str, str | None, str | None, bool]
    if isinstance(event, SchoolRoutine.AbsenceReviewCompleted):
        row = (event.kind, event.scope_id, event.period, True)
    elif isinstance(event, SchoolRoutine.ParentsMeetingHeld):
        row = ("parents_meeting", event.class_id, None, event.guideline_reviewed)
        at = event.at
    elif isinstance(event, SchoolRoutine.CaseDiscussedAnonymously):
        row = (f"anonymous:{event.discussed_with}", None, None, True)
    else:
        return
    kind, scope_id, period, done = row
    batch.insert(
        "INSERT INTO school_routine (event_id, tenant, school_id, kind, scope_id, period, "
        "half_year, done, position) VALUES (:event_id, :tenant, :school_id, :kind, :scope_id, "
        ":period, :half_year, :done, :position) ON CONFLICT (event_id) DO NOTHING",
        {"event_id": str(event.envelope.event_id), "tenant": event.envelope.tenant,
         "school_id": event.school_id, "kind": kind, "scope_id": scope_id, "period": period,
         "half_year": half_year_of(at.date()), "done": int(done), "position": position})


class RoutineReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def routine(self, school_id: str, half_year: str, tenant: str | None) -> dict[str, Any]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT kind, scope_id, period, done FROM school_routine WHERE "
                "school_id = :school AND half_year = :half AND "
                "(CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant) ORDER BY position, event_id",
                {"school": school_id, "half": half_year, "tenant": tenant})
        grade_team = [r for r in rows if r[0] == "grade_team"]
        leadership = [r for r in rows if r[0] == "leadership_school"]
        monthly = sorted({(r[1], r[2]) for r in rows if r[0] == "monthly_contact_teacher"},
                         key=str)
        meetings = [r for r in rows if r[0] == "parents_meeting"]
        autumn = half_year.endswith("autumn")
        return {
            "school_id": school_id, "half_year": half_year,
            "checks": [
                {"rule": "FOL-2", "what": "Kontaktlærers månedlige gjennomgang av fraværet",
                 "done": [{"scope_id": s, "period": p} for s, p in monthly],
                 "met": bool(monthly)},
                {"rule": "FOL-11", "what": "Ledelsen i fraværsgjennomgang i trinnmøter, minst "
                 "to ganger per halvår", "count": len(grade_team), "required": 2,
                 "met": len(grade_team) >= 2},
                {"rule": "FOL-11", "what": "Ledelsens gjennomgang av hele skolens fravær, minst "
                 "to ganger per halvår", "count": len(leadership), "required": 2,
                 "met": len(leadership) >= 2},
                {"rule": "FOL-18", "what": "Veilederen gjennomgått på foreldremøter"
                 + (" (første foreldremøte om høsten i hver klasse)" if autumn else ""),
                 "classes": sorted({r[1] for r in meetings if r[3]}),
                 "not_reviewed": sorted({r[1] for r in meetings if not r[3]}),
                 "met": bool(meetings) and all(r[3] for r in meetings)},
            ],
            "anonymous_discussions": sum(1 for r in rows if r[0].startswith("anonymous:")),
        }
