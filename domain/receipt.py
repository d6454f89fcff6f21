"""Receipts that make ingestion idempotent by the sender's ``event_id``."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.ids import NAMESPACE


class IngestionReceipt(Aggregate):
    """Proof that an inbound event was stored, and with which content.

    Saved in the same transaction as the fact it acknowledges, with an id derived from
    the sender's ``event_id``: storing the same event twice then fails as a whole.
    """

    class Issued(Aggregate.Created):
        """``subject_version``: the version of the first event the posted event became on
        its subject, so a re-post can be answered with its position (None on receipts
        issued before it was recorded)."""

        class_version = 2
        event_id: UUID
        content_hash: str
        subject_id: UUID
        subject_version: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["subject_version"] = None

    @staticmethod
    def create_id(event_id: UUID, content_hash: str, subject_id: UUID,
                  subject_version: int | None) -> UUID:
        return receipt_id(event_id)

    @event(Issued)
    def __init__(self, event_id: UUID, content_hash: str, subject_id: UUID,
                 subject_version: int | None) -> None:
        self.event_id = event_id
        self.content_hash = content_hash
        self.subject_id = subject_id
        self.subject_version = subject_version


def receipt_id(event_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"receipt/{event_id}")
