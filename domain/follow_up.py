"""The follow-up routine as rules over events: how a case's stage moves, which tasks each
event opens with which legal deadline, and which later event closes each task.

"Gangen i fraværsoppfølging" (§5), the action plan (§7), the consultation team (§9),
whereabouts unknown (§10). Deadlines are computed in Norwegian time from the business
time of the event that opens the task; "same day" ends at midnight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.case import FollowUpCase as Case
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
from domain.rule_sets import RuleSet

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


# Enum attributes of an event come back from the store as their plain values, so they
# are read through their enum (Whereabouts(event.outcome)) wherever they are compared.
def facets(event: Any) -> Facets:
    name = type(event).__name__
    if isinstance(event, Case.ContactLogged):
        return Facets(name, {"to_guardian": event.contact.contacted.relation in GUARDIANS,
                             "reached": event.contact.reached,
                             "on": event.contact.on.isoformat()})
    if name == "AbsenceNoticeReceived":
        notice = event.notice
        days = [(notice.from_date + timedelta(days=n)).isoformat()
                for n in range(min((notice.to_date - notice.from_date).days, 366) + 1)]
        return Facets(name, {"days": days})
    if isinstance(event, Case.MeetingHeld):
        return Facets(name, {"kind": event.meeting.kind.value,
                             "conclusion": event.meeting.conclusion.value
                             if event.meeting.conclusion else None})
    if isinstance(event, Case.LetterSent):
        return Facets(name, {"purpose": event.letter.purpose.value})
    if isinstance(event, Case.ReferralMade):
        return Facets(name, {"to": event.referral.to.value,
                             "external": event.referral.to is not Agency.CONSULTATION_TEAM})
    if isinstance(event, Case.ConsultationInvitationSent | Case.WrittenEvaluationSubmitted):
        return Facets(name, {"referral_id": event.referral_id})
    if isinstance(event, Case.MeasureEvaluated):
        return Facets(name, {"measure_id": event.evaluation.measure_id,
                             "agreement_id": event.evaluation.agreement_id})
    if isinstance(event, Case.ConcernReportSent):
        return Facets(name, {"to": event.report.to.value})
    if isinstance(event, Case.GuardianWrittenConfirmationReceived):
        return Facets(name, {"about": ConfirmationAbout(event.about).value})
    return Facets(name)


@dataclass(frozen=True)
class TaskSpec:
    """A task a rule opens: its title (staff read it), due time, and what closes it."""

    rule: str
    key: str  # unique within the triggering event
    title: str
    due: datetime
    closes_on: tuple[dict[str, Any], ...]


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), OSLO)


def local_day(moment: datetime) -> date:
    return moment.astimezone(OSLO).date()


def plus_month(day: date) -> date:
    month = day.month % 12 + 1
    year = day.year + (day.month == 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _in(days: int) -> Callable[[datetime], datetime]:
    return lambda at: end_of_day(local_day(at) + timedelta(days=days))


def _month(at: datetime) -> datetime:
    return end_of_day(plus_month(local_day(at)))


MEETING = "MeetingHeld"


def concern_tasks(at: datetime) -> list[TaskSpec]:
    """FOL-3, FOL-8, FOL-9, FOL-10: what a concern (or an early warning) sets going."""
    def meeting(*kinds: str) -> tuple[dict[str, Any], ...]:
        return tuple({"type": MEETING, "kind": kind} for kind in kinds)

    return [
        TaskSpec("FOL-3", "inform-leadership", "Informer skoleledelsen om bekymringsfullt "
                 "fravær", _in(1)(at), ({"type": "LeadershipInformed"},)),
        TaskSpec("FOL-8", "conversation", "Samtale med elev og foresatte (innen en måned); "
                 "informer rektor", _month(at),
                 meeting("joint_conversation", "guardian_conversation")),
        TaskSpec("FOL-9", "mapping-pupil", "Kartleggingssamtale med eleven", _month(at),
                 meeting("pupil_conversation")),
        TaskSpec("FOL-9", "mapping-guardians", "Kartleggingssamtale med foresatte", _month(at),
                 meeting("guardian_conversation")),
        TaskSpec("FOL-9", "mapping-joint", "Samtale med elev og foresatte sammen", _month(at),
                 meeting("joint_conversation")),
        TaskSpec("FOL-10", "contact-meeting", "Ta opp saken i kontaktmøtet med PPT (anonymt, "
                 "eller med navn etter samtykke)", _month(at), meeting("contact_meeting_ppt")),
    ]


def tasks_opened_by(event: Any, rules: RuleSet, *, undocumented: bool = False
                    ) -> list[TaskSpec]:
    """The tasks ``event`` opens. ``undocumented``: an absence no notice covered yet."""
    at: datetime = event.envelope.occurred_at
    if isinstance(event, Case.MeetingHeld):
        return _after_meeting(event, at)
    if isinstance(event, Case.CollaborationAgreementSigned):
        agreement = event.agreement
        specs = [TaskSpec("FOL-13", f"evaluate-{m.measure_id}-v{agreement.version}",
                          f"Evaluer tiltaket: {m.text[:80]}", end_of_day(m.evaluate_by),
                          ({"type": "MeasureEvaluated", "measure_id": m.measure_id},))
                 for m in agreement.measures]
        if agreement.version == 1:
            specs.append(TaskSpec(
                "FOL-14", "persistent-review", "Vurder tiltakene etter en måned; ved vedvarende "
                "bekymring nytt møte om konsultasjonsteam eller andre instanser", _month(at),
                ({"type": MEETING, "kind": "principal_meeting"},
                 {"type": "ReferralMade"})))
        return specs
    if isinstance(event, Case.ReferralMade):
        referral = event.referral
        if referral.to is Agency.CONSULTATION_TEAM:
            return [TaskSpec("CT-2", "invitation", "Konsultasjonsteamet inviterer til første "
                             "konsultasjon (innen 10 dager)", _in(10)(at),
                             ({"type": "ConsultationInvitationSent",
                               "referral_id": referral.referral_id},))]
        return [TaskSpec("FOL-16", "external-meeting", "Møte med elev, foresatte, kontaktlærer "
                         "og ledelse når eksterne instanser involveres", _in(14)(at),
                         ({"type": MEETING, "kind": "external_agencies"},))]
    if isinstance(event, Case.ConsultationInvitationSent):
        return [TaskSpec("CT-3", "consultation-1", "Første konsultasjon",
                         end_of_day(local_day(event.meeting_at)),
                         ({"type": MEETING, "kind": "consultation_1"},))]
    if isinstance(event, Case.WhereaboutsUnknownReported):
        return [
            TaskSpec("MISS-1", "contact-guardians", "Kontakt foresatte", _in(0)(at),
                     ({"type": "ContactLogged", "to_guardian": True},)),
            TaskSpec("MISS-4", "locate", "Avklar hvor eleven er og årsaken til fraværet",
                     _in(rules.whereabouts_deadline_days)(at), ({"type": "PupilLocated"},)),
        ]
    if isinstance(event, Case.ContactLogged) and not event.contact.reached:
        return []  # MISS-2 follows a failed contact only inside the procedure: see cases
    if isinstance(event, Case.PupilLocated):
        return _after_located(event, at)
    if isinstance(event, Case.CaseForwardedToMunicipalDirector):
        return [TaskSpec("POL-1", "police-report", "Kommunedirektøren vurderer "
                         "politianmeldelse etter opplæringslova", _month(at),
                         ({"type": "PoliceReportDecided"},))]
    if isinstance(event, Case.ExtendedTravelPlanned):
        return [TaskSpec("SAFE-1", "notify-health", "Varsle skolehelsetjenesten om lengre "
                         "fravær", _in(2)(at), ({"type": "SchoolHealthServiceNotified"},))]
    if isinstance(event, Case.SafeguardingConcernRecorded):
        return [TaskSpec("SAFE-2", "health-conversation", "Innkall foresatte til samtale med "
                         "skolehelsetjenesten", _in(7)(at),
                         ({"type": MEETING, "kind": "school_health_conversation"},
                          {"type": "HomeVisitOffered"}))]
    return _absence_tasks(event, at) if undocumented else []


def _absence_tasks(event: Any, at: datetime) -> list[TaskSpec]:
    """FOL-4, FOL-5, FOL-7: unreported absence is followed up with the guardians."""
    from domain.pupil import Pupil
    from domain.records import AbsenceScope

    if not isinstance(event, Pupil.AbsenceRecorded):
        return []
    day = event.absence.date
    # Closed by a contact with the guardians that day or later, or their notice of that day.
    guardians = ({"type": "ContactLogged", "to_guardian": True,
                  "on_or_after": day.isoformat()},
                 {"type": "AbsenceNoticeReceived", "covers": day.isoformat()})
    if event.absence.scope is AbsenceScope.DAY:
        return [TaskSpec("FOL-4", "call-guardians", "Ring foresatte samme dag: fraværet er "
                         "ikke meldt", end_of_day(day), guardians)]
    return [
        TaskSpec("FOL-5", "inform-guardians", "Informer foresatte samme dag om udokumentert "
                 "fravær fra enkelttime", end_of_day(day), guardians),
        TaskSpec("FOL-7", "discuss-lessons", "Kontakt foresatte og drøft fraværet fra "
                 "enkelttimer (innen en uke)", end_of_day(day + timedelta(days=7)),
                 ({"type": "ContactLogged", "to_guardian": True,
                   "on_or_after": day.isoformat()},
                  {"type": MEETING, "kind": "guardian_conversation"})),
    ]


def _after_meeting(event: Any, at: datetime) -> list[TaskSpec]:
    meeting = event.meeting
    kind = meeting.kind
    agreement = ({"type": "CollaborationAgreementSigned"},)
    if kind is MeetingKind.GUARDIAN_CONVERSATION:
        specs = [
            TaskSpec("FOL-13", "agreement", "Skriv samarbeidsavtale med tiltak, ansvar og "
                     "tidspunkt for evaluering", _in(14)(at), agreement),
            TaskSpec("FOL-17", "welfare-assessment", "Vurder anonym drøfting med PPT/barnevern "
                     "og om bekymringsmelding skal sendes", _in(7)(at),
                     ({"type": "ChildWelfareAssessmentRecorded"},)),
        ]
        if meeting.minutes_sent_to_guardians_at is None:
            specs.append(TaskSpec("FOL-9", "minutes", "Send referatet av samtalen til "
                                  "foresatte", _in(7)(at),
                                  ({"type": "LetterSent", "purpose": "minutes"},)))
        return specs
    if kind is MeetingKind.CONSULTATION_1:
        return [TaskSpec("CT-3", "agreement", "Skriv mål, tiltak og ansvar inn i "
                         "samarbeidsavtalen", _in(7)(at), agreement),
                TaskSpec("CT-4", "consultation-2", "Andre konsultasjon etter 2–3 uker", _in(21)(at),
                         ({"type": MEETING, "kind": "consultation_2"},))]
    if kind in (MeetingKind.CONSULTATION_2, MeetingKind.CONSULTATION_3):
        rule = "CT-5" if kind is MeetingKind.CONSULTATION_2 else "CT-6"
        specs = [TaskSpec(rule, "conclusion", "Skriv konklusjonen inn i samarbeidsavtalen",
                          _in(7)(at), agreement)]
        if meeting.conclusion is Conclusion.CONTINUE and kind is MeetingKind.CONSULTATION_2:
            specs.append(TaskSpec("CT-6", "consultation-3", "Tredje konsultasjon etter ca. 2–3 "
                                  "uker", _in(21)(at),
                                  ({"type": MEETING, "kind": "consultation_3"},)))
        if meeting.conclusion is Conclusion.REFER:
            specs.append(TaskSpec(rule, "refer", "Henvis videre (PPT, familietjenester, "
                                  "barnevern, BUP)", _in(14)(at),
                                  ({"type": "ReferralMade", "external": True},)))
        return specs
    return []


def _after_located(event: Any, at: datetime) -> list[TaskSpec]:
    outcome = Whereabouts(event.outcome)
    confirm = "Skriftlig bekreftelse fra foresatte"
    if outcome is Whereabouts.CONTINUES_IN_NORWAY:
        return [TaskSpec("MISS-5", "principal-meeting", "Innkall foresatte (og eleven over 12 "
                         "år) til møte med rektor", _in(7)(at),
                         ({"type": MEETING, "kind": "principal_meeting"},))]
    if outcome is Whereabouts.MOVED_MUNICIPALITY:
        return [TaskSpec("MISS-5", "moving-notice", "Send flyttemelding til ny kommune",
                         _in(7)(at), ({"type": "MovingNoticeSent"},)),
                TaskSpec("MISS-5", "confirmation", confirm, _in(14)(at),
                         ({"type": "GuardianWrittenConfirmationReceived",
                           "about": ConfirmationAbout.MOVED.value},))]
    if outcome is Whereabouts.ABROAD:
        return [TaskSpec("MISS-6", "nav", "Meld fra til NAV: navn, fødselsnummer og dato for "
                         "fraværet", _in(7)(at), ({"type": "NavNotified"},)),
                TaskSpec("MISS-5", "confirmation", confirm, _in(14)(at),
                         ({"type": "GuardianWrittenConfirmationReceived",
                           "about": ConfirmationAbout.ABROAD.value},))]
    return [TaskSpec("MISS-5", "concern-report", "Bekymringsmelding til barnevernet med "
                     "tiltakene og resultatene", _in(7)(at),
                     ({"type": "ConcernReportSent", "to": ReportRecipient.CHILD_WELFARE.value},)),
            TaskSpec("POL-6", "forward", "Send saken til kommunedirektøren", _in(14)(at),
                     ({"type": "CaseForwardedToMunicipalDirector"},))]


def failed_contact_tasks(at: datetime, deadline: datetime) -> list[TaskSpec]:
    """MISS-2: when the guardians cannot be reached during the whereabouts procedure."""
    return [
        TaskSpec("MISS-2", "register", "Be kommunen sjekke adressen i Folkeregisteret",
                 deadline, ({"type": "PopulationRegisterChecked"},)),
        TaskSpec("MISS-2", "letter", "Brev eller e-post hjem om opplæringsplikten og "
                 "straffeansvaret, med krav om svar straks", deadline,
                 ({"type": "LetterSent", "purpose": LetterPurpose.DUTY_OF_EDUCATION.value},)),
    ]


def next_stage(current: Stage, event: Any, *, concern: bool = False) -> Stage:
    """The stage after ``event`` (``concern``: a concern was raised by it)."""
    if isinstance(event, Case.CaseClosed):
        return Stage.CLOSED
    if isinstance(event, Case.WhereaboutsUnknownReported):
        return Stage.WHEREABOUTS_UNKNOWN
    if isinstance(event, Case.CaseForwardedToMunicipalDirector):
        return Stage.MUNICIPAL_DIRECTOR
    candidate = _candidate(event, concern)
    if candidate is None:
        return current
    if current is Stage.CLOSED:
        return candidate if candidate is Stage.CONCERN else current
    if current is Stage.WHEREABOUTS_UNKNOWN:
        return current
    return max(current, candidate, key=LINE.index)


def _candidate(event: Any, concern: bool) -> Stage | None:
    from domain.pupil import Pupil

    if concern or isinstance(event, Case.CaseOpened | Pupil.SchoolRefusalSignalReported):
        return Stage.CONCERN
    if isinstance(event, Case.MeetingHeld):
        kind = event.meeting.kind
        if kind in (MeetingKind.PUPIL_CONVERSATION, MeetingKind.GUARDIAN_CONVERSATION,
                    MeetingKind.JOINT_CONVERSATION):
            return Stage.MAPPING
        if kind is MeetingKind.PRINCIPAL_MEETING:
            return Stage.PERSISTENT
        if event.meeting.conclusion is Conclusion.REFER:
            return Stage.REFERRAL
        return None
    if isinstance(event, Case.CollaborationAgreementSigned):
        return Stage.MEASURES
    if isinstance(event, Case.MeasureEvaluated) and \
            event.evaluation.outcome is MeasureOutcome.DID_NOT_WORK:
        return Stage.PERSISTENT
    if isinstance(event, Case.ReferralMade):
        return (Stage.CONSULTATION_TEAM if event.referral.to is Agency.CONSULTATION_TEAM
                else Stage.REFERRAL)
    return None


def stage_after_located(previous: Stage, outcome: Whereabouts | str) -> Stage:
    """MISS-5: a found pupil's case goes back where it was; a pupil not found stays in the
    procedure until the case goes to the municipal director."""
    if Whereabouts(outcome) is Whereabouts.NOT_FOUND:
        return Stage.WHEREABOUTS_UNKNOWN
    return previous
