"""The POL-5 case presentation (saksfremstilling): JSON, HTML or PDF — the preview, built
afresh on each call, and issued ones: issued once, signed, then fetched by id, the same
bytes every time (docs/issued-dossiers.md)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify, request

from services.http.context import consistent, service
from services.http.context.access import caller, current_reader, in_reach
from services.http.contract.queries import ConsistentQuerySchema, PupilQuerySchema
from services.http.problems import ProblemError, not_found, unavailable
from services.http.resources import Blueprint
from services.reads.issued import Disposed, NotSignable, Shielded
from services.reads.rendering import dossier as render
from services.reads.rendering import issued as issued_render

blp = Blueprint("dossier", __name__, url_prefix="/v1",
                description="The case presentation for the municipal director")

MEDIA_TYPES = ["application/json", "text/html", "application/pdf"]


@blp.route("/pupils/<uuid:pupil_id>/dossier", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_dossier(query: dict[str, Any], pupil_id: UUID) -> Response:
    """The POL-5 case presentation in Norwegian, a preview (not issued, not signed): JSON
    (with the completeness check, the signed checkpoint and an inclusion proof per event),
    or HTML or PDF by ``Accept``. The read is recorded (PRIV-3)."""
    made = service().dossiers.build(pupil_id, caller().tenant, current_reader(pupil_id))
    if made is None:
        raise not_found("no event is about this pupil_id", "unknown-pupil")
    wanted = request.accept_mimetypes.best_match(MEDIA_TYPES, default="application/json")
    if "disposed" in made:  # PRIV-4: nothing left to render but that, and when
        return jsonify(made)
    if wanted == "application/pdf":
        return Response(render.pdf(made), mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="saksfremstilling-{pupil_id}.pdf"'})
    if wanted == "text/html":
        return Response(render.html(made), mimetype="text/html")
    return jsonify(made)


@blp.route("/pupils/<uuid:pupil_id>/dossiers", methods=["POST"])
@blp.arguments(ConsistentQuerySchema, location="query")
@consistent
def issue_dossier(query: dict[str, Any], pupil_id: UUID) -> Response:
    """Issue the pupil's case presentation as it is now: signed (RFC 8785, Ed25519 with
    the checkpoint key) and recorded as a ``DossierIssued`` event. 201 with its
    ``Location``; the read is recorded (PRIV-3)."""
    try:
        issued = service().issued.issue(pupil_id, caller().tenant,
                                          current_reader(pupil_id))
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
        issued = service().issued.fetch(dossier_id, caller().tenant, current_reader,
                                        in_reach)
    except Disposed:
        raise ProblemError(410, "Gone", "the pupil's data, this dossier with it, was disposed "
                           "of (PRIV-4)", kind="disposed") from None
    except Shielded:
        raise ProblemError(403, "Forbidden", "the dossier was issued with safeguarding "
                           "records, health details or a protected address this role may not read "
                           "(SAFE, PRIV-1, PRIV-2)",
                           kind="shielded-dossier") from None
    if issued is None:
        raise not_found("no issued dossier has this id", "unknown-dossier")
    wanted = request.accept_mimetypes.best_match(MEDIA_TYPES, default="application/json")
    if wanted == "application/pdf":
        return Response(issued_render.pdf(issued.document), mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="saksfremstilling-{dossier_id}.pdf"'})
    if wanted == "text/html":
        return Response(issued_render.html(issued.document), mimetype="text/html")
    return Response(issued.document, mimetype="application/json")
