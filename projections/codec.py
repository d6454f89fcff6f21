"""Domain values in view rows, as JSON text, with the same transcodings as the event store."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from projections.transcoding import register_domain_transcodings

_transcoder = JSONTranscoder()
for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):  # as the event store's
    _transcoder.register(transcoding)
register_domain_transcodings(_transcoder)


def dumps(value: Any) -> str:
    return _transcoder.encode(value).decode()


def loads(text: str) -> Any:
    return _transcoder.decode(text.encode())
