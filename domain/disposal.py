"""The record that a pupil's data was disposed of (PRIV-4; the periods: ``domain.retention``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import scoped_id


class DataDisposed(Exception):
    """The pupil's data was disposed of: the key that could read it is destroyed."""

    def __init__(self, key_id: UUID, disposed_at: str | None) -> None:
        super().__init__(f"the data under pupil key {key_id} was disposed of at {disposed_at}")
        self.key_id = key_id
        self.disposed_at = disposed_at


def disposal_id(tenant: str, pupil_id: UUID) -> UUID:
    return scoped_id(tenant, "disposal", pupil_id)


class Disposal(Aggregate):
    """That a pupil's data was disposed of: when, why and by whom, and nothing about the
    pupil but the pseudonym the sender gave (PRIV-4)."""

    class PupilDataDisposed(Aggregate.Created):
        tenant: str
        pupil_id: UUID
        disposed_at: datetime
        retention_class: str
        due_at: datetime | None
        by: str

    @staticmethod
    def create_id(tenant: str, pupil_id: UUID, disposed_at: datetime, retention_class: str,
                  due_at: datetime | None, by: str) -> UUID:
        return disposal_id(tenant, pupil_id)

    @event(PupilDataDisposed)
    def __init__(self, tenant: str, pupil_id: UUID, disposed_at: datetime,
                 retention_class: str, due_at: datetime | None, by: str) -> None:
        self.tenant = tenant
        self.pupil_id = pupil_id
        self.disposed_at = disposed_at
        self.retention_class = retention_class
        self.due_at = due_at
        self.by = by
