"""The HTTP API (API.md): thin endpoints over the service's parts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import Flask, Response, jsonify, request
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from domain.case import SAFEGUARDING_ROLES
from domain.catalogue import catalogue
from domain.envelope import Actor, Role
from domain.school_year import half_year_of
from projections.follower import Worker, wait_until
from services import (
    checkpoints,
    dossier,
    dossier_render,
    history,
    merkle,
    metrics,
    problems,
    representations,
)
from services.audit import public_key, verify_store
from services.bootstrap import Service
from services.contract import SCHOOL_YEAR, BatchSchema, EnvelopeSchema
from services.ingestion import Outcome, StoreUnavailable

log = logging.getLogger(__name__)

READ_YOUR_WRITES_TIMEOUT = 5.0


class ConsistencyQuerySchema(Schema):
    old_size = fields.Integer(required=True, validate=validate.Range(min=1))


class TaskQuerySchema(Schema):
    school_id = fields.String(load_default=None)
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["open", "overdue", "done"]))
    tenant = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}$"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0))


class RoutineQuerySchema(Schema):
    half_year = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{4}-(autumn|spring)$"))
    tenant = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}$"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0))


def current_reader() -> history.Reader:
    """The caller, as the headers name them until sign-in (Feide) does."""
    user = request.headers.get("X-Skolefravaer-User", "").strip() or "unidentified"
    return history.Reader(Actor(user[:200], caller_role() or Role.AUDITOR))


def caller_role() -> Role | None:
    try:
        return Role(request.headers.get("X-Skolefravaer-Role", ""))
    except ValueError:
        return None


class PupilQuerySchema(Schema):
    school_year = fields.String(load_default=None, validate=SCHOOL_YEAR)
    tenant = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}$"))
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0))


class HistoryQuerySchema(PupilQuerySchema):
    as_of = fields.AwareDateTime(load_default=None)


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
            metrics.count_unavailable()
            log.warning("batch not stored: event store unavailable")
            return problems.problem(503, "Service Unavailable", "the event store could not "
                                    "take the batch; nothing was stored, post it again",
                                    kind="store-unavailable", headers={"Retry-After": "2"})
        metrics.count_outcomes([o.status for o in outcomes])
        return jsonify(_outcomes(outcomes))

    pupils = Blueprint("pupils", __name__, url_prefix="/v1", description="Per-pupil reads")

    def consistent(query: dict[str, Any]) -> Response | None:
        """Read your writes: wait until the views reached ``min_position``."""
        views = service().pupil_views
        if query["min_position"] is not None and not wait_until(
                lambda: views.sink.position() >= query["min_position"],
                READ_YOUR_WRITES_TIMEOUT):
            return problems.problem(503, "Service Unavailable", "the views have not yet "
                                    f"reached position {query['min_position']}",
                                    kind="view-behind", headers={"Retry-After": "1"})
        return None

    def enrolled_pupil(query: dict[str, Any], pupil_id: UUID
                       ) -> dict[str, tuple[str, int]] | Response:
        """Read your writes first; then the pupil's school years, or a 404 problem."""
        if (waited := consistent(query)) is not None:
            return waited
        years = service().absence.years(pupil_id, query["tenant"])
        if not years:
            return problems.problem(404, "Not Found", "no enrolled pupil has this pupil_id",
                                    kind="unknown-pupil")
        return years

    @pupils.route("/pupils/<uuid:pupil_id>/absence", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_absence(query: dict[str, Any], pupil_id: UUID) -> Response:
        """Days and single lessons, documented / undocumented, per month and half-year."""
        years = enrolled_pupil(query, pupil_id)
        if isinstance(years, Response):
            return years
        tally = service().absence.tally(pupil_id, query["school_year"], query["tenant"])
        year = query["school_year"] or max(years)
        grade = years[year][1] if year in years else None
        return jsonify({"pupil_id": str(pupil_id), "school_year": query["school_year"],
                        "position": service().pupil_views.sink.position(),
                        **representations.tally(tally),
                        "conduct_assessment": representations.conduct(tally, grade)})

    @pupils.route("/pupils/<uuid:pupil_id>/diploma", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_diploma(query: dict[str, Any], pupil_id: UUID) -> Response:
        """DIP-1…DIP-7: a school year's diploma figures, or without it the sum of 8–10."""
        years = enrolled_pupil(query, pupil_id)
        if isinstance(years, Response):
            return years
        svc = service()
        figures = svc.requests.diploma(pupil_id, years, query["tenant"])
        year = query["school_year"]
        if year is not None and year not in figures:
            return problems.problem(404, "Not Found", f"the pupil is not enrolled in {year}",
                                    kind="unknown-school-year")
        chosen = figures[year] if year else svc.requests.total(figures)
        return jsonify({"pupil_id": str(pupil_id), **representations.diploma(
            chosen, svc.requests.requests(pupil_id, year, query["tenant"])),
            "years": [representations.diploma(f, []) | {"grade": years[y][1]}
                      for y, f in figures.items()] if year is None else None})

    @pupils.route("/pupils/<uuid:pupil_id>/concerns", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_concerns(query: dict[str, Any], pupil_id: UUID) -> Response:
        """Every concern raised (CON-*): rule, period, when, and the events behind it."""
        years = enrolled_pupil(query, pupil_id)
        if isinstance(years, Response):
            return years
        raised = service().concerns.concerns(pupil_id, query["tenant"])
        return jsonify({"pupil_id": str(pupil_id),
                        "concerns": [representations.concern(c) for c in raised]})

    @pupils.route("/pupils/<uuid:pupil_id>/case", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_case(query: dict[str, Any], pupil_id: UUID) -> Response:
        """The follow-up case: stage and its history, tasks with due times and rule IDs,
        agreements, consents, referrals, consultations, contacts, letters, meetings.

        Safeguarding records (SAFE) are shown only to the roles that handle them, named by
        the ``X-Skolefravaer-Role`` header until sign-in (Feide) gives the caller's role."""
        years = enrolled_pupil(query, pupil_id)
        if isinstance(years, Response):
            return years
        svc = service()
        found = svc.cases.case(pupil_id, query["tenant"],
                               restricted=caller_role() in SAFEGUARDING_ROLES)
        return jsonify(representations.case(str(pupil_id), found, svc.ingestor.clock()))

    @pupils.route("/tasks", methods=["GET"])
    @pupils.arguments(TaskQuerySchema, location="query")
    def get_tasks(query: dict[str, Any]) -> Response:
        """Deadlines across pupils, for the staff who own them."""
        if (waited := consistent(query)) is not None:
            return waited
        svc = service()
        now = svc.ingestor.clock()
        tasks = [representations.task(t, now)
                 for t in svc.cases.tasks(school_id=query["school_id"], tenant=query["tenant"])]
        if query["status"]:
            tasks = [t for t in tasks if t["status"] == query["status"]]
        return jsonify({"tasks": tasks})

    @pupils.route("/schools/<school_id>/routine", methods=["GET"])
    @pupils.arguments(RoutineQuerySchema, location="query")
    def get_routine(query: dict[str, Any], school_id: str) -> Response:
        """FOL-2, FOL-11, FOL-18: the school's own absence routine in a half-year."""
        if (waited := consistent(query)) is not None:
            return waited
        half = query["half_year"] or half_year_of(service().ingestor.clock().date())
        return jsonify(service().routine.routine(school_id, half, query["tenant"]))

    @pupils.route("/templates/conversation-guides", methods=["GET"])
    def get_guides() -> Response:
        """FOL-20: the conversation guides of §8 (pupil, guardians, after the conversation)."""
        return jsonify(catalogue()["conversation_guides"])

    @pupils.route("/templates/measures", methods=["GET"])
    def get_measures() -> Response:
        """FOL-13: the measure catalogue of §9, with codes for agreements."""
        return jsonify({"measures": catalogue()["measure_catalogue"]})

    @pupils.route("/pupils/<uuid:pupil_id>/history", methods=["GET"])
    @pupils.arguments(HistoryQuerySchema, location="query")
    def get_history(query: dict[str, Any], pupil_id: UUID) -> Response:
        """Every event about the pupil in log order — occurred_at, recorded_at, actor,
        position, hash — and the derived state as known at ``as_of`` (default: now).
        The read itself is recorded first (PRIV-3)."""
        if (waited := consistent(query)) is not None:
            return waited
        svc = service()
        reader = current_reader()
        tenant, listed = history.events(svc, pupil_id, query["tenant"], query["as_of"], reader)
        if tenant is None:
            return problems.problem(404, "Not Found", "no event is about this pupil_id",
                                    kind="unknown-pupil")
        moment = query["as_of"].isoformat() if query["as_of"] else "now"
        history.record_read(svc, tenant, pupil_id, reader, f"history as_of={moment}")
        as_of = query["as_of"] or svc.ingestor.clock()
        state = (history.state_as_of(svc, pupil_id, tenant, query["as_of"], reader)
                 if query["as_of"] else
                 history.derived_state(svc.absence, svc.concerns, svc.cases, pupil_id, tenant,
                                       as_of, reader))
        return jsonify({"pupil_id": str(pupil_id), "as_of": as_of.isoformat(),
                        "events": listed, "state": state})

    @pupils.route("/pupils/<uuid:pupil_id>/dossier", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_dossier(query: dict[str, Any], pupil_id: UUID) -> Response:
        """The POL-5 case presentation in Norwegian: JSON (with the completeness check, the
        signed checkpoint and an inclusion proof per event), or HTML or PDF by ``Accept``.
        The read is recorded (PRIV-3)."""
        if (waited := consistent(query)) is not None:
            return waited
        made = dossier.build(service(), pupil_id, query["tenant"], current_reader())
        if made is None:
            return problems.problem(404, "Not Found", "no event is about this pupil_id",
                                    kind="unknown-pupil")
        wanted = request.accept_mimetypes.best_match(
            ["application/json", "text/html", "application/pdf"], default="application/json")
        if wanted == "application/pdf":
            return Response(dossier_render.pdf(made), mimetype="application/pdf", headers={
                "Content-Disposition": f'inline; filename="saksfremstilling-{pupil_id}.pdf"'})
        if wanted == "text/html":
            return Response(dossier_render.html(made), mimetype="text/html")
        return jsonify(made)

    @pupils.route("/pupils/<uuid:pupil_id>/reads", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_reads(query: dict[str, Any], pupil_id: UUID) -> Response:
        """PRIV-3: who read the pupil's history or dossier, when, and what."""
        svc = service()
        tenant, _ = history.events(svc, pupil_id, query["tenant"], None, current_reader())
        if tenant is None:
            return problems.problem(404, "Not Found", "no event is about this pupil_id",
                                    kind="unknown-pupil")
        return jsonify({"pupil_id": str(pupil_id),
                        "reads": history.reads(svc, tenant, pupil_id)})

    @pupils.route("/leave-applications/<application_id>", methods=["GET"])
    @pupils.arguments(PupilQuerySchema, location="query")
    def get_leave_application(query: dict[str, Any], application_id: str) -> Response:
        """The application, the service's recommendation with its rules, the decision."""
        if (waited := consistent(query)) is not None:
            return waited
        found = service().requests.leave_application(application_id, query["tenant"])
        if found is None:
            return problems.problem(404, "Not Found", "no leave application has this id",
                                    kind="unknown-application")
        return jsonify(representations.leave_application(application_id, found))

    audit = Blueprint("audit", __name__, url_prefix="/v1/audit",
                      description="The tamper-evident log")

    @audit.route("/verify", methods=["GET"])
    def get_verify() -> Response:
        """Recompute every stored event's leaf and every signed checkpoint: intact or not,
        how many events were checked, and the first broken position."""
        svc = service()
        svc.audit_log.settle()
        result = verify_store(svc.app, svc.views, key=public_key(
            svc.views, svc.settings.key_environ()))
        return jsonify({"intact": result.intact, "checked": result.checked,
                        "first_broken_position": result.first_broken_position,
                        "reason": result.reason})

    @audit.route("/public-key", methods=["GET"])
    def get_public_key() -> Response:
        """The Ed25519 key that signs checkpoints (PEM), and its SHA-256 fingerprint: publish
        the fingerprint where readers can compare it."""
        svc = service()
        key = public_key(svc.views, svc.settings.key_environ())
        if key is None:
            return problems.problem(404, "Not Found", "no checkpoint has been signed yet",
                                    kind="no-key")
        return jsonify({"public_key_pem": checkpoints.public_key_pem_of(key),
                        "fingerprint_sha256": checkpoints.public_key_fingerprint(key)})

    @audit.route("/checkpoint", methods=["GET"])
    def get_checkpoint() -> Response:
        """The latest signed checkpoint (C2SP signed-note text)."""
        svc = service()
        svc.audit_log.settle()
        latest = svc.audit_log.latest_checkpoint()
        if latest is None:
            return problems.problem(404, "Not Found", "the log is empty", kind="empty-log")
        return Response(latest[1], mimetype="text/plain")

    @audit.route("/consistency", methods=["GET"])
    @audit.arguments(ConsistencyQuerySchema, location="query")
    def get_consistency(query: dict[str, Any]) -> Response:
        """RFC 9162 consistency proof from an earlier tree size to the latest checkpoint:
        a reader who kept an older checkpoint checks that the log only grew since."""
        svc = service()
        svc.audit_log.settle()
        latest = svc.audit_log.latest_checkpoint()
        if latest is None or query["old_size"] > latest[0]:
            return problems.problem(400, "Bad Request", "old_size is larger than the log",
                                    kind="invalid-request", errors=[{
                                        "field": "old_size", "code": "too_large",
                                        "detail": "larger than the latest checkpoint"}])
        size, note = latest
        proof = merkle.consistency_proof(svc.audit_log.leaf_hashes(size), query["old_size"])
        return jsonify({"old_size": query["old_size"], "new_size": size, "checkpoint": note,
                        "proof": [node.hex() for node in proof]})

    api.register_blueprint(events)
    api.register_blueprint(audit)
    api.register_blueprint(pupils)

    @app.get("/healthz")
    def healthz() -> Response:
        """Alive: the process answers."""
        return jsonify({"status": "ok"})

    @app.get("/metrics")
    def get_metrics() -> Response:
        """Prometheus: events by outcome, the log's head, each worker's lag."""
        svc = service()
        text = metrics.exposition(
            {"skolefravaer_log_head": lambda: svc.app.recorder.max_notification_id() or 0},
            {"skolefravaer_worker_lag": {w.name: w.lag for w in svc.workers}})
        return Response(text, mimetype="text/plain; version=0.0.4")

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
    for worker in svc.workers:
        check(f"worker:{worker.name}", _progress(worker))
    if svc.relays:
        check("broker", svc.relays[-1].ping)  # type: ignore[attr-defined]
    return checks


def _progress(worker: Worker) -> Callable[[], dict[str, Any]]:
    return lambda: {"lag": worker.lag(), "last_error": worker.last_error}


def _outcomes(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in ("accepted", "duplicate", "rejected")}
    return {**counts, "results": [
        {"index": o.index, "event_id": o.event_id, "status": o.status,
         **({"position": o.position} if o.position is not None else {}),
         **({"errors": [{"field": p.field, "code": p.code, "rule": p.rule, "detail": p.detail}
                        for p in o.problems]} if o.problems else {})}
        for o in outcomes]}
