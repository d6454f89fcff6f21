"""A pupil's history: every stored event about them, with both times, who, position and
hash — and the derived state as it was known at any past moment (``as_of``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.case import SAFEGUARDING_ROLES
from domain.envelope import Actor, Role
from domain.pupil import pupil_aggregate_id
from domain.read_log import ReadLog, read_log_id
from projections.absence import AbsenceReader
from projections.cases import RESTRICTED, CaseReader
from projections.concerns import ConcernReader
from projections.db import SQLiteViews
from projections.follower import LoggedEvent
from projections.pupil_log import PupilLogReader
from projections.pupil_views import PupilViews
from services import representations
from services.bootstrap import Service

INTERNALS = ("envelope", "pupil_id", "originator_id", "originator_version", "timestamp")


HEALTH_READERS = (Role.CONTACT_TEACHER, Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP,
                  Role.SOCIAL_TEACHER, Role.SCHOOL_HEALTH_SERVICE, Role.MUNICIPAL_DIRECTOR)
"""PRIV-1: the roles that follow up the pupil and need the causes of absence."""

HEALTH_DETAILS = {"notice": ("cause", "cause_text"),
                  "certificate": ("issued_by", "document_ref"),
                  "signal": ("text",)}
SHIELDED = "[skjermet]"


@dataclass(frozen=True)
class Reader:
    """Who is reading (PRIV-3); until sign-in (Feide) it is what the caller says."""

    actor: Actor

    @property
    def handles_safeguarding(self) -> bool:
        return self.actor.role in SAFEGUARDING_ROLES

    @property
    def sees_health_details(self) -> bool:
        return self.actor.role in HEALTH_READERS


def shield(data: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """PRIV-1: causes of absence and doctors' notes only for the roles that need them."""
    if reader.sees_health_details:
        return data
    shielded = dict(data)
    for part, names in HEALTH_DETAILS.items():
        if isinstance(shielded.get(part), dict):
            shielded[part] = {key: (SHIELDED if key in names and value is not None else value)
                              for key, value in shielded[part].items()}
    return shielded


def record_read(svc: Service, tenant: str, pupil_id: UUID, reader: Reader, what: str) -> None:
    """PRIV-3: the read is stored before anything is answered."""
    log = svc.app.find(read_log_id(tenant, pupil_id)) or ReadLog(tenant, pupil_id)
    log.read(reader.actor, what)
    svc.app.save(log)


def reads(svc: Service, tenant: str, pupil_id: UUID) -> list[dict[str, Any]]:
    return [{"at": e.timestamp.isoformat(), "reader": {"id": e.reader.id,
                                                      "role": Role(e.reader.role).value},
             "what": e.what}
            for e in svc.app.events.get(read_log_id(tenant, pupil_id))
            if isinstance(e, ReadLog.Read)]


def events(svc: Service, pupil_id: UUID, tenant: str | None, as_of: datetime | None,
           reader: Reader) -> tuple[str | None, list[dict[str, Any]]]:
    """(the pupil's tenant, every event about the pupil known at ``as_of``); (None, [])
    for a pupil the service has never recorded anything about."""
    log = PupilLogReader(svc.views)
    found = log.tenant_of(pupil_id, tenant)
    if found is None:
        return None, []
    entries = log.entries(pupil_id, found, as_of)
    hashes = _leaf_hashes(svc, [e.position for e in entries])
    stored = StoredEvents(svc, pupil_id, found)
    listed = []
    for entry in entries:
        event = stored.event(entry.position)
        if isinstance(event, RESTRICTED) and not reader.handles_safeguarding:
            continue
        envelope = event.envelope
        listed.append({
            "event_id": str(envelope.event_id), "type": envelope.type,
            "type_version": envelope.type_version,
            "occurred_at": envelope.occurred_at.isoformat(),
            "recorded_at": envelope.recorded_at.isoformat(),
            "actor": {"id": envelope.actor.id, "role": Role(envelope.actor.role).value},
            "source": envelope.source, "position": entry.position,
            "hash": hashes.get(entry.position),
            "data": shield(representations.plain({k: v for k, v in vars(event).items()
                                                  if k not in INTERNALS}), reader),
        })
    return found, listed


def state_as_of(svc: Service, pupil_id: UUID, tenant: str, as_of: datetime,
                reader: Reader) -> dict[str, Any]:
    """The pupil's tallies, concerns, case stage and tasks as the service knew them at
    ``as_of``: the pupil views rebuilt, in memory, from the events recorded by then."""
    entries = PupilLogReader(svc.views).entries(pupil_id, tenant, as_of, with_tenant_wide=True)
    stored = StoredEvents(svc, pupil_id, tenant)
    views = SQLiteViews(":memory:")
    projection = PupilViews()
    try:
        with views.transaction() as tx:
            projection.create_tables(tx)
            for entry in entries:
                projection.apply(tx, LoggedEvent(entry.position, stored.event(entry.position)))
        return derived_state(AbsenceReader(views), ConcernReader(views), CaseReader(views),
                             pupil_id, tenant, as_of, reader)
    finally:
        views.close()


def derived_state(absence: AbsenceReader, concerns: ConcernReader, cases: CaseReader,
                  pupil_id: UUID, tenant: str | None, now: datetime,
                  reader: Reader) -> dict[str, Any]:
    tally = absence.tally(pupil_id, None, tenant)
    case = cases.case(pupil_id, tenant, restricted=reader.handles_safeguarding)
    return {
        "absence": {"days": tally.totals.days.as_dict(),
                    "lessons": tally.totals.lessons.as_dict(),
                    "late_arrivals": tally.totals.late_arrivals,
                    "left_school": tally.totals.left_school},
        "concerns": [representations.concern(c) for c in concerns.concerns(pupil_id, tenant)],
        "case": {"stage": case["stage"],
                 "tasks": [representations.task(t, now) for t in case["tasks"]]},
    }


class StoredEvents:
    """The stored events behind a pupil's log positions, read in one query.

    Every event of the pupil's aggregate carries an envelope and so has a row in the
    pupil log, in log order: the n-th position is the aggregate's version n. Other
    positions (calendars, rule sets) are read one by one; they are few.
    """

    def __init__(self, svc: Service, pupil_id: UUID, tenant: str) -> None:
        self.svc = svc
        positions = PupilLogReader(svc.views).pupil_positions(pupil_id, tenant)
        stored = svc.app.recorder.select_events(pupil_aggregate_id(tenant, pupil_id),
                                                lte=len(positions))
        self._by_position = dict(zip(positions, stored, strict=False))

    def stored(self, position: int) -> Any:
        """(originator_id, originator_version, topic, state) of the event at ``position``."""
        found = self._by_position.get(position)
        if found is None:
            [found] = self.svc.app.recorder.select_notifications(start=position, limit=1)
        return found

    def event(self, position: int) -> Any:
        return self.svc.app.mapper.to_domain_event(self.stored(position))


def _leaf_hashes(svc: Service, positions: list[int]) -> dict[int, str]:
    if not positions:
        return {}
    with svc.views.transaction() as tx:
        rows = tx.execute("SELECT position, leaf_hash FROM audit_leaf WHERE position >= :first "
                          "AND position <= :last", {"first": positions[0], "last": positions[-1]})
    wanted = set(positions)
    return {int(p): h for p, h in rows if int(p) in wanted}
