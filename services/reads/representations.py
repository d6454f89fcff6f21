"""How read models are shown in the HTTP API (API.md field names)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from enum import Enum
from typing import Any
from uuid import UUID

from domain.diploma import DiplomaFigures, DiplomaRequest, RequestDecision
from domain.leave import LeaveApplication, LeaveDecision, Recommendation
from domain.tally import Figures, Tally, conduct_assessment
from projections.cases import Task
from projections.concerns import RaisedConcern


def figures(f: Figures) -> dict[str, Any]:
    return {"period": f.period, "days": f.days.as_dict(), "lessons": f.lessons.as_dict(),
            "late_arrivals": f.late_arrivals, "left_school": f.left_school,
            "event_ids": [str(e) for e in f.event_ids]}


def tally(t: Tally) -> dict[str, Any]:
    totals = figures(t.totals)
    del totals["period"]
    return {**totals,
            "months": [figures(m) for m in t.months],
            "half_years": [figures(h) for h in t.half_years],
            "absences": [{"date": a.day.isoformat(), "scope": a.scope.value,
                          "period": a.period, "documented": a.documented,
                          "late_notice": a.late_notice,
                          "recorded_by": [str(e) for e in a.recorded_by],
                          "documented_by": [str(e) for e in a.documented_by]}
                         for a in t.counted]}


def conduct(t: Tally, grade: int | None) -> dict[str, Any]:
    return {"rule": "ABS-8", **dataclasses.asdict(conduct_assessment(t, grade))}


def diploma(f: DiplomaFigures, requests: list[tuple[str, DiplomaRequest, RequestDecision]]
            ) -> dict[str, Any]:
    return {
        "school_year": f.school_year, "on_diploma": f.on_diploma, "rule": "DIP-1",
        "days": f.days, "lessons": f.lessons, "excluded_days": f.excluded_days,
        "exclusions": [{"date": e.date.isoformat(), "basis": e.basis.value, "rule": e.rule}
                       for e in f.exclusions],
        "requests": [request(kind, r, d) for kind, r, d in requests],
    }


def request(kind: str, r: DiplomaRequest, d: RequestDecision) -> dict[str, Any]:
    return {"request_id": r.request_id, "kind": kind, "school_year": r.school_year,
            "basis": r.basis.value if r.basis else None, "outcome": d.outcome.value,
            "rules": list(d.rules), "legal_basis": d.legal_basis,
            "reasons": [o.reason for o in d.dates if not o.approved],
            "dates": [{"date": o.date.isoformat(), "approved": o.approved, "rule": o.rule,
                       "reason": o.reason} for o in d.dates]}


def concern(c: RaisedConcern) -> dict[str, Any]:
    """A concern as the case raised it: the rule as in force then, and where it is
    recorded (``recorded.raised``: the ConcernRaised event)."""
    return {"rule": c.rule, "description": c.description, "period": c.period,
            "raised_at": c.raised_at, "trigger_date": c.trigger_day, "event_ids": c.event_ids,
            "threshold": c.threshold, "rule_set_version": c.rule_set_version,
            "recorded": {"raised": {"event_id": c.event_id, "position": c.position}}}


def leave_application(application_id: str, found: dict[str, Any]) -> dict[str, Any]:
    application: LeaveApplication = found["application"]
    recommendation: Recommendation = found["recommendation"]
    decision: LeaveDecision | None = found["decision"]
    return {
        "application_id": application_id, "pupil_id": found["pupil_id"],
        "from_date": application.from_date.isoformat(),
        "to_date": application.to_date.isoformat(), "reason": application.reason.value,
        "level": application.level.value if application.level else None,
        "applied_at": found["applied_at"],
        "school_days": recommendation.school_days,
        "late_application": recommendation.late_application,
        "recommendation": {"outcome": recommendation.outcome.value,
                           "rules": list(recommendation.rules),
                           "notes": list(recommendation.notes),
                           "legal_basis": recommendation.legal_basis},
        "decision": None if decision is None else {
            "decision": decision.decision.value, "reasons": decision.reasons,
            "overrides_recommendation": decision.overrides_recommendation,
            "decided_by": {"id": decision.decided_by.id,
                           "role": decision.decided_by.role.value},
            "decided_on": decision.decided_on.isoformat(),
            "statement": decision.statement, "legal_basis": decision.legal_basis},
    }


def task(t: Task, now: datetime) -> dict[str, Any]:
    """A task as the case decided it; ``recorded``: the log position of each decision
    about it (opened, closed, cancelled, overdue)."""
    return {"task_id": t.task_id, "pupil_id": t.pupil_id, "school_id": t.school_id,
            "rule": t.rule, "title": t.title, "legal_basis": t.legal_basis,
            "episode": t.episode, "opened_at": t.opened_at, "due_at": t.due_at,
            "status": t.status(now), "closed_at": t.closed_at, "closed_by": t.closed_by,
            "cancelled_at": t.cancelled_at, "cancel_reason": t.cancel_reason,
            "recorded": {what: {"position": p} for what, p in t.positions.items()}}


def attested(items: list[dict[str, Any]], hashes: dict[int, str | None]
             ) -> list[dict[str, Any]]:
    """Concerns or tasks, each event that recorded them with its leaf hash in the audit
    log (None where the reader may not see the event): a reader proves what was decided
    and when with the audit log's inclusion proofs."""
    return [{**item, "recorded": {what: {**where, "hash": hashes.get(where["position"])}
                                  for what, where in item["recorded"].items()}}
            for item in items]


def case(pupil_id: str, found: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The follow-up case: stage, tasks, and the records grouped as staff look for them."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in found["records"]:
        body = plain(record["body"])
        entry = {"event_id": record["event_id"], "type": record["type"],
                 "occurred_at": record["occurred_at"], "position": record["position"],
                 "recorded_by": plain(record["actor"]), **body}
        entry.update(_flags(record["type"], body))
        grouped.setdefault(GROUPS.get(record["type"], "other"), []).append(entry)
    agreements: dict[str, dict[str, Any]] = {}
    for signed in grouped.get("agreement_versions", []):
        agreements[signed["agreement"]["agreement_id"]] = signed["agreement"]
    return {
        "pupil_id": pupil_id, "stage": found["stage"], "episode": found["episode"],
        "stage_history": found["stage_history"],
        "tasks": [task(t, now) for t in found["tasks"]],
        "agreements": list(agreements.values()),
        **{group: entries for group, entries in grouped.items()},
    }


GROUPS = {
    "ContactLogged": "contacts", "LetterSent": "letters", "MeetingHeld": "meetings",
    "LeadershipInformed": "leadership_informed",
    "CollaborationAgreementSigned": "agreement_versions",
    "MeasureEvaluated": "measure_evaluations", "ConsentGiven": "consents",
    "ConsentWithdrawn": "consents", "ChildWelfareAssessmentRecorded": "welfare_assessments",
    "ReferralMade": "referrals", "ConsultationInvitationSent": "consultations",
    "WrittenEvaluationSubmitted": "consultations", "ConcernReportSent": "concern_reports",
    "CaseOpened": "case_events", "CaseForwardedToMunicipalDirector": "case_events",
    "PoliceReportDecided": "case_events", "CaseClosed": "case_events",
    "WhereaboutsUnknownReported": "whereabouts", "PopulationRegisterChecked": "whereabouts",
    "ContactRouteTried": "whereabouts", "PupilLocated": "whereabouts",
    "MovingNoticeSent": "whereabouts", "GuardianWrittenConfirmationReceived": "whereabouts",
    "NavNotified": "whereabouts", "SchoolRefusalSignalReported": "early_warnings",
    "ExtendedTravelPlanned": "safeguarding", "SchoolHealthServiceNotified": "safeguarding",
    "SafeguardingConcernRecorded": "safeguarding", "HomeVisitOffered": "safeguarding",
    "TaskOverdue": "deadlines_passed",
}


def _flags(record_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the police-report requirements (POL-2, POL-4) ask of a record."""
    if record_type == "ContactLogged":
        return {"time_missing": body["contact"]["at_time"] is None}  # POL-4: "preferably"
    if record_type == "LetterSent":
        letter = body["letter"]
        return {"pol2_statements_missing": [
            name for name in ("states_legal_basis", "states_criminal_liability")
            if not letter[name]]}
    return {}


def plain(value: Any) -> Any:
    """Domain values as JSON: dataclasses as objects, dates as ISO text, enums as values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | time | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
