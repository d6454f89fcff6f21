"""The follow-up case (oppfølgingssak) kept for each pupil: every contact, letter,
meeting, agreement, consent and referral, and the whereabouts-unknown procedure.

``Pupil`` inherits this: a case is about one enrolled pupil and needs the pupil's
guardians (consents) and identity on file (MISS-6). As in ``Pupil``, each public method
checks the rules and only then triggers its event; the event bodies only record state.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.case_records import (
    CONSULTATIONS,
    Agency,
    Agreement,
    ConcernReport,
    Conclusion,
    ConfirmationAbout,
    Consent,
    Contact,
    Grounds,
    Letter,
    MeasureEvaluation,
    Meeting,
    MeetingKind,
    PoliceDecision,
    Referral,
    RegisterResult,
    Route,
    WelfareAssessment,
    Whereabouts,
)
from domain.catalogue import guide_questions, measure
from domain.envelope import Envelope, Role
from domain.errors import RuleViolation

REF_1 = {Grounds.NEGLECT: Agency.CHILD_WELFARE, Grounds.MENTAL_DISORDER: Agency.BUP,
         Grounds.GUARDIAN_CONFLICT: Agency.FAMILY_COUNSELLING}
"""REF-1: neglect -> child welfare, serious mental disorder -> BUP, conflict between the
guardians -> the family counselling office."""

BUP_ATTACHMENTS = ("minutes", "problem_description", "measures_tried")
"""REF-3: what a BUP referral carries."""

SAFEGUARDING_ROLES = (Role.SCHOOL_HEALTH_SERVICE, Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP,
                      Role.CHILD_WELFARE_CONTACT)
"""SAFE: the roles that handle (and may read) safeguarding records."""


class FollowUpCase(Aggregate):
    """The case part of a pupil (see ``domain.pupil.Pupil``)."""

    class Event(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID

    class ContactLogged(Event):
        contact: Contact

    class LetterSent(Event):
        letter: Letter

    class MeetingHeld(Event):
        meeting: Meeting

    class LeadershipInformed(Event):
        informed_role: str
        about: str

    class CollaborationAgreementSigned(Event):
        agreement: Agreement

    class MeasureEvaluated(Event):
        evaluation: MeasureEvaluation

    class ConsentGiven(Event):
        consent: Consent

    class ConsentWithdrawn(Event):
        consent_id: str
        guardian_id: str

    class ChildWelfareAssessmentRecorded(Event):
        assessment: WelfareAssessment

    class ReferralMade(Event):
        referral: Referral

    class ConsultationInvitationSent(Event):
        referral_id: str
        meeting_at: datetime

    class WrittenEvaluationSubmitted(Event):
        referral_id: str
        document_ref: str

    class ConcernReportSent(Event):
        report: ConcernReport

    class CaseOpened(Event):
        reason: str

    class CaseForwardedToMunicipalDirector(Event):
        presentation_ref: str

    class PoliceReportDecided(Event):
        decision: PoliceDecision
        reasons: str

    class CaseClosed(Event):
        reason: str

    class WhereaboutsUnknownReported(Event):
        away_since: date

    class PopulationRegisterChecked(Event):
        result: RegisterResult

    class ContactRouteTried(Event):
        route: Route
        result: str

    class PupilLocated(Event):
        outcome: Whereabouts
        details: str

    class MovingNoticeSent(Event):
        to_municipality: str

    class GuardianWrittenConfirmationReceived(Event):
        about: ConfirmationAbout
        document_ref: str

    class NavNotified(Event):
        away_since: date
        document_ref: str

    class ExtendedTravelPlanned(Event):
        from_date: date
        to_date: date
        destination: str | None

    class SchoolHealthServiceNotified(Event):
        about: str

    class SafeguardingConcernRecorded(Event):
        grounds: str

    class HomeVisitOffered(Event):
        pass

    class TaskOverdue(Event):
        task_id: str
        rule: str
        due_at: datetime

    pupil_id: UUID

    def _init_case(self) -> None:
        self.consents: dict[str, dict[str, Any]] = {}
        self.referrals: dict[str, str] = {}
        self.consultations: dict[str, str | None] = {}
        self.agreements: dict[str, dict[str, Any]] = {}
        self.forwarded = False
        self.safeguarding = False
        self.whereabouts_open = False
        self.closed = False
        self.overdue: list[str] = []

    # What the pupil part answers ----------------------------------------------------

    def guardian_ids(self, day: date) -> set[str]:
        raise NotImplementedError

    def identity_on_file(self) -> bool:
        raise NotImplementedError

    # FOL, POL-4 -------------------------------------------------------------------------

    def log_contact(self, envelope: Envelope, contact: Contact) -> None:
        """FOL-6, POL-4: every contact or attempt, with who, whom, when and the result."""
        if not contact.result.strip():
            raise RuleViolation("result_required", "every contact or attempt records its "
                                "result", field="data.result", rule="POL-4")
        self._contact_logged(envelope, self.pupil_id, contact)

    @event(ContactLogged)
    def _contact_logged(self, envelope: Envelope, pupil_id: UUID, contact: Contact) -> None:
        pass

    def send_letter(self, envelope: Envelope, letter: Letter) -> None:
        """POL-2 is checked in the dossier: a letter without the statements is kept and
        reported missing there, since the letter has already been sent."""
        self._letter_sent(envelope, self.pupil_id, letter)

    @event(LetterSent)
    def _letter_sent(self, envelope: Envelope, pupil_id: UUID, letter: Letter) -> None:
        pass

    def hold_meeting(self, envelope: Envelope, meeting: Meeting) -> None:
        questions = guide_questions(meeting.kind.value)
        for index, answer in enumerate(meeting.guide_answers):
            if answer.question not in questions:
                raise RuleViolation("not_a_guide_question", "answers are to questions of the "
                                    f"guide for {meeting.kind.value}",
                                    field=f"data.guide_answers[{index}].question",
                                    rule="FOL-20")
        if not meeting.pupil_participated and not (meeting.pupil_absent_reason or "").strip():
            raise RuleViolation("absent_reason_required", "a meeting the pupil did not take "
                                "part in records why", field="data.pupil_absent_reason",
                                rule="FOL-15")
        if meeting.kind in CONSULTATIONS:
            self._check_consultation_order(meeting)
        self._meeting_held(envelope, self.pupil_id, meeting)

    def _check_consultation_order(self, meeting: Meeting) -> None:
        if Agency.CONSULTATION_TEAM.value not in self.referrals.values():
            raise RuleViolation("consultation_without_referral", "a consultation needs a "
                                "referral to the consultation team", field="data.kind",
                                rule="CT-1")
        if meeting.kind is MeetingKind.CONSULTATION_1 and not (meeting.pupil_input or "").strip():
            raise RuleViolation("pupil_input_required", "the first consultation records the "
                                "pupil's own input", field="data.pupil_input", rule="CT-3")
        previous = {MeetingKind.CONSULTATION_2: MeetingKind.CONSULTATION_1,
                    MeetingKind.CONSULTATION_3: MeetingKind.CONSULTATION_2}.get(meeting.kind)
        if meeting.kind.value in self.consultations:
            raise RuleViolation("consultation_repeated", f"{meeting.kind.value} is already "
                                "recorded", field="data.kind",
                                rule="CT-6" if meeting.kind is MeetingKind.CONSULTATION_3
                                else "CT-5" if previous else "CT-3")
        if previous is not None and previous.value not in self.consultations:
            raise RuleViolation("consultation_out_of_order", f"{meeting.kind.value} before "
                                f"{previous.value}", field="data.kind",
                                rule="CT-4" if previous is MeetingKind.CONSULTATION_1
                                else "CT-6")
        if meeting.kind is MeetingKind.CONSULTATION_3 and \
                self.consultations.get(MeetingKind.CONSULTATION_2.value) != Conclusion.CONTINUE:
            raise RuleViolation("consultation_not_continued", "a third consultation follows "
                                "only a second that concluded to continue", field="data.kind",
                                rule="CT-6")
        if meeting.kind in (MeetingKind.CONSULTATION_2, MeetingKind.CONSULTATION_3) and \
                meeting.conclusion is None:
            raise RuleViolation("conclusion_required", "the consultation's conclusion "
                                "(continue, refer, close) is recorded", field="data.conclusion",
                                rule="CT-5" if meeting.kind is MeetingKind.CONSULTATION_2
                                else "CT-6")

    @event(MeetingHeld)
    def _meeting_held(self, envelope: Envelope, pupil_id: UUID, meeting: Meeting) -> None:
        if meeting.kind in CONSULTATIONS:
            self.consultations[meeting.kind.value] = (meeting.conclusion.value
                                                      if meeting.conclusion else None)

    def inform_leadership(self, envelope: Envelope, informed_role: str, about: str) -> None:
        self._leadership_informed(envelope, self.pupil_id, informed_role, about)

    @event(LeadershipInformed)
    def _leadership_informed(self, envelope: Envelope, pupil_id: UUID, informed_role: str,
                             about: str) -> None:
        pass

    def sign_agreement(self, envelope: Envelope, agreement: Agreement) -> None:
        """FOL-13: measures, who is responsible, when each is evaluated; versioned."""
        known = self.agreements.get(agreement.agreement_id)
        expected = 1 if known is None else int(known["version"]) + 1
        if agreement.version != expected:
            raise RuleViolation("agreement_version", f"the next version of this agreement is "
                                f"{expected}", field="data.version", rule="FOL-13")
        if not agreement.measures:
            raise RuleViolation("measures_required", "an agreement names at least one measure",
                                field="data.measures", rule="FOL-13")
        guardians = self.guardian_ids(envelope.occurred_at.date())
        for index, agreed in enumerate(agreement.measures):
            listed = measure(agreed.catalogue_code) if agreed.catalogue_code else None
            if agreed.catalogue_code and listed is None:
                raise RuleViolation("unknown_measure_code", "not a code of the measure "
                                    "catalogue", field=f"data.measures[{index}].catalogue_code",
                                    rule="FOL-13")
            requires = (listed or {}).get("requires", [])
            if "administrative_decision" in requires and not agreed.administrative_decision_ref:
                raise RuleViolation("administrative_decision_required", "moving lessons under "
                                    "the 25 % rule needs an administrative decision",
                                    field=f"data.measures[{index}].administrative_decision_ref",
                                    rule="FOL-13")
            if "consent" in requires and not guardians & set(agreement.signed_by):
                raise RuleViolation("consent_required", "moving lessons under the 25 % rule "
                                    "needs the guardians' consent: a guardian signs",
                                    field="data.signed_by", rule="FOL-13")
        self._agreement_signed(envelope, self.pupil_id, agreement)

    @event(CollaborationAgreementSigned)
    def _agreement_signed(self, envelope: Envelope, pupil_id: UUID,
                          agreement: Agreement) -> None:
        self.agreements[agreement.agreement_id] = {
            "version": agreement.version, "measures": [m.measure_id for m in agreement.measures]}

    def evaluate_measure(self, envelope: Envelope, evaluation: MeasureEvaluation) -> None:
        agreement = self.agreements.get(evaluation.agreement_id)
        if agreement is None or evaluation.measure_id not in agreement["measures"]:
            raise RuleViolation("unknown_measure", "no such measure in this agreement",
                                field="data.measure_id", rule="FOL-13")
        self._measure_evaluated(envelope, self.pupil_id, evaluation)

    @event(MeasureEvaluated)
    def _measure_evaluated(self, envelope: Envelope, pupil_id: UUID,
                           evaluation: MeasureEvaluation) -> None:
        pass

    # Consent and referrals (REF, CT) ---------------------------------------------------

    def give_consent(self, envelope: Envelope, consent: Consent) -> None:
        if consent.guardian_id not in self.guardian_ids(envelope.occurred_at.date()):
            raise RuleViolation("not_a_guardian", "consent is given by one of the pupil's "
                                "registered guardians", field="data.guardian_id", rule="REF-4")
        if consent.consent_id in self.consents:
            raise RuleViolation("consent_exists", "a consent with this id exists",
                                field="data.consent_id", rule="REF-4")
        self._consent_given(envelope, self.pupil_id, consent)

    @event(ConsentGiven)
    def _consent_given(self, envelope: Envelope, pupil_id: UUID, consent: Consent) -> None:
        self.consents[consent.consent_id] = {"scope": [a.value for a in consent.scope],
                                             "withdrawn": False}

    def withdraw_consent(self, envelope: Envelope, consent_id: str, guardian_id: str) -> None:
        found = self.consents.get(consent_id)
        if found is None or found["withdrawn"]:
            raise RuleViolation("no_such_consent", "no consent in force has this id",
                                field="data.consent_id", rule="REF-4")
        self._consent_withdrawn(envelope, self.pupil_id, consent_id, guardian_id)

    @event(ConsentWithdrawn)
    def _consent_withdrawn(self, envelope: Envelope, pupil_id: UUID, consent_id: str,
                           guardian_id: str) -> None:
        self.consents[consent_id]["withdrawn"] = True

    def consented(self, agency: Agency) -> bool:
        return any(agency.value in c["scope"] and not c["withdrawn"]
                   for c in self.consents.values())

    def refer(self, envelope: Envelope, referral: Referral) -> None:
        if referral.referral_id in self.referrals:
            raise RuleViolation("referral_exists", "a referral with this id exists",
                                field="data.referral_id")
        by_guardians = envelope.actor.role is Role.GUARDIAN
        if not by_guardians and not self.consented(referral.to):
            raise RuleViolation(
                "consent_required", f"involving {referral.to.value} by name needs the "
                "guardians' consent in scope; discuss the case anonymously instead, or, if "
                "the guardians decline the team, refer to single agencies with their consent "
                "(CT-7)", field="data.to", rule="REF-4")
        if referral.grounds in REF_1 and REF_1[referral.grounds] is not referral.to:
            raise RuleViolation("wrong_agency", f"{referral.grounds.value} is referred to "
                                f"{REF_1[referral.grounds].value}", field="data.to",
                                rule="REF-1")
        if referral.to is Agency.BUP:
            if referral.via is None:
                raise RuleViolation("via_required", "a BUP referral goes via the GP or child "
                                    "welfare", field="data.via", rule="REF-3")
            missing = set(BUP_ATTACHMENTS) - {a.kind for a in referral.attachments}
            if missing:
                raise RuleViolation("attachments_required", "a BUP referral attaches "
                                    + ", ".join(sorted(missing)), field="data.attachments",
                                    rule="REF-3")
        self._referral_made(envelope, self.pupil_id, referral)

    @event(ReferralMade)
    def _referral_made(self, envelope: Envelope, pupil_id: UUID, referral: Referral) -> None:
        self.referrals[referral.referral_id] = referral.to.value

    def invite_to_consultation(self, envelope: Envelope, referral_id: str,
                               meeting_at: datetime) -> None:
        if self.referrals.get(referral_id) != Agency.CONSULTATION_TEAM.value:
            raise RuleViolation("not_a_team_referral", "the invitation answers a referral to "
                                "the consultation team", field="data.referral_id", rule="CT-2")
        self._invited(envelope, self.pupil_id, referral_id, meeting_at)

    @event(ConsultationInvitationSent)
    def _invited(self, envelope: Envelope, pupil_id: UUID, referral_id: str,
                 meeting_at: datetime) -> None:
        pass

    def submit_written_evaluation(self, envelope: Envelope, referral_id: str,
                                  document_ref: str) -> None:
        if referral_id not in self.referrals:
            raise RuleViolation("unknown_referral", "no referral with this id",
                                field="data.referral_id", rule="CT-5")
        self._evaluation_submitted(envelope, self.pupil_id, referral_id, document_ref)

    @event(WrittenEvaluationSubmitted)
    def _evaluation_submitted(self, envelope: Envelope, pupil_id: UUID, referral_id: str,
                              document_ref: str) -> None:
        pass

    def assess_child_welfare(self, envelope: Envelope, assessment: WelfareAssessment) -> None:
        """FOL-17: the assessment is recorded, with its reasons."""
        if not assessment.reasons.strip():
            raise RuleViolation("reasons_required", "the assessment records its reasons",
                                field="data.reasons", rule="FOL-17")
        self._welfare_assessed(envelope, self.pupil_id, assessment)

    @event(ChildWelfareAssessmentRecorded)
    def _welfare_assessed(self, envelope: Envelope, pupil_id: UUID,
                          assessment: WelfareAssessment) -> None:
        pass

    def send_concern_report(self, envelope: Envelope, report: ConcernReport) -> None:
        """REF-2, REF-4: the school sends it; no consent is needed."""
        self._concern_report_sent(envelope, self.pupil_id, report)

    @event(ConcernReportSent)
    def _concern_report_sent(self, envelope: Envelope, pupil_id: UUID,
                             report: ConcernReport) -> None:
        pass

    # The case itself (POL) --------------------------------------------------------------

    def open_case(self, envelope: Envelope, reason: str) -> None:
        self._case_opened(envelope, self.pupil_id, reason)

    @event(CaseOpened)
    def _case_opened(self, envelope: Envelope, pupil_id: UUID, reason: str) -> None:
        self.closed = False

    def forward_to_municipal_director(self, envelope: Envelope, presentation_ref: str) -> None:
        if envelope.actor.role not in (Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP):
            raise RuleViolation("not_the_principal", "the principal sends the case to the "
                                "municipal director", field="actor.role", rule="POL-5")
        self._forwarded(envelope, self.pupil_id, presentation_ref)

    @event(CaseForwardedToMunicipalDirector)
    def _forwarded(self, envelope: Envelope, pupil_id: UUID, presentation_ref: str) -> None:
        self.forwarded = True

    def decide_police_report(self, envelope: Envelope, decision: PoliceDecision,
                             reasons: str) -> None:
        if not self.forwarded:
            raise RuleViolation("not_forwarded", "the municipal director decides on a case "
                                "the principal has sent", field="type", rule="POL-5")
        if envelope.actor.role is not Role.MUNICIPAL_DIRECTOR:
            raise RuleViolation("not_the_director", "the municipal director decides whether "
                                "to report", field="actor.role", rule="POL-1")
        self._police_decided(envelope, self.pupil_id, decision, reasons)

    @event(PoliceReportDecided)
    def _police_decided(self, envelope: Envelope, pupil_id: UUID, decision: PoliceDecision,
                        reasons: str) -> None:
        pass

    def close_case(self, envelope: Envelope, reason: str) -> None:
        if self.closed:
            raise RuleViolation("already_closed", "the case is closed", field="type")
        self._closed(envelope, self.pupil_id, reason)

    @event(CaseClosed)
    def _closed(self, envelope: Envelope, pupil_id: UUID, reason: str) -> None:
        self.closed = True

    # Whereabouts unknown (MISS) ---------------------------------------------------------

    def report_whereabouts_unknown(self, envelope: Envelope, away_since: date) -> None:
        if self.whereabouts_open:
            raise RuleViolation("already_open", "the whereabouts procedure is already open",
                                field="type", rule="MISS-1")
        self._whereabouts_unknown(envelope, self.pupil_id, away_since)

    @event(WhereaboutsUnknownReported)
    def _whereabouts_unknown(self, envelope: Envelope, pupil_id: UUID, away_since: date) -> None:
        self.whereabouts_open = True
        self.closed = False

    def _check_procedure(self, rule: str) -> None:
        if not self.whereabouts_open:
            raise RuleViolation("no_procedure", "no whereabouts-unknown procedure is open",
                                field="type", rule=rule)

    def check_population_register(self, envelope: Envelope, result: RegisterResult) -> None:
        self._check_procedure("MISS-2")
        self._register_checked(envelope, self.pupil_id, result)

    @event(PopulationRegisterChecked)
    def _register_checked(self, envelope: Envelope, pupil_id: UUID,
                          result: RegisterResult) -> None:
        pass

    def try_contact_route(self, envelope: Envelope, route: Route, result: str) -> None:
        self._check_procedure("MISS-3")
        self._route_tried(envelope, self.pupil_id, route, result)

    @event(ContactRouteTried)
    def _route_tried(self, envelope: Envelope, pupil_id: UUID, route: Route,
                     result: str) -> None:
        pass

    def locate(self, envelope: Envelope, outcome: Whereabouts, details: str) -> None:
        self._check_procedure("MISS-5")
        self._located(envelope, self.pupil_id, outcome, details)

    @event(PupilLocated)
    def _located(self, envelope: Envelope, pupil_id: UUID, outcome: Whereabouts,
                 details: str) -> None:
        self.whereabouts_open = False

    def send_moving_notice(self, envelope: Envelope, to_municipality: str) -> None:
        self._moving_notice_sent(envelope, self.pupil_id, to_municipality)

    @event(MovingNoticeSent)
    def _moving_notice_sent(self, envelope: Envelope, pupil_id: UUID,
                            to_municipality: str) -> None:
        pass

    def receive_written_confirmation(self, envelope: Envelope, about: ConfirmationAbout,
                                     document_ref: str) -> None:
        self._confirmation_received(envelope, self.pupil_id, about, document_ref)

    @event(GuardianWrittenConfirmationReceived)
    def _confirmation_received(self, envelope: Envelope, pupil_id: UUID,
                               about: ConfirmationAbout, document_ref: str) -> None:
        pass

    def notify_nav(self, envelope: Envelope, away_since: date, document_ref: str) -> None:
        """MISS-6: the notice names the child and the national identity number."""
        if not self.identity_on_file():
            raise RuleViolation("identity_missing", "a NAV notice needs the pupil's name and "
                                "national identity number on file (PupilEnrolled)",
                                field="data.pupil_id", rule="MISS-6")
        self._nav_notified(envelope, self.pupil_id, away_since, document_ref)

    @event(NavNotified)
    def _nav_notified(self, envelope: Envelope, pupil_id: UUID, away_since: date,
                      document_ref: str) -> None:
        pass

    # Safeguarding (SAFE) ----------------------------------------------------------------

    def plan_extended_travel(self, envelope: Envelope, from_date: date, to_date: date,
                             destination: str | None) -> None:
        if to_date < from_date:
            raise RuleViolation("period_reversed", "to_date is before from_date",
                                field="data.to_date")
        self._travel_planned(envelope, self.pupil_id, from_date, to_date, destination)

    @event(ExtendedTravelPlanned)
    def _travel_planned(self, envelope: Envelope, pupil_id: UUID, from_date: date,
                        to_date: date, destination: str | None) -> None:
        pass

    def notify_school_health(self, envelope: Envelope, about: str) -> None:
        self._school_health_notified(envelope, self.pupil_id, about)

    @event(SchoolHealthServiceNotified)
    def _school_health_notified(self, envelope: Envelope, pupil_id: UUID, about: str) -> None:
        pass

    def record_safeguarding_concern(self, envelope: Envelope, grounds: str) -> None:
        if envelope.actor.role not in (*SAFEGUARDING_ROLES, Role.INTEGRATION_PLATFORM,
                                       Role.CONTACT_TEACHER, Role.SOCIAL_TEACHER):
            raise RuleViolation("role_not_allowed", "safeguarding concerns are recorded by "
                                "school staff or the school health service",
                                field="actor.role", rule="SAFE-2")
        self._safeguarding(envelope, self.pupil_id, grounds)

    @event(SafeguardingConcernRecorded)
    def _safeguarding(self, envelope: Envelope, pupil_id: UUID, grounds: str) -> None:
        self.safeguarding = True

    def offer_home_visit(self, envelope: Envelope) -> None:
        if not self.safeguarding:
            raise RuleViolation("no_safeguarding_concern", "a home visit is offered on a "
                                "safeguarding concern", field="type", rule="SAFE-3")
        self._home_visit_offered(envelope, self.pupil_id)

    @event(HomeVisitOffered)
    def _home_visit_offered(self, envelope: Envelope, pupil_id: UUID) -> None:
        pass

    # Deadlines ---------------------------------------------------------------------------

    def record_overdue(self, envelope: Envelope, task_id: str, rule: str,
                       due_at: datetime) -> None:
        """Recorded by the service's clock: a task passed its due time undone."""
        if task_id in self.overdue:
            raise RuleViolation("already_overdue", "the task is already recorded overdue",
                                field="data.task_id")
        self._overdue(envelope, self.pupil_id, task_id, rule, due_at)

    @event(TaskOverdue)
    def _overdue(self, envelope: Envelope, pupil_id: UUID, task_id: str, rule: str,
                 due_at: datetime) -> None:
        self.overdue.append(task_id)


SAFEGUARDING_RECORDS = (FollowUpCase.SafeguardingConcernRecorded, FollowUpCase.HomeVisitOffered,
                        FollowUpCase.ExtendedTravelPlanned,
                        FollowUpCase.SchoolHealthServiceNotified)
"""SAFE: records readable only by `SAFEGUARDING_ROLES`; elsewhere they are at most "a
restricted record" (so that a pupil's sequence on a topic has no gap)."""
