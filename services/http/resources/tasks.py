"""GET /v1/tasks: deadlines across pupils, for the staff who own them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify

from domain.case import safeguarding_rule
from domain.privacy import shield
from services.http.context import consistent, service
from services.http.context.access import caller, current_reader, pupils_in_reach, record_read
from services.http.contract.queries import TaskQuerySchema
from services.http.resources import Blueprint
from services.reads import representations

blp = Blueprint("tasks", __name__, url_prefix="/v1", description="Deadlines across pupils")


@blp.route("/tasks", methods=["GET"])
@blp.arguments(TaskQuerySchema, location="query")
@consistent
def get_tasks(query: dict[str, Any]) -> Response:
    """Deadlines across pupils, for the staff who own them: those of the pupils in the
    caller's reach, as the caller may see them (no safeguarding tasks but to the roles that
    handle them; no school of a pupil with a protected address but to those who must know
    it). The read of each listed pupil is recorded (PRIV-3)."""
    svc = service()
    now = svc.ingestor.clock()
    found = svc.cases.tasks(school_id=query["school_id"], tenant=caller().tenant)
    sights = {pupil: current_reader(UUID(pupil)).sight
              for pupil in pupils_in_reach(t.pupil_id for t in found)}
    tasks = [shield(representations.task(t, now), sights[t.pupil_id]) for t in found
             if t.pupil_id in sights
             and (sights[t.pupil_id].safeguarding or not safeguarding_rule(t.rule))]
    if query["status"]:
        tasks = [t for t in tasks if t["status"] == query["status"]]
    record_read("task list", *sorted({UUID(t["pupil_id"]) for t in tasks}))
    return jsonify({"tasks": tasks})
