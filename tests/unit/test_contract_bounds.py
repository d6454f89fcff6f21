"""What the contract takes is bounded: every string, list and number of every event type has
a maximum, patterns match whole values in ASCII digits, dates lie in a plausible range,
national identity numbers carry their control digits, and the JSON itself is checked before
any schema reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from services.http.contract import queries as query_schemas
from services.intake.contract import (
    DATA_SCHEMAS,
    ENVELOPE,
    INTERNAL_SCHEMAS,
    NATIONAL_ID,
    SCHOOL_YEAR,
    TENANT,
    BatchSchema,
)
from services.intake.ingestion import Ingestor
from services.intake.loading import (
    MAX_DEPTH,
    DateOrDateTime,
    Day,
    FullMatch,
    InvalidData,
    Moment,
    TupleList,
    parse_json,
)
from services.store.application import Skolefravaer
from tests.support.events import enrolled, envelope, new_pupil

# Fields whose content another schema checks: the envelope's data (by its type), a batch's
# events (each by the envelope), a correction's replacement (by the corrected type).
CHECKED_ELSEWHERE = {("EnvelopeSchema", "data"), ("BatchSchema", "events"),
                     ("RecordCorrectedSchema", "replacement")}
MAX_TEXT = 20_000


def every_field(schema: Schema) -> Iterator[tuple[str, fields.Field]]:  # type: ignore[type-arg]
    """(schema name, field) for the schema's fields, the fields of nested schemas and the
    items of lists, all the way down."""
    pending: list[tuple[str, Any]] = [(type(schema).__name__, f)
                                      for f in schema.fields.values()]
    while pending:
        owner, field = pending.pop()
        yield owner, field
        if isinstance(field, fields.Nested):
            nested = field.schema
            pending.extend((type(nested).__name__, f) for f in nested.fields.values())
        elif isinstance(field, fields.List):
            pending.append((owner, field.inner))
        elif isinstance(field, fields.Dict) and field.key_field is not None:
            pending.extend((owner, f) for f in (field.key_field, field.value_field) if f)


def validators(field: fields.Field) -> list[Any]:  # type: ignore[type-arg]
    return list(field.validators)


def bounded(field: fields.Field) -> bool:  # type: ignore[type-arg]
    """Whether the field has a maximum (or takes only listed or patterned values)."""
    found = validators(field)
    if isinstance(field, fields.String):
        return any(isinstance(v, validate.OneOf | FullMatch) or (
            isinstance(v, validate.Length) and v.max is not None and v.max <= MAX_TEXT)
            for v in found)
    if isinstance(field, fields.List):
        return any(isinstance(v, validate.Length) and v.max is not None for v in found)
    if isinstance(field, fields.Number):
        return any(isinstance(v, validate.Range) and v.min is not None and v.max is not None
                   for v in found)
    if isinstance(field, fields.Date | fields.DateTime):
        return isinstance(field, Day | Moment)
    return True  # UUID, Enum, Boolean, Time, Nested (walked), DateOrDateTime (bounded)


EVERY_SCHEMA: list[Schema] = [ENVELOPE, BatchSchema(), *DATA_SCHEMAS.values(),
                              *INTERNAL_SCHEMAS.values(),
                              *(getattr(query_schemas, name)() for name in dir(query_schemas)
                                if name.endswith("QuerySchema"))]


@pytest.mark.parametrize("schema", EVERY_SCHEMA, ids=lambda s: type(s).__name__)
def test_every_field_of_every_schema_has_a_maximum(schema: Schema) -> None:
    unbounded = [f"{owner}.{field.name}" for owner, field in every_field(schema)
                 if not bounded(field) and (owner, field.name) not in CHECKED_ELSEWHERE]

    assert unbounded == []


def test_the_bound_check_finds_an_unbounded_field() -> None:
    class Loose(Schema):
        text = fields.String()
        many = fields.List(fields.String(validate=validate.Length(max=5)))
        count = fields.Integer(validate=validate.Range(min=0))
        when = fields.Date()

    assert [f.name for _, f in every_field(Loose()) if not bounded(f)] == [
        "when", "count", "many", "text"]


@pytest.mark.parametrize("value", ["0301\n", "0301\r\n", "٠٣٠١", "０３０１", " 0301", "03011"])
def test_a_tenant_is_four_ascii_digits_and_nothing_after(value: str) -> None:
    with pytest.raises(ValidationError, match="4-digit"):
        TENANT(value)


@pytest.mark.parametrize("value", ["2026-2027\n", "٢٠٢٦-٢٠٢٧", "0000-0001", "9999-10000"])
def test_a_school_year_is_ascii_digits_within_the_centuries_served(value: str) -> None:
    with pytest.raises(ValidationError, match="2026-2027"):
        SCHOOL_YEAR(value)


def test_a_valid_tenant_and_school_year_pass() -> None:
    assert (TENANT("3101"), SCHOOL_YEAR("2026-2027")) == ("3101", "2026-2027")


@pytest.mark.parametrize("number", ["01011250013", "15108695088", "41011250007"])
def test_a_fodselsnummer_or_d_number_with_its_control_digits_passes(number: str) -> None:
    assert NATIONAL_ID(number) == number


@pytest.mark.parametrize(("number", "why"), [
    ("01011250014", "control digits"), ("01011012345", "control digits"),
    ("32011210014", "birth date"), ("0101125001", "11 digits"), ("01011250013\n", "11 digits"),
    ("٠١٠١١٢٥٠٠١٣", "11 digits"), ("010112 50013", "11 digits")])
def test_a_national_id_without_its_control_digits_is_refused(number: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        NATIONAL_ID(number)


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_dates_outside_the_years_served_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="between 1900-01-01 and 2199-12-31"):
        Day().deserialize(value)
    with pytest.raises(ValidationError, match="between"):
        Moment().deserialize(f"{value}T12:00:00+14:00")
    with pytest.raises(ValidationError, match="between"):
        DateOrDateTime().deserialize(value)


def test_dates_within_the_years_served_load() -> None:
    assert Moment().deserialize("2026-09-01T08:00:00Z") == datetime(2026, 9, 1, 8, tzinfo=UTC)


def test_json_that_is_fine_parses_as_json_does() -> None:
    body = json.dumps({"events": [enrolled(new_pupil(), more={"name": "Åse Ødegård\tjr."})]})

    assert parse_json(body.encode()) == json.loads(body)


@pytest.mark.parametrize(("body", "field", "why"), [
    ("[" * 1000 + "]" * 1000, "$", "nested deeper"),
    ('{"events": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}",
     "events" + "[0]" * (MAX_DEPTH - 1), "nested deeper"),
    ('{"events": [{"data": {"name": "Kari\\u0000"}}]}', "events[0].data.name", "NUL"),
    ('{"events": [{"data": {"name": "\\ud800"}}]}', "events[0].data.name", "surrogate"),
    ('{"events": [{"da\\u0000ta": 1}]}', "events[0]", "NUL"),
    ('{"events": [NaN]}', "$", "not a JSON number"),
    ('{"events": [Infinity]}', "$", "not a JSON number"),
    ('{"events": [1e999]}', "$", "too large"),
    ('{"events": [' + ",".join(["0"] * 1001) + "]}", "events", "more than 1,000 items"),
    ('{"events": [{' + ",".join(f'"k{n}": 0' for n in range(101)) + "}]}", "events[0]",
     "more than 100 fields"),
    ('{"events": [' + "9" * 5000 + "]}", "$", "not valid JSON"),
    (b'{"events": ["\xff"]}', "$", "not valid JSON"),
    ('{"events": [', "$", "not valid JSON"),
])
def test_json_that_no_store_can_keep_is_refused_naming_where(
        body: str | bytes, field: str, why: str) -> None:
    with pytest.raises(InvalidData) as refused:
        parse_json(body.encode() if isinstance(body, str) else body)

    [(path, text)] = refused.value.errors
    assert path == field
    assert why in text


@pytest.mark.parametrize("body", ["[" * MAX_DEPTH + "]" * MAX_DEPTH, '"plain text"', "7",
                                  '{"a": [[], {}, "", 0, null, true]}'])
def test_json_within_the_limits_parses(body: str) -> None:
    assert parse_json(body.encode()) == json.loads(body)


def test_a_lone_surrogate_is_found_beside_a_valid_pair_and_a_backslash() -> None:
    valid = r'{"a": ["\\u0000 is text", "\ud83d\ude00"]}'
    assert parse_json(valid.encode()) == json.loads(valid)

    with pytest.raises(InvalidData, match="lone surrogate"):
        parse_json(br'{"a": ["\ud83d\ude00", {"b": "\udc00"}]}')
    with pytest.raises(InvalidData, match="NUL"):
        parse_json(b'"\\u0000"')  # a top-level string


@pytest.fixture
def ingestor() -> Ingestor:
    app = Skolefravaer(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return Ingestor(app, clock=lambda: datetime(2026, 9, 1, 12, tzinfo=UTC))


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "x" * 201}, "data.name"),
    ({"school_id": "s" * 201}, "data.school_id"),
    ({"class_id": ""}, "data.class_id"),
    ({"national_id": "01011012345"}, "data.national_id"),
    ({"guardians": [{"guardian_id": f"g{n}", "relation": "other"} for n in range(101)]},
     "data.guardians"),
])
def test_an_enrolment_beyond_a_bound_is_rejected_naming_the_field_and_stores_nothing(
        ingestor: Ingestor, change: dict[str, Any], field: str) -> None:
    [outcome] = ingestor.ingest([enrolled(new_pupil(), more=change)])

    assert outcome.status == "rejected"
    assert field in {problem.field for problem in outcome.problems}
    assert not ingestor.app.recorder.max_notification_id()


@pytest.mark.parametrize(("tenant", "source"), [("0301\n", "tests"), ("3101", "s" * 201)])
def test_an_envelope_beyond_a_bound_is_rejected(ingestor: Ingestor, tenant: str,
                                                source: str) -> None:
    event = envelope("AbsenceRecorded", {}, tenant=tenant)
    event["source"] = source

    [outcome] = ingestor.ingest([event])

    assert outcome.status == "rejected"
    assert {problem.field for problem in outcome.problems} & {"tenant", "source"}


def test_an_event_with_many_invalid_fields_lists_the_first_twenty(ingestor: Ingestor) -> None:
    event = enrolled(new_pupil(), more={f"unknown_{n}": 0 for n in range(60)})

    [outcome] = ingestor.ingest([event])

    assert len(outcome.problems) == 21
    assert outcome.problems[-1].code == "more_errors"
    assert "40 more" in outcome.problems[-1].detail


@pytest.mark.parametrize("event_type", [[], {}, ["AbsenceRecorded"], 7])
def test_an_event_whose_type_is_no_string_is_rejected(ingestor: Ingestor,
                                                      event_type: Any) -> None:
    event = enrolled(new_pupil())
    event["type"] = event_type

    [outcome] = ingestor.ingest([event])

    assert outcome.status == "rejected"
    assert outcome.problems[0].field == "type"


def test_a_list_over_its_length_is_refused_before_its_items_are_loaded() -> None:
    class Dates(Schema):
        days = TupleList(fields.Date(), validate=validate.Length(max=3))

    with pytest.raises(ValidationError) as refused:
        Dates().load({"days": ["not a date"] * 10})

    assert refused.value.messages == {"days": ["Longer than maximum length 3."]}
