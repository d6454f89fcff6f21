"""The tamper-evident log: verify, the public key, checkpoints, consistency proofs."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from services.evidence import checkpoints
from services.evidence.keys import public_key
from services.evidence.verify import verify_store
from services.http.context import service
from services.http.contract.queries import ConsistencyQuerySchema
from services.http.problems import beyond, not_found
from services.http.resources import Blueprint

blp = Blueprint("audit", __name__, url_prefix="/v1/audit", description="The tamper-evident log")


@blp.route("/verify", methods=["GET"])
def get_verify() -> Response:
    """Recompute every stored event's leaf and every signed checkpoint: intact or not,
    how many events were checked, and the first broken position."""
    svc = service()
    svc.audit_log.settle()
    result = verify_store(svc.app, svc.views,
                          key=public_key(svc.views, svc.settings.key_environ()))
    return jsonify({"intact": result.intact, "checked": result.checked,
                    "first_broken_position": result.first_broken_position,
                    "reason": result.reason})


@blp.route("/public-key", methods=["GET"])
def get_public_key() -> Response:
    """The Ed25519 key that signs checkpoints (PEM), and its SHA-256 fingerprint: publish
    the fingerprint where readers can compare it."""
    svc = service()
    key = public_key(svc.views, svc.settings.key_environ())
    if key is None:
        raise not_found("no checkpoint has been signed yet", "no-key")
    return jsonify({"public_key_pem": checkpoints.public_key_pem_of(key),
                    "fingerprint_sha256": checkpoints.public_key_fingerprint(key)})


@blp.route("/checkpoint", methods=["GET"])
def get_checkpoint() -> Response:
    """The latest signed checkpoint (C2SP signed-note text)."""
    latest = _latest()
    if latest is None:
        raise not_found("the log is empty", "empty-log")
    return Response(latest[1], mimetype="text/plain")


@blp.route("/consistency", methods=["GET"])
@blp.arguments(ConsistencyQuerySchema, location="query")
def get_consistency(query: dict[str, Any]) -> Response:
    """RFC 9162 consistency proof from an earlier tree size to the latest checkpoint:
    a reader who kept an older checkpoint checks that the log only grew since."""
    latest = _latest()
    if latest is None or query["old_size"] > latest[0]:
        raise beyond("old_size is larger than the log", field="old_size", code="too_large",
                     field_detail="larger than the latest checkpoint")
    size, note = latest
    proof = service().audit_log.consistency(query["old_size"], size)
    return jsonify({"old_size": query["old_size"], "new_size": size, "checkpoint": note,
                    "proof": [node.hex() for node in proof]})


def _latest() -> tuple[int, str] | None:
    """(size, note) of the latest checkpoint once the audit log has caught up."""
    svc = service()
    svc.audit_log.settle()
    return svc.audit_log.latest_checkpoint()
