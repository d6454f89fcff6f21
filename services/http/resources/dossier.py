"""The POL-5 case presentation (saksfremstilling): JSON, HTML or PDF."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, request

from services.http.context import consistent, service
from services.http.context.access import caller, current_reader
from services.http.contract.queries import PupilQuerySchema
from services.http.problems import not_found
from services.http.resources import Blueprint
from services.reads.rendering import dossier as render

blp = Blueprint("dossier", __name__, url_prefix="/v1/pupils",
                description="The case presentation for the municipal director")

MEDIA_TYPES = ["application/json", "text/html", "application/pdf"]


@blp.route("/<uuid:pupil_id>/dossier", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_dossier(query: dict[str, Any], pupil_id: UUID) -> Response:
    """The POL-5 case presentation in Norwegian: JSON (with the completeness check, the
    signed checkpoint and an inclusion proof per event), or HTML or PDF by ``Accept``.
    The read is recorded (PRIV-3)."""
    made = service().dossiers.build(pupil_id, caller().tenant, current_reader())
    if made is None:
        raise not_found("no event is about this pupil_id", "unknown-pupil")
    wanted = request.accept_mimetypes.best_match(MEDIA_TYPES, default="application/json")
    if wanted == "application/pdf":
        return Response(render.pdf(made), mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="saksfremstilling-{pupil_id}.pdf"'})
    if wanted == "text/html":
        return Response(render.html(made), mimetype="text/html")
    return jsonify(made)
