"""The guideline's conversation guides (§8) and measure catalogue (§9)."""

from __future__ import annotations

from flask import Response, jsonify

from domain.catalogue import catalogue
from services.http.resources import Blueprint

blp = Blueprint("templates", __name__, url_prefix="/v1/templates",
                description="Templates from the guideline")


@blp.route("/conversation-guides", methods=["GET"])
def get_guides() -> Response:
    """FOL-20: the conversation guides of §8 (pupil, guardians, after the conversation)."""
    return jsonify(catalogue()["conversation_guides"])


@blp.route("/measures", methods=["GET"])
def get_measures() -> Response:
    """FOL-13: the measure catalogue of §9, with codes for agreements."""
    return jsonify({"measures": catalogue()["measure_catalogue"]})
