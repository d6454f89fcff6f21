"""A leave application with the service's recommendation and the decision."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify

from services.http.context import consistent, service
from services.http.context.access import caller, in_reach, record_read
from services.http.contract.queries import ConsistentQuerySchema
from services.http.problems import not_found
from services.http.resources import Blueprint
from services.reads import representations

blp = Blueprint("leave", __name__, url_prefix="/v1/leave-applications",
                description="Leave applications")


@blp.route("/<application_id>", methods=["GET"])
@blp.arguments(ConsistentQuerySchema, location="query")
@consistent
def get_leave_application(query: dict[str, Any], application_id: str) -> Response:
    """The application, the service's recommendation with its rules, the decision."""
    found = service().requests.leave_application(application_id, caller().tenant)
    if found is None or not in_reach(UUID(str(found["pupil_id"]))):
        raise not_found("no leave application has this id", "unknown-application")
    record_read(f"leave application {application_id}", UUID(str(found["pupil_id"])))
    return jsonify(representations.leave_application(application_id, found))
