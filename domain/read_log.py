"""Who read a pupil's case data, when, and what (PRIV-3): reads are facts in the log too."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Actor
from domain.ids import scoped_id


def read_log_id(tenant: str, pupil_id: UUID) -> UUID:
    return scoped_id(tenant, "reads", pupil_id)


class ReadLog(Aggregate):
    """The reads of one pupil's history and dossier (kept apart from the pupil, so reading
    never competes with recording)."""

    class Read(Aggregate.Event):
        reader: Actor
        what: str

    @staticmethod
    def create_id(tenant: str, pupil_id: UUID) -> UUID:
        return read_log_id(tenant, pupil_id)

    @event("Opened")
    def __init__(self, tenant: str, pupil_id: UUID) -> None:
        self.tenant = tenant
        self.pupil_id = pupil_id

    @event(Read)
    def read(self, reader: Actor, what: str) -> None:
        """Recorded before the answer is given: an answer without its record is never sent."""
