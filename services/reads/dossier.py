"""The POL-5 case presentation (saksfremstilling): the pupil's case as one document, with
the completeness check the guideline asks for and the proofs that let a reader verify
every event in it without trusting the service.

The exported events are the stored bytes (``services.evidence.recorder.leaf_bytes``: position,
aggregate, version, topic and the stored state); when a cipher key is configured the state
in them is encrypted, so the proof covers what was stored and the readable timeline is the
service's decoding of it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.dossier import completeness, legal_basis_of
from domain.privacy import shield
from domain.pupil import Pupil, pupil_aggregate_id
from services.evidence import checkpoints, merkle
from services.evidence.recorder import AuditLog, leaf_bytes
from services.reads import representations
from services.reads.history import (
    History,
    PupilViewReaders,
    Reader,
    StoredEvents,
)

ROLES_NB = {
    "guardian": "foresatt", "pupil": "elev", "subject_teacher": "faglærer",
    "contact_teacher": "kontaktlærer", "principal": "rektor", "school_leadership": "ledelsen",
    "social_teacher": "sosiallærer", "ppt_advisor": "PPT-rådgiver",
    "school_health_service": "helsesykepleier", "consultation_team": "konsultasjonsteamet",
    "child_welfare_contact": "barnevernskontakt", "municipal_director": "kommunedirektør",
    "auditor": "revisor", "integration_platform": "integrasjonsplattformen",
    "skolefravaer": "Skolefravær",
}
RELATIONS_NB = {"mother": "mor", "father": "far", "guardian": "foresatt", "pupil": "eleven",
                "other": "annen"}
CHANNELS_NB = {"phone": "telefon", "sms": "SMS", "email": "e-post", "letter": "brev",
               "home_visit": "hjemmebesøk", "meeting": "møte", "app": "app",
               "post": "post", "digital_mailbox": "digital postkasse"}


class Dossiers:
    """Builds case presentations from the history, the views and the audit log."""

    def __init__(self, history: History, current: PupilViewReaders, audit_log: AuditLog,
                 public_key: Callable[[], Ed25519PublicKey | None]) -> None:
        self.history = history
        self.current = current
        self.audit_log = audit_log
        self.public_key = public_key

    def build(self, pupil_id: UUID, tenant: str | None, reader: Reader,
              what: str = "dossier") -> dict[str, Any] | None:
        """The dossier as data (JSON); None for a pupil the service knows nothing about.
        The read is recorded as ``what`` (PRIV-3): an issued dossier by its id."""
        self.audit_log.settle()  # every event in it hashed and under a signed checkpoint
        found_tenant = self.history.tenant_of(pupil_id, tenant)
        if found_tenant is None:
            gone = self.history.disposed(pupil_id, tenant)
            return None if gone is None else {
                "title": "Saksfremstilling – alvorlig skolefravær",
                "made_at": self.history.clock().isoformat(), "pupil": {"pupil_id": str(pupil_id)},
                "municipality": gone["tenant"], "disposed": gone}
        stored = self.history.stored_events(pupil_id, found_tenant)  # once, for both uses
        timeline = self.history.events(pupil_id, found_tenant, None, reader, stored)
        self.history.record_read(found_tenant, pupil_id, reader, what)
        pupil: Pupil = self.history.app.find(pupil_aggregate_id(found_tenant, pupil_id))
        case = self.current.cases.case(pupil_id, found_tenant,
                                       restricted=reader.handles_safeguarding)
        sight = reader.sight
        tally = self.current.absence.tally(pupil_id, None, found_tenant)
        hashes = {entry["position"]: entry["hash"] for entry in timeline}
        now = self.history.clock()
        for entry in timeline:
            basis = legal_basis_of(entry["type"], date.fromisoformat(entry["occurred_at"][:10]))
            entry["legal_basis"] = basis.citation if basis else None
            entry["legal_basis_verified"] = basis.verified if basis else None
        # As the reader may see it, everywhere in it: the timeline is shielded already and
        # the proofs are hashes (the bytes only of events the reader sees whole).
        shielded: dict[str, Any] = shield({
            "title": "Saksfremstilling – alvorlig skolefravær",
            "made_at": now.isoformat(),
            "pupil": _pupil(pupil_id, pupil),
            "municipality": found_tenant,
            "stage": case["stage"],
            "absence": {"days": tally.totals.days.as_dict(),
                        "lessons": tally.totals.lessons.as_dict(),
                        "late_arrivals": tally.totals.late_arrivals,
                        "left_school": tally.totals.left_school},
            **_records(case["records"]),
            # What the service decided, each as the events that recorded it (proved below).
            "concerns": representations.attested(
                [representations.concern(c)
                 for c in self.current.concerns.concerns(pupil_id, found_tenant)], hashes),
            "tasks": representations.attested(
                [representations.task(t, now) for t in case["tasks"]], hashes),
            "stage_history": case["stage_history"],
        }, sight)
        return {**shielded, "timeline": timeline, **self._proofs(timeline, stored)}

    def _proofs(self, timeline: list[dict[str, Any]], stored_events: StoredEvents
                ) -> dict[str, Any]:
        """The signed checkpoint and an inclusion proof for each of the dossier's events:
        with the stored bytes where the reader may see all of the event (its data in the
        ``timeline`` is not shielded), else only the leaf hash they hash to (PRIV-1,
        PRIV-2)."""
        proofs = self.audit_log.proofs([entry["position"] for entry in timeline])
        key = self.public_key()
        if proofs is None or key is None:
            return {"digest": None, "audit": None}
        whole = {entry["position"] for entry in timeline
                 if entry["data"] == stored_events.data(entry["position"])}
        exported = []
        for position, (index, proof) in proofs.by_position.items():
            found = stored_events.stored(position)
            stored = leaf_bytes(position, found.originator_id, found.originator_version,
                                found.topic, found.state)
            shown = ({"stored_bytes_b64": base64.b64encode(stored).decode()}
                     if position in whole else {"leaf_sha256": merkle.leaf_hash(stored).hex()})
            exported.append({"position": position, "leaf_index": index, **shown,
                             "inclusion_proof": [h.hex() for h in proof]})
        checkpoint = checkpoints.parse_and_verify(proofs.note, key)
        return {
            "digest": {"tree_size": proofs.size, "root_sha256": checkpoint.root.hex(),
                       "issued_at": checkpoint.issued_at,
                       "public_key_fingerprint_sha256": checkpoints.public_key_fingerprint(key)},
            "audit": {"checkpoint": proofs.note,
                      "public_key_pem": checkpoints.public_key_pem_of(key),
                      "events": exported},
        }


def _pupil(pupil_id: UUID, pupil: Pupil) -> dict[str, Any]:
    enrolment = pupil.latest_enrolment()
    return {"pupil_id": str(pupil_id), "name": enrolment.name,
            "national_id": enrolment.national_id, "school_id": enrolment.school_id,
            "school_year": enrolment.school_year, "grade": enrolment.grade,
            "class_id": enrolment.class_id,
            "contact_teacher_id": enrolment.contact_teacher_id,
            "guardians": [{"guardian_id": g.guardian_id,
                           "relation": RELATIONS_NB.get(g.relation.value, g.relation.value),
                           "name": g.name} for g in enrolment.guardians]}


def _records(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The case's records: contacts, letters and meetings on their own, the rest together,
    and the POL-2…POL-4 completeness check over them."""
    return {
        "contacts": [_contact(r) for r in records if r["type"] == "ContactLogged"],
        "letters": [_letter(r) for r in records if r["type"] == "LetterSent"],
        "meetings": [_meeting(r) for r in records if r["type"] == "MeetingHeld"],
        "records": [{"type": r["type"], "occurred_at": r["occurred_at"],
                     "position": r["position"], **representations.plain(r["body"])}
                    for r in records
                    if r["type"] not in ("ContactLogged", "LetterSent", "MeetingHeld")],
        "completeness": [r.as_dict() for r in completeness([(r["type"], r["body"])
                                                            for r in records])],
    }


def _contact(record: dict[str, Any]) -> dict[str, Any]:
    contact = record["body"]["contact"]
    return {"contact_id": contact.contact_id,
            "made_by": f"{contact.made_by.id} ({ROLES_NB.get(contact.made_by.role.value, '')})",
            "contacted": (RELATIONS_NB.get(contact.contacted.relation.value,
                                           contact.contacted.relation.value)
                          + (f" {contact.contacted.name}" if contact.contacted.name else "")),
            "date": contact.on.isoformat(),
            "time": contact.at_time.strftime("%H:%M") if contact.at_time else None,
            "channel": CHANNELS_NB.get(contact.channel.value, contact.channel.value),
            "reached": contact.reached, "result": contact.result,
            "information_obtained": contact.information_obtained,
            "position": record["position"]}


def _letter(record: dict[str, Any]) -> dict[str, Any]:
    letter = record["body"]["letter"]
    return {"letter_id": letter.letter_id, "date": record["occurred_at"][:10],
            "recipients": list(letter.recipients), "purpose": letter.purpose.value,
            "channel": CHANNELS_NB.get(letter.channel.value, letter.channel.value),
            "states_legal_basis": letter.states_legal_basis,
            "states_criminal_liability": letter.states_criminal_liability,
            "document_ref": letter.document_ref, "position": record["position"]}


def _meeting(record: dict[str, Any]) -> dict[str, Any]:
    meeting = record["body"]["meeting"]
    return {"meeting_id": meeting.meeting_id, "kind": meeting.kind.value,
            "at": meeting.at.isoformat(), "pupil_participated": meeting.pupil_participated,
            "pupil_absent_reason": meeting.pupil_absent_reason,
            "minutes": meeting.minutes, "position": record["position"]}
