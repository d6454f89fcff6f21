"""Query parameters of the read endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.intake.contract import SCHOOL_YEAR, TENANT


class ConsistentQuerySchema(Schema):
    """Every read: ``min_position`` (read your writes) and ``tenant``."""

    tenant = fields.String(load_default=None, validate=TENANT)
    min_position = fields.Integer(load_default=None, validate=validate.Range(min=0))


class PupilQuerySchema(ConsistentQuerySchema):
    school_year = fields.String(load_default=None, validate=SCHOOL_YEAR)


class HistoryQuerySchema(PupilQuerySchema):
    as_of = fields.AwareDateTime(load_default=None)


class TaskQuerySchema(ConsistentQuerySchema):
    school_id = fields.String(load_default=None)
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["open", "overdue", "done", "cancelled"]))


class RoutineQuerySchema(ConsistentQuerySchema):
    half_year = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{4}-(autumn|spring)$"))


class ConsistencyQuerySchema(Schema):
    old_size = fields.Integer(required=True, validate=validate.Range(min=1))
