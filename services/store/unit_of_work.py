"""The aggregates one batch touches, and the events it will store, in batch order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.calendar import Calendar, calendar_aggregate_id
from domain.case import Context, FollowUpCase, case_aggregate_id
from domain.disposal import DataDisposed
from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.municipality import Municipality, municipality_aggregate_id
from domain.pupil import Pupil, pupil_aggregate_id
from domain.receipt import IngestionReceipt, receipt_id
from domain.references import Reference, reference_id
from domain.rule_sets import RuleBook, RuleSet
from domain.school_days import SchoolDays
from domain.school_year import school_year_of
from services.store.application import Skolefravaer
from services.store.lookups import first_events

KEY_FIELDS = {"leave_application": "application_id"}
# Asked for several times per event, and a name is a hash (uuid5): the few there are, kept.
_calendar_id = lru_cache(maxsize=4096)(calendar_aggregate_id)
_municipality_id = lru_cache(maxsize=1024)(municipality_aggregate_id)
NO_RULE_BOOK = RuleBook()
"""A municipality's that adopted no rule set of its own."""


@dataclass(frozen=True)
class Receipt:
    """What the receipt of an accepted event says: its content and where it went."""

    content_hash: str
    subject_id: UUID
    subject_version: int | None

    @property
    def subject_event(self) -> tuple[UUID, int] | None:
        """(aggregate, version) of the first event it became, when known."""
        return None if self.subject_version is None else (self.subject_id,
                                                           self.subject_version)


class UnitOfWork:
    """The aggregates are the batch's own (borrowed from the process's cache, see
    ``services.store.aggregate_cache``) until ``keep`` (the batch was stored) or ``drop``
    (it was not: nothing it changed in memory is kept)."""

    def __init__(self, app: Skolefravaer, event_ids: Iterable[UUID] = (),
                 aggregate_ids: Iterable[UUID] = ()) -> None:
        """``event_ids``: the batch's own, whose receipts are read up front, together;
        ``aggregate_ids``: the aggregates it names, read up front, together."""
        self._app = app
        self._aggregates: dict[UUID, Aggregate | None] = {}
        self.pending: list[Any] = []
        self._receipts: dict[UUID, Receipt | None] = dict.fromkeys(event_ids)
        self._receipts.update(self._stored_receipts(event_ids))
        self._loan = app.aggregates.lend(aggregate_ids)
        self._rule_sets: dict[tuple[str, date], tuple[RuleBook, RuleSet]] = {}

    def keep(self) -> None:
        """The batch was stored: its aggregates (not its receipts, never asked again)
        are current, and go back to the cache."""
        self._loan.keep(a for a in self.aggregates if not isinstance(a, IngestionReceipt))

    def drop(self) -> None:
        self._loan.drop()

    def undo_half_done(self) -> None:
        """After a refused command: an aggregate it changed before another refused is
        read again, with what the batch accepted of it before (a domain method checks
        before it changes anything, but a handler may change the pupil and then have
        the case refuse)."""
        for aggregate in self.aggregates:
            if aggregate.pending_events:
                self._aggregates[aggregate.id] = self._loan.reload(
                    aggregate.id, [e for e in self.pending if e.originator_id == aggregate.id])

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self._loan.get(aggregate_id)
            except DataDisposed:
                # Its key is destroyed: nothing more can be added to what no one may read.
                raise RuleViolation("pupil_data_disposed", "this pupil's data was disposed "
                                    "of; nothing more can be recorded about them",
                                    field="data.pupil_id", rule="PRIV-4") from None
        return self._aggregates[aggregate_id]

    def stage(self, *aggregates: Aggregate) -> int:
        """Queue the aggregates' new events, in this order; answer the index of the first."""
        first = len(self.pending)
        for aggregate in aggregates:
            self._aggregates[aggregate.id] = aggregate
            self.pending.extend(aggregate.collect_events())
        return first

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a is not None]

    # What the handlers look up ----------------------------------------------------------

    def pupil(self, tenant: str, pupil_id: UUID) -> Pupil:
        pupil = self.get(pupil_aggregate_id(tenant, pupil_id))
        if pupil is None:
            raise RuleViolation("not_enrolled", "no pupil with this pupil_id is enrolled in "
                                "this municipality", field="data.pupil_id")
        assert isinstance(pupil, Pupil)
        return pupil

    def case(self, tenant: str, pupil: Pupil, cause: Envelope) -> FollowUpCase:
        """The pupil's follow-up case; a new one, started by ``cause``, when it has none.
        A new case is kept only when it is staged: a refused event leaves nothing."""
        found = self.get(case_aggregate_id(tenant, pupil.pupil_id))
        if found is None:
            return FollowUpCase.started(cause, pupil.pupil_id)
        assert isinstance(found, FollowUpCase)
        return found

    def context(self, tenant: str, pupil: Pupil) -> Context:
        """What the pupil's case decides with: the rule set and school days of each day."""
        return Context(pupil, lambda day: self.rules(tenant, day),
                       lambda day: self.school_days(tenant, pupil, day))

    def calendar(self, tenant: str, pupil: Pupil, day: date) -> Calendar | None:
        enrolment = pupil.enrolments.get(school_year_of(day))
        if enrolment is None:
            return None
        published = self.get(_calendar_id(tenant, enrolment.school_id,
                                                   enrolment.school_year))
        return None if published is None else published.calendar

    def school_days(self, tenant: str, pupil: Pupil, day: date) -> SchoolDays:
        return SchoolDays(self.calendar(tenant, pupil, day))

    def municipality(self, tenant: str) -> Municipality:
        found = self.get(_municipality_id(tenant))
        return found if found is not None else Municipality(tenant)

    def rules(self, tenant: str, day: date) -> RuleSet:
        """The rule set in force on ``day``, worked out once per day of the batch (while
        the municipality's rule book stays the one it was)."""
        found = self.get(_municipality_id(tenant))
        book = found.rule_book if found is not None else NO_RULE_BOOK
        known = self._rule_sets.get((tenant, day))
        if known is None or known[0] is not book:
            known = self._rule_sets[(tenant, day)] = (book, book.on(day))
        return known[1]

    def referenced(self, tenant: str, kind: str, key: str, *, field: str,
                   rule: str | None = None) -> Any:
        reference = self.get(reference_id(tenant, kind, key))
        if reference is None:
            raise RuleViolation(f"unknown_{kind}", f"no {kind.replace('_', ' ')} with this id",
                                field=field, rule=rule)
        return self.get(reference.subject_id)

    def check_key(self, tenant: str, kind: str, key: str, subject_id: UUID) -> None:
        """Refuse a key already used for another pupil: the sender's ids are unique within
        the municipality. Called before the domain changes anything."""
        existing = self.get(reference_id(tenant, kind, key))
        if existing is not None and existing.subject_id != subject_id:
            raise RuleViolation(f"{kind}_id_in_use", f"this {kind.replace('_', ' ')} id "
                                "is already used for another pupil",
                                field=f"data.{KEY_FIELDS.get(kind, kind + '_id')}")

    def refer(self, tenant: str, kind: str, key: str, subject_id: UUID) -> None:
        """Record whose ``key`` is (once ``check_key`` passed and the domain accepted)."""
        if self.get(reference_id(tenant, kind, key)) is None:
            self.stage(Reference(tenant, kind, key, subject_id))

    # Receipts ---------------------------------------------------------------------------

    def _stored_receipts(self, event_ids: Iterable[UUID]) -> dict[UUID, Receipt]:
        """The receipts already stored for ``event_ids``, read in one query."""
        stored = first_events(self._app, [receipt_id(e) for e in event_ids])
        issued = [self._app.mapper.to_domain_event(s) for s in stored]
        return {e.event_id: Receipt(e.content_hash, e.subject_id, e.subject_version)
                for e in issued if isinstance(e, IngestionReceipt.Issued)}

    def receipt(self, event_id: UUID) -> Receipt | None:
        """What was stored (or is being stored in this batch) for ``event_id``."""
        if event_id not in self._receipts:
            found = self._app.find(receipt_id(event_id))
            self._receipts[event_id] = None if found is None else Receipt(
                found.content_hash, found.subject_id, found.subject_version)
        return self._receipts[event_id]

    def issue_receipt(self, event_id: UUID, content_hash: str, subject_id: UUID,
                      first: int) -> None:
        """Receipt for the posted event whose first new event is ``pending[first]``."""
        version = self.pending[first].originator_version
        self._receipts[event_id] = Receipt(content_hash, subject_id, version)
        self.stage(IngestionReceipt(event_id, content_hash, subject_id, version))
