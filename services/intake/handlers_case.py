"""What each follow-up command does (EVENTS.md "Follow-up and cases", "Whereabouts unknown,
abroad, safeguarding"): find the pupil (or the school), call its case.

Most commands only name their pupil; ``on_pupil(Command, call)`` makes their handler, and
passing the command's class lets the type checker check ``call`` against it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.envelope import Envelope
from domain.pupil import Pupil
from domain.school_routine import SchoolRoutine, school_routine_id
from services.intake import commands as c
from services.store.unit_of_work import UnitOfWork

C = TypeVar("C")
Handler = Callable[[UnitOfWork, Envelope, C], Aggregate]
Entry = tuple[type, Handler[Any]]


def on_pupil(command: type[C], call: Callable[[Pupil, Envelope, C], None]) -> Entry:
    """The handler of a command that names its pupil."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Aggregate:
        pupil = uow.pupil(envelope.tenant, posted.pupil_id)  # type: ignore[attr-defined]
        call(pupil, envelope, posted)
        return pupil
    return command, handle


def on_referral(command: type[C], call: Callable[[Pupil, Envelope, C], None]) -> Entry:
    """The handler of a command that names only its referral."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Aggregate:
        pupil = uow.referenced(envelope.tenant, "referral",
                               posted.referral_id,  # type: ignore[attr-defined]
                               field="data.referral_id", rule="CT-2")
        call(pupil, envelope, posted)
        return pupil  # type: ignore[no-any-return]
    return command, handle


def on_school(command: type[C], call: Callable[[SchoolRoutine, Envelope, C], None]) -> Entry:
    """The handler of a command about a school's own routine."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Aggregate:
        school_id = posted.school_id  # type: ignore[attr-defined]
        school = uow.get(school_routine_id(envelope.tenant, school_id)) or \
            SchoolRoutine(envelope.tenant, school_id)
        call(school, envelope, posted)
        return school
    return command, handle


def sign_agreement(uow: UnitOfWork, envelope: Envelope, command: c.SignAgreement) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    agreement = command.agreement
    uow.check_key(envelope.tenant, "agreement", agreement.agreement_id, pupil.id)
    pupil.sign_agreement(envelope, agreement)
    if agreement.version == 1:
        uow.refer(envelope.tenant, "agreement", agreement.agreement_id, pupil.id)
    return pupil


def evaluate_measure(uow: UnitOfWork, envelope: Envelope,
                     command: c.EvaluateMeasure) -> Aggregate:
    pupil = uow.referenced(envelope.tenant, "agreement", command.evaluation.agreement_id,
                           field="data.agreement_id", rule="FOL-13")
    pupil.evaluate_measure(envelope, command.evaluation)
    return pupil  # type: ignore[no-any-return]


def make_referral(uow: UnitOfWork, envelope: Envelope, command: c.MakeReferral) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    referral_id = command.referral.referral_id
    uow.check_key(envelope.tenant, "referral", referral_id, pupil.id)
    pupil.refer(envelope, command.referral)
    uow.refer(envelope.tenant, "referral", referral_id, pupil.id)
    return pupil


def record_overdue(uow: UnitOfWork, envelope: Envelope, command: c.RecordOverdue) -> Aggregate:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    pupil.record_overdue(envelope, command.task_id, command.rule, command.due_at)
    return pupil


CASE_HANDLERS: dict[type, Handler[Any]] = dict([
    on_pupil(c.LogContact, lambda p, e, cmd: p.log_contact(e, cmd.contact)),
    on_pupil(c.SendLetter, lambda p, e, cmd: p.send_letter(e, cmd.letter)),
    on_pupil(c.HoldMeeting, lambda p, e, cmd: p.hold_meeting(e, cmd.meeting)),
    on_pupil(c.InformLeadership, lambda p, e, cmd: p.inform_leadership(
        e, cmd.informed_role, cmd.about)),
    on_school(c.CompleteReview, lambda s, e, cmd: s.complete_review(
        e, cmd.school_id, cmd.scope, cmd.scope_id, cmd.period, cmd.kind)),
    on_school(c.HoldParentsMeeting, lambda s, e, cmd: s.hold_parents_meeting(
        e, cmd.school_id, cmd.class_id, cmd.at, cmd.guideline_reviewed)),
    on_school(c.DiscussAnonymously, lambda s, e, cmd: s.discuss_anonymously(
        e, cmd.school_id, cmd.partner, cmd.summary)),
    (c.SignAgreement, sign_agreement),
    (c.EvaluateMeasure, evaluate_measure),
    on_pupil(c.GiveConsent, lambda p, e, cmd: p.give_consent(e, cmd.consent)),
    on_pupil(c.WithdrawConsent, lambda p, e, cmd: p.withdraw_consent(
        e, cmd.consent_id, cmd.guardian_id)),
    on_pupil(c.AssessChildWelfare, lambda p, e, cmd: p.assess_child_welfare(
        e, cmd.assessment)),
    (c.MakeReferral, make_referral),
    on_referral(c.InviteToConsultation, lambda p, e, cmd: p.invite_to_consultation(
        e, cmd.referral_id, cmd.meeting_at)),
    on_referral(c.SubmitWrittenEvaluation, lambda p, e, cmd: p.submit_written_evaluation(
        e, cmd.referral_id, cmd.document_ref)),
    on_pupil(c.SendConcernReport, lambda p, e, cmd: p.send_concern_report(e, cmd.report)),
    on_pupil(c.OpenCase, lambda p, e, cmd: p.open_case(e, cmd.reason)),
    on_pupil(c.ForwardCase, lambda p, e, cmd: p.forward_to_municipal_director(
        e, cmd.presentation_ref)),
    on_pupil(c.DecidePoliceReport, lambda p, e, cmd: p.decide_police_report(
        e, cmd.decision, cmd.reasons)),
    on_pupil(c.CloseCase, lambda p, e, cmd: p.close_case(e, cmd.reason)),
    on_pupil(c.ReportWhereaboutsUnknown, lambda p, e, cmd: p.report_whereabouts_unknown(
        e, cmd.away_since)),
    on_pupil(c.CheckPopulationRegister, lambda p, e, cmd: p.check_population_register(
        e, cmd.result)),
    on_pupil(c.TryContactRoute, lambda p, e, cmd: p.try_contact_route(
        e, cmd.route, cmd.result)),
    on_pupil(c.LocatePupil, lambda p, e, cmd: p.locate(e, cmd.outcome, cmd.details)),
    on_pupil(c.SendMovingNotice, lambda p, e, cmd: p.send_moving_notice(
        e, cmd.to_municipality)),
    on_pupil(c.ReceiveWrittenConfirmation, lambda p, e, cmd: p.receive_written_confirmation(
        e, cmd.about, cmd.document_ref)),
    on_pupil(c.NotifyNav, lambda p, e, cmd: p.notify_nav(e, cmd.away_since, cmd.document_ref)),
    on_pupil(c.PlanExtendedTravel, lambda p, e, cmd: p.plan_extended_travel(
        e, cmd.from_date, cmd.to_date, cmd.destination)),
    on_pupil(c.NotifySchoolHealth, lambda p, e, cmd: p.notify_school_health(e, cmd.about)),
    on_pupil(c.RecordSafeguardingConcern, lambda p, e, cmd: p.record_safeguarding_concern(
        e, cmd.grounds)),
    on_pupil(c.OfferHomeVisit, lambda p, e, cmd: p.offer_home_visit(e)),
    (c.RecordOverdue, record_overdue),
])
