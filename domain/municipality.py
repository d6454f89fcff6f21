"""The municipality (kommune) as a tenant: the rule sets it has adopted (LAW-2)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Envelope
from domain.ids import scoped_id
from domain.rule_sets import RuleBook, RuleSetChange


def municipality_aggregate_id(tenant: str) -> UUID:
    return scoped_id(tenant, "municipality")


class Municipality(Aggregate):
    class RuleSetAdopted(Aggregate.Event):
        envelope: Envelope
        change: RuleSetChange

    @staticmethod
    def create_id(tenant: str) -> UUID:
        return municipality_aggregate_id(tenant)

    @event("Registered")
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.changes: list[RuleSetChange] = []

    def adopt(self, envelope: Envelope, change: RuleSetChange) -> None:
        self._adopted(envelope, change)

    @event(RuleSetAdopted)
    def _adopted(self, envelope: Envelope, change: RuleSetChange) -> None:
        self.changes.append(change)

    @property
    def rule_book(self) -> RuleBook:
        return RuleBook(tuple(self.changes))
