"""The follow-up case (oppfølgingssak) of a pupil: every contact, letter, meeting,
agreement, consent and referral, the whereabouts-unknown procedure — and what the service
decided on them: the concerns it raised, the case's stage and episodes, the tasks it
opened, closed, cancelled and saw go overdue.

An aggregate of its own, one per pupil. Each public method checks the rules first and
only then triggers its event; then the case *follows* it (``follow``): it decides, with
the rule set in force, what the new fact means, and records each decision as an event
of its own, in the same transaction as the fact. Facts recorded on the pupil (absence,
notices, the early warning) are followed the same way. The ``@event`` bodies only apply
state: replaying a case never decides again, so what staff were told stays what they were
told whatever the code's thresholds are later (see docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

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
    HealthServiceMatter,
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
from domain.concerns import FactKind, decided_at_day_end, evaluate, fixed_period, is_rolling
from domain.envelope import Actor, Envelope, Role
from domain.errors import RuleViolation
from domain.follow_up import (
    MEETING,
    Stage,
    Task,
    TaskSpec,
    after,
    candidate_stage,
    citation,
    concern_tasks,
    facets,
    failed_contact_tasks,
    local_day,
    next_stage,
    task_id,
    tasks_opened_by,
)
from domain.ids import NAMESPACE, scoped_id
from domain.privacy import SAFEGUARDING_ROLES
from domain.pupil import Pupil
from domain.records import Absence, LateArrival, LeftSchool
from domain.rule_sets import ConcernRule, RuleSet
from domain.school_days import SchoolDays

REF_1 = {"neglect": Agency.CHILD_WELFARE, "mental_disorder": Agency.BUP,
         "guardian_conflict": Agency.FAMILY_COUNSELLING}
"""REF-1: neglect -> child welfare, serious mental disorder -> BUP, conflict between the
guardians -> the family counselling office."""

BUP_ATTACHMENTS = ("minutes", "problem_description", "measures_tried")
"""REF-3: what a BUP referral carries."""

AGENCY_ROLES = {"ppt_advisor": Agency.PPT, "consultation_team": Agency.CONSULTATION_TEAM,
                "child_welfare_contact": Agency.CHILD_WELFARE,
                **{agency.value: agency for agency in Agency}}
"""REF-4: meeting participants (by role) who are another agency."""

LEADERSHIP_ROLES = (Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP)
SERVICE = Actor("skolefravaer", Role.SERVICE)
ENDS_WITH_THE_PROCEDURE = ("MISS-1", "MISS-2")
"""MISS-3: "det er heller ikke nødvendig å gjennomføre alle punktene dersom en tidlig i
prosessen får avklart hvor eleven befinner seg": once located, these steps are moot."""


def case_aggregate_id(tenant: str, pupil_id: UUID) -> UUID:
    return scoped_id(tenant, "case", pupil_id)


def decided(cause: Envelope, kind: str, key: str = "") -> Envelope:
    """The envelope of a decision the service made because of ``cause``: an id derived
    from the cause (one decision of each kind and key per cause), the cause's two times,
    the service as the actor."""
    return Envelope(event_id=uuid5(NAMESPACE, f"decided/{cause.event_id}/{kind}/{key}"),
                    type=kind, type_version=1, tenant=cause.tenant,
                    occurred_at=cause.occurred_at, recorded_at=cause.recorded_at,
                    actor=SERVICE, source="skolefravaer")


@dataclass(frozen=True)
class Context:
    """What the case decides with besides its own state: the pupil (guardians, identity,
    standing facts), the rule set in force on a day, and the pupil's school days."""

    pupil: Pupil
    rules_on: Callable[[date], RuleSet]
    school_days_on: Callable[[date], SchoolDays]


class FollowUpCase(Aggregate):
    """A pupil's follow-up case."""

    class_version = 2  # 2: the concerns raised kept by rule and period (issue 15)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before version 2 lists every concern raised and indexes no
        open task."""
        raised: dict[str, dict[str, date]] = {}
        latest: dict[str, date] = {}
        for rule, period, day in state.pop("raised"):
            _note_raised(raised, latest, rule, period, day)
        state["raised"], state["latest_raised"] = raised, latest
        state["task_index"], state["tasks_opened"] = {}, len(state["tasks"])
        for seq, task in enumerate(state["tasks"].values(), start=1):
            _file_task(state["task_index"], task, seq)

    class Event(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID

    class Started(Event, Aggregate.Created):
        pass

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

    # What the service decided --------------------------------------------------------

    class ConcernRaised(Event):
        rule: str
        description: str
        period: str
        trigger_day: date
        event_ids: tuple[UUID, ...]  # the facts that brought it
        in_force: ConcernRule  # the rule as it was in force, threshold and window
        rule_set_version: int

    class StageChanged(Event):
        stage: str
        episode: int
        reason: str

    class TaskOpened(Event):
        task: Task

    class TaskClosed(Event):
        task_id: str
        rule: str
        closed_by: UUID

    class TaskCancelled(Event):
        task_id: str
        rule: str
        reason: str

    class TaskOverdue(Event):
        task_id: str
        rule: str
        due_at: datetime

    class DayClosed(Event):
        day: date
        undocumented: tuple[UUID, ...]  # the day's lessons nothing documented at its end

    @staticmethod
    def create_id(envelope: Envelope, pupil_id: UUID) -> UUID:
        return case_aggregate_id(envelope.tenant, pupil_id)

    @classmethod
    def started(cls, cause: Envelope, pupil_id: UUID) -> FollowUpCase:
        """The case of a pupil, started by the first fact that concerns it."""
        return cls(decided(cause, "CaseStarted"), pupil_id)

    @event(Started)
    def __init__(self, envelope: Envelope, pupil_id: UUID) -> None:
        self.tenant = envelope.tenant
        self.pupil_id = pupil_id
        self.consents: dict[str, dict[str, Any]] = {}
        self.referrals: dict[str, str] = {}
        self.consultations: dict[str, str | None] = {}
        self.agreements: dict[str, dict[str, Any]] = {}
        self.forwarded = False
        self.safeguarding = False
        self.whereabouts_open = False
        self.found_in_norway = False  # MISS-5 (1): the principal's meeting ends the case
        self.missing_steps_opened = False  # MISS-2, once per procedure
        # What the service decided (strings and lists: a snapshot is JSON).
        self.stage: str = Stage.REGISTRATION.value
        self.episode = 0
        self.before_missing: str = Stage.REGISTRATION.value
        self.concern_while_missing = False
        self.measures_began: date | None = None
        self.tasks: dict[str, Task] = {}  # the open ones, in the order opened
        # The open tasks by what can end them (`_task_keys`), each with its place in the
        # order opened: an event reads the tasks it may close, not every open task.
        self.task_index: dict[str, dict[str, int]] = {}
        self.tasks_opened = 0
        self.overdue: list[str] = []
        # rule -> period -> trigger day, and each rule's latest trigger day: what
        # `_already_raised` asks, without reading every concern ever raised.
        self.raised: dict[str, dict[str, date]] = {}
        self.latest_raised: dict[str, date] = {}

    # FOL, POL-4 -------------------------------------------------------------------------

    def log_contact(self, envelope: Envelope, contact: Contact, ctx: Context) -> None:
        """FOL-6, POL-4: every contact or attempt, with who, whom, when and the result."""
        if not contact.result.strip():
            raise RuleViolation("result_required", "every contact or attempt records its "
                                "result", field="data.result", rule="POL-4")
        self._contact_logged(envelope, self.pupil_id, contact)
        self._follow_own(ctx)

    @event(ContactLogged)
    def _contact_logged(self, envelope: Envelope, pupil_id: UUID, contact: Contact) -> None:
        pass

    def send_letter(self, envelope: Envelope, letter: Letter, ctx: Context) -> None:
        """POL-2 is checked in the dossier, and a MISS-2 letter counts only with its
        statements: a letter without them is kept, since it has already been sent."""
        self._letter_sent(envelope, self.pupil_id, letter)
        self._follow_own(ctx)

    @event(LetterSent)
    def _letter_sent(self, envelope: Envelope, pupil_id: UUID, letter: Letter) -> None:
        pass

    def hold_meeting(self, envelope: Envelope, meeting: Meeting, ctx: Context) -> None:
        questions = guide_questions(meeting.kind.value)
        for index, answer in enumerate(meeting.guide_answers):
            if answer.question not in questions:
                raise RuleViolation("not_a_guide_question", "answers are to questions of the "
                                    f"guide for {meeting.kind.value}",
                                    field=f"data.guide_answers[{index}].question",
                                    rule="FOL-20")
        self._check_minutes(meeting)
        if not meeting.pupil_participated and not (meeting.pupil_absent_reason or "").strip():
            raise RuleViolation("absent_reason_required", "a meeting the pupil did not take "
                                "part in records why", field="data.pupil_absent_reason",
                                rule="FOL-15")
        if meeting.kind in CONSULTATIONS:
            self._check_consultation_order(meeting)
        else:
            self._check_named_agencies(meeting)
        self._meeting_held(envelope, self.pupil_id, meeting)
        self._follow_own(ctx)

    @staticmethod
    def _check_minutes(meeting: Meeting) -> None:
        """PRIV-5: the school health service's conversation is written in its own health
        record — here only that it took place; every other meeting has minutes (POL-3)."""
        if meeting.kind is MeetingKind.SCHOOL_HEALTH_CONVERSATION:
            if meeting.minutes is not None or meeting.guide_answers or meeting.pupil_input:
                raise RuleViolation("notes_stay_in_health_record", "the school health "
                                    "service's notes stay in its own health record",
                                    field="data.minutes", rule="PRIV-5")
        elif not (meeting.minutes or "").strip():
            raise RuleViolation("minutes_required", "a meeting is recorded with its minutes",
                                field="data.minutes")

    def _check_named_agencies(self, meeting: Meeting) -> None:
        """REF-4, §7: the pupil is discussed by name with PPT or another agency only with
        the guardians' consent in scope (or after a referral to it); else anonymously."""
        if meeting.anonymous:
            return
        named = {AGENCY_ROLES[p.role] for p in meeting.participants if p.role in AGENCY_ROLES}
        if meeting.kind is MeetingKind.CONTACT_MEETING_PPT:
            named.add(Agency.PPT)
        for agency in sorted(named):
            if not self.consented(agency) and agency.value not in self.referrals.values():
                raise RuleViolation(
                    "consent_required", f"discussing the pupil by name with {agency.value} "
                    "needs the guardians' consent in scope; hold the meeting anonymously "
                    "instead", field="data.anonymous", rule="REF-4")

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

    def inform_leadership(self, envelope: Envelope, informed_role: str, about: str,
                          ctx: Context) -> None:
        """FOL-3, FOL-5: the school leadership is told."""
        self._leadership_informed(envelope, self.pupil_id, informed_role, about)
        self._follow_own(ctx)

    @event(LeadershipInformed)
    def _leadership_informed(self, envelope: Envelope, pupil_id: UUID, informed_role: str,
                             about: str) -> None:
        pass

    def sign_agreement(self, envelope: Envelope, agreement: Agreement, ctx: Context) -> None:
        """FOL-13: measures, who is responsible, when each is evaluated; versioned."""
        known = self.agreements.get(agreement.agreement_id)
        expected = 1 if known is None else int(known["version"]) + 1
        if agreement.version != expected:
            raise RuleViolation("agreement_version", f"the next version of this agreement is "
                                f"{expected}", field="data.version", rule="FOL-13")
        if not agreement.measures:
            raise RuleViolation("measures_required", "an agreement names at least one measure",
                                field="data.measures", rule="FOL-13")
        guardians = ctx.pupil.guardian_ids(envelope.occurred_at.date())
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
        self._follow_own(ctx)

    @event(CollaborationAgreementSigned)
    def _agreement_signed(self, envelope: Envelope, pupil_id: UUID,
                          agreement: Agreement) -> None:
        self.agreements[agreement.agreement_id] = {
            "version": agreement.version, "measures": [m.measure_id for m in agreement.measures]}
        if self.measures_began is None:
            self.measures_began = local_day(envelope.occurred_at)

    def evaluate_measure(self, envelope: Envelope, evaluation: MeasureEvaluation,
                         ctx: Context) -> None:
        agreement = self.agreements.get(evaluation.agreement_id)
        if agreement is None or evaluation.measure_id not in agreement["measures"]:
            raise RuleViolation("unknown_measure", "no such measure in this agreement",
                                field="data.measure_id", rule="FOL-13")
        self._measure_evaluated(envelope, self.pupil_id, evaluation)
        self._follow_own(ctx)

    @event(MeasureEvaluated)
    def _measure_evaluated(self, envelope: Envelope, pupil_id: UUID,
                           evaluation: MeasureEvaluation) -> None:
        pass

    # Consent and referrals (REF, CT) ---------------------------------------------------

    def give_consent(self, envelope: Envelope, consent: Consent, ctx: Context) -> None:
        if consent.guardian_id not in ctx.pupil.guardian_ids(envelope.occurred_at.date()):
            raise RuleViolation("not_a_guardian", "consent is given by one of the pupil's "
                                "registered guardians", field="data.guardian_id", rule="REF-4")
        if consent.consent_id in self.consents:
            raise RuleViolation("consent_exists", "a consent with this id exists",
                                field="data.consent_id", rule="REF-4")
        self._consent_given(envelope, self.pupil_id, consent)
        self._follow_own(ctx)

    @event(ConsentGiven)
    def _consent_given(self, envelope: Envelope, pupil_id: UUID, consent: Consent) -> None:
        self.consents[consent.consent_id] = {"scope": [a.value for a in consent.scope],
                                             "withdrawn": False}

    def withdraw_consent(self, envelope: Envelope, consent_id: str, guardian_id: str,
                         ctx: Context) -> None:
        found = self.consents.get(consent_id)
        if found is None or found["withdrawn"]:
            raise RuleViolation("no_such_consent", "no consent in force has this id",
                                field="data.consent_id", rule="REF-4")
        self._consent_withdrawn(envelope, self.pupil_id, consent_id, guardian_id)
        self._follow_own(ctx)

    @event(ConsentWithdrawn)
    def _consent_withdrawn(self, envelope: Envelope, pupil_id: UUID, consent_id: str,
                           guardian_id: str) -> None:
        self.consents[consent_id]["withdrawn"] = True

    def consented(self, agency: Agency) -> bool:
        return any(agency.value in c["scope"] and not c["withdrawn"]
                   for c in self.consents.values())

    def refer(self, envelope: Envelope, referral: Referral, ctx: Context) -> None:
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
        grounds = referral.grounds.value if referral.grounds else ""
        expected = REF_1.get(grounds)
        if expected is not None and expected is not referral.to:
            raise RuleViolation("wrong_agency", f"{grounds} is referred to {expected.value}",
                                field="data.to", rule="REF-1")
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
        self._follow_own(ctx)

    @event(ReferralMade)
    def _referral_made(self, envelope: Envelope, pupil_id: UUID, referral: Referral) -> None:
        self.referrals[referral.referral_id] = referral.to.value

    def invite_to_consultation(self, envelope: Envelope, referral_id: str,
                               meeting_at: datetime, ctx: Context) -> None:
        if self.referrals.get(referral_id) != Agency.CONSULTATION_TEAM.value:
            raise RuleViolation("not_a_team_referral", "the invitation answers a referral to "
                                "the consultation team", field="data.referral_id", rule="CT-2")
        self._invited(envelope, self.pupil_id, referral_id, meeting_at)
        self._follow_own(ctx)

    @event(ConsultationInvitationSent)
    def _invited(self, envelope: Envelope, pupil_id: UUID, referral_id: str,
                 meeting_at: datetime) -> None:
        pass

    def submit_written_evaluation(self, envelope: Envelope, referral_id: str,
                                  document_ref: str, ctx: Context) -> None:
        if referral_id not in self.referrals:
            raise RuleViolation("unknown_referral", "no referral with this id",
                                field="data.referral_id", rule="CT-5")
        self._evaluation_submitted(envelope, self.pupil_id, referral_id, document_ref)
        self._follow_own(ctx)

    @event(WrittenEvaluationSubmitted)
    def _evaluation_submitted(self, envelope: Envelope, pupil_id: UUID, referral_id: str,
                              document_ref: str) -> None:
        pass

    def assess_child_welfare(self, envelope: Envelope, assessment: WelfareAssessment,
                             ctx: Context) -> None:
        """FOL-17: the assessment is recorded, with its reasons."""
        if not assessment.reasons.strip():
            raise RuleViolation("reasons_required", "the assessment records its reasons",
                                field="data.reasons", rule="FOL-17")
        self._welfare_assessed(envelope, self.pupil_id, assessment)
        self._follow_own(ctx)

    @event(ChildWelfareAssessmentRecorded)
    def _welfare_assessed(self, envelope: Envelope, pupil_id: UUID,
                          assessment: WelfareAssessment) -> None:
        pass

    def send_concern_report(self, envelope: Envelope, report: ConcernReport,
                            ctx: Context) -> None:
        """REF-2, REF-4: the school sends it; no consent is needed."""
        self._concern_report_sent(envelope, self.pupil_id, report)
        self._follow_own(ctx)

    @event(ConcernReportSent)
    def _concern_report_sent(self, envelope: Envelope, pupil_id: UUID,
                             report: ConcernReport) -> None:
        pass

    # The case itself (POL) --------------------------------------------------------------

    def open_case(self, envelope: Envelope, reason: str, ctx: Context) -> None:
        self._case_opened(envelope, self.pupil_id, reason)
        self._follow_own(ctx)

    @event(CaseOpened)
    def _case_opened(self, envelope: Envelope, pupil_id: UUID, reason: str) -> None:
        pass

    def forward_to_municipal_director(self, envelope: Envelope, presentation_ref: str,
                                      ctx: Context) -> None:
        """POL-5: "rektor … sender saken over til kommunedirektør"."""
        if envelope.actor.role is not Role.PRINCIPAL:
            raise RuleViolation("not_the_principal", "the principal sends the case to the "
                                "municipal director", field="actor.role", rule="POL-5")
        self._forwarded(envelope, self.pupil_id, presentation_ref)
        self._follow_own(ctx)

    @event(CaseForwardedToMunicipalDirector)
    def _forwarded(self, envelope: Envelope, pupil_id: UUID, presentation_ref: str) -> None:
        self.forwarded = True

    def decide_police_report(self, envelope: Envelope, decision: PoliceDecision,
                             reasons: str, ctx: Context) -> None:
        if not self.forwarded:
            raise RuleViolation("not_forwarded", "the municipal director decides on a case "
                                "the principal has sent", field="type", rule="POL-5")
        if envelope.actor.role is not Role.MUNICIPAL_DIRECTOR:
            raise RuleViolation("not_the_director", "the municipal director decides whether "
                                "to report", field="actor.role", rule="POL-1")
        self._police_decided(envelope, self.pupil_id, decision, reasons)
        self._follow_own(ctx)

    @event(PoliceReportDecided)
    def _police_decided(self, envelope: Envelope, pupil_id: UUID, decision: PoliceDecision,
                        reasons: str) -> None:
        pass

    def close_case(self, envelope: Envelope, reason: str, ctx: Context) -> None:
        """Closing ends the episode: its open tasks are cancelled. A pupil whose
        whereabouts are unknown is not let go (MISS-1…MISS-5)."""
        if Stage(self.stage) is Stage.CLOSED:
            raise RuleViolation("already_closed", "the case is closed", field="type")
        if self.whereabouts_open:
            raise RuleViolation("whereabouts_unknown", "the pupil's whereabouts are unknown: "
                                "the case stays open until the pupil is located",
                                field="type", rule="MISS-4")
        self._closed(envelope, self.pupil_id, reason)
        self._follow_own(ctx)

    @event(CaseClosed)
    def _closed(self, envelope: Envelope, pupil_id: UUID, reason: str) -> None:
        pass

    # Whereabouts unknown (MISS) ---------------------------------------------------------

    def report_whereabouts_unknown(self, envelope: Envelope, away_since: date,
                                   ctx: Context) -> None:
        if self.whereabouts_open:
            raise RuleViolation("already_open", "the whereabouts procedure is already open",
                                field="type", rule="MISS-1")
        self._whereabouts_unknown(envelope, self.pupil_id, away_since)
        self._follow_own(ctx)

    @event(WhereaboutsUnknownReported)
    def _whereabouts_unknown(self, envelope: Envelope, pupil_id: UUID, away_since: date) -> None:
        self.whereabouts_open = True
        self.found_in_norway = False
        self.missing_steps_opened = False

    def _check_procedure(self, rule: str) -> None:
        if not self.whereabouts_open:
            raise RuleViolation("no_procedure", "no whereabouts-unknown procedure is open",
                                field="type", rule=rule)

    def check_population_register(self, envelope: Envelope, result: RegisterResult,
                                  ctx: Context) -> None:
        self._check_procedure("MISS-2")
        self._register_checked(envelope, self.pupil_id, result)
        self._follow_own(ctx)

    @event(PopulationRegisterChecked)
    def _register_checked(self, envelope: Envelope, pupil_id: UUID,
                          result: RegisterResult) -> None:
        pass

    def try_contact_route(self, envelope: Envelope, route: Route, result: str,
                          ctx: Context) -> None:
        self._check_procedure("MISS-3")
        self._route_tried(envelope, self.pupil_id, route, result)
        self._follow_own(ctx)

    @event(ContactRouteTried)
    def _route_tried(self, envelope: Envelope, pupil_id: UUID, route: Route,
                     result: str) -> None:
        pass

    def locate(self, envelope: Envelope, outcome: Whereabouts, details: str,
               ctx: Context) -> None:
        """MISS-5: found (three outcomes), or not found: then the whereabouts stay unknown
        and the procedure open until the pupil is found."""
        self._check_procedure("MISS-5")
        self._located(envelope, self.pupil_id, outcome, details)
        self._follow_own(ctx)

    @event(PupilLocated)
    def _located(self, envelope: Envelope, pupil_id: UUID, outcome: Whereabouts,
                 details: str) -> None:
        found = Whereabouts(outcome)
        self.whereabouts_open = found is Whereabouts.NOT_FOUND
        self.found_in_norway = found is Whereabouts.CONTINUES_IN_NORWAY

    def send_moving_notice(self, envelope: Envelope, to_municipality: str,
                           ctx: Context) -> None:
        self._moving_notice_sent(envelope, self.pupil_id, to_municipality)
        self._follow_own(ctx)

    @event(MovingNoticeSent)
    def _moving_notice_sent(self, envelope: Envelope, pupil_id: UUID,
                            to_municipality: str) -> None:
        pass

    def receive_written_confirmation(self, envelope: Envelope, about: ConfirmationAbout,
                                     document_ref: str, ctx: Context) -> None:
        self._confirmation_received(envelope, self.pupil_id, about, document_ref)
        self._follow_own(ctx)

    @event(GuardianWrittenConfirmationReceived)
    def _confirmation_received(self, envelope: Envelope, pupil_id: UUID,
                               about: ConfirmationAbout, document_ref: str) -> None:
        pass

    def notify_nav(self, envelope: Envelope, away_since: date, document_ref: str,
                   ctx: Context) -> None:
        """MISS-6: the notice names the child and the national identity number."""
        if not ctx.pupil.identity_on_file():
            raise RuleViolation("identity_missing", "a NAV notice needs the pupil's name and "
                                "national identity number on file (PupilEnrolled)",
                                field="data.pupil_id", rule="MISS-6")
        self._nav_notified(envelope, self.pupil_id, away_since, document_ref)
        self._follow_own(ctx)

    @event(NavNotified)
    def _nav_notified(self, envelope: Envelope, pupil_id: UUID, away_since: date,
                      document_ref: str) -> None:
        pass

    # Safeguarding (SAFE) ----------------------------------------------------------------

    def plan_extended_travel(self, envelope: Envelope, from_date: date, to_date: date,
                             destination: str | None, ctx: Context) -> None:
        if to_date < from_date:
            raise RuleViolation("period_reversed", "to_date is before from_date",
                                field="data.to_date")
        self._travel_planned(envelope, self.pupil_id, from_date, to_date, destination)
        self._follow_own(ctx)

    @event(ExtendedTravelPlanned)
    def _travel_planned(self, envelope: Envelope, pupil_id: UUID, from_date: date,
                        to_date: date, destination: str | None) -> None:
        pass

    def notify_school_health(self, envelope: Envelope, about: HealthServiceMatter,
                             ctx: Context) -> None:
        self._school_health_notified(envelope, self.pupil_id, about)
        self._follow_own(ctx)

    @event(SchoolHealthServiceNotified)
    def _school_health_notified(self, envelope: Envelope, pupil_id: UUID, about: str) -> None:
        pass

    def record_safeguarding_concern(self, envelope: Envelope, grounds: str,
                                    ctx: Context) -> None:
        if envelope.actor.role not in (*SAFEGUARDING_ROLES, Role.INTEGRATION_PLATFORM,
                                       Role.CONTACT_TEACHER, Role.SOCIAL_TEACHER):
            raise RuleViolation("role_not_allowed", "safeguarding concerns are recorded by "
                                "school staff or the school health service",
                                field="actor.role", rule="SAFE-2")
        self._safeguarding(envelope, self.pupil_id, grounds)
        self._follow_own(ctx)

    @event(SafeguardingConcernRecorded)
    def _safeguarding(self, envelope: Envelope, pupil_id: UUID, grounds: str) -> None:
        self.safeguarding = True

    def offer_home_visit(self, envelope: Envelope, ctx: Context) -> None:
        """SAFE-3: "… tilbyr skolehelsetjenesten hjemmebesøk"."""
        if not self.safeguarding:
            raise RuleViolation("no_safeguarding_concern", "a home visit is offered on a "
                                "safeguarding concern", field="type", rule="SAFE-3")
        if envelope.actor.role is not Role.SCHOOL_HEALTH_SERVICE:
            raise RuleViolation("not_the_school_health_service", "the school health service "
                                "offers the home visit", field="actor.role", rule="SAFE-3")
        self._home_visit_offered(envelope, self.pupil_id)
        self._follow_own(ctx)

    @event(HomeVisitOffered)
    def _home_visit_offered(self, envelope: Envelope, pupil_id: UUID) -> None:
        pass

    # The service's clock ----------------------------------------------------------------

    def record_overdue(self, envelope: Envelope, task_id: str, rule: str,
                       due_at: datetime) -> None:
        """Recorded by the service's clock: an open task passed its due time undone. A
        task closed or cancelled (its episode ended) never goes overdue."""
        if task_id not in self.tasks:
            raise RuleViolation("task_not_open", "no open task of this pupil has this id",
                                field="data.task_id")
        if task_id in self.overdue:
            raise RuleViolation("already_overdue", "the task is already recorded overdue",
                                field="data.task_id")
        self._overdue(envelope, self.pupil_id, task_id, rule, due_at)

    @event(TaskOverdue)
    def _overdue(self, envelope: Envelope, pupil_id: UUID, task_id: str, rule: str,
                 due_at: datetime) -> None:
        self.overdue.append(task_id)

    def close_day(self, envelope: Envelope, day: date, ctx: Context) -> None:
        """Recorded by the service's clock when ``day`` has ended: CON-3 asks whether a
        single lesson was left undocumented by the end of its day ("samme dag")."""
        undocumented = tuple(f.event_id for f in ctx.pupil.standing.between(
            day, day, (FactKind.LESSON,)) if not f.documented)
        self._day_closed(envelope, self.pupil_id, day, undocumented)
        self._follow_own(ctx)

    @event(DayClosed)
    def _day_closed(self, envelope: Envelope, pupil_id: UUID, day: date,
                    undocumented: tuple[UUID, ...]) -> None:
        pass

    # Following: what the service decides on each new fact --------------------------------

    def _follow_own(self, ctx: Context) -> None:
        self.follow(self.pending_events[-1], ctx)

    def follow(self, trigger: Any, ctx: Context) -> None:
        """Decide what ``trigger`` (a new event of this case or of the pupil) means: close
        the tasks it meets, raise the concerns it brings (CON-*), move the stage, open the
        tasks it sets going (FOL, CT, MISS, POL, SAFE). Never refuses: the fact is in."""
        rules = ctx.rules_on(local_day(trigger.envelope.occurred_at))
        self._close_tasks_met_by(trigger)
        raised = self._raise_concerns(trigger, ctx)
        self._move(trigger, rules, ctx, concern=raised)
        name = type(trigger).__name__
        if name == "RecordCorrected":
            self._cancel_opened_by(trigger)
        absence = _absence_of(trigger)
        undocumented = absence is not None and not ctx.pupil.standing.is_documented(absence)
        specs = tasks_opened_by(trigger, rules, undocumented=undocumented,
                                in_procedure=self.whereabouts_open)
        if name == "ContactLogged" and not trigger.contact.reached and \
                self.whereabouts_open and not self.missing_steps_opened:
            procedure = next((t for t in self.tasks.values() if t.rule == "MISS-4"), None)
            specs += failed_contact_tasks(procedure.due_at) if procedure else []
        self._open(trigger.envelope, specs, ctx, rules)

    def _cancel_opened_by(self, correction: Any) -> None:
        """ABS-9: the tasks a corrected record opened are moot; its replacement, if any,
        opens its own."""
        cause = correction.envelope
        for task in self._tasks_under([f"cause/{correction.corrects_event_id}"]):
            if task.opened_by == correction.corrects_event_id:
                self._task_cancelled(decided(cause, "TaskCancelled", task.task_id),
                                     self.pupil_id, task.task_id, task.rule,
                                     f"ABS-9: registreringen er rettet ({correction.reason})")

    def _close_tasks_met_by(self, trigger: Any) -> None:
        found, cause = facets(trigger), trigger.envelope
        days = found.attributes.get("days", ())
        for task in self._tasks_under([found.type, *(f"{found.type}/{day}" for day in days)]):
            if any(found.satisfies(matcher) for matcher in task.closes_on):
                self._task_closed(decided(cause, "TaskClosed", task.task_id), self.pupil_id,
                                  task.task_id, task.rule, cause.event_id)

    def _tasks_under(self, keys: list[str]) -> list[Task]:
        """The open tasks filed under any of ``keys``, in the order opened."""
        found = {task_id: seq for key in keys
                 for task_id, seq in self.task_index.get(key, {}).items()}
        return [self.tasks[task_id] for task_id in sorted(found, key=found.__getitem__)]

    def _raise_concerns(self, trigger: Any, ctx: Context) -> bool:
        """CON-*: each rule reached for the first time in its period, with the rule set in
        force on the day of the fact; undocumented lessons when their day has closed."""
        found = _concern_day(trigger)
        if found is None:
            return False
        day, day_end = found
        rules, days = ctx.rules_on(day), ctx.school_days_on(day)
        facts, cause, raised = ctx.pupil.standing, trigger.envelope, False
        for rule in rules.concern_rules:
            if decided_at_day_end(rule) is not day_end:
                continue
            period = fixed_period(rule, day)
            if period is not None and self._already_raised(rule, period, day):
                continue
            reached = evaluate(rule, facts, day, days)
            if reached is None or self._already_raised(rule, reached.period, day):
                continue
            self._concern_raised(decided(cause, "ConcernRaised", f"{rule.rule}/{reached.period}"),
                                 self.pupil_id, rule.rule, rule.description, reached.period, day,
                                 reached.event_ids, rule, rules.version)
            raised = True
        return raised

    def _already_raised(self, rule: ConcernRule, period: str, day: date) -> bool:
        """Once per period; a rolling window fires again only after a whole window."""
        if is_rolling(rule):
            since = date.fromordinal(day.toordinal() - (rule.window_days or 30) + 1)
            latest = self.latest_raised.get(rule.rule)
            return latest is not None and latest >= since
        return period in self.raised.get(rule.rule, {})

    def _move(self, trigger: Any, rules: RuleSet, ctx: Context, *, concern: bool) -> None:
        name, cause = type(trigger).__name__, trigger.envelope
        if name == "CaseClosed":
            self._end_episode(cause, f"Saken er avsluttet: {trigger.reason}")
        elif name == MEETING and self.found_in_norway and \
                MeetingKind(trigger.meeting.kind) is MeetingKind.PRINCIPAL_MEETING:
            self._end_episode(cause, "MISS-5: møtet med rektor er holdt; skolen avslutter "
                              "saken")
        elif name == "WhereaboutsUnknownReported":
            self._change(cause, Stage.WHEREABOUTS_UNKNOWN, "Elevens oppholdssted er ukjent",
                         rules, ctx)
        elif name == "PupilLocated":
            self._located_decisions(trigger, rules, ctx)
        elif name == "CaseForwardedToMunicipalDirector":
            self._change(cause, Stage.MUNICIPAL_DIRECTOR, "Sendt til kommunedirektøren",
                         rules, ctx)
        else:
            candidate = candidate_stage(trigger, concern=concern,
                                        measures_tried=self._measures_tried(trigger, rules))
            stage = next_stage(Stage(self.stage), candidate)
            if stage is not Stage(self.stage):
                self._change(cause, stage, _reason(trigger, concern), rules, ctx)

    def _measures_tried(self, trigger: Any, rules: RuleSet) -> bool:
        """FOL-14: measures are tried for about a month, with judgement: the month is
        over, or leadership (the principal) judged that they did not work."""
        if trigger.envelope.actor.role in LEADERSHIP_ROLES:
            return True
        began = self.measures_began
        return began is not None and local_day(trigger.envelope.occurred_at) >= after(
            began, rules.deadlines.measures_trial)

    def _located_decisions(self, trigger: Any, rules: RuleSet, ctx: Context) -> None:
        """MISS-5: the procedure's own steps end; a found pupil's case goes back where it
        was, or to a concern if one was raised while the pupil was missing."""
        cause = trigger.envelope
        for task in list(self.tasks.values()):
            if task.rule in ENDS_WITH_THE_PROCEDURE:
                self._task_cancelled(decided(cause, "TaskCancelled", task.task_id),
                                     self.pupil_id, task.task_id, task.rule,
                                     "Eleven er funnet eller prosedyren avsluttet (MISS-5)")
        if Whereabouts(trigger.outcome) is Whereabouts.NOT_FOUND or \
                Stage(self.stage) is not Stage.WHEREABOUTS_UNKNOWN:
            return
        # A closed case the procedure reopened stays open for the steps MISS-5 sets going.
        since = Stage(self.before_missing)
        back: Stage = Stage.REGISTRATION if since is Stage.CLOSED else since
        if self.concern_while_missing:
            back = next_stage(back, Stage.CONCERN)
        self._change(cause, back, "Eleven er funnet", rules, ctx, since=since)

    def _change(self, cause: Envelope, stage: Stage, reason: str, rules: RuleSet,
                ctx: Context, *, since: Stage | None = None) -> None:
        """Record the new stage; a concern reached from registration or a closed case
        opens a new episode with the concern's tasks (FOL-3, FOL-8…FOL-10)."""
        since = since or Stage(self.stage)
        opens = stage is Stage.CONCERN and since in (Stage.REGISTRATION, Stage.CLOSED)
        self._stage_changed(decided(cause, "StageChanged"), self.pupil_id, stage.value,
                            self.episode + int(opens), reason)
        if opens:
            self._open(cause, concern_tasks(cause.occurred_at, rules), ctx, rules)

    def _end_episode(self, cause: Envelope, reason: str) -> None:
        for task in list(self.tasks.values()):
            self._task_cancelled(decided(cause, "TaskCancelled", task.task_id), self.pupil_id,
                                 task.task_id, task.rule, reason)
        self._stage_changed(decided(cause, "StageChanged"), self.pupil_id, Stage.CLOSED.value,
                            self.episode, reason)

    def _open(self, cause: Envelope, specs: list[TaskSpec], ctx: Context,
              rules: RuleSet) -> None:
        day = local_day(cause.occurred_at)
        school = ctx.pupil.school_on(day)
        # A task opened while no episode runs (an unreported absence) belongs to none: 0.
        episode = 0 if Stage(self.stage) in (Stage.REGISTRATION, Stage.CLOSED) else self.episode
        for spec in specs:
            task = Task(task_id(self.pupil_id, cause.event_id, spec), spec.rule, spec.title,
                        spec.due, spec.closes_on, citation(spec.topic, day), cause.event_id,
                        episode, school, rules.version)
            if task.task_id not in self.tasks:
                self._task_opened(decided(cause, "TaskOpened", task.task_id), self.pupil_id,
                                  task)

    @event(ConcernRaised)
    def _concern_raised(self, envelope: Envelope, pupil_id: UUID, rule: str,
                        description: str, period: str, trigger_day: date,
                        event_ids: tuple[UUID, ...], in_force: ConcernRule,
                        rule_set_version: int) -> None:
        _note_raised(self.raised, self.latest_raised, rule, period, trigger_day)
        if Stage(self.stage) is Stage.WHEREABOUTS_UNKNOWN:
            self.concern_while_missing = True

    @event(StageChanged)
    def _stage_changed(self, envelope: Envelope, pupil_id: UUID, stage: str, episode: int,
                       reason: str) -> None:
        if stage == Stage.WHEREABOUTS_UNKNOWN.value:
            self.before_missing = self.stage
        elif self.stage == Stage.WHEREABOUTS_UNKNOWN.value:
            self.concern_while_missing = False
        if stage == Stage.CLOSED.value:
            self.measures_began = None
            self.found_in_norway = False
        self.stage, self.episode = stage, episode

    @event(TaskOpened)
    def _task_opened(self, envelope: Envelope, pupil_id: UUID, task: Task) -> None:
        self.tasks[task.task_id] = task
        self.tasks_opened += 1
        _file_task(self.task_index, task, self.tasks_opened)
        if task.rule == "MISS-2":
            self.missing_steps_opened = True

    @event(TaskClosed)
    def _task_closed(self, envelope: Envelope, pupil_id: UUID, task_id: str, rule: str,
                     closed_by: UUID) -> None:
        self._task_ended(task_id)

    @event(TaskCancelled)
    def _task_cancelled(self, envelope: Envelope, pupil_id: UUID, task_id: str, rule: str,
                        reason: str) -> None:
        self._task_ended(task_id)

    def _task_ended(self, task_id: str) -> None:
        task = self.tasks.pop(task_id, None)
        for key in _task_keys(task) if task else ():
            filed = self.task_index[key]
            filed.pop(task_id, None)
            if not filed:
                del self.task_index[key]


def _task_keys(task: Task) -> list[str]:
    """What can end a task: the events its matchers name (a notice: covering its day), and
    a correction of the event that opened it (ABS-9)."""
    matched = (f"{m['type']}/{m['covers']}" if "covers" in m else m["type"]
               for m in task.closes_on)
    return [f"cause/{task.opened_by}", *dict.fromkeys(matched)]


def _file_task(index: dict[str, dict[str, int]], task: Task, seq: int) -> None:
    for key in _task_keys(task):
        index.setdefault(key, {})[task.task_id] = seq


def _note_raised(raised: dict[str, dict[str, date]], latest: dict[str, date], rule: str,
                 period: str, day: date) -> None:
    raised.setdefault(rule, {})[period] = day
    latest[rule] = max(day, latest.get(rule, day))


def _concern_day(trigger: Any) -> tuple[date, bool] | None:
    """The day whose window a fact is counted in, and whether the day has ended (a
    ``DayClosed``: then the day-end rules are asked, else the others)."""
    if isinstance(trigger, FollowUpCase.DayClosed):
        return trigger.day, True
    fact = trigger.replacement if isinstance(trigger, Pupil.RecordCorrected) else \
        getattr(trigger, "absence", None) or getattr(trigger, "late_arrival", None) or \
        getattr(trigger, "left_school", None)
    if isinstance(fact, Absence | LateArrival | LeftSchool):
        return fact.date, False
    return None


def _absence_of(trigger: Any) -> UUID | None:
    """The event id an absence is recorded under: its own, or the corrected one's."""
    if isinstance(trigger, Pupil.AbsenceRecorded):
        return trigger.envelope.event_id
    if isinstance(trigger, Pupil.RecordCorrected) and isinstance(trigger.replacement, Absence):
        return trigger.corrects_event_id
    return None


def _reason(trigger: Any, concern: bool) -> str:
    if concern:
        return "Bekymringsfullt fravær"
    return f"{trigger.envelope.type}"


SAFEGUARDING_RECORDS = (FollowUpCase.SafeguardingConcernRecorded, FollowUpCase.HomeVisitOffered,
                        FollowUpCase.ExtendedTravelPlanned,
                        FollowUpCase.SchoolHealthServiceNotified)
"""SAFE: records readable only by `SAFEGUARDING_ROLES`; elsewhere they are at most "a
restricted record" (so that a pupil's sequence on a topic has no gap)."""


def restricted(event: Any) -> bool:
    """SAFE: a safeguarding record, or a decision about one of its tasks."""
    if isinstance(event, SAFEGUARDING_RECORDS):
        return True
    rule = event.task.rule if isinstance(event, FollowUpCase.TaskOpened) else \
        getattr(event, "rule", "") if isinstance(event, FollowUpCase.Event) else ""
    return safeguarding_rule(str(rule))


def safeguarding_rule(rule: str) -> bool:
    """SAFE: a task of a safeguarding rule is itself a safeguarding record (its title says
    what the school suspects)."""
    return rule.startswith("SAFE-")
