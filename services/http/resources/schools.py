"""A school's own absence routine (FOL-2, FOL-11, FOL-18)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from domain.school_year import half_year_of
from services.http.context import consistent, service
from services.http.context.access import caller
from services.http.contract.queries import RoutineQuerySchema
from services.http.resources import Blueprint

blp = Blueprint("schools", __name__, url_prefix="/v1/schools",
                description="Schools' absence routines")


@blp.route("/<school_id>/routine", methods=["GET"])
@blp.arguments(RoutineQuerySchema, location="query")
@consistent
def get_routine(query: dict[str, Any], school_id: str) -> Response:
    """FOL-2, FOL-11, FOL-18: the school's own absence routine in a half-year."""
    half = query["half_year"] or half_year_of(service().ingestor.clock().date())
    return jsonify(service().routine.routine(school_id, half, caller().tenant))
