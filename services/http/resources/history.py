"""A pupil's history as known at any moment, and who has read it (PRIV-3)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify

from services.http.context import consistent, known_tenant, service
from services.http.context.access import caller, current_reader
from services.http.contract.queries import HistoryQuerySchema, PupilQuerySchema
from services.http.resources import Blueprint
from services.reads.history import attested

blp = Blueprint("history", __name__, url_prefix="/v1/pupils",
                description="Histories and their readers")


@blp.route("/<uuid:pupil_id>/history", methods=["GET"])
@blp.arguments(HistoryQuerySchema, location="query")
@consistent
def get_history(query: dict[str, Any], pupil_id: UUID) -> Response:
    """Every event about the pupil in log order — occurred_at, recorded_at, actor,
    position, hash — and the derived state as known at ``as_of`` (default: now).
    The read itself is recorded first (PRIV-3)."""
    history, reader, as_of = service().history, current_reader(pupil_id), query["as_of"]
    if (gone := history.disposed(pupil_id, caller().tenant)) is not None:  # PRIV-4
        return jsonify({"pupil_id": str(pupil_id), "disposed": gone, "events": []})
    tenant = known_tenant(pupil_id, caller().tenant)
    stored = history.stored_events(pupil_id, tenant)  # once, for the events and the state
    listed = history.events(pupil_id, tenant, as_of, reader, stored)
    history.record_read(tenant, pupil_id, reader,
                        f"history as_of={as_of.isoformat() if as_of else 'now'}")
    return jsonify({"pupil_id": str(pupil_id),
                    "as_of": (as_of or history.clock()).isoformat(), "events": listed,
                    "state": attested(history.state(pupil_id, tenant, as_of, reader, stored),
                                      listed)})


@blp.route("/<uuid:pupil_id>/reads", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_reads(query: dict[str, Any], pupil_id: UUID) -> Response:
    """PRIV-3: who read the pupil's data (each per-pupil read and task list), when, and
    what."""
    tenant = known_tenant(pupil_id, caller().tenant)
    return jsonify({"pupil_id": str(pupil_id),
                    "reads": service().history.reads(tenant, pupil_id)})
