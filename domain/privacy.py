"""Who may see what of a child's personal data (RULES.md PRIV-*)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.envelope import Role
from domain.records import AddressProtection, Enrolment

HEALTH_READERS = (Role.CONTACT_TEACHER, Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP,
                  Role.SOCIAL_TEACHER, Role.SCHOOL_HEALTH_SERVICE, Role.MUNICIPAL_DIRECTOR)
"""PRIV-1: the roles that follow up the pupil and need the causes of absence."""

SAFEGUARDING_ROLES = (Role.SCHOOL_HEALTH_SERVICE, Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP,
                      Role.CHILD_WELFARE_CONTACT)
"""SAFE: the roles that handle (and may read) safeguarding records."""

WHEREABOUTS_READERS = {
    AddressProtection.FORTROLIG: (Role.CONTACT_TEACHER, Role.SOCIAL_TEACHER, Role.PRINCIPAL,
                                  Role.SCHOOL_LEADERSHIP, Role.SCHOOL_HEALTH_SERVICE),
    AddressProtection.STRENGT_FORTROLIG: (Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP)}
"""PRIV-2: who must know where a pupil with a protected address is — the school that
teaches the pupil (fortrolig), its leadership alone (strengt fortrolig, who answer for the
pupil's schooling and write to the home); nobody outside the school."""

MEETING_NOTES = ("minutes", "guide_answers", "pupil_absent_reason", "pupil_input")
CONTACT_NOTES = ("result", "information_obtained")
HEALTH_DETAILS = {"notice": ("cause", "cause_text"),
                  "certificate": ("issued_by", "document_ref"),
                  "signal": ("text",),
                  "meeting": MEETING_NOTES, "meetings": MEETING_NOTES,
                  "contact": CONTACT_NOTES, "contacts": CONTACT_NOTES,
                  "enrolment": ("chronic_illness_or_disability",)}
"""PRIV-1: the health details of the records that carry them (record part → its fields):
causes, doctors, signals of school refusal, what was said in meetings and in contacts with
the home (free text that often carries the cause), chronic illness."""

SAFEGUARDING_DETAILS = {"report": ("grounds",)}
"""SAFE: the grounds of a concern report (to child welfare or the police)."""

WHEREABOUTS = frozenset({"school_id", "class_id", "contact_teacher_id", "guardians",
                         "contacted", "recipients", "destination", "to_municipality"})
"""PRIV-2: what tells where a pupil with a protected address is, or who their guardians
are, wherever in a record it appears."""

SHIELDED = "[skjermet]"


def sees_health_details(role: Role | None) -> bool:
    """PRIV-1: causes of absence and doctors' notes only for the roles that need them."""
    return role in HEALTH_READERS


def handles_safeguarding(role: Role | None) -> bool:
    return role in SAFEGUARDING_ROLES


@dataclass(frozen=True)
class Sight:
    """What of one pupil's data one reader may see (PRIV-1, PRIV-2, SAFE): every read
    shields what is left out with `shield`."""

    health: bool
    safeguarding: bool
    whereabouts: bool

    @classmethod
    def of(cls, role: Role | None, protection: AddressProtection | None) -> Sight:
        return cls(health=sees_health_details(role), safeguarding=handles_safeguarding(role),
                   whereabouts=protection is None or role in WHEREABOUTS_READERS[protection])

    @property
    def everything(self) -> bool:
        return self.health and self.safeguarding and self.whereabouts


def shield(data: Any, sight: Sight) -> Any:
    """``data`` (records as JSON) with what ``sight`` leaves out replaced by ``[skjermet]``,
    at any depth."""
    if sight.everything:
        return data
    if isinstance(data, list):
        return [shield(value, sight) for value in data]
    if not isinstance(data, dict):
        return data
    details = {**(HEALTH_DETAILS if not sight.health else {}),
               **(SAFEGUARDING_DETAILS if not sight.safeguarding else {})}
    shielded = {}
    for key, value in data.items():
        if key in WHEREABOUTS and not sight.whereabouts:
            shielded[key] = _blank(value)
            continue
        value = shield(value, sight)
        shielded[key] = _hidden(value, details[key]) if key in details else value
    return shielded


def _hidden(value: Any, names: tuple[str, ...]) -> Any:
    """A record part (or a list of them) with the fields ``names`` shielded."""
    if isinstance(value, list):
        return [_hidden(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    return {name: _blank(part) if name in names else part for name, part in value.items()}


def _blank(value: Any) -> Any:
    """Every value in ``value`` shielded, its shape kept (lists stay lists, objects keep
    their fields), so what shows it still can; absent values stay absent."""
    if isinstance(value, list):
        return [_blank(item) for item in value]
    if isinstance(value, dict):
        return {name: _blank(part) for name, part in value.items()}
    return None if value is None else SHIELDED


class Reach(StrEnum):
    """Whose data a member of staff may see or record (need to know, PRIV): the pupils
    they teach or are contact teacher for, the pupils of their school(s), or every pupil
    of their municipality."""

    OWN_PUPILS = "own_pupils"
    OWN_SCHOOL = "own_school"
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class Place:
    """Where a pupil belongs in one school year (from their enrolment), or a school."""

    school_id: str
    class_id: str | None = None
    contact_teacher_id: str | None = None


def places_of(enrolments: Iterable[Enrolment]) -> list[Place]:
    """A pupil's places, one per school year enrolled."""
    return [Place(e.school_id, e.class_id, e.contact_teacher_id) for e in enrolments]


@dataclass(frozen=True)
class Staff:
    """What a member of staff's sign-in says about where they work."""

    id: str
    schools: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()


def reaches(reach: Reach, staff: Staff, places: Iterable[Place]) -> bool:
    """Whether ``staff`` with ``reach`` may see or record what belongs to ``places`` (a
    pupil's enrolments, any school year; or a school). Within the municipality only —
    the caller's municipality is checked before, by every lookup."""
    if reach is Reach.MUNICIPALITY:
        return True
    at_school = [place for place in places if place.school_id in staff.schools]
    if reach is Reach.OWN_SCHOOL:
        return bool(at_school)
    return any(place.contact_teacher_id == staff.id or place.class_id in staff.classes
               for place in at_school)
