"""How posted JSON becomes typed values: the JSON itself, checked before anything reads it;
schema bases that build a value or a command when they load, lists loaded as tuples, the
bounds every field keeps, and marshmallow's messages as (field path, text)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any, ClassVar, cast

from marshmallow import Schema, ValidationError, fields, post_load, validate

MAX_DEPTH = 32
"""The deepest nesting of arrays and objects a request may have: the contract needs six."""
MAX_ITEMS, MAX_KEYS = 1000, 100
"""The longest array (a batch's events) and the largest object (an event type has 20 fields
at most) a request may have: beyond them each item would only cost time to refuse."""

# NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_NUL = "\x00"

# Field bounds: what a municipality's systems can mean, with room to spare. Beyond them
# a value is a mistake or an attack, and each stored byte is kept forever.
ID = validate.Length(min=1, max=200)
"""Ids chosen by the sender: school_id, guardian_id, letter_id, …"""
LABEL = validate.Length(max=200)
"""Names, roles, subjects, faith communities: a line of text."""
REF = validate.Length(max=1000)
"""A reference to a document kept elsewhere: a case number, a URL."""
NOTE = validate.Length(max=20_000)
"""Free text that may be empty."""
TEXT = validate.Length(min=1, max=20_000)
"""Free text that must say something: minutes, reasons, summaries."""
FEW = validate.Length(max=100)
"""A list of people, measures, attachments, … in one event."""
DAYS = validate.Length(max=366)
"""A list of dates: at most a year of them."""

EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
"""Dates and times outside these are typos (or attacks): date arithmetic near the years 1
and 9999 overflows."""


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


class BoundedList(fields.List):  # type: ignore[type-arg]
    """A list whose Length is checked before its items are loaded: marshmallow loads every
    item first, and a 4 MB list of two million items cost seconds to refuse."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> Any:
        if isinstance(value, list):
            for validator in self.validators:
                if isinstance(validator, validate.Length):
                    validator(value)
        return super()._deserialize(value, attr, data, **kwargs)


class TupleList(BoundedList):
    """A JSON list loaded as a tuple: domain values are frozen (and hashable)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,  # type: ignore[override]
                     **kwargs: Any) -> tuple[Any, ...]:
        return tuple(super()._deserialize(value, attr, data, **kwargs))


class FullMatch(validate.Regexp):
    """A string that matches ``regex`` as a whole: marshmallow's Regexp lets ``$`` match
    before a final newline ("0301\\n"). Write patterns with ``[0-9]``, not ``\\d``, which
    takes any script's digits."""

    def __call__(self, value: Any) -> Any:
        regex = cast("re.Pattern[str]", self.regex)
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _within_bounds(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(f"must lie between {EARLIEST} and {LATEST}")


class Day(fields.Date):
    """A date between EARLIEST and LATEST."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day: date = super()._deserialize(value, attr, data, **kwargs)
        _within_bounds(day)
        return day


class Moment(fields.AwareDateTime):
    """A date-time with its offset, on a day between EARLIEST and LATEST."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        _within_bounds(moment.date())
        return moment


class DateOrDateTime(fields.Field):  # type: ignore[type-arg]
    """A date, or a date-time with its offset (POL-4 asks for the date and "preferably" the
    time), between EARLIEST and LATEST."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> tuple[date, time | None]:
        if not isinstance(value, str):
            raise ValidationError("must be a date or an RFC 3339 date-time")
        try:
            if "T" in value:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValidationError("a date-time needs its offset")
                found: tuple[date, time | None] = moment.date(), moment.timetz()
            else:
                found = date.fromisoformat(value), None
        except ValueError:
            raise ValidationError("must be a date or an RFC 3339 date-time") from None
        _within_bounds(found[0])
        return found


class InvalidData(Exception):
    """Posted data that does not fit its schema; ``errors`` are (field path, text)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors[0][1] if errors else "invalid")
        self.errors = errors


def parse_json(body: bytes | str) -> Any:
    """The JSON value of a request body, checked before any schema sees it: InvalidData
    (naming where) when it is not JSON, is nested deeper than MAX_DEPTH, has an array or
    object larger than MAX_ITEMS or MAX_KEYS, a number that is not finite, or a string with a
    NUL or a lone surrogate, which no store can keep."""
    try:
        value = json.loads(body, parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError:  # the parser's own limit, far deeper than MAX_DEPTH
        raise InvalidData([("$", f"nested deeper than {MAX_DEPTH} levels")]) from None
    except ValueError as error:  # not JSON, not UTF-8, or an integer of 4,300+ digits
        raise InvalidData([("$", f"not valid JSON: {error}")]) from None
    # Valid UTF-8 JSON can only spell NUL or a surrogate as an escape: without one, no
    # string needs looking at.
    strings = isinstance(body, str) or _UNSTORABLE_ESCAPE.search(body) is not None
    _check_tree(value, strings)
    return value


def _not_a_number(constant: str) -> float:
    raise ValueError(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large for a number")
    return number


# A node of the tree being checked: (value, depth, parent node, key in the parent). The
# path is spelt out only for an error.
_Node = tuple[Any, int, Any, str | int | None]


def _check_tree(value: Any, strings: bool) -> None:
    """Walk the parsed tree without recursion: its depth, and (when ``strings``) every
    string and key. A scalar or an empty container costs a type check, nothing more."""
    if isinstance(value, str):
        _check_string(value, (value, 1, None, None))
    pending: list[_Node] = [(value, 1, None, None)] if isinstance(value, dict | list) else []
    while pending:
        node = pending.pop()
        tree, depth = node[0], node[1]
        _check_size(node)
        entries = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, item in entries:
            if strings and isinstance(key, str):
                _check_string(key, node)
            if isinstance(item, dict | list):
                if depth == MAX_DEPTH:
                    raise InvalidData([(_path((item, depth + 1, node, key)),
                                        f"nested deeper than {MAX_DEPTH} levels")])
                if item:
                    pending.append((item, depth + 1, node, key))
            elif strings and isinstance(item, str):
                _check_string(item, (item, depth + 1, node, key))


def _check_size(node: _Node) -> None:
    tree = node[0]
    limit, what = (MAX_KEYS, "fields") if isinstance(tree, dict) else (MAX_ITEMS, "items")
    if len(tree) > limit:
        raise InvalidData([(_path(node), f"has more than {limit:,} {what}")])


def _check_string(text: str, node: _Node) -> None:
    found = _UNSTORABLE.search(text)
    if found:
        what = ("a NUL character" if found.group() == _NUL
                else f"a lone surrogate (\\u{ord(found.group()):04x}), which is not text")
        raise InvalidData([(_path(node), f"holds {what}: it cannot be stored")])


def _path(node: _Node) -> str:
    """``events[0].data.name`` for a node, ``$`` for the root."""
    parts: list[str] = []
    while node[2] is not None:
        key = node[3]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        node = node[2]
    return "".join(reversed(parts)).removeprefix(".") or "$"


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
