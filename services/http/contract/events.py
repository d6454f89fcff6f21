"""The events of EVENTS.md in the OpenAPI document: one schema per type — the envelope with
``type`` fixed and ``data`` the type's own schema (`DATA_SCHEMAS`, the very schemas that
load it) — and ``Event``, their union, told apart by ``type``."""

from __future__ import annotations

import copy
from typing import Any

from apispec import APISpec

from services.intake.contract import DATA_SCHEMAS, EnvelopeSchema

ENVELOPE, EVENT, BATCH = "Envelope", "Event", "Batch"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def register(spec: APISpec) -> None:
    """``Envelope``, ``<Type>Data`` and ``<Type>Event`` for every accepted type, and
    ``Event``: their union (oneOf, with a discriminator on ``type``)."""
    spec.components.schema(ENVELOPE, schema=EnvelopeSchema)
    envelope = spec.components.schemas[ENVELOPE]
    mapping = {}
    for event_type, data in sorted(DATA_SCHEMAS.items()):
        spec.components.schema(f"{event_type}Data", schema=data)
        spec.components.schema(f"{event_type}Event", _typed(envelope, event_type))
        mapping[event_type] = ref(f"{event_type}Event")["$ref"]
    spec.components.schema(EVENT, {
        "description": "An event as posted (EVENTS.md): the envelope, and ``data`` as its "
                       "``type`` says.",
        "oneOf": [{"$ref": target} for target in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping}})


def _typed(envelope: dict[str, Any], event_type: str) -> dict[str, Any]:
    typed = copy.deepcopy(envelope)
    typed["properties"].update({
        "type": {"type": "string", "enum": [event_type]},
        "type_version": {"type": "integer", "enum": [1], "default": 1,
                         "description": "every type is at version 1 today"},
        "data": ref(f"{event_type}Data")})
    return typed


def document_batch(spec: APISpec) -> None:
    """The batch's items as the union. Any object is taken into a batch: one that is not an
    event the service accepts is answered ``rejected`` with its field errors in the 200
    answer, beside the others — so the items say "an Event, or any other object"."""
    events = spec.components.schemas[BATCH]["properties"]["events"]
    events["items"] = {"anyOf": [ref(EVENT), {
        "type": "object", "description": "anything else: answered rejected, with why"}]}
    events["description"] = ("1–1,000 events; each is accepted, duplicate or rejected on "
                             "its own")
    spec.components.schemas[BATCH]["example"] = BATCH_EXAMPLE


BATCH_EXAMPLE = {"events": [
    {"event_id": "0b9d8a8e-0c47-4d1e-9a51-1f0a6f3c2a01", "type": "PupilEnrolled",
     "tenant": "3101", "occurred_at": "2026-08-17T08:00:00+02:00",
     "actor": {"id": "vigilo-sync", "role": "integration_platform"}, "source": "vigilo",
     "data": {"pupil_id": "5f2b7c1e-8d4a-4b0e-9f6a-2c3d4e5f6a7b",
              "school_id": "halden-ungdomsskole", "school_year": "2026-2027", "grade": 9,
              "class_id": "9B", "contact_teacher_id": "teacher-17",
              "guardians": [{"guardian_id": "guardian-1", "relation": "mother"}]}},
    {"event_id": "0b9d8a8e-0c47-4d1e-9a51-1f0a6f3c2a02", "type": "AbsenceRecorded",
     "tenant": "3101", "occurred_at": "2026-09-01T08:30:00+02:00",
     "actor": {"id": "teacher-17", "role": "contact_teacher"},
     "data": {"pupil_id": "5f2b7c1e-8d4a-4b0e-9f6a-2c3d4e5f6a7b", "date": "2026-09-01",
              "scope": "day"}}]}
"""The first two events of the README's batch (docs/examples/batch.json)."""
