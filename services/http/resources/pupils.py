"""A pupil's figures: absence tally, diploma figures, concerns, the follow-up case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, jsonify

from domain.privacy import shield
from services.http.context import consistent, enrolled_years, service
from services.http.context.access import caller, current_reader, record_read
from services.http.contract.queries import PupilQuerySchema
from services.http.problems import not_found
from services.http.resources import Blueprint
from services.reads import representations

blp = Blueprint("pupils", __name__, url_prefix="/v1/pupils", description="Per-pupil reads")


@blp.route("/<uuid:pupil_id>/absence", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_absence(query: dict[str, Any], pupil_id: UUID) -> Response:
    """Days and single lessons, documented / undocumented, per month and half-year."""
    tenant = caller().tenant
    years = enrolled_years(pupil_id, tenant)
    tally = service().absence.tally(pupil_id, query["school_year"], tenant)
    record_read(f"absence school_year={query['school_year'] or 'all'}", pupil_id)
    year = query["school_year"] or max(years)
    grade = years[year][1] if year in years else None
    return jsonify({"pupil_id": str(pupil_id), "school_year": query["school_year"],
                    "position": service().views_position(),
                    **representations.tally(tally),
                    "conduct_assessment": representations.conduct(tally, grade)})


@blp.route("/<uuid:pupil_id>/diploma", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_diploma(query: dict[str, Any], pupil_id: UUID) -> Response:
    """DIP-1…DIP-7: a school year's diploma figures, or without it the sum of 8–10."""
    tenant = caller().tenant
    years = enrolled_years(pupil_id, tenant)
    requests, year = service().requests, query["school_year"]
    figures = requests.diploma(pupil_id, years, tenant)
    if year is not None and year not in figures:
        raise not_found(f"the pupil is not enrolled in {year}", "unknown-school-year")
    chosen = figures[year] if year else requests.total(figures)
    record_read(f"diploma school_year={year or 'all'}", pupil_id)
    return jsonify({"pupil_id": str(pupil_id), **representations.diploma(
        chosen, requests.requests(pupil_id, year, tenant)),
        "years": [representations.diploma(f, []) | {"grade": years[y][1]}
                  for y, f in figures.items()] if year is None else None})


@blp.route("/<uuid:pupil_id>/concerns", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_concerns(query: dict[str, Any], pupil_id: UUID) -> Response:
    """Every concern raised (CON-*): rule, period, when, and the events behind it."""
    enrolled_years(pupil_id, caller().tenant)
    raised = service().concerns.concerns(pupil_id, caller().tenant)
    record_read("concerns", pupil_id)
    return jsonify({"pupil_id": str(pupil_id),
                    "concerns": [representations.concern(c) for c in raised]})


@blp.route("/<uuid:pupil_id>/case", methods=["GET"])
@blp.arguments(PupilQuerySchema, location="query")
@consistent
def get_case(query: dict[str, Any], pupil_id: UUID) -> Response:
    """The follow-up case: stage and its history, tasks with due times and rule IDs,
    agreements, consents, referrals, consultations, contacts, letters, meetings.

    Safeguarding records (SAFE), health details (PRIV-1) and where a pupil with a protected
    address is (PRIV-2) are shown only to the roles that need them: the caller's role, from
    their token."""
    reader = current_reader(pupil_id)
    enrolled_years(pupil_id, caller().tenant)
    svc = service()
    found = svc.cases.case(pupil_id, caller().tenant, restricted=reader.handles_safeguarding)
    record_read("case", pupil_id)
    return jsonify(shield(representations.case(str(pupil_id), found, svc.ingestor.clock()),
                          reader.sight))
