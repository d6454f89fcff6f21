"""Builders for follow-up events (EVENTS.md "Follow-up and cases", "Whereabouts …")."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.events import envelope


def _id() -> str:
    return uuid.uuid4().hex[:8]


def contact(pupil: str, at: str, *, reached: bool = True, relation: str = "mother",
            result: str = "Mor bekreftet at eleven er syk.", channel: str = "phone",
            role: str = "contact_teacher", **kw: Any) -> dict[str, Any]:
    return envelope("ContactLogged", {
        "pupil_id": pupil, "contact_id": _id(),
        "made_by": {"id": "teacher-1", "role": role},
        "contacted": {"relation": relation, "guardian_id": "guardian-1"},
        "at": at, "channel": channel, "reached": reached, "result": result}, **kw)


def meeting(pupil: str, kind: str, at: str, *, pupil_participated: bool = True,
            **extra: Any) -> dict[str, Any]:
    data = {"pupil_id": pupil, "meeting_id": _id(), "kind": kind, "at": at,
            "participants": [{"role": "contact_teacher"}, {"role": "principal"}],
            "pupil_participated": pupil_participated, "anonymous": False,
            "minutes": "Referat arkivert i elevmappen.", **extra}
    return envelope("MeetingHeld", data, occurred_at=at)


def leadership_informed(pupil: str, at: str) -> dict[str, Any]:
    return envelope("LeadershipInformed", {"pupil_id": pupil, "informed_role": "principal",
                                           "about": "Bekymringsfullt fravær"}, occurred_at=at)


def agreement(pupil: str, at: str, *, version: int = 1, agreement_id: str = "avtale-1",
              evaluate_by: str = "2026-11-15", measures: list[dict[str, Any]] | None = None,
              signed_by: list[str] | None = None) -> dict[str, Any]:
    return envelope("CollaborationAgreementSigned", {
        "pupil_id": pupil, "agreement_id": agreement_id, "version": version,
        "goals": "Eleven er på skolen hver dag.",
        "measures": measures or [{"measure_id": "m1", "catalogue_code": "SKOLE-09",
                                  "text": "Fast person møter eleven ved ankomst",
                                  "responsible_role": "contact_teacher",
                                  "evaluate_by": evaluate_by}],
        "signed_by": signed_by or ["guardian-1", "teacher-1"],
        "pupil_input": "Jeg vil gjerne bli møtt i døra."}, occurred_at=at)


def measure_evaluated(at: str, outcome: str = "did_not_work",
                      agreement_id: str = "avtale-1") -> dict[str, Any]:
    return envelope("MeasureEvaluated", {"agreement_id": agreement_id, "measure_id": "m1",
                                         "outcome": outcome, "notes": "Evaluert"},
                    occurred_at=at)


def consent(pupil: str, at: str, *scope: str, consent_id: str = "samtykke-1") -> dict[str, Any]:
    return envelope("ConsentGiven", {"pupil_id": pupil, "consent_id": consent_id,
                                     "guardian_id": "guardian-1", "scope": list(scope),
                                     "purpose": "Henvisning"}, occurred_at=at)


def referral(pupil: str, at: str, to: str, referral_id: str | None = None,
             role: str = "principal", **extra: Any) -> dict[str, Any]:
    return envelope("ReferralMade", {"pupil_id": pupil, "referral_id": referral_id or _id(),
                                     "to": to, **extra}, occurred_at=at, role=role)


def invitation(referral_id: str, at: str, meeting_at: str) -> dict[str, Any]:
    return envelope("ConsultationInvitationSent", {"referral_id": referral_id,
                                                   "meeting_at": meeting_at}, occurred_at=at)


def pupil_event(event_type: str, pupil: str, at: str, role: str = "principal",
                **data: Any) -> dict[str, Any]:
    return envelope(event_type, {"pupil_id": pupil, **data}, occurred_at=at, role=role)


def letter(pupil: str, at: str, purpose: str = "duty_of_education", *,
           legal_basis: bool = True, criminal_liability: bool = True) -> dict[str, Any]:
    return envelope("LetterSent", {
        "pupil_id": pupil, "letter_id": _id(), "recipients": ["guardian-1"],
        "channel": "digital_mailbox", "purpose": purpose,
        "states_legal_basis": legal_basis, "states_criminal_liability": criminal_liability,
        "document_ref": "brev-1"}, occurred_at=at)
