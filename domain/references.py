"""Which aggregate a sender's own key belongs to.

Some events name only their own key (a ``LeaveDecided`` names the ``application_id``,
not the pupil). A reference, stored with the event that introduced the key, says whose
it is.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import scoped_id


def reference_id(tenant: str, kind: str, key: str) -> UUID:
    return scoped_id(tenant, f"reference/{kind}", key)


class Reference(Aggregate):
    @staticmethod
    def create_id(tenant: str, kind: str, key: str, subject_id: UUID) -> UUID:
        return reference_id(tenant, kind, key)

    @event("Made")
    def __init__(self, tenant: str, kind: str, key: str, subject_id: UUID) -> None:
        self.subject_id = subject_id
