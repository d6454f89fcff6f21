"""Issued case presentations (POL-5): issued once, signed, then fetched by id — JSON, HTML
or PDF — the same bytes every time. ``GET /v1/pupils/{id}/dossier`` stays the preview."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, request

from services.http.context import consistent, service
from services.http.context.access import caller, current_reader, in_reach
from services.http.problems import ProblemError, not_found, unavailable
from services.http.resources import Blueprint
from services.http.schemas import ConsistentQuerySchema
from services.reads.issued import NotSignable, Shielded
from services.reads.rendering import issued as render

blp = Blueprint("issued", __name__, url_prefix="/v1",
                description="Issued case presentations, signed and unchanging")

MEDIA_TYPES = ["application/json", "text/html", "application/pdf"]


@blp.route("/pupils/<uuid:pupil_id>/dossiers", methods=["POST"])
@blp.arguments(ConsistentQuerySchema, location="query")
@consistent
def issue_dossier(query: dict[str, Any], pupil_id: UUID) -> Response:
    """Issue the pupil's case presentation as it is now: signed (RFC 8785, Ed25519 with
    the checkpoint key) and recorded as a ``DossierIssued`` event. 201 with its
    ``Location``; the read is recorded (PRIV-3)."""
    try:
        issued = service().issued.issue(pupil_id, caller().tenant, current_reader())
    except NotSignable:
        raise unavailable("no signed checkpoint yet", "not-signable", retry_after=1) from None
    if issued is None:
        raise not_found("no event is about this pupil_id", "unknown-pupil")
    location = f"/v1/dossiers/{issued.dossier_id}"
    answer = jsonify({"dossier_id": str(issued.dossier_id), "location": location,
                      "content_sha256": issued.content_sha256,
                      "tree_size": issued.tree_size})
    answer.status_code = 201
    answer.headers["Location"] = location
    return answer


@blp.route("/dossiers/<uuid:dossier_id>", methods=["GET"])
def get_issued_dossier(dossier_id: UUID) -> Response:
    """An issued case presentation by id: the signed JSON as issued (the offline verifier
    checks it), or by ``Accept`` HTML or PDF (PDF/A-3 with the JSON attached). The same
    bytes on every fetch; each read is recorded (PRIV-3)."""
    try:
        issued = service().issued.fetch(dossier_id, caller().tenant, current_reader(),
                                        in_reach)
    except Shielded:
        raise ProblemError(403, "Forbidden", "the dossier was issued with safeguarding "
                           "records or health details this role may not read (SAFE, PRIV-1)",
                           kind="shielded-dossier") from None
    if issued is None:
        raise not_found("no issued dossier has this id", "unknown-dossier")
    wanted = request.accept_mimetypes.best_match(MEDIA_TYPES, default="application/json")
    if wanted == "application/pdf":
        return Response(render.pdf(issued.document), mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="saksfremstilling-{dossier_id}.pdf"'})
    if wanted == "text/html":
        return Response(render.html(issued.document), mimetype="text/html")
    return Response(issued.document, mimetype="application/json")
