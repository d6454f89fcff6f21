"""What each follow-up event type does (EVENTS.md "Follow-up and cases", "Whereabouts
unknown, abroad, safeguarding"): build the domain's values and call the pupil's case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case_records import (
    AgreedMeasure,
    Agreement,
    Attachment,
    ConcernReport,
    Consent,
    Contact,
    Contacted,
    GuideAnswer,
    Letter,
    MeasureEvaluation,
    Meeting,
    Participant,
    Referral,
    WelfareAssessment,
)
from domain.envelope import Actor, Envelope
from domain.pupil import Pupil
from domain.school_routine import SchoolRoutine, school_routine_id
from services.store.unit_of_work import UnitOfWork

Handler = Callable[[UnitOfWork, Envelope, dict[str, Any]], Aggregate]
Call = Callable[[Pupil, Envelope, dict[str, Any]], None]


def on_pupil(call: Call) -> Handler:
    """A handler for an event that names its pupil."""
    def handle(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
        pupil = uow.pupil(envelope.tenant, data["pupil_id"])
        call(pupil, envelope, data)
        return pupil
    return handle


def on_referral(call: Call) -> Handler:
    """A handler for an event that names only its referral."""
    def handle(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
        pupil = uow.referenced(envelope.tenant, "referral", data["referral_id"],
                               field="data.referral_id", rule="CT-2")
        call(pupil, envelope, data)
        return pupil  # type: ignore[no-any-return]
    return handle


def on_school(call: Callable[[SchoolRoutine, Envelope, dict[str, Any]], None]) -> Handler:
    def handle(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
        school = uow.get(school_routine_id(envelope.tenant, data["school_id"])) or \
            SchoolRoutine(envelope.tenant, data["school_id"])
        call(school, envelope, data)
        return school
    return handle


def _contact(pupil: Pupil, envelope: Envelope, data: dict[str, Any]) -> None:
    on, at_time = data["at"]
    pupil.log_contact(envelope, Contact(
        contact_id=data["contact_id"], made_by=Actor(**data["made_by"]),
        contacted=Contacted(**data["contacted"]), on=on, at_time=at_time,
        channel=data["channel"], reached=data["reached"], result=data["result"],
        information_obtained=data["information_obtained"]))


def _letter(pupil: Pupil, envelope: Envelope, data: dict[str, Any]) -> None:
    pupil.send_letter(envelope, Letter(**{**_without_pupil(data),
                                          "recipients": tuple(data["recipients"])}))


def _meeting(pupil: Pupil, envelope: Envelope, data: dict[str, Any]) -> None:
    pupil.hold_meeting(envelope, Meeting(**{
        **_without_pupil(data),
        "participants": tuple(Participant(**p) for p in data["participants"]),
        "guide_answers": tuple(GuideAnswer(**a) for a in data["guide_answers"])}))


def _agreement(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    uow.check_key(envelope.tenant, "agreement", data["agreement_id"], pupil.id)
    pupil.sign_agreement(envelope, Agreement(
        agreement_id=data["agreement_id"], version=data["version"], goals=data["goals"],
        measures=tuple(AgreedMeasure(**m) for m in data["measures"]),
        signed_by=tuple(data["signed_by"]), pupil_input=data["pupil_input"]))
    if data["version"] == 1:
        uow.refer(envelope.tenant, "agreement", data["agreement_id"], pupil.id)
    return pupil


def _measure_evaluated(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.referenced(envelope.tenant, "agreement", data["agreement_id"],
                           field="data.agreement_id", rule="FOL-13")
    pupil.evaluate_measure(envelope, MeasureEvaluation(**data))
    return pupil  # type: ignore[no-any-return]


def _referral(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    uow.check_key(envelope.tenant, "referral", data["referral_id"], pupil.id)
    pupil.refer(envelope, Referral(
        referral_id=data["referral_id"], to=data["to"], via=data["via"],
        grounds=data["grounds"],
        attachments=tuple(Attachment(**a) for a in data["attachments"])))
    uow.refer(envelope.tenant, "referral", data["referral_id"], pupil.id)
    return pupil


def _without_pupil(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "pupil_id"}


def _overdue(uow: UnitOfWork, envelope: Envelope, data: dict[str, Any]) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, data["pupil_id"])
    pupil.record_overdue(envelope, data["task_id"], data["rule"], data["due_at"])
    return pupil


CASE_HANDLERS: dict[str, Handler] = {
    "ContactLogged": on_pupil(_contact),
    "LetterSent": on_pupil(_letter),
    "MeetingHeld": on_pupil(_meeting),
    "LeadershipInformed": on_pupil(lambda p, e, d: p.inform_leadership(
        e, d["informed_role"], d["about"])),
    "AbsenceReviewCompleted": on_school(lambda s, e, d: s.complete_review(
        e, d["school_id"], d["scope"], d["scope_id"], d["period"], d["kind"])),
    "ParentsMeetingHeld": on_school(lambda s, e, d: s.hold_parents_meeting(
        e, d["school_id"], d["class_id"], d["at"], d["guideline_reviewed"])),
    "CaseDiscussedAnonymously": on_school(lambda s, e, d: s.discuss_anonymously(
        e, d["school_id"], d["with_"], d["summary"])),
    "CollaborationAgreementSigned": _agreement,
    "MeasureEvaluated": _measure_evaluated,
    "ConsentGiven": on_pupil(lambda p, e, d: p.give_consent(e, Consent(
        consent_id=d["consent_id"], guardian_id=d["guardian_id"], scope=tuple(d["scope"]),
        purpose=d["purpose"]))),
    "ConsentWithdrawn": on_pupil(lambda p, e, d: p.withdraw_consent(
        e, d["consent_id"], d["guardian_id"])),
    "ChildWelfareAssessmentRecorded": on_pupil(lambda p, e, d: p.assess_child_welfare(
        e, WelfareAssessment(d["decision"], d["reasons"]))),
    "ReferralMade": _referral,
    "ConsultationInvitationSent": on_referral(lambda p, e, d: p.invite_to_consultation(
        e, d["referral_id"], d["meeting_at"])),
    "WrittenEvaluationSubmitted": on_referral(lambda p, e, d: p.submit_written_evaluation(
        e, d["referral_id"], d["document_ref"])),
    "ConcernReportSent": on_pupil(lambda p, e, d: p.send_concern_report(
        e, ConcernReport(d["to"], d["grounds"], d["document_ref"]))),
    "CaseOpened": on_pupil(lambda p, e, d: p.open_case(e, d["reason"])),
    "CaseForwardedToMunicipalDirector": on_pupil(
        lambda p, e, d: p.forward_to_municipal_director(e, d["presentation_ref"])),
    "PoliceReportDecided": on_pupil(lambda p, e, d: p.decide_police_report(
        e, d["decision"], d["reasons"])),
    "CaseClosed": on_pupil(lambda p, e, d: p.close_case(e, d["reason"])),
    "WhereaboutsUnknownReported": on_pupil(lambda p, e, d: p.report_whereabouts_unknown(
        e, d["away_since"])),
    "PopulationRegisterChecked": on_pupil(lambda p, e, d: p.check_population_register(
        e, d["result"])),
    "ContactRouteTried": on_pupil(lambda p, e, d: p.try_contact_route(
        e, d["route"], d["result"])),
    "PupilLocated": on_pupil(lambda p, e, d: p.locate(e, d["outcome"], d["details"])),
    "MovingNoticeSent": on_pupil(lambda p, e, d: p.send_moving_notice(
        e, d["to_municipality"])),
    "GuardianWrittenConfirmationReceived": on_pupil(
        lambda p, e, d: p.receive_written_confirmation(e, d["about"], d["document_ref"])),
    "NavNotified": on_pupil(lambda p, e, d: p.notify_nav(
        e, d["away_since"], d["document_ref"])),
    "ExtendedTravelPlanned": on_pupil(lambda p, e, d: p.plan_extended_travel(
        e, d["from_date"], d["to_date"], d["destination"])),
    "SchoolHealthServiceNotified": on_pupil(lambda p, e, d: p.notify_school_health(
        e, d["about"])),
    "SafeguardingConcernRecorded": on_pupil(lambda p, e, d: p.record_safeguarding_concern(
        e, d["grounds"])),
    "HomeVisitOffered": on_pupil(lambda p, e, d: p.offer_home_visit(e)),
    "TaskOverdue": _overdue,
}
