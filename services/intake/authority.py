"""Who posts a batch, from their token — and so what its events may say: the municipality
(never another), the actor (never self-declared, never the service itself), and the pupils
and schools the author reaches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.envelope import Actor, Role
from domain.errors import RuleViolation
from domain.privacy import Place, Reach, Staff, places_of, reaches
from domain.pupil import Pupil, pupil_aggregate_id
from domain.references import reference_id
from services.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Author:
    tenant: str
    actor: Actor  # the person, or the system (its client id, integration_platform)
    on_behalf: bool  # a system: the posted actor is the person it records for
    reach: Reach
    staff: Staff
    event_types: frozenset[str] | None = None  # None: every type

    def actor_of(self, posted: Mapping[str, Any]) -> Actor:
        """The actor to store: the author; for a system, the person it names (kept with
        the system, ``via``), or the system itself."""
        role = posted["role"]
        if not self.on_behalf:
            if (posted["id"], role) != (self.actor.id, self.actor.role):
                raise RuleViolation("actor_not_caller", "the actor must be the signed-in "
                                    f"caller ({self.actor.id}, {self.actor.role.value})",
                                    field="actor")
            return self.actor
        if role is Role.INTEGRATION_PLATFORM:
            return self.actor
        return Actor(posted["id"], role, via=self.actor.id)

    def check_envelope(self, tenant: str, event_type: str) -> None:
        if tenant != self.tenant:
            raise RuleViolation("tenant_not_callers", "the event is for another municipality "
                                "than the caller's", field="tenant")
        if self.event_types is not None and event_type not in self.event_types:
            raise RuleViolation("type_not_allowed", f"the caller's role may not record "
                                f"{event_type}", field="type")

    def check_reach(self, uow: UnitOfWork, command: Any) -> None:
        """The pupil or school the command is about must be in the author's reach; what is
        about the whole municipality (rule sets) needs the whole municipality's."""
        if self.reach is Reach.MUNICIPALITY:
            return
        places = _places(uow, self.tenant, command)
        if places is not None and (places == [] or reaches(self.reach, self.staff, places)):
            return  # [] : no such pupil; the handler answers that
        raise RuleViolation("outside_reach", "the caller may not record events about this "
                            "pupil or school", field="data")


def _places(uow: UnitOfWork, tenant: str, command: Any) -> list[Place] | None:
    """Where what the command is about belongs: a pupil's enrolments (an enrolment's own
    place; [] for a pupil nobody knows), or a school (and class); None: the municipality."""
    if (enrolment := getattr(command, "enrolment", None)) is not None:
        return places_of([enrolment])
    if (pupil := _pupil(uow, tenant, command)) is not None:
        return places_of(pupil.enrolments.values()) if isinstance(pupil, Pupil) else []
    if (school_id := getattr(command, "school_id", None)) is not None:
        return [Place(school_id, getattr(command, "class_id", None))]
    return None


def _pupil(uow: UnitOfWork, tenant: str, command: Any) -> Pupil | bool | None:
    """The pupil the command is about (False: it names one nobody knows); None: it names
    no pupil. A correction names its pupil by the corrected event, a decision on leave by
    the application."""
    if (pupil_id := getattr(command, "pupil_id", None)) is not None:
        return uow.get(pupil_aggregate_id(tenant, pupil_id)) or False
    if (corrected := getattr(command, "corrects_event_id", None)) is not None:
        receipt = uow.receipt(corrected)
        return (uow.get(receipt.subject_id) if receipt else None) or False
    if (application := getattr(command, "application_id", None)) is not None:
        reference = uow.get(reference_id(tenant, "leave_application", application))
        return (uow.get(reference.subject_id) if reference else None) or False
    return None
