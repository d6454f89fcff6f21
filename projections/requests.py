"""Leave applications and diploma requests, with the decisions stored in their events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.diploma import (
    DiplomaFigures,
    DiplomaRequest,
    Exclusion,
    RequestDecision,
    diploma_total,
    diploma_year,
)
from domain.leave import LeaveApplication, LeaveDecision, Recommendation
from domain.records import AbsenceScope
from projections import codec
from projections.absence import FOR_PUPIL, FactKind, FactRow, facts, record_fact, tally_of
from projections.batch import Batch
from projections.db import ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS leave_application (
        tenant TEXT NOT NULL,
        application_id TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        application TEXT NOT NULL,
        recommendation TEXT NOT NULL,
        decision TEXT,
        applied_at TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, application_id)
    )""",
    """CREATE TABLE IF NOT EXISTS diploma_request (
        tenant TEXT NOT NULL,
        request_id TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        school_year TEXT NOT NULL,
        kind TEXT NOT NULL,
        request TEXT NOT NULL,
        decision TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, request_id)
    )""",
)

APPLICATIONS = "leave_application"
"""A batch's leave applications by (tenant, id): (pupil, application), for their decisions."""

EXCLUSION = "exclusion"
CAUSE_ATTACHMENT = "cause_attachment"


def load(batch: Batch, decided: list[tuple[str, str]]) -> None:
    """Read once the applications of earlier batches that the batch's decisions
    (``decided``: tenant and application id) are about."""
    if not decided:
        return
    where, params = batch.tx.one_of("ids", sorted({a for _, a in decided}))
    rows = batch.tx.execute("SELECT tenant, application_id, pupil_id, application FROM "
                            "leave_application WHERE application_id " + where
                            + " ORDER BY tenant, application_id", params)
    known = batch.state(APPLICATIONS)
    for tenant, application_id, pupil_id, application in rows:
        known[(tenant, application_id)] = (UUID(pupil_id),
                                           codec.loads(batch.sealer.open(application)))


def record_application(batch: Batch, tenant: str, pupil_id: UUID,
                       application: LeaveApplication, recommendation: Recommendation,
                       applied_at: str, position: int) -> None:
    batch.state(APPLICATIONS).setdefault((tenant, application.application_id),
                                         (pupil_id, application))
    batch.insert(
        "INSERT INTO leave_application (tenant, application_id, pupil_id, application, "
        "recommendation, applied_at, position) VALUES (:tenant, :id, :pupil_id, "
        ":application, :recommendation, :applied_at, :position) ON CONFLICT DO NOTHING",
        {"tenant": tenant, "id": application.application_id, "pupil_id": str(pupil_id),
         "application": batch.sealer.seal(tenant, pupil_id, codec.dumps(application)),
         "applied_at": applied_at, "position": position,
         "recommendation": batch.sealer.seal(tenant, pupil_id,
                                             codec.dumps(recommendation))})


def record_leave_decision(batch: Batch, tenant: str, event_id: UUID, application_id: str,
                          decision: LeaveDecision, position: int) -> None:
    found = batch.state(APPLICATIONS).get((tenant, application_id))
    if found is None:
        return
    pupil_id, leave = found
    batch.update("UPDATE leave_application SET decision = :decision WHERE tenant = :tenant "
                 "AND application_id = :id",
                 {"tenant": tenant, "id": application_id,
                  "decision": batch.sealer.seal(tenant, pupil_id, codec.dumps(decision))})
    if decision.documents_absence:
        record_fact(batch, event_id, tenant, pupil_id,
                    FactRow(FactKind.LEAVE, leave.from_date, leave.to_date), position)


def record_request(batch: Batch, tenant: str, pupil_id: UUID, kind: str,
                   request: DiplomaRequest, decision: RequestDecision, position: int) -> None:
    batch.insert(
        "INSERT INTO diploma_request (tenant, request_id, pupil_id, school_year, kind, "
        "request, decision, position) VALUES (:tenant, :id, :pupil_id, :year, :kind, "
        ":request, :decision, :position) ON CONFLICT DO NOTHING",
        {"tenant": tenant, "id": request.request_id, "pupil_id": str(pupil_id),
         "year": request.school_year, "kind": kind, "position": position,
         "request": batch.sealer.seal(tenant, pupil_id, codec.dumps(request)),
         "decision": batch.sealer.seal(tenant, pupil_id, codec.dumps(decision))})


class RequestReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def leave_application(self, application_id: str, tenant: str | None = None
                          ) -> dict[str, Any] | None:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT pupil_id, application, recommendation, decision, applied_at, tenant "
                "FROM leave_application WHERE application_id = :id "
                "AND (CAST(:tenant AS TEXT) IS NULL OR tenant = :tenant) ORDER BY tenant",
                {"id": application_id, "tenant": tenant})
        if not rows:
            return None
        pupil_id, application, recommendation, decision, applied_at, row_tenant = rows[0]
        opened = self.db.sealer.open
        return {"pupil_id": pupil_id, "tenant": row_tenant,
                "application": codec.loads(opened(application)),
                "recommendation": codec.loads(opened(recommendation)),
                "decision": codec.loads(opened(decision)) if decision else None,
                "applied_at": applied_at}

    def requests(self, pupil_id: UUID, school_year: str | None, tenant: str | None = None
                 ) -> list[tuple[str, DiplomaRequest, RequestDecision]]:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "SELECT kind, request, decision FROM diploma_request " + FOR_PUPIL
                + " AND (CAST(:year AS TEXT) IS NULL OR school_year = :year) "
                "ORDER BY position, request_id",
                {"pupil_id": str(pupil_id), "tenant": tenant, "year": school_year})
        opened = self.db.sealer.open
        return [(kind, codec.loads(opened(r)), codec.loads(opened(d))) for kind, r, d in rows]

    def diploma(self, pupil_id: UUID, years: dict[str, tuple[str, int]],
                tenant: str | None = None) -> dict[str, DiplomaFigures]:
        """DIP-1, DIP-7: the figures of each enrolled school year."""
        with self.db.transaction() as tx:
            standing = facts(tx, pupil_id, tenant)
        approved: dict[str, list[Exclusion]] = {}
        for kind, request, decision in self.requests(pupil_id, None, tenant):
            if kind == EXCLUSION and request.basis is not None:
                approved.setdefault(request.school_year, []).extend(
                    Exclusion(o.date, request.basis, o.rule)
                    for o in decision.dates if o.approved)
        figures = {}
        for year, (_, grade) in years.items():
            tally = tally_of(standing, year)
            absent = {c.day for c in tally.counted if c.scope is AbsenceScope.DAY}
            figures[year] = diploma_year(year, grade, absent, tally.totals.lessons.total,
                                         approved.get(year, []))
        return figures

    @staticmethod
    def total(figures: dict[str, DiplomaFigures]) -> DiplomaFigures:
        return diploma_total(list(figures.values()))
