"""The 200 answers, as marshmallow schemas for the OpenAPI document (the endpoints build
their JSON themselves; these describe it).

Every answer is open: a client ignores fields it does not know, and the service may add
fields (API.md: "everything else is the service's to design"). Records whose shape follows
the event contract — a case's records, a history's events and state, the dossier — are
described by the fields clients rely on, the rest left open.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

# The README's pupil and first event (docs/examples/batch.json), for examples.
PUPIL = "5f2b7c1e-8d4a-4b0e-9f6a-2c3d4e5f6a7b"
EVENT = "0b9d8a8e-0c47-4d1e-9a51-1f0a6f3c2a01"


def string(description: str = "", **options: Any) -> fields.String:
    return fields.String(metadata={"description": description}, **options)


def count(description: str = "", **options: Any) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0), metadata={"description": description},
                          **options)


def nullable(field: type[fields.Field], description: str = "",  # type: ignore[type-arg]
             **options: Any) -> fields.Field:  # type: ignore[type-arg]
    return field(required=True, allow_none=True, metadata={"description": description},
                 **options)


def many(schema: type[Schema] | fields.Field, **options: Any  # type: ignore[type-arg]
         ) -> fields.List:  # type: ignore[type-arg]
    item = schema if isinstance(schema, fields.Field) else fields.Nested(schema)
    return fields.List(item, required=True, **options)


def record(**options: Any) -> fields.Dict:
    """An object whose fields follow the event contract (EVENTS.md) or the domain."""
    return fields.Dict(keys=fields.String(), **options)


class Answer(Schema):
    class Meta:
        unknown = INCLUDE  # open: additionalProperties


# POST /v1/events ---------------------------------------------------------------------------
class FieldProblem(Answer):
    """A field or parameter at fault, in a problem document."""

    field = string("where: school_year, events, events[3].data, $ (the whole body) …",
                   required=True)
    code = string("machine-readable: invalid_field, invalid_json, repeated, …", required=True)
    detail = string("for people", required=True)


class EventProblem(Answer):
    """Why an event of a batch was rejected."""

    field = nullable(fields.String, "where: data.guardians[0].relation, event_id, …; null: "
                                    "the event as a whole")
    code = string("machine-readable: invalid_field, unknown_guardian, more_errors, …",
                  required=True)
    rule = nullable(fields.String, "the rule of RULES.md refused, where one applies")
    detail = string("for people", required=True)


class EventOutcome(Answer):
    index = count("the event's place in the batch, from 0", required=True)
    event_id = nullable(fields.UUID, "as posted, when it is a UUID")
    status = fields.String(required=True, validate=validate.OneOf(
        ["accepted", "duplicate", "rejected"]))
    position = count("the event's place in the log (accepted, duplicate)")
    errors = fields.List(fields.Nested(EventProblem),
                         metadata={"description": "why it was rejected (at most 20)"})


class BatchAnswer(Answer):
    accepted, duplicate, rejected = (count(required=True) for _ in range(3))
    results = many(EventOutcome, metadata={"description": "one per event, in batch order"})


# A pupil's figures -------------------------------------------------------------------------
class Split(Answer):
    documented, undocumented, total = (count(required=True) for _ in range(3))


class Figures(Answer):
    days = fields.Nested(Split, required=True)
    lessons = fields.Nested(Split, required=True)
    late_arrivals = count(required=True)
    left_school = count(required=True)
    event_ids = many(fields.String(), metadata={"description": "the events behind the figures"})


class PeriodFigures(Figures):
    period = string("2026-09 (a month) or 2026-autumn (a half-year)", required=True)


class CountedAbsence(Answer):
    date = fields.Date(required=True)
    scope = string("day or lesson", required=True)
    period = nullable(fields.Integer, "the lesson, for a single lesson")
    documented = fields.Boolean(required=True)
    late_notice = fields.Boolean(required=True, metadata={"description": "ABS-5"})
    recorded_by = many(fields.String())
    documented_by = many(fields.String())


class Conduct(Answer):
    rule = string("ABS-8", required=True)
    applies = fields.Boolean(required=True)
    undocumented_days = nullable(fields.Integer)
    undocumented_lessons = nullable(fields.Integer)


class AbsenceAnswer(Figures):
    pupil_id = fields.UUID(required=True)
    school_year = nullable(fields.String, "as asked; null: every year")
    position = count("the log position the views had reached", required=True)
    months = many(PeriodFigures)
    half_years = many(PeriodFigures)
    absences = many(CountedAbsence)
    conduct_assessment = fields.Nested(Conduct, required=True)


class Exclusion(Answer):
    date = fields.Date(required=True)
    basis = string(required=True)
    rule = string(required=True)


class DatedOutcome(Answer):
    date = fields.Date(required=True)
    approved = fields.Boolean(required=True)
    rule = nullable(fields.String)
    reason = nullable(fields.String, "Norwegian")


class DiplomaRequestAnswer(Answer):
    request_id = string(required=True)
    kind = string("exclusion or cause_attachment", required=True)
    school_year = string(required=True)
    basis = nullable(fields.String)
    outcome = fields.String(required=True, validate=validate.OneOf(
        ["approved", "partly_approved", "rejected"]))
    rules = many(fields.String())
    legal_basis = nullable(fields.String)
    reasons = many(fields.String(), metadata={"description": "Norwegian"})
    dates = many(DatedOutcome)


class DiplomaFigures(Answer):
    school_year = nullable(fields.String, "null: the sum over grades 8–10 (DIP-7)")
    on_diploma = fields.Boolean(required=True)
    rule = string("DIP-1", required=True)
    days = count("after exclusions", required=True)
    lessons = count("after exclusions", required=True)
    excluded_days = count(required=True)
    exclusions = many(Exclusion)
    requests = many(DiplomaRequestAnswer)


class DiplomaYear(DiplomaFigures):
    grade = fields.Integer(required=True)


class DiplomaAnswer(DiplomaFigures):
    pupil_id = fields.UUID(required=True)
    years = fields.List(fields.Nested(DiplomaYear), required=True, allow_none=True,
                        metadata={"description": "each year, when no school_year was asked"})


class Concern(Answer):
    rule = string("CON-*", required=True)
    description = string("Norwegian", required=True)
    period = string(required=True)
    raised_at = fields.String(required=True, metadata={"format": "date-time"})
    trigger_date = nullable(fields.String, "the day that raised it")
    event_ids = many(fields.String())


class ConcernsAnswer(Answer):
    pupil_id = fields.UUID(required=True)
    concerns = many(Concern)


class Task(Answer):
    task_id = string(required=True)
    pupil_id = string(required=True)
    school_id = nullable(fields.String)
    rule = string(required=True)
    title = string("Norwegian", required=True)
    opened_at = nullable(fields.String)
    due_at = nullable(fields.String)
    status = fields.String(required=True, validate=validate.OneOf(
        ["open", "overdue", "done", "cancelled"]))
    closed_at = nullable(fields.String)
    closed_by = nullable(fields.String, "the event that closed it")


class TasksAnswer(Answer):
    tasks = many(Task)


class StageChange(Answer):
    stage = string(required=True)
    at = string(required=True)
    event_id = nullable(fields.String)


class CaseAnswer(Answer):
    """The records grouped as staff look for them (contacts, letters, meetings, consents,
    referrals, …): each an object with the event's fields, open."""

    pupil_id = fields.UUID(required=True)
    stage = nullable(fields.String, "the follow-up stage (FOL-*); null: no case")
    stage_history = many(StageChange)
    tasks = many(Task)
    agreements = many(record(), metadata={"description": "the latest version of each"})


class LeaveRecommendation(Answer):
    outcome = fields.String(required=True, validate=validate.OneOf(["right", "grant", "reject"]))
    rules = many(fields.String())
    notes = many(fields.String(), metadata={"description": "Norwegian, for the principal"})
    legal_basis = nullable(fields.String)


class LeaveAnswer(Answer):
    application_id = string(required=True)
    pupil_id = string(required=True)
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    reason = string(required=True)
    level = nullable(fields.String)
    applied_at = string(required=True)
    school_days = count(required=True)
    late_application = fields.Boolean(required=True, metadata={"description": "LEAVE-3"})
    recommendation = fields.Nested(LeaveRecommendation, required=True)
    decision = fields.Dict(required=True, allow_none=True,
                           metadata={"description": "who decided, the reasons, the override "
                                                    "and the LEAVE-7 statement; null until "
                                                    "decided"})


class RoutineCheck(Answer):
    rule = string(required=True)
    what = string("Norwegian", required=True)
    met = fields.Boolean(required=True)


class RoutineAnswer(Answer):
    school_id = string(required=True)
    half_year = string(required=True)
    checks = many(RoutineCheck)
    anonymous_discussions = count(required=True)


class CatalogueMeasure(Answer):
    code = string(required=True)
    category = string(required=True)
    text = string("Norwegian", required=True)


class MeasuresAnswer(Answer):
    measures = many(CatalogueMeasure)


class GuidesAnswer(Answer):
    """The §8 guides by name (pupil_conversation, guardian_conversation,
    after_conversation_checklist), each with its title and parts, in Norwegian."""


# Histories and the dossier ------------------------------------------------------------------
class LoggedActor(Answer):
    id = string(required=True)
    role = string(required=True)
    via = fields.String(allow_none=True, metadata={
        "description": "the system that posted it on the person's behalf"})


class HistoryEvent(Answer):
    event_id = string(required=True)
    type = string(required=True)
    occurred_at = string("business time", required=True)
    recorded_at = string("the service's clock", required=True)
    actor = fields.Nested(LoggedActor, required=True)
    position = fields.Integer(required=True)
    hash = nullable(fields.String, "its leaf in the audit log (null while not yet hashed)")
    data = record(required=True)


class HistoryAnswer(Answer):
    pupil_id = fields.UUID(required=True)
    as_of = string("the moment the history is as known at")
    events = many(HistoryEvent)
    state = record(metadata={
        "description": "tallies, concerns, case stage and tasks as known at as_of"})
    disposed = record(metadata={
        "description": "PRIV-4: when and why the pupil's data was disposed of; then there "
                       "are no events and no state"})


class Read(Answer):
    at = string(required=True)
    reader = fields.Nested(LoggedActor, required=True)
    what = string(required=True)


class ReadsAnswer(Answer):
    pupil_id = fields.UUID(required=True)
    reads = many(Read)


class Requirement(Answer):
    rule = string(required=True)
    met = fields.Boolean(required=True)
    missing = many(fields.String())


class DossierAnswer(Answer):
    """The POL-5 case presentation in Norwegian: pupil, absence, contacts, letters,
    meetings, records, timeline, …"""

    completeness = fields.List(fields.Nested(Requirement))
    digest = record(metadata={
        "description": "tree size, root hash and key fingerprint of the audit log"})
    audit = record(metadata={
        "description": "the signed checkpoint, the public key, an inclusion proof per event"})
    disposed = record(metadata={
        "description": "PRIV-4: when and why the pupil's data was disposed of; then the "
                       "presentation holds nothing else of the pupil"})


# The audit log -------------------------------------------------------------------------------
class VerifyAnswer(Answer):
    intact = fields.Boolean(required=True)
    checked = count("events", required=True)
    first_broken_position = nullable(fields.Integer, "null when intact")
    reason = nullable(fields.String)


class PublicKeyAnswer(Answer):
    public_key_pem = string(required=True)
    fingerprint_sha256 = string(required=True)


class ConsistencyAnswer(Answer):
    old_size = count(required=True)
    new_size = count(required=True)
    checkpoint = string("the latest signed checkpoint (C2SP signed note)", required=True)
    proof = many(fields.String(), metadata={"description": "RFC 9162 nodes, hex"})


# The platform's --------------------------------------------------------------------------
class HealthAnswer(Answer):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadinessAnswer(Answer):
    ready = fields.Boolean(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True, metadata={
        "description": "by name (event_store, newest_event, views, worker:…, broker): ok, "
                       "and why not"})
