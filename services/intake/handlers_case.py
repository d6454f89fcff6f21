"""What each follow-up command does (EVENTS.md "Follow-up and cases", "Whereabouts unknown,
abroad, safeguarding"): find the pupil and the pupil's case (or the school), call the case.

Most commands only name their pupil; ``on_case(Command, call)`` makes their handler, and
passing the command's class lets the type checker check ``call`` against it. The case
decides what each record means (concerns, stage, tasks) in the same call, so its
decisions are saved with the record, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.case import Context, FollowUpCase
from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.pupil import Pupil
from domain.school_routine import SchoolRoutine, school_routine_id
from services.intake import commands as c
from services.store.unit_of_work import UnitOfWork

C = TypeVar("C")
Changed = tuple[Aggregate, ...]
"""The aggregates a command changed: the one its event became part of first."""
Handler = Callable[[UnitOfWork, Envelope, C], Changed]
Entry = tuple[type, Handler[Any]]
CaseCall = Callable[[FollowUpCase, Envelope, C, Context], None]


def followed(uow: UnitOfWork, envelope: Envelope, pupil: Pupil) -> Changed:
    """The pupil's new fact, and what the pupil's case decides on it."""
    case = uow.case(envelope.tenant, pupil, envelope)
    context = uow.context(envelope.tenant, pupil)
    for fact in list(pupil.pending_events):
        case.follow(fact, context)
    return pupil, case


def _on_case_of(uow: UnitOfWork, envelope: Envelope, pupil: Pupil, posted: Any,
                call: CaseCall[Any]) -> Changed:
    case = uow.case(envelope.tenant, pupil, envelope)
    call(case, envelope, posted, uow.context(envelope.tenant, pupil))
    return (case,)


def on_case(command: type[C], call: CaseCall[C]) -> Entry:
    """The handler of a command that names its pupil."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Changed:
        pupil = uow.pupil(envelope.tenant, posted.pupil_id)  # type: ignore[attr-defined]
        return _on_case_of(uow, envelope, pupil, posted, call)
    return command, handle


def on_referral(command: type[C], call: CaseCall[C]) -> Entry:
    """The handler of a command that names only its referral."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Changed:
        pupil = uow.referenced(envelope.tenant, "referral",
                               posted.referral_id,  # type: ignore[attr-defined]
                               field="data.referral_id", rule="CT-2")
        return _on_case_of(uow, envelope, pupil, posted, call)
    return command, handle


def on_school(command: type[C], call: Callable[[SchoolRoutine, Envelope, C], None]) -> Entry:
    """The handler of a command about a school's own routine."""
    def handle(uow: UnitOfWork, envelope: Envelope, posted: C) -> Changed:
        school_id = posted.school_id  # type: ignore[attr-defined]
        school = uow.get(school_routine_id(envelope.tenant, school_id)) or \
            SchoolRoutine(envelope.tenant, school_id)
        call(school, envelope, posted)
        return (school,)
    return command, handle


def sign_agreement(uow: UnitOfWork, envelope: Envelope, command: c.SignAgreement) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    agreement = command.agreement
    uow.check_key(envelope.tenant, "agreement", agreement.agreement_id, pupil.id)
    changed = _on_case_of(uow, envelope, pupil, command, lambda case, e, cmd, ctx:
                          case.sign_agreement(e, cmd.agreement, ctx))
    if agreement.version == 1:
        uow.refer(envelope.tenant, "agreement", agreement.agreement_id, pupil.id)
    return changed


def evaluate_measure(uow: UnitOfWork, envelope: Envelope,
                     command: c.EvaluateMeasure) -> Changed:
    pupil = uow.referenced(envelope.tenant, "agreement", command.evaluation.agreement_id,
                           field="data.agreement_id", rule="FOL-13")
    return _on_case_of(uow, envelope, pupil, command, lambda case, e, cmd, ctx:
                       case.evaluate_measure(e, cmd.evaluation, ctx))


def make_referral(uow: UnitOfWork, envelope: Envelope, command: c.MakeReferral) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    referral_id = command.referral.referral_id
    uow.check_key(envelope.tenant, "referral", referral_id, pupil.id)
    changed = _on_case_of(uow, envelope, pupil, command, lambda case, e, cmd, ctx:
                          case.refer(e, cmd.referral, ctx))
    uow.refer(envelope.tenant, "referral", referral_id, pupil.id)
    return changed


def record_overdue(uow: UnitOfWork, envelope: Envelope, command: c.RecordOverdue) -> Changed:
    pupil = uow.pupil(envelope.tenant, command.pupil_id)
    case = uow.get(FollowUpCase.create_id(envelope, pupil.pupil_id))
    if case is None:
        raise RuleViolation("task_not_open", "no open task of this pupil has this id",
                            field="data.task_id")
    case.record_overdue(envelope, command.task_id, command.rule, command.due_at)
    return (case,)


CASE_HANDLERS: dict[type, Handler[Any]] = dict([
    on_case(c.LogContact, lambda k, e, cmd, ctx: k.log_contact(e, cmd.contact, ctx)),
    on_case(c.SendLetter, lambda k, e, cmd, ctx: k.send_letter(e, cmd.letter, ctx)),
    on_case(c.HoldMeeting, lambda k, e, cmd, ctx: k.hold_meeting(e, cmd.meeting, ctx)),
    on_case(c.InformLeadership, lambda k, e, cmd, ctx: k.inform_leadership(
        e, cmd.informed_role, cmd.about, ctx)),
    on_school(c.CompleteReview, lambda s, e, cmd: s.complete_review(
        e, cmd.school_id, cmd.scope, cmd.scope_id, cmd.period, cmd.kind)),
    on_school(c.HoldParentsMeeting, lambda s, e, cmd: s.hold_parents_meeting(
        e, cmd.school_id, cmd.class_id, cmd.at, cmd.guideline_reviewed)),
    on_school(c.DiscussAnonymously, lambda s, e, cmd: s.discuss_anonymously(
        e, cmd.school_id, cmd.partner, cmd.summary)),
    (c.SignAgreement, sign_agreement),
    (c.EvaluateMeasure, evaluate_measure),
    on_case(c.GiveConsent, lambda k, e, cmd, ctx: k.give_consent(e, cmd.consent, ctx)),
    on_case(c.WithdrawConsent, lambda k, e, cmd, ctx: k.withdraw_consent(
        e, cmd.consent_id, cmd.guardian_id, ctx)),
    on_case(c.AssessChildWelfare, lambda k, e, cmd, ctx: k.assess_child_welfare(
        e, cmd.assessment, ctx)),
    (c.MakeReferral, make_referral),
    on_referral(c.InviteToConsultation, lambda k, e, cmd, ctx: k.invite_to_consultation(
        e, cmd.referral_id, cmd.meeting_at, ctx)),
    on_referral(c.SubmitWrittenEvaluation, lambda k, e, cmd, ctx: k.submit_written_evaluation(
        e, cmd.referral_id, cmd.document_ref, ctx)),
    on_case(c.SendConcernReport, lambda k, e, cmd, ctx: k.send_concern_report(
        e, cmd.report, ctx)),
    on_case(c.OpenCase, lambda k, e, cmd, ctx: k.open_case(e, cmd.reason, ctx)),
    on_case(c.ForwardCase, lambda k, e, cmd, ctx: k.forward_to_municipal_director(
        e, cmd.presentation_ref, ctx)),
    on_case(c.DecidePoliceReport, lambda k, e, cmd, ctx: k.decide_police_report(
        e, cmd.decision, cmd.reasons, ctx)),
    on_case(c.CloseCase, lambda k, e, cmd, ctx: k.close_case(e, cmd.reason, ctx)),
    on_case(c.ReportWhereaboutsUnknown, lambda k, e, cmd, ctx: k.report_whereabouts_unknown(
        e, cmd.away_since, ctx)),
    on_case(c.CheckPopulationRegister, lambda k, e, cmd, ctx: k.check_population_register(
        e, cmd.result, ctx)),
    on_case(c.TryContactRoute, lambda k, e, cmd, ctx: k.try_contact_route(
        e, cmd.route, cmd.result, ctx)),
    on_case(c.LocatePupil, lambda k, e, cmd, ctx: k.locate(e, cmd.outcome, cmd.details, ctx)),
    on_case(c.SendMovingNotice, lambda k, e, cmd, ctx: k.send_moving_notice(
        e, cmd.to_municipality, ctx)),
    on_case(c.ReceiveWrittenConfirmation, lambda k, e, cmd, ctx:
            k.receive_written_confirmation(e, cmd.about, cmd.document_ref, ctx)),
    on_case(c.NotifyNav, lambda k, e, cmd, ctx: k.notify_nav(
        e, cmd.away_since, cmd.document_ref, ctx)),
    on_case(c.PlanExtendedTravel, lambda k, e, cmd, ctx: k.plan_extended_travel(
        e, cmd.from_date, cmd.to_date, cmd.destination, ctx)),
    on_case(c.NotifySchoolHealth, lambda k, e, cmd, ctx: k.notify_school_health(
        e, cmd.about, ctx)),
    on_case(c.RecordSafeguardingConcern, lambda k, e, cmd, ctx: k.record_safeguarding_concern(
        e, cmd.grounds, ctx)),
    on_case(c.OfferHomeVisit, lambda k, e, cmd, ctx: k.offer_home_visit(e, ctx)),
    on_case(c.CloseDay, lambda k, e, cmd, ctx: k.close_day(e, cmd.date, ctx)),
    (c.RecordOverdue, record_overdue),
])
