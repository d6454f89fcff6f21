"""POST /v1/events: the integration platform's batches (EVENTS.md)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify

from services.http import metrics
from services.http.context import service
from services.http.context.access import author
from services.http.problems import unavailable
from services.http.resources import Blueprint
from services.intake.contract import BatchSchema
from services.intake.ingestion import Outcome, StoreUnavailable

log = logging.getLogger(__name__)

blp = Blueprint("events", __name__, url_prefix="/v1",
                description="Ingestion of events (EVENTS.md)")


@blp.route("/events", methods=["POST"])
@blp.arguments(BatchSchema)
def post_events(batch: dict[str, Any]) -> Response:
    """Store a batch of 1–1,000 events; each is accepted, duplicate or rejected. Each must
    be of the caller's municipality; its actor is the caller (a system names the person it
    records for, and is kept with them)."""
    try:
        outcomes = service().ingestor.ingest(batch["events"], author=author())
    except StoreUnavailable:
        metrics.count_unavailable()
        log.warning("batch not stored: event store unavailable")
        raise unavailable("the event store could not take the batch; nothing was stored, "
                          "post it again", "store-unavailable", retry_after=2) from None
    metrics.count_outcomes(outcomes)
    return jsonify(_answer(outcomes))


def _answer(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = {status: sum(1 for o in outcomes if o.status == status)
              for status in ("accepted", "duplicate", "rejected")}
    return {**counts, "results": [_result(o) for o in outcomes]}


def _result(o: Outcome) -> dict[str, Any]:
    return {"index": o.index, "event_id": o.event_id, "status": o.status,
            **({"position": o.position} if o.position is not None else {}),
            **({"errors": [{"field": p.field, "code": p.code, "rule": p.rule, "detail": p.detail}
                           for p in o.problems]} if o.problems else {})}
