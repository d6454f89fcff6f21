"""GET /v1/tasks: deadlines across pupils, for the staff who own them."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from services.http.context import consistent, service
from services.http.resources import Blueprint
from services.http.schemas import TaskQuerySchema
from services.reads import representations

blp = Blueprint("tasks", __name__, url_prefix="/v1", description="Deadlines across pupils")


@blp.route("/tasks", methods=["GET"])
@blp.arguments(TaskQuerySchema, location="query")
@consistent
def get_tasks(query: dict[str, Any]) -> Response:
    """Deadlines across pupils, for the staff who own them."""
    svc = service()
    now = svc.ingestor.clock()
    tasks = [representations.task(t, now)
             for t in svc.cases.tasks(school_id=query["school_id"], tenant=query["tenant"])]
    if query["status"]:
        tasks = [t for t in tasks if t["status"] == query["status"]]
    return jsonify({"tasks": tasks})
