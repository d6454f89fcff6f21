"""How read models are shown in the HTTP API (API.md field names)."""

from __future__ import annotations

from typing import Any

from domain.diploma import DiplomaFigures, DiplomaRequest, RequestDecision
from domain.leave import LeaveApplication, LeaveDecision, Recommendation
from domain.tally import Figures, Tally
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
    """ABS-8: undocumented absence reported for the conduct grade in grades 8–10."""
    applies = grade is not None and grade >= 8
    return {"rule": "ABS-8", "applies": applies,
            "undocumented_days": t.totals.days.undocumented if applies else None,
            "undocumented_lessons": t.totals.lessons.undocumented if applies else None}


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
    return {"rule": c.rule, "description": c.description, "period": c.period,
            "raised_at": c.raised_at, "trigger_date": c.trigger_day, "event_ids": c.event_ids}


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
