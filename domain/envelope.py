"""The envelope every recorded fact carries (EVENTS.md, "Envelope")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    """Who does what (ROLE in RULES.md)."""

    GUARDIAN = "guardian"  # foresatt
    PUPIL = "pupil"  # elev
    SUBJECT_TEACHER = "subject_teacher"  # faglærer
    CONTACT_TEACHER = "contact_teacher"  # kontaktlærer
    PRINCIPAL = "principal"  # rektor
    SCHOOL_LEADERSHIP = "school_leadership"  # ledelse
    SOCIAL_TEACHER = "social_teacher"  # sosiallærer
    PPT_ADVISOR = "ppt_advisor"
    SCHOOL_HEALTH_SERVICE = "school_health_service"  # helsesykepleier
    CONSULTATION_TEAM = "consultation_team"  # konsultasjonsteam
    CHILD_WELFARE_CONTACT = "child_welfare_contact"  # barnevernskontakt
    MUNICIPAL_DIRECTOR = "municipal_director"  # kommunedirektør
    AUDITOR = "auditor"
    INTEGRATION_PLATFORM = "integration_platform"  # a system, not a person
    SERVICE = "skolefravaer"  # this service itself: its clock records deadlines passed


@dataclass(frozen=True)
class Actor:
    """Who did or recorded something, as the caller's token says (never as the posted
    envelope claims); ``via``: the system that posted it on this person's behalf."""

    id: str
    role: Role
    via: str | None = None  # default None: events stored before it keep loading


@dataclass(frozen=True)
class Envelope:
    """Who recorded what, and the two time axes.

    ``occurred_at`` is business time (when it happened in the world); ``recorded_at``
    is the service's own clock when it stored the fact, so a history can be read as
    it was known at any past moment.
    """

    event_id: UUID
    type: str
    type_version: int
    tenant: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    source: str | None
