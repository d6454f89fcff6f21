"""The one table of what each operation answers when it succeeds: its schema, media types
and an example (trimmed from what the service answered for the README's batch). The OpenAPI
document is made from it, beside the policy table; an endpoint missing here has no answer
documented, which a test refuses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from services.http.contract import answers as a
from services.http.contract.answers import EVENT, PUPIL

TEXT = {"type": "string"}
CHECKPOINT = ("skolefravaer/audit-log\n22\nTgH9GJvl1crQQEc8ZKZn8DEeJPzeljVHtE1l8lUcxxU=\n"
              "2026-11-26T19:26:19Z\n\n— skolefravaer nnzbMbnNNF7RGOY+jZ0k+coj0TZuB6ZdbFbYNGzs"
              "iX4PXa42AEVDjaJK5qjlNQr4BeYVYqM48omKIvg5bY3I4Oxlqg8=\n")
TASK = {"task_id": "825393e2-319d-5cf6-a6a0-842d34dcc5a2", "pupil_id": PUPIL,
        "school_id": "halden-ungdomsskole", "rule": "FOL-4",
        "title": "Ring foresatte samme dag: fraværet er ikke meldt",
        "opened_at": "2026-09-01T08:30:00+02:00", "due_at": "2026-09-01T21:59:59+00:00",
        "status": "done", "closed_at": "2026-09-03T07:45:00+02:00", "closed_by": EVENT}
OUTCOMES = {"accepted": 1, "duplicate": 0, "rejected": 1, "results": [
    {"index": 0, "event_id": EVENT, "status": "accepted", "position": 42},
    {"index": 1, "event_id": None, "status": "rejected", "errors": [
        {"field": "event_id", "code": "invalid_field", "rule": None,
         "detail": "Missing data for required field."}]}]}
TALLY = {"days": {"documented": 2, "undocumented": 1, "total": 3},
         "lessons": {"documented": 0, "undocumented": 2, "total": 2},
         "late_arrivals": 1, "left_school": 0}
ABSENCE = {
    "pupil_id": PUPIL, "school_year": "2026-2027", "position": 9, **TALLY, "event_ids": [EVENT],
    "months": [{"period": "2026-09", "days": {"documented": 2, "undocumented": 1, "total": 3},
                "lessons": {"documented": 0, "undocumented": 1, "total": 1},
                "late_arrivals": 1, "left_school": 0, "event_ids": [EVENT]}],
    "half_years": [{"period": "2026-autumn", **TALLY, "event_ids": [EVENT]}],
    "absences": [{"date": "2026-09-01", "scope": "day", "period": None, "documented": True,
                  "late_notice": False, "recorded_by": [EVENT], "documented_by": [EVENT]}],
    "conduct_assessment": {"rule": "ABS-8", "applies": True, "undocumented_days": 1,
                           "undocumented_lessons": 2}}


@dataclass(frozen=True)
class Answered:
    """A 200 answer: ``schema`` (a marshmallow schema, or a JSON schema) under
    ``media_type``, with ``example``; ``more``: other media types (``Accept``)."""

    description: str
    schema: type[Schema] | Mapping[str, Any]
    example: Any
    media_type: str = "application/json"
    more: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    """Problems beyond those every operation of its kind gives (contract.document)."""
    statuses: tuple[int, ...] = (200,)
    """The statuses this same answer comes with."""
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Response headers it carries (``Location`` of a 201, say), as OpenAPI describes them."""


ANSWERS: dict[str, Answered] = {
    "events.post_events": Answered(
        "Each event's outcome, in batch order: the batch is answered 200 however many were "
        "rejected.", a.BatchAnswer, OUTCOMES),
    "pupils.get_absence": Answered("The pupil's tally.", a.AbsenceAnswer, ABSENCE),
    "pupils.get_diploma": Answered("The diploma figures.", a.DiplomaAnswer, {
        "pupil_id": PUPIL, "school_year": "2026-2027", "on_diploma": True, "rule": "DIP-1",
        "days": 3, "lessons": 2, "excluded_days": 0, "exclusions": [], "requests": [],
        "years": None}),
    "pupils.get_concerns": Answered("Every concern raised.", a.ConcernsAnswer, {
        "pupil_id": PUPIL, "concerns": [{
            "rule": "CON-1", "description": "3 enkeltdager fravær i løpet av en måned",
            "period": "2026-09", "raised_at": "2026-09-10T08:30:00+02:00",
            "trigger_date": "2026-09-10", "event_ids": [EVENT]}]}),
    "pupils.get_case": Answered("The follow-up case.", a.CaseAnswer, {
        "pupil_id": PUPIL, "stage": "concern", "stage_history": [
            {"stage": "concern", "at": "2026-09-10T08:30:00+02:00", "event_id": EVENT}],
        "tasks": [TASK], "agreements": [], "contacts": []}),
    "tasks.get_tasks": Answered("The tasks in the caller's reach.", a.TasksAnswer,
                                {"tasks": [TASK]}),
    "leave.get_leave_application": Answered("The application, the recommendation and the "
                                            "decision.", a.LeaveAnswer, {
        "application_id": "perm-1", "pupil_id": PUPIL, "from_date": "2026-11-23",
        "to_date": "2026-11-24", "reason": "family_event", "level": None,
        "applied_at": "2026-09-01T08:00:00+02:00", "school_days": 2,
        "late_application": False, "recommendation": {
            "outcome": "grant", "rules": ["LEAVE-2"], "legal_basis":
            "opplæringslova § 2-2 fjerde ledd", "notes": [
                "2 skoledager, innenfor 10 dager og utenfor perioder med prøver, eksamen "
                "og leirskole."]}, "decision": None}),
    "schools.get_routine": Answered("The routine's checks in the half-year.", a.RoutineAnswer, {
        "school_id": "halden-ungdomsskole", "half_year": "2026-autumn",
        "anonymous_discussions": 0, "checks": [
            {"rule": "FOL-2", "what": "Kontaktlærers månedlige gjennomgang av fraværet",
             "done": [], "met": False}]}),
    "templates.get_guides": Answered("The conversation guides.", a.GuidesAnswer, {
        "after_conversation_checklist": {"title": "Etter samtalen", "items": [
            "Har du gjort deg noen tanker om hvilke faktorer som kan være utløsende og "
            "opprettholdende for problematikken?"]}}),
    "templates.get_measures": Answered("The measure catalogue.", a.MeasuresAnswer, {
        "measures": [{"code": "SKOLE-01", "category": "at_school",
                      "text": "Kartlegg elevens sosiale og faglige situasjon."}]}),
    "history.get_history": Answered("The history and the state as known at as_of.",
                                    a.HistoryAnswer, {
        "pupil_id": PUPIL, "as_of": "2026-11-26T19:26:19+00:00", "events": [{
            "event_id": EVENT, "type": "AbsenceRecorded", "type_version": 1,
            "occurred_at": "2026-09-01T08:30:00+02:00",
            "recorded_at": "2026-09-01T08:31:02+00:00",
            "actor": {"id": "teacher-17", "role": "contact_teacher", "via": None},
            "position": 3, "hash": "6e384dbb181a2534aac84c7cfb7ae9cf489d3768ff393ab7de69dffd"
                                   "22ad3827", "source": None,
            "data": {"fact": {"date": "2026-09-01", "scope": "day"}}}],
        "state": {"absence": TALLY, "concerns": [], "case": {"stage": None, "tasks": []}}}),
    "history.get_reads": Answered("Who read the pupil's history or dossier.", a.ReadsAnswer, {
        "pupil_id": PUPIL, "reads": [{
            "at": "2026-11-26T19:26:19+00:00", "what": "history as_of=now",
            "reader": {"id": "rektor-1", "role": "principal"}}]}),
    "dossier.get_dossier": Answered(
        "The case presentation: JSON, or by Accept HTML or PDF (Norwegian bokmål).",
        a.DossierAnswer, {
            "title": "Saksfremstilling", "absence": TALLY, "completeness": [
                {"rule": "POL-2", "met": True, "missing": []}],
            "digest": {"tree_size": 22, "root_sha256": "db1222dc1c2ba424b0b0",
                       "issued_at": "2026-11-26T19:24:00Z",
                       "public_key_fingerprint_sha256": "18d3a32f31c9e2f237bd"},
            "audit": {"checkpoint": CHECKPOINT, "events": []}},
        more={"text/html": {"schema": TEXT, "example": "<!DOCTYPE html><html lang=\"nb\">…"},
              "application/pdf": {"schema": {"type": "string", "format": "binary"}}}),
    "dossier.issue_dossier": Answered(
        "The dossier is issued: its id, where to fetch it, the hash of its signed content "
        "and the tree size of the checkpoint it rests on.", {
            "type": "object", "required": ["dossier_id", "location", "content_sha256",
                                           "tree_size"],
            "properties": {"dossier_id": {"type": "string", "format": "uuid"},
                           "location": TEXT, "content_sha256": TEXT,
                           "tree_size": {"type": "integer", "minimum": 0}}}, {
            "dossier_id": EVENT, "location": f"/v1/dossiers/{EVENT}",
            "content_sha256": "5be1c6f1d2b0c7e4a9f8e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2",
            "tree_size": 22}, statuses=(201,),
        headers={"Location": {"required": True, "schema": TEXT}}),
    "dossier.get_issued_dossier": Answered(
        "An issued dossier, the same bytes on every fetch: the signed JSON, or by Accept "
        "HTML or PDF/A-3 with the JSON attached (Norwegian bokmål).", {
            "type": "object", "required": ["content", "signature"],
            "additionalProperties": True}, {
            "content": {"issued": {"dossier_id": EVENT, "tree_size": 22}},
            "content_sha256": "5be1c6f1d2b0c7e4a9f8e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2",
            "signature": {"algorithm": "Ed25519", "canonicalization": "RFC 8785",
                          "covers": "content"}},
        more={"text/html": {"schema": TEXT, "example": "<!DOCTYPE html><html lang=\"nb\">…"},
              "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        errors=(410,)),
    "audit.get_verify": Answered("Whether the log is intact.", a.VerifyAnswer, {
        "intact": True, "checked": 22, "first_broken_position": None, "reason": None}),
    "audit.get_public_key": Answered("The checkpoint key.", a.PublicKeyAnswer, {
        "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAHYkwT+JEbs32WG69wt5N5al"
                          "xlElKEA3MZGWw5dFVu30=\n-----END PUBLIC KEY-----\n",
        "fingerprint_sha256": "9be53dd4a6a10f1d808eb52ee624bcef59c4e88525df12edaf6ff46e42a669"
                              "e9"}, errors=(404,)),
    "audit.get_checkpoint": Answered("The latest signed checkpoint (C2SP signed note).", TEXT,
                                     CHECKPOINT, media_type="text/plain", errors=(404,)),
    "audit.get_consistency": Answered("The proof.", a.ConsistencyAnswer, {
        "old_size": 4, "new_size": 22, "checkpoint": CHECKPOINT, "proof": [
            "9174bcd05cf25cd331cae4d7331e58271a5b5270ff6b0e524843fef1392b1d33"]},
        errors=(409,)),
    "health.healthz": Answered("Alive.", a.HealthAnswer, {"status": "ok"}),
    "health.readyz": Answered("Ready (200) or not (503, and the check that failed and why).",
                              a.ReadinessAnswer, {"ready": True, "checks": {
                                  "event_store": {"ok": True, "head": 22},
                                  "views": {"ok": True}}}, statuses=(200, 503)),
    "health.get_metrics": Answered("Prometheus text exposition (format 0.0.4).", TEXT,
                                   "# TYPE skolefravaer_events_total counter\n"
                                   "skolefravaer_events_total{status=\"accepted\"} 8.0\n",
                                   media_type="text/plain"),
}
