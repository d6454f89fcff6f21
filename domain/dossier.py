"""The case presentation for the municipal director (POL-5): what the guideline requires
of it, checked requirement by requirement (POL-2, POL-3, POL-4).

Works on the case's records as ``(type, body)`` pairs in log order, ``body`` holding the
domain values of each event. Texts are Norwegian: the municipal director and the police
read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.case_records import (
    Agreement,
    Contact,
    Letter,
    MeasureEvaluation,
    Meeting,
    MeetingKind,
)
from domain.law import LegalBasis, NoLegalBasis, legal_basis

LEGAL_TOPICS = {
    "LetterSent": "education_right_and_duty",
    "CaseForwardedToMunicipalDirector": "education_right_and_duty",
    "PoliceReportDecided": "education_right_and_duty",
    "ConcernReportSent": "child_welfare_report",
    "NavNotified": "nav_notice_abroad",
    "LeaveApplied": "leave",
    "LeaveDecided": "leave",
    "DiplomaExclusionRequested": "diploma_absence",
    "CauseAttachmentRequested": "diploma_absence",
}
"""LAW-1: the legal basis each step of a case rests on; every other step of the follow-up
rests on the municipality's duty to follow up absence."""


def legal_basis_of(record_type: str, on: date) -> LegalBasis | None:
    try:
        return legal_basis(LEGAL_TOPICS.get(record_type, "absence_follow_up"), on)
    except NoLegalBasis:
        return None


@dataclass
class Requirement:
    rule: str
    text: str
    missing: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # met, with something worth noting

    @property
    def met(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "requirement": self.text, "met": self.met,
                "missing": list(self.missing), "remarks": list(self.remarks)}


def completeness(records: Iterable[tuple[str, dict[str, Any]]]) -> list[Requirement]:
    pol2 = Requirement("POL-2", "Alle brev til foresatte oppgir lovgrunnlaget og "
                       "straffeansvaret")
    pol3 = Requirement("POL-3", "Alle tiltak og all oppfølging er dokumentert skriftlig: "
                       "møter har referat, og hvert avtalt tiltak er evaluert")
    pol4 = Requirement("POL-4", "Hver kontakt og hvert kontaktforsøk viser hvem som tok "
                       "kontakt, hvem som ble kontaktet, når (dato og helst klokkeslett) og "
                       "resultatet")
    measures: dict[tuple[str, str], str] = {}
    evaluated: set[tuple[str, str]] = set()
    for record_type, body in records:
        if record_type == "LetterSent":
            letter: Letter = body["letter"]
            lacks = [text for flag, text in ((letter.states_legal_basis, "lovgrunnlag"),
                                             (letter.states_criminal_liability, "straffeansvar"))
                     if not flag]
            if lacks:
                pol2.missing.append(f"Brev {letter.letter_id} ({letter.document_ref}) oppgir "
                                    f"ikke {' og '.join(lacks)}")
        elif record_type == "ContactLogged":
            _contact(body["contact"], pol4)
        elif record_type == "MeetingHeld":
            meeting: Meeting = body["meeting"]
            if meeting.kind is not MeetingKind.SCHOOL_HEALTH_CONVERSATION \
                    and not (meeting.minutes or "").strip():
                pol3.missing.append(f"Møte {meeting.meeting_id} "
                                    f"{meeting.at.strftime('%d.%m.%Y')}: mangler referat")
        elif record_type == "CollaborationAgreementSigned":
            agreement: Agreement = body["agreement"]
            for measure in agreement.measures:
                measures[(agreement.agreement_id, measure.measure_id)] = measure.text
        elif record_type == "MeasureEvaluated":
            evaluation: MeasureEvaluation = body["evaluation"]
            evaluated.add((evaluation.agreement_id, evaluation.measure_id))
    for key, text in measures.items():
        if key not in evaluated:
            pol3.missing.append(f"Tiltaket «{text}» (avtale {key[0]}) er ikke evaluert")
    return [pol2, pol3, pol4]


def _contact(contact: Contact, pol4: Requirement) -> None:
    """POL-4: who, whom, when and the result; the date is required, the time preferred
    ("når (dato, helst klokkeslett)"): a contact without it meets POL-4 with a remark."""
    named = f"Kontakt {contact.contact_id} {contact.on.strftime('%d.%m.%Y')}"
    gaps = [text for present, text in (
        (bool(contact.made_by.id), "hvem som tok kontakt"),
        (contact.contacted is not None, "hvem som ble kontaktet"),
        (bool(contact.result.strip()), "resultat"))
        if not present]
    if gaps:
        pol4.missing.append(f"{named}: mangler " + ", ".join(gaps))
    if contact.at_time is None:
        pol4.remarks.append(f"{named}: uten klokkeslett (dato oppgitt; klokkeslett er ønsket)")
