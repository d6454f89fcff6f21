"""Query parameters of the read endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.intake.contract import SCHOOL_YEAR
from services.intake.loading import ID, FullMatch, Moment

# A log position or tree size: PostgreSQL's BIGINT.
POSITION = validate.Range(min=0, max=2**63 - 1)


class ConsistentQuerySchema(Schema):
    """Every read: ``min_position``, for a caller who wants less than a consistent read
    (`services.http.context.consistent`). The municipality is the caller's, from their
    token, never a parameter."""

    min_position = fields.Integer(load_default=None, validate=POSITION, metadata={
        "description": "the log position the views must have reached (default: the log's "
                       "head when the request arrived); past the log's end: 409",
        "example": 1})


class PupilQuerySchema(ConsistentQuerySchema):
    school_year = fields.String(load_default=None, validate=SCHOOL_YEAR)


class HistoryQuerySchema(PupilQuerySchema):
    # The years kept (loading.EARLIEST–LATEST), as JSON Schema bounds a string: a pattern.
    as_of = Moment(load_default=None, metadata={"pattern": "^(19|20|21)[0-9]{2}-"})


class TaskQuerySchema(ConsistentQuerySchema):
    school_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["open", "overdue", "done", "cancelled"]))


class RoutineQuerySchema(ConsistentQuerySchema):
    half_year = fields.String(load_default=None, validate=FullMatch(
        r"^(19|20|21)[0-9]{2}-(autumn|spring)$", error="must look like '2026-autumn'"))


class ConsistencyQuerySchema(Schema):
    old_size = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))
