"""GET /v1/tasks: deadlines across pupils, for the staff who own them."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from services.http.context import consistent, service
from services.http.context.access import caller, pupils_in_reach
from services.http.contract.queries import TaskQuerySchema
from services.http.resources import Blueprint
from services.reads import representations

blp = Blueprint("tasks", __name__, url_prefix="/v1", description="Deadlines across pupils")


@blp.route("/tasks", methods=["GET"])
@blp.arguments(TaskQuerySchema, location="query")
@consistent
def get_tasks(query: dict[str, Any]) -> Response:
    """Deadlines across pupils, for the staff who own them: those of the pupils in the
    caller's reach."""
    svc = service()
    now = svc.ingestor.clock()
    found = svc.cases.tasks(school_id=query["school_id"], tenant=caller().tenant)
    reached = pupils_in_reach(t.pupil_id for t in found)
    tasks = [representations.task(t, now) for t in found if t.pupil_id in reached]
    if query["status"]:
        tasks = [t for t in tasks if t["status"] == query["status"]]
    return jsonify({"tasks": tasks})
