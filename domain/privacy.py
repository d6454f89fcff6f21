"""Who may see what of a child's personal data (RULES.md PRIV-*)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.envelope import Role
from domain.records import Enrolment

HEALTH_READERS = (Role.CONTACT_TEACHER, Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP,
                  Role.SOCIAL_TEACHER, Role.SCHOOL_HEALTH_SERVICE, Role.MUNICIPAL_DIRECTOR)
"""PRIV-1: the roles that follow up the pupil and need the causes of absence."""

HEALTH_DETAILS = {"notice": ("cause", "cause_text"),
                  "certificate": ("issued_by", "document_ref"),
                  "signal": ("text",)}
"""PRIV-1: the health details of the records that carry them (record → its fields)."""


def sees_health_details(role: Role) -> bool:
    """PRIV-1: causes of absence and doctors' notes only for the roles that need them."""
    return role in HEALTH_READERS


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
