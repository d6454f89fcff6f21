"""The follow-up routine as rules over events: how a case's stage moves, which tasks each
event opens with which deadline, and which later event closes each task.

"Gangen i fraværsoppfølging" (§5), the action plan (§7), the consultation team (§9),
whereabouts unknown (§10). Deadlines come from the rule set in force (``Deadlines``) and
are counted in Norwegian time from the business time of the event that opens the task;
"same day" ends at midnight.

These are pure functions of an event and the rule set. They read an event by its type's
name (unique across the aggregates), so that the case aggregate (``domain.case``), which
asks them and stores what they answer, can import them without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from domain.case_records import (
    Agency,
    Conclusion,
    ConfirmationAbout,
    ContactedRelation,
    LetterPurpose,
    MeasureOutcome,
    MeetingKind,
    ReportRecipient,
    Whereabouts,
)
from domain.ids import NAMESPACE
from domain.law import NoLegalBasis, legal_basis
from domain.records import AbsenceScope, LeavingReason, Shared
from domain.rule_sets import Period, RuleSet

OSLO = ZoneInfo("Europe/Oslo")


class Stage(StrEnum):
    REGISTRATION = "registration"
    CONCERN = "concern"
    MAPPING = "mapping"
    MEASURES = "measures"
    PERSISTENT = "persistent"
    CONSULTATION_TEAM = "consultation_team"
    REFERRAL = "referral"
    MUNICIPAL_DIRECTOR = "municipal_director"
    CLOSED = "closed"
    WHEREABOUTS_UNKNOWN = "whereabouts_unknown"


LINE = [Stage.REGISTRATION, Stage.CONCERN, Stage.MAPPING, Stage.MEASURES, Stage.PERSISTENT,
        Stage.CONSULTATION_TEAM, Stage.REFERRAL, Stage.MUNICIPAL_DIRECTOR]
"""The stages a case moves along; it never moves back (a new episode starts over)."""

CONVERSATIONS = (MeetingKind.PUPIL_CONVERSATION, MeetingKind.GUARDIAN_CONVERSATION,
                 MeetingKind.JOINT_CONVERSATION)


@dataclass(frozen=True)
class Facets:
    """What a task-closing rule can ask of an event: its type and a few attributes."""

    type: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def satisfies(self, matcher: dict[str, Any]) -> bool:
        """Equal attributes; ``covers``: the day is among the event's days; ``on_or_after``:
        the event happened that day or later."""
        if matcher["type"] != self.type:
            return False
        for key, value in matcher.items():
            if key == "type":
                continue
            if key == "covers":
                if value not in self.attributes.get("days", ()):
                    return False
            elif key == "on_or_after":
                if self.attributes.get("on", "") < value:
                    return False
            elif self.attributes.get(key) != value:
                return False
        return True


GUARDIANS = {ContactedRelation.MOTHER, ContactedRelation.FATHER, ContactedRelation.GUARDIAN}
LEADERSHIP = {"principal", "school_leadership"}


def fol16_participants(meeting: Any) -> bool:
    """FOL-16: "møte der elev, foresatte, kontaktlærer og rektor/skoleledelsen deltar"."""
    roles = {p.role for p in meeting.participants}
    return bool(meeting.pupil_participated and "guardian" in roles
                and "contact_teacher" in roles and roles & LEADERSHIP)


def states_duty_and_liability(letter: Any) -> bool:
    """POL-2 (and MISS-2): the letter states the legal basis and the criminal liability."""
    return bool(letter.states_legal_basis and letter.states_criminal_liability)


# Enum attributes of an event come back from the store as their plain values, so they
# are read through their enum (Whereabouts(event.outcome)) wherever they are compared.
def facets(event: Any) -> Facets:
    name = type(event).__name__
    on = local_day(event.envelope.occurred_at).isoformat()
    if name == "ContactLogged":
        return Facets(name, {"to_guardian": event.contact.contacted.relation in GUARDIANS,
                             "reached": event.contact.reached,
                             "on": event.contact.on.isoformat()})
    if name == "AbsenceNoticeReceived":
        notice = event.notice
        days = [(notice.from_date + timedelta(days=n)).isoformat()
                for n in range(min((notice.to_date - notice.from_date).days, 366) + 1)]
        return Facets(name, {"days": days})
    if name == "MeetingHeld":
        meeting = event.meeting
        return Facets(name, {"kind": MeetingKind(meeting.kind).value,
                             "conclusion": Conclusion(meeting.conclusion).value
                             if meeting.conclusion else None,
                             "fol16_participants": fol16_participants(meeting)})
    if name == "LetterSent":
        return Facets(name, {"purpose": LetterPurpose(event.letter.purpose).value,
                             "states_duty_and_liability": states_duty_and_liability(
                                 event.letter)})
    if name == "ReferralMade":
        to = Agency(event.referral.to)
        return Facets(name, {"to": to.value, "external": to is not Agency.CONSULTATION_TEAM})
    if name in ("ConsultationInvitationSent", "WrittenEvaluationSubmitted"):
        return Facets(name, {"referral_id": event.referral_id})
    if name == "MeasureEvaluated":
        return Facets(name, {"measure_id": event.evaluation.measure_id,
                             "agreement_id": event.evaluation.agreement_id})
    if name == "ConcernReportSent":
        return Facets(name, {"to": ReportRecipient(event.report.to).value})
    if name == "GuardianWrittenConfirmationReceived":
        return Facets(name, {"about": ConfirmationAbout(event.about).value})
    return Facets(name, {"on": on})


@dataclass(frozen=True)
class TaskSpec:
    """A task a rule opens: its title (staff read it), due time, what closes it, and the
    topic of the legal basis it rests on (LAW-1)."""

    rule: str
    key: str  # unique within the triggering event
    title: str
    due: datetime
    closes_on: tuple[dict[str, Any], ...]
    topic: str = "absence_follow_up"


@dataclass(frozen=True)
class Task(Shared):
    """A task as the case opened it (``TaskOpened``): everything about it decided then and
    stored, so that replaying the case, or a later change of rules, never changes it."""

    task_id: str
    rule: str
    title: str
    due_at: datetime
    closes_on: tuple[dict[str, Any], ...]
    legal_basis: str | None
    opened_by: UUID  # the event that opened it
    episode: int
    school_id: str | None
    rule_set_version: int  # its matchers (``closes_on``) are never changed either


def task_id(pupil_id: UUID, opened_by: UUID, spec: TaskSpec) -> str:
    return str(uuid5(NAMESPACE, f"task/{pupil_id}/{opened_by}/{spec.rule}/{spec.key}"))


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), OSLO)


def local_day(moment: datetime) -> date:
    return moment.astimezone(OSLO).date()


def plus_months(day: date, months: int = 1) -> date:
    """The same day ``months`` calendar months later (the month's last day if it has none)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def after(day: date, period: Period) -> date:
    return plus_months(day, period.months) + timedelta(days=period.days)


def due(day: date, period: Period) -> datetime:
    """The end of the day ``period`` after ``day``, Norwegian time."""
    return end_of_day(after(day, period))


def citation(topic: str, on: date) -> str | None:
    """LAW-1: the legal basis in force on ``on``, or None where the table has no row."""
    try:
        return legal_basis(topic, on).citation
    except NoLegalBasis:
        return None


MEETING = "MeetingHeld"


def _meetings(*kinds: MeetingKind) -> tuple[dict[str, Any], ...]:
    return tuple({"type": MEETING, "kind": kind.value} for kind in kinds)


def concern_tasks(at: datetime, rules: RuleSet) -> list[TaskSpec]:
    """FOL-3, FOL-8, FOL-9, FOL-10: what a concern (or an early warning) sets going."""
    d, day = rules.deadlines, local_day(at)
    return [
        TaskSpec("FOL-3", "inform-leadership", "Informer skoleledelsen om bekymringsfullt "
                 "fravær", due(day, d.inform_leadership), ({"type": "LeadershipInformed"},)),
        TaskSpec("FOL-8", "conversation", "Samtale med elev og foresatte (innen en måned); "
                 "informer rektor", due(day, d.conversation),
                 _meetings(MeetingKind.JOINT_CONVERSATION, MeetingKind.GUARDIAN_CONVERSATION)),
        TaskSpec("FOL-9", "mapping-pupil", "Kartleggingssamtale med eleven",
                 due(day, d.mapping), _meetings(MeetingKind.PUPIL_CONVERSATION)),
        TaskSpec("FOL-9", "mapping-guardians", "Kartleggingssamtale med foresatte",
                 due(day, d.mapping), _meetings(MeetingKind.GUARDIAN_CONVERSATION)),
        TaskSpec("FOL-9", "mapping-joint", "Samtale med elev og foresatte sammen",
                 due(day, d.mapping), _meetings(MeetingKind.JOINT_CONVERSATION)),
        TaskSpec("FOL-10", "contact-meeting", "Ta opp saken i kontaktmøtet med PPT (anonymt, "
                 "eller med navn etter samtykke)", due(day, d.contact_meeting),
                 _meetings(MeetingKind.CONTACT_MEETING_PPT)),
    ]


def tasks_opened_by(event: Any, rules: RuleSet, *, undocumented: bool = False,
                    in_procedure: bool = False) -> list[TaskSpec]:
    """The tasks ``event`` opens. ``undocumented``: an absence nothing documented when it
    was recorded; ``in_procedure``: the pupil's whereabouts are unknown (MISS)."""
    name, at, d = type(event).__name__, event.envelope.occurred_at, rules.deadlines
    day = local_day(at)
    if name == MEETING:
        return _after_meeting(event.meeting, day, rules)
    if name == "CollaborationAgreementSigned":
        return _after_agreement(event.agreement, day, rules)
    if name == "ReferralMade" and Agency(event.referral.to) is Agency.CONSULTATION_TEAM:
        return [TaskSpec("CT-2", "invitation", "Konsultasjonsteamet inviterer til første "
                         "konsultasjon (innen 10 dager)", due(day, d.team_invitation),
                         ({"type": "ConsultationInvitationSent",
                           "referral_id": event.referral.referral_id},))]
    if name == "ReferralMade" or (name == "ConcernReportSent" and not in_procedure and
                                  ReportRecipient(event.report.to)
                                  is ReportRecipient.CHILD_WELFARE):
        return [TaskSpec("FOL-16", "external-meeting", "Møte med elev, foresatte, "
                         "kontaktlærer og rektor/ledelse når eksterne instanser involveres; "
                         "referat skrives", due(day, d.external_meeting),
                         ({"type": MEETING, "kind": "external_agencies",
                           "fol16_participants": True},))]
    if name == "ConsultationInvitationSent":
        return [TaskSpec("CT-3", "consultation-1", "Første konsultasjon",
                         end_of_day(local_day(event.meeting_at)),
                         _meetings(MeetingKind.CONSULTATION_1))]
    if name == "WhereaboutsUnknownReported":
        return [
            TaskSpec("MISS-1", "contact-guardians", "Kontakt foresatte",
                     due(day, d.contact_when_missing),
                     ({"type": "ContactLogged", "to_guardian": True},)),
            TaskSpec("MISS-4", "locate", "Avklar hvor eleven er og årsaken til fraværet",
                     due(day, Period(days=rules.whereabouts_deadline_days)),
                     ({"type": "PupilLocated"},)),
        ]
    if name == "PupilLocated":
        return _after_located(Whereabouts(event.outcome), day, rules)
    if name == "Departed" and LeavingReason(event.departure.reason) is LeavingReason.ABROAD:
        return [_nav_notice(day, rules)]
    return _more_tasks(event, name, day, rules, undocumented)


def _more_tasks(event: Any, name: str, day: date, rules: RuleSet, undocumented: bool
                ) -> list[TaskSpec]:
    d = rules.deadlines
    if name == "CaseForwardedToMunicipalDirector":
        return [TaskSpec("POL-1", "police-report", "Kommunedirektøren vurderer "
                         "politianmeldelse etter opplæringslova", due(day, d.police_assessment),
                         ({"type": "PoliceReportDecided"},), "education_right_and_duty")]
    if name == "ExtendedTravelPlanned":
        return [TaskSpec("SAFE-1", "notify-health", "Varsle skolehelsetjenesten om lengre "
                         "fravær", due(day, d.notify_school_health),
                         ({"type": "SchoolHealthServiceNotified"},))]
    if name == "SafeguardingConcernRecorded":
        return [TaskSpec("SAFE-2", "health-conversation", "Innkall foresatte til samtale med "
                         "skolehelsetjenesten", due(day, d.health_conversation),
                         (*_meetings(MeetingKind.SCHOOL_HEALTH_CONVERSATION),
                          {"type": "HomeVisitOffered"}))]
    if name == "AbsenceRecorded" and undocumented:
        return _absence_tasks(event.absence, rules)
    if name == "RecordCorrected" and undocumented:  # the replacement of an absence
        return _absence_tasks(event.replacement, rules)
    return []


def _absence_tasks(absence: Any, rules: RuleSet) -> list[TaskSpec]:
    """FOL-4, FOL-5, FOL-7: unreported absence is followed up with the guardians, the same
    day, and the leadership is told."""
    d, day = rules.deadlines, absence.date
    # Closed by a contact with the guardians that day or later, or their notice of that day.
    guardians = ({"type": "ContactLogged", "to_guardian": True,
                  "on_or_after": day.isoformat()},
                 {"type": "AbsenceNoticeReceived", "covers": day.isoformat()})
    leadership = TaskSpec("FOL-5", "inform-leadership", "Ledelsen informeres samme dag om "
                          "udokumentert fravær", due(day, d.inform_guardians),
                          ({"type": "LeadershipInformed", "on_or_after": day.isoformat()},
                           {"type": "AbsenceNoticeReceived", "covers": day.isoformat()}))
    if AbsenceScope(absence.scope) is AbsenceScope.DAY:
        return [TaskSpec("FOL-4", "call-guardians", "Ring foresatte samme dag: fraværet er "
                         "ikke meldt", due(day, d.call_guardians), guardians), leadership]
    return [
        TaskSpec("FOL-5", "inform-guardians", "Informer foresatte samme dag om udokumentert "
                 "fravær fra enkelttime", due(day, d.inform_guardians), guardians),
        leadership,
        TaskSpec("FOL-7", "discuss-lessons", "Kontakt foresatte og drøft fraværet fra "
                 "enkelttimer (innen en uke)", due(day, d.discuss_lessons),
                 ({"type": "ContactLogged", "to_guardian": True,
                   "on_or_after": day.isoformat()},
                  *_meetings(MeetingKind.GUARDIAN_CONVERSATION))),
    ]


def _after_agreement(agreement: Any, day: date, rules: RuleSet) -> list[TaskSpec]:
    specs = [TaskSpec("FOL-13", f"evaluate-{m.measure_id}-v{agreement.version}",
                      f"Evaluer tiltaket: {m.text[:80]}", end_of_day(m.evaluate_by),
                      ({"type": "MeasureEvaluated", "measure_id": m.measure_id},))
             for m in agreement.measures]
    if agreement.version == 1:
        specs.append(TaskSpec(
            "FOL-14", "persistent-review", "Vurder tiltakene etter ca. en måned; ved "
            "vedvarende bekymring nytt møte om konsultasjonsteam eller andre instanser",
            due(day, rules.deadlines.measures_trial),
            (*_meetings(MeetingKind.PRINCIPAL_MEETING), {"type": "ReferralMade"})))
    return specs


def _after_meeting(meeting: Any, day: date, rules: RuleSet) -> list[TaskSpec]:
    kind, d = MeetingKind(meeting.kind), rules.deadlines
    agreement = ({"type": "CollaborationAgreementSigned"},)
    if kind is MeetingKind.GUARDIAN_CONVERSATION:
        specs = [
            TaskSpec("FOL-13", "agreement", "Skriv samarbeidsavtale med tiltak, ansvar og "
                     "tidspunkt for evaluering", due(day, d.agreement), agreement),
            TaskSpec("FOL-17", "welfare-assessment", "Vurder anonym drøfting med PPT/barnevern "
                     "og om bekymringsmelding skal sendes", due(day, d.welfare_assessment),
                     ({"type": "ChildWelfareAssessmentRecorded"},)),
        ]
        if meeting.minutes_sent_to_guardians_at is None:
            specs.append(TaskSpec("FOL-9", "minutes", "Send referatet av samtalen til "
                                  "foresatte", due(day, d.minutes_to_guardians),
                                  ({"type": "LetterSent", "purpose": "minutes"},)))
        return specs
    if kind is MeetingKind.CONSULTATION_1:
        return [TaskSpec("CT-3", "agreement", "Skriv mål, tiltak og ansvar inn i "
                         "samarbeidsavtalen", due(day, d.team_agreement), agreement),
                TaskSpec("CT-4", "consultation-2", "Andre konsultasjon etter 2–3 uker",
                         due(day, d.consultation_interval),
                         _meetings(MeetingKind.CONSULTATION_2))]
    if kind in (MeetingKind.CONSULTATION_2, MeetingKind.CONSULTATION_3):
        return _after_consultation(kind, Conclusion(meeting.conclusion), day, rules)
    return []


def _after_consultation(kind: MeetingKind, conclusion: Conclusion, day: date,
                        rules: RuleSet) -> list[TaskSpec]:
    d = rules.deadlines
    rule = "CT-5" if kind is MeetingKind.CONSULTATION_2 else "CT-6"
    specs = [TaskSpec(rule, "conclusion", "Skriv konklusjonen inn i samarbeidsavtalen",
                      due(day, d.team_conclusion), ({"type": "CollaborationAgreementSigned"},))]
    if conclusion is Conclusion.CONTINUE and kind is MeetingKind.CONSULTATION_2:
        specs.append(TaskSpec("CT-6", "consultation-3", "Tredje konsultasjon etter ca. 2–3 "
                              "uker", due(day, d.consultation_interval),
                              _meetings(MeetingKind.CONSULTATION_3)))
    if conclusion is Conclusion.REFER:
        specs.append(TaskSpec(rule, "refer", "Henvis videre (PPT, familietjenester, "
                              "barnevern, BUP)", due(day, d.onward_referral),
                              ({"type": "ReferralMade", "external": True},)))
    return specs


def _nav_notice(day: date, rules: RuleSet) -> TaskSpec:
    return TaskSpec("MISS-6", "nav", "Meld fra til NAV: navn, fødselsnummer og dato for "
                    "fraværet", due(day, rules.deadlines.nav_notice),
                    ({"type": "NavNotified"},), "nav_notice_abroad")


def _after_located(outcome: Whereabouts, day: date, rules: RuleSet) -> list[TaskSpec]:
    """MISS-5: the four outcomes."""
    d = rules.deadlines
    confirm = "Skriftlig bekreftelse fra foresatte"
    if outcome is Whereabouts.CONTINUES_IN_NORWAY:
        return [TaskSpec("MISS-5", "principal-meeting", "Innkall foresatte (og eleven over 12 "
                         "år) til møte med rektor; saken avsluttes etter møtet",
                         due(day, d.principal_meeting),
                         _meetings(MeetingKind.PRINCIPAL_MEETING))]
    if outcome is Whereabouts.MOVED_MUNICIPALITY:
        return [TaskSpec("MISS-5", "moving-notice", "Send flyttemelding til ny kommune",
                         due(day, d.moving_notice), ({"type": "MovingNoticeSent"},)),
                TaskSpec("MISS-5", "confirmation", confirm, due(day, d.written_confirmation),
                         ({"type": "GuardianWrittenConfirmationReceived",
                           "about": ConfirmationAbout.MOVED.value},))]
    if outcome is Whereabouts.ABROAD:
        return [_nav_notice(day, rules),
                TaskSpec("MISS-5", "confirmation", confirm, due(day, d.written_confirmation),
                         ({"type": "GuardianWrittenConfirmationReceived",
                           "about": ConfirmationAbout.ABROAD.value},))]
    return [TaskSpec("MISS-5", "concern-report", "Bekymringsmelding til barnevernet med "
                     "tiltakene og resultatene", due(day, d.concern_report_when_not_found),
                     ({"type": "ConcernReportSent",
                       "to": ReportRecipient.CHILD_WELFARE.value},), "child_welfare_report"),
            TaskSpec("POL-6", "forward", "Send saken til kommunedirektøren",
                     due(day, d.forward_to_director),
                     ({"type": "CaseForwardedToMunicipalDirector"},),
                     "education_right_and_duty")]


def failed_contact_tasks(deadline: datetime) -> list[TaskSpec]:
    """MISS-2: when the guardians cannot be reached during the whereabouts procedure; due
    with the procedure itself (MISS-4). The letter counts only when it states the duty of
    education and the criminal liability (POL-2)."""
    return [
        TaskSpec("MISS-2", "register", "Be kommunen sjekke adressen i Folkeregisteret",
                 deadline, ({"type": "PopulationRegisterChecked"},)),
        TaskSpec("MISS-2", "letter", "Brev eller e-post hjem om opplæringsplikten og "
                 "straffeansvaret (med lovhjemmel), med krav om svar straks", deadline,
                 ({"type": "LetterSent", "purpose": LetterPurpose.DUTY_OF_EDUCATION.value,
                   "states_duty_and_liability": True},), "education_right_and_duty"),
    ]


def candidate_stage(event: Any, *, concern: bool, measures_tried: bool) -> Stage | None:
    """The stage ``event`` points the case to (``concern``: a concern was raised by it;
    ``measures_tried``: FOL-14's month of measures is over, or leadership judged it)."""
    name = type(event).__name__
    if concern or name in ("CaseOpened", "SchoolRefusalSignalReported"):
        return Stage.CONCERN
    if name == MEETING:
        kind = MeetingKind(event.meeting.kind)
        if kind in CONVERSATIONS:
            return Stage.MAPPING
        if kind is MeetingKind.PRINCIPAL_MEETING:
            return Stage.PERSISTENT
        if event.meeting.conclusion and \
                Conclusion(event.meeting.conclusion) is Conclusion.REFER:
            return Stage.REFERRAL
        return None
    if name == "CollaborationAgreementSigned":
        return Stage.MEASURES
    if name == "MeasureEvaluated" and measures_tried and \
            MeasureOutcome(event.evaluation.outcome) is MeasureOutcome.DID_NOT_WORK:
        return Stage.PERSISTENT
    if name == "ReferralMade":
        return (Stage.CONSULTATION_TEAM if Agency(event.referral.to) is Agency.CONSULTATION_TEAM
                else Stage.REFERRAL)
    if name == "ConcernReportSent" and \
            ReportRecipient(event.report.to) is ReportRecipient.CHILD_WELFARE:
        return Stage.REFERRAL  # a report to child welfare involves it, as a referral does
    return None


def next_stage(current: Stage, candidate: Stage | None) -> Stage:
    """Along the line, never back; a closed case reopens only on a concern; while the
    pupil's whereabouts are unknown the case stays in that procedure."""
    if candidate is None or current is Stage.WHEREABOUTS_UNKNOWN:
        return current
    if current is Stage.CLOSED:
        return candidate if candidate is Stage.CONCERN else current
    return max(current, candidate, key=LINE.index)
