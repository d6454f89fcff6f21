"""The HTTP API (API.md): thin endpoints over the service's parts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Flask, Response, jsonify
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from domain.tally import Count, Figures, Tally
from projections.follower import Follower, wait_until
from services import problems
from services.bootstrap import Service
from services.contract import SCHOOL_YEAR, BatchSchema, EnvelopeSchema
from services.ingestion import Outcome, StoreUnavailable

log = logging.getLogger(__name__)

READ_YOUR_WRITES_TIMEOUT = 5.0


class AbsenceQuerySchema(Schema):
    school_year = fields.String(load_default=None, validate=SCHOOL_YEAR)
    tenant = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}$"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0))


def create_app(service_factory: Callable[[], Service]) -> Flask:
    """The Flask app; ``service_factory`` is called once, on the first request.

    Lazy construction keeps every database pool out of the gunicorn master: each worker
    builds its own after the fork.
    """
    app = Flask("skolefravaer")
    app.config.update(
        API_TITLE="Skolefravær", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app)
    api.spec.components.schema("Event", schema=EnvelopeSchema)
    problems.install(app)

    lock = threading.Lock()
    holder: dict[str, Service] = {}

    def service() -> Service:
        if "service" not in holder:
            with lock:
                if "service" not in holder:
                    holder["service"] = service_factory()
        return holder["service"]

    app.extensions["skolefravaer.service"] = service

    events = Blueprint("events", __name__, url_prefix="/v1",
                       description="Ingestion of events (EVENTS.md)")
    events.ARGUMENTS_PARSER.DEFAULT_VALIDATION_STATUS = 400

    @events.route("/events", methods=["POST"])
    @events.arguments(BatchSchema)
    def post_events(batch: dict[str, Any]) -> Response:
        """Store a batch of 1–1,000 events; each is accepted, duplicate or rejected."""
        try:
            outcomes = service().ingestor.ingest(batch["events"])
        except StoreUnavailable:
            log.warning("batch not stored: event store unavailable")
            return problems.problem(503, "Service Unavailable", "the event store could not "
                                    "take the batch; nothing was stored, post it again",
                                    kind="store-unavailable", headers={"Retry-After": "2"})
        return jsonify(_outcomes(outcomes))

    pupils = Blueprint("pupils", __name__, url_prefix="/v1", description="Per-pupil reads")

    @pupils.route("/pupils/<uuid:pupil_id>/absence", methods=["GET"])
    @pupils.arguments(AbsenceQuerySchema, location="query")
    def get_absence(query: dict[str, Any], pupil_id: UUID) -> Response:
        """Days and single lessons, documented / undocumented, per month and half-year."""
        svc = service()
        follower = svc.projections[0]
        if query["min_position"] is not None and not wait_until(
                lambda: follower.sink.position() >= query["min_position"],
                READ_YOUR_WRITES_TIMEOUT):
            return problems.problem(503, "Service Unavailable", "the absence view has not yet "
                                    f"reached position {query['min_position']}",
                                    kind="view-behind", headers={"Retry-After": "1"})
        position = follower.sink.position()
        if svc.absence.school_years(pupil_id, query["tenant"]) is None:
            return problems.problem(404, "Not Found", "no enrolled pupil has this pupil_id",
                                    kind="unknown-pupil")
        tally = svc.absence.tally(pupil_id, query["school_year"], query["tenant"])
        return jsonify({"pupil_id": str(pupil_id), "school_year": query["school_year"],
                        "position": position, **_tally(tally)})

    api.register_blueprint(events)
    api.register_blueprint(pupils)

    @app.get("/healthz")
    def healthz() -> Response:
        """Alive: the process answers."""
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        """Ready: the event store, the views and (when configured) the broker answer."""
        checks = service_checks(service())
        ready = all(check["ok"] for check in checks.values())
        response = jsonify({"ready": ready, "checks": checks})
        response.status_code = 200 if ready else 503
        return response

    return app


def service_checks(svc: Service) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}

    def check(name: str, probe: Callable[[], Any]) -> None:
        try:
            checks[name] = {"ok": True, **(probe() or {})}
        except Exception as error:  # a probe failing is the answer, not an error
            checks[name] = {"ok": False, "error": type(error).__name__}

    check("event_store", lambda: {"head": svc.app.recorder.max_notification_id() or 0})
    check("views", svc.views.ping)
    for follower in svc.followers:
        check(f"follower:{follower.sink.name}", _progress(follower))
    if svc.relay is not None:
        check("broker", svc.relay.sink.ping)  # type: ignore[attr-defined]
    return checks


def _progress(follower: Follower) -> Callable[[], dict[str, Any]]:
    return lambda: {"lag": follower.lag(), "last_error": follower.last_error}


def _outcomes(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in ("accepted", "duplicate", "rejected")}
    return {**counts, "results": [
        {"index": o.index, "event_id": o.event_id, "status": o.status,
         **({"position": o.position} if o.position is not None else {}),
         **({"errors": [{"field": p.field, "code": p.code, "rule": p.rule, "detail": p.detail}
                        for p in o.problems]} if o.problems else {})}
        for o in outcomes]}


def _count(count: Count) -> dict[str, int]:
    return count.as_dict()


def _figures(figures: Figures) -> dict[str, Any]:
    return {"period": figures.period, "days": _count(figures.days),
            "lessons": _count(figures.lessons), "late_arrivals": figures.late_arrivals,
            "left_school": figures.left_school,
            "event_ids": [str(e) for e in figures.event_ids]}


def _tally(tally: Tally) -> dict[str, Any]:
    totals = _figures(tally.totals)
    del totals["period"]
    return {**totals,
            "months": [_figures(m) for m in tally.months],
            "half_years": [_figures(h) for h in tally.half_years],
            "absences": [{"date": a.day.isoformat(), "scope": a.scope.value,
                          "period": a.period, "documented": a.documented,
                          "recorded_by": [str(e) for e in a.recorded_by],
                          "documented_by": [str(e) for e in a.documented_by]}
                         for a in tally.counted]}
