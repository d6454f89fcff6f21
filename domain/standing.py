"""A pupil's standing facts — absences, occurrences and what documents them — kept the way
the rules ask for them (issue 15): one compact record per fact, indexed by month.

A concern rule looks at a window of days (a day, a month, a half-year, a school year, a
rolling span), and whether a lesson is documented depends only on what covers its day: so
deciding an event reads the months of the rule's window and the documentation of one
month, never the pupil's whole history. ABS-9 corrections find a record by its event id.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Collection, Iterator
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID

from domain.concerns import Fact, FactKind

NOTICE = "notice"
CERTIFICATE = "certificate"
LEAVE = "leave"
LONG = -1
"""The bucket of documentation spanning more than ``LONG_MONTHS``: read with every month,
so that a notice running for years is one entry, not one per month."""
LONG_MONTHS = 13


class Record(NamedTuple):
    """One standing fact. Ordered as the concern rules read facts: by day, then in the
    order recorded (``seq``: a correction keeps the place of the fact it corrects)."""

    day: int  # ordinal of the day; a documentation's first day
    seq: int
    event_id: str
    kind: str  # a FactKind, or NOTICE, CERTIFICATE, LEAVE
    last: int  # ordinal of the last day a documentation covers; ``day`` for the rest
    periods: tuple[int, ...] | None  # a lesson's period; a notice's lessons; None: all day


Entry = tuple[str, date, date, tuple[int, ...] | None]
"""What a fact stands for: (kind, first day, last day, lesson periods)."""


def _month(ordinal: int) -> int:
    day = date.fromordinal(ordinal)
    return day.year * 12 + day.month - 1


class StandingFacts:
    """The index. Records are immutable and shared: a copy copies the index, not them."""

    __slots__ = ("documents", "facts", "recorded", "records")

    def __init__(self) -> None:
        self.records: dict[str, Record | None] = {}  # event id -> record; None once void
        self.facts: dict[int, list[Record]] = {}  # month -> absences, occurrences, ordered
        self.documents: dict[int, list[Record]] = {}  # month (or LONG) -> documentation
        self.recorded = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> StandingFacts:
        copy = StandingFacts()
        copy.records = dict(self.records)
        copy.facts = {month: list(found) for month, found in self.facts.items()}
        copy.documents = {month: list(found) for month, found in self.documents.items()}
        copy.recorded = self.recorded
        return copy

    # Changes ----------------------------------------------------------------------------

    def remember(self, event_id: str, entry: Entry | None) -> None:
        """A new fact (None: one recorded void, as an old snapshot can hold)."""
        self.recorded += 1
        self.records[event_id] = None
        self._place(event_id, self.recorded, entry)

    def correct(self, event_id: str, replacement: Entry | None) -> None:
        """ABS-9: the corrected fact leaves the index; its replacement takes its place."""
        record = self.records[event_id]
        assert record is not None  # the pupil refuses to correct a void fact
        self._unplace(record)
        self.records[event_id] = None
        self._place(event_id, record.seq, replacement)

    def grant(self, application_id: str, first: date, last: date) -> None:
        """LEAVE-9: granted leave documents the absence it covers."""
        self._file(Record(first.toordinal(), 0, application_id, LEAVE, last.toordinal(), None))

    def _place(self, event_id: str, seq: int, entry: Entry | None) -> None:
        if entry is None:
            return
        kind, first, last, periods = entry
        day = first.toordinal()  # one int for a one-day fact: ~30 bytes a fact
        record = Record(day, seq, event_id, kind, day if last == first else last.toordinal(),
                        periods)
        self.records[event_id] = record
        if kind in (NOTICE, CERTIFICATE):
            self._file(record)
        else:
            insort(self.facts.setdefault(_month(record.day), []), record)

    def _file(self, record: Record) -> None:
        for month in _buckets(record):
            self.documents.setdefault(month, []).append(record)

    def _unplace(self, record: Record) -> None:
        index = self.documents if record.kind in (NOTICE, CERTIFICATE) else self.facts
        months = _buckets(record) if index is self.documents else [_month(record.day)]
        for month in months:
            kept = [r for r in index[month] if r is not record]
            if kept:
                index[month] = kept
            else:
                del index[month]

    # What the rules ask -------------------------------------------------------------------

    def between(self, first: date, last: date, kinds: Collection[FactKind]) -> list[Fact]:
        """The absences and occurrences of ``kinds`` from ``first`` to ``last`` (CON-*), by
        day and then in the order recorded; a lesson knows whether anything documents it."""
        low, high = first.toordinal(), last.toordinal()
        found = []
        for month in range(_month(low), _month(high) + 1):
            for record in self.facts.get(month, ()):
                if low <= record.day <= high and record.kind in kinds:
                    found.append(Fact(UUID(record.event_id), date.fromordinal(record.day),
                                      FactKind(record.kind), documented=record.kind ==
                                      FactKind.LESSON and self._covered(record)))
        return found

    def is_documented(self, event_id: UUID) -> bool:
        """ABS-3, LEAVE-9: whether a notice, certificate or granted leave covers the
        absence recorded as ``event_id`` now."""
        record = self.records.get(str(event_id))
        return record is not None and record.kind in (FactKind.DAY, FactKind.LESSON) and \
            self._covered(record)

    def days_of(self, kind: str) -> Iterator[date]:
        """Every day a standing documentation of ``kind`` covers (DIP-4)."""
        for record in self.records.values():
            if record is not None and record.kind == kind:
                for ordinal in range(record.day, record.last + 1):
                    yield date.fromordinal(ordinal)

    def _covered(self, absence: Record) -> bool:
        return any(_covers(document, absence) for month in (_month(absence.day), LONG)
                   for document in self.documents.get(month, ()))

    # Snapshots --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The records as JSON keeps them (granted leave is the pupil's: not here)."""
        return {"recorded": self.recorded,
                "records": {key: None if r is None else [r.day, r.seq, r.kind, r.last,
                                                         None if r.periods is None
                                                         else list(r.periods)]
                            for key, r in self.records.items()}}

    @classmethod
    def restored(cls, state: dict[str, Any]) -> StandingFacts:
        standing = cls()
        for key, found in state["records"].items():
            standing.records[key] = None
            if found is not None:
                day, seq, kind, last, periods = found
                standing._place(key, seq, (kind, date.fromordinal(day), date.fromordinal(last),
                                           None if periods is None else tuple(periods)))
        standing.recorded = state["recorded"]
        return standing


def _covers(document: Record, absence: Record) -> bool:
    """ABS-3: a documentation covers the days it spans, each lesson on them or the lessons
    it names (then never a whole day)."""
    if not document.day <= absence.day <= document.last:
        return False
    if document.periods is None:
        return True
    return absence.kind == FactKind.LESSON and absence.periods is not None and \
        absence.periods[0] in document.periods


def _buckets(document: Record) -> list[int]:
    first, last = _month(document.day), _month(document.last)
    return [LONG] if last - first >= LONG_MONTHS else list(range(first, last + 1))
