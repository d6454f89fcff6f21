"""Who may see what of a child's personal data (RULES.md PRIV-*)."""

from __future__ import annotations

from domain.envelope import Role

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
