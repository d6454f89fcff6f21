"""How posted JSON becomes typed values: schema bases that build a value or a command when
they load, lists loaded as tuples, and marshmallow's messages as (field path, text)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load


class ValueSchema(Schema):
    """Loads into ``value(**fields)``: a domain value object."""

    value: ClassVar[type]

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        return self.value(**data)


class CommandSchema(Schema):
    """Loads into ``command(**fields)``; with ``value`` set, into ``command(pupil_id,
    value(**the other fields))``: the command carries the domain's record."""

    command: ClassVar[type]
    value: ClassVar[type | None] = None

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        if self.value is None:
            return self.command(**data)
        pupil_id = data.pop("pupil_id")
        return self.command(pupil_id, self.value(**data))


class TupleList(fields.List):  # type: ignore[type-arg]
    """A JSON list loaded as a tuple: domain values are frozen (and hashable)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,  # type: ignore[override]
                     **kwargs: Any) -> tuple[Any, ...]:
        return tuple(super()._deserialize(value, attr, data, **kwargs))


class InvalidData(Exception):
    """Posted data that does not fit its schema; ``errors`` are (field path, text)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors[0][1] if errors else "invalid")
        self.errors = errors


def load(schema: Schema, raw: Any, *, prefix: str) -> Any:
    """What ``schema`` loads ``raw`` into, or InvalidData naming each field under ``prefix``."""
    try:
        return schema.load(raw)
    except ValidationError as error:
        raise InvalidData(field_errors(error.messages, prefix)) from None


def field_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten marshmallow's nested messages into (``data.guardians[0].relation``, text)."""
    if isinstance(messages, list):
        return [(prefix or "$", str(text)) for text in messages]
    found: list[tuple[str, str]] = []
    for key, value in messages.items():
        if isinstance(key, int):
            path = f"{prefix}[{key}]"
        elif key == "_schema":
            path = prefix or "$"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        found.extend(field_errors(value, path))
    return found
