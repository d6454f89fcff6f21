"""A pupil's history: every stored event about them, with both times, who, position and
hash — and the derived state as it was known at any past moment (``as_of``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError

from domain.case import restricted
from domain.envelope import Actor, Role
from domain.privacy import Sight, shield
from domain.read_log import ReadLog, read_log_id
from projections import disposal
from projections.absence import AbsenceReader
from projections.cases import CaseReader
from projections.concerns import ConcernReader
from projections.db import SQLiteViews, ViewDatabase
from projections.follower import LoggedEvent
from projections.pupil_log import Placed, PupilLogReader
from projections.pupil_views import PupilViews
from services.evidence.recorder import recorded_at
from services.reads import representations
from services.store.application import Skolefravaer

INTERNALS = ("envelope", "pupil_id", "originator_id", "originator_version", "timestamp")
READ_ATTEMPTS = 3  # a read log another request appended to at once: load it again


@dataclass(frozen=True)
class Reader:
    """Who is reading (PRIV-3): the signed-in caller, as their token names them, and what
    of the pupil's data they may see (PRIV-1, PRIV-2, SAFE)."""

    actor: Actor
    sight: Sight

    @property
    def handles_safeguarding(self) -> bool:
        return self.sight.safeguarding


@dataclass(frozen=True)
class PupilViewReaders:
    """The readers the derived state is built from."""

    absence: AbsenceReader
    concerns: ConcernReader
    cases: CaseReader

    def state(self, pupil_id: UUID, tenant: str | None, now: datetime,
              reader: Reader) -> dict[str, Any]:
        """The pupil's tallies, concerns, case stage and tasks in these views."""
        tally = self.absence.tally(pupil_id, None, tenant)
        case = self.cases.case(pupil_id, tenant, restricted=reader.handles_safeguarding)
        state: dict[str, Any] = shield({
            "absence": {"days": tally.totals.days.as_dict(),
                        "lessons": tally.totals.lessons.as_dict(),
                        "late_arrivals": tally.totals.late_arrivals,
                        "left_school": tally.totals.left_school},
            "concerns": [representations.concern(c)
                         for c in self.concerns.concerns(pupil_id, tenant)],
            "case": {"stage": case["stage"],
                     "tasks": [representations.task(t, now) for t in case["tasks"]]},
        }, reader.sight)
        return state

    @classmethod
    def over(cls, views: ViewDatabase) -> PupilViewReaders:
        return cls(AbsenceReader(views), ConcernReader(views), CaseReader(views))

OSLO = ZoneInfo("Europe/Oslo")


class History:
    """Reads a pupil's stored events and records who read them (PRIV-3)."""

    def __init__(self, app: Skolefravaer, views: ViewDatabase, current: PupilViewReaders,
                 clock: Callable[[], datetime]) -> None:
        self.app = app
        self.views = views
        self.current = current
        self.clock = clock
        self.log = PupilLogReader(views)

    def record_read(self, tenant: str, pupil_id: UUID, reader: Reader, what: str) -> None:
        """PRIV-3: the read is stored before anything is answered."""
        self.record_reads(tenant, [pupil_id], reader.actor, what)

    def record_reads(self, tenant: str, pupil_ids: Iterable[UUID], reader: Actor,
                     what: str) -> None:
        """PRIV-3: one read of each pupil's data, stored in one append (one transaction)
        before anything is answered; a log appended to at the same moment is loaded again."""
        for attempt in range(READ_ATTEMPTS):
            logs = [self.app.find(read_log_id(tenant, pupil_id)) or ReadLog(tenant, pupil_id)
                    for pupil_id in sorted(set(pupil_ids))]
            for log in logs:
                log.read(reader, what)
            try:
                self.app.save(*logs)
                return
            except IntegrityError:
                if attempt == READ_ATTEMPTS - 1:
                    raise

    def reads(self, tenant: str, pupil_id: UUID) -> list[dict[str, Any]]:
        return [{"at": e.timestamp.isoformat(),
                 "reader": {"id": e.reader.id, "role": Role(e.reader.role).value},
                 "what": e.what}
                for e in self.app.events.get(read_log_id(tenant, pupil_id))
                if isinstance(e, ReadLog.Read)]

    def disposed(self, pupil_id: UUID, tenant: str | None) -> dict[str, Any] | None:
        """PRIV-4: that the pupil's data was disposed of, when and under which retention
        class, said in Norwegian; None while the data is kept."""
        gone = disposal.disposed(self.views, pupil_id, tenant)
        if gone is None:
            return None
        at = datetime.fromisoformat(gone["disposed_at"]).astimezone(OSLO)
        return {**gone, "text": "Opplysningene om eleven er slettet ved utløpet av "
                                f"oppbevaringstiden ({gone['retention_class']}), "
                                f"{at:%d.%m.%Y kl. %H:%M}."}

    def tenant_of(self, pupil_id: UUID, tenant: str | None) -> str | None:
        """The pupil's municipality; None for a pupil nothing was ever recorded about."""
        return self.log.tenant_of(pupil_id, tenant)

    def events(self, pupil_id: UUID, tenant: str, as_of: datetime | None, reader: Reader,
               stored: StoredEvents) -> list[dict[str, Any]]:
        """Every event about the pupil known at ``as_of``, as the reader may see it;
        ``stored``: the pupil's `stored_events`, read once by the caller for all its uses."""
        entries = self.log.entries(pupil_id, tenant, as_of)
        hashes = {position: leaf for position, (_, leaf)
                  in recorded_at(self.views, [e.position for e in entries]).items()}
        listed = []
        for entry in entries:
            event = stored.event(entry.position)
            if restricted(event) and not reader.handles_safeguarding:
                continue
            listed.append(_listed(event, stored.data(entry.position), entry.position,
                                  hashes.get(entry.position), reader))
        return listed

    def state(self, pupil_id: UUID, tenant: str, as_of: datetime | None, reader: Reader,
              stored: StoredEvents) -> dict[str, Any]:
        """The derived state now, or as the service knew it at ``as_of``: the pupil views
        rebuilt, in memory, from the events recorded by then."""
        if as_of is None:
            return self.current.state(pupil_id, tenant, self.clock(), reader)
        entries = self.log.entries(pupil_id, tenant, as_of, with_tenant_wide=True)
        views = SQLiteViews(":memory:")
        projection = PupilViews()
        try:
            with views.transaction() as tx:
                projection.create_tables(tx)
                projection.fold(tx, [LoggedEvent(entry.position, stored.event(entry.position))
                                     for entry in entries])
            return PupilViewReaders.over(views).state(pupil_id, tenant, as_of, reader)
        finally:
            views.close()

    def stored_events(self, pupil_id: UUID, tenant: str) -> StoredEvents:
        return StoredEvents(self.app, self.log.pupil_positions(pupil_id, tenant))


def attested(state: dict[str, Any], listed: list[dict[str, Any]]) -> dict[str, Any]:
    """The state's concerns and tasks with the leaf hash of each event that recorded
    them, from the events ``listed`` beside it."""
    hashes = {entry["position"]: entry["hash"] for entry in listed}
    case = state["case"]
    return {**state, "concerns": representations.attested(state["concerns"], hashes),
            "case": {**case, "tasks": representations.attested(case["tasks"], hashes)}}


def _listed(event: Any, data: dict[str, Any], position: int, leaf_hash: str | None,
            reader: Reader) -> dict[str, Any]:
    envelope = event.envelope
    return {
        "event_id": str(envelope.event_id), "type": envelope.type,
        "type_version": envelope.type_version,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "actor": {"id": envelope.actor.id, "role": Role(envelope.actor.role).value,
                  # the system that posted it on the person's behalf (None: they did)
                  "via": envelope.actor.via},
        "source": envelope.source, "position": position, "hash": leaf_hash,
        "data": shield(data, reader.sight),
    }


def event_data(event: Any) -> dict[str, Any]:
    """What an event says (as JSON), without its envelope and stream internals."""
    return dict(representations.plain({k: v for k, v in vars(event).items()
                                       if k not in INTERNALS}))


class StoredEvents:
    """The stored events behind a pupil's log positions, read in one query per stream.

    A pupil's events are in two streams, the pupil's and the case's; the pupil log says
    where each position is (stream and version), in log order. Other positions
    (calendars) are read one by one; they are few.
    """

    def __init__(self, app: Skolefravaer, placed: list[Placed]) -> None:
        self.app = app
        newest: dict[UUID, int] = {}
        for where in placed:
            newest[where.stream] = max(newest.get(where.stream, 0), where.version)
        stored = {(stream, found.originator_version): found
                  for stream, version in sorted(newest.items())
                  for found in app.recorder.select_events(stream, lte=version)}
        self._by_position = {where.position: stored[(where.stream, where.version)]
                             for where in placed if (where.stream, where.version) in stored}
        # A dossier or a history uses each event more than once: decoded once, kept here.
        self._events: dict[int, Any] = {}
        self._data: dict[int, dict[str, Any]] = {}

    def stored(self, position: int) -> Any:
        """(originator_id, originator_version, topic, state) of the event at ``position``."""
        found = self._by_position.get(position)
        if found is None:
            [found] = self.app.recorder.select_notifications(start=position, limit=1)
        return found

    def event(self, position: int) -> Any:
        if position not in self._events:
            self._events[position] = self.app.mapper.to_domain_event(self.stored(position))
        return self._events[position]

    def data(self, position: int) -> dict[str, Any]:
        """`event_data` of the event at ``position``."""
        if position not in self._data:
            self._data[position] = event_data(self.event(position))
        return self._data[position]
