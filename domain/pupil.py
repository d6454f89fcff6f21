"""The pupil (elev) and everything recorded about their absence.

Every public method checks the rules first and only then triggers its event: the
``@event`` bodies run again on every replay, and a rule that changes later (or a rule
set adopted later) must never make an old, accepted fact fail to load. Decisions the
service makes (a leave recommendation, a diploma outcome) are stored in the event for
the same reason.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.domain import Snapshot as StateSnapshot

from domain.calendar import Calendar
from domain.concerns import FactKind
from domain.diploma import (
    DiplomaRequest,
    PupilFacts,
    RequestDecision,
    decide_cause_attachment,
    decide_exclusion,
)
from domain.envelope import Envelope, Role
from domain.errors import RuleViolation
from domain.ids import scoped_id
from domain.law import legal_basis
from domain.leave import (
    Advice,
    Decision,
    LeaveApplication,
    LeaveDecision,
    LeaveReason,
    Recommendation,
    recommend,
)
from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    Departure,
    Enrolment,
    LateArrival,
    LeftSchool,
    MedicalCertificate,
    NoticeCause,
    SchoolRefusalSignal,
)
from domain.rule_sets import RuleSet
from domain.school_days import SchoolDays
from domain.school_year import school_year_bounds, school_year_of
from domain.standing import CERTIFICATE, NOTICE, Entry, StandingFacts

Fact = Absence | LateArrival | LeftSchool | AbsenceNotice | MedicalCertificate

CORRECTABLE: dict[str, type] = {
    "AbsenceRecorded": Absence,
    "LateArrivalRecorded": LateArrival,
    "LeftSchoolRecorded": LeftSchool,
    "AbsenceNoticeReceived": AbsenceNotice,
    "MedicalCertificateReceived": MedicalCertificate,
}
"""ABS-9: the facts a RecordCorrected can correct, by the type they were posted as."""

DECIDING_ROLES = (Role.PRINCIPAL, Role.SCHOOL_LEADERSHIP)


@dataclass(frozen=True)
class LeaveCase:
    application: LeaveApplication
    recommendation: Recommendation
    decision: LeaveDecision | None = None


def pupil_aggregate_id(tenant: str, pupil_id: UUID) -> UUID:
    return scoped_id(tenant, "pupil", pupil_id)


class Pupil(Aggregate):
    """A pupil whose absence this municipality follows up; the follow-up itself is the
    pupil's case (``domain.case.FollowUpCase``), an aggregate of its own.

    Every event names the pupil (``pupil_id``, a pseudonym), so each stored event is
    self-describing for projections, topics and dossiers.

    The facts are kept as the rules read them (``standing``: compact records indexed by
    month), so deciding an event costs the same whatever the pupil's history.
    """

    class_version = 2  # 2: facts kept as indexed records, not in full (issue 15)

    class Snapshot(StateSnapshot):
        """The pupil's state, with the index of standing facts as JSON keeps it."""

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            taken = super().take(aggregate)
            state = dict(taken.state, standing=aggregate.standing.state())
            return cls(originator_id=taken.originator_id,
                       originator_version=taken.originator_version, timestamp=taken.timestamp,
                       topic=taken.topic, state=state)

        def mutate(self, _: None) -> Any:
            pupil: Any = super().mutate(_)
            pupil.standing = _with_leave(StandingFacts.restored(pupil.standing), pupil.leave)
            return pupil

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before version 2 holds every fact in full, by event id."""
        standing = StandingFacts()
        for key, fact in state.pop("facts").items():
            standing.remember(key, None if fact is None else _entry(fact))
        state["standing"] = _with_leave(standing, state["leave"])

    class Event(Aggregate.Event):
        envelope: Envelope
        pupil_id: UUID

    class Enrolled(Event, Aggregate.Created):
        enrolment: Enrolment

    class EnrolmentRecorded(Event):
        enrolment: Enrolment

    class Departed(Event):
        departure: Departure

    class AbsenceRecorded(Event):
        absence: Absence

    class LateArrivalRecorded(Event):
        late_arrival: LateArrival

    class LeftSchoolRecorded(Event):
        left_school: LeftSchool

    class AbsenceNoticeReceived(Event):
        notice: AbsenceNotice

    class MedicalCertificateReceived(Event):
        certificate: MedicalCertificate

    class SchoolRefusalSignalReported(Event):
        signal: SchoolRefusalSignal

    class RecordCorrected(Event):
        corrects_event_id: UUID
        corrected_type: str
        reason: str
        replacement: Fact | None

    class LeaveApplied(Event):
        application: LeaveApplication
        recommendation: Recommendation

    class LeaveDecided(Event):
        application_id: str
        decision: LeaveDecision

    class DiplomaExclusionRequested(Event):
        request: DiplomaRequest
        decision: RequestDecision

    class CauseAttachmentRequested(Event):
        request: DiplomaRequest
        decision: RequestDecision

    @staticmethod
    def create_id(envelope: Envelope, pupil_id: UUID, enrolment: Enrolment) -> UUID:
        return pupil_aggregate_id(envelope.tenant, pupil_id)

    @classmethod
    def enrolled(cls, envelope: Envelope, enrolment: Enrolment) -> Pupil:
        """The first enrolment of a pupil this municipality has not seen before."""
        return cls(envelope, enrolment.pupil_id, enrolment)

    @event(Enrolled)
    def __init__(self, envelope: Envelope, pupil_id: UUID, enrolment: Enrolment) -> None:
        self.tenant = envelope.tenant
        self.pupil_id = pupil_id
        self.enrolments: dict[str, Enrolment] = {enrolment.school_year: enrolment}
        self.departures: list[Departure] = []
        self.standing = StandingFacts()
        self.fact_types: dict[str, str] = {}  # ABS-9: every correctable fact's posted type
        self.leave: dict[str, LeaveCase] = {}
        self.requests: list[str] = []
        self.excluded: dict[str, list[date]] = {}

    # Enrolment ------------------------------------------------------------------------

    def enrol(self, envelope: Envelope, enrolment: Enrolment) -> None:
        """Enrolment in another school year, or a change (class, guardians) in this one."""
        self._enrolment_recorded(envelope, self.pupil_id, enrolment)

    @event(EnrolmentRecorded)
    def _enrolment_recorded(self, envelope: Envelope, pupil_id: UUID,
                            enrolment: Enrolment) -> None:
        self.enrolments[enrolment.school_year] = enrolment

    def depart(self, envelope: Envelope, departure: Departure) -> None:
        enrolment = self.enrolment_on(departure.last_day, field="data.last_day")
        if enrolment.school_id != departure.school_id:
            raise RuleViolation("not_enrolled_at_school", "the pupil is not enrolled at this "
                                "school in that school year", field="data.school_id")
        self._departed(envelope, self.pupil_id, departure)

    @event(Departed)
    def _departed(self, envelope: Envelope, pupil_id: UUID, departure: Departure) -> None:
        self.departures.append(departure)

    # Absence (ABS) --------------------------------------------------------------------

    def record_absence(self, envelope: Envelope, absence: Absence,
                       school_days: SchoolDays) -> None:
        """ABS-1/ABS-2: absence is recorded undocumented until a notice covers it."""
        self._check_school_day(absence.date, school_days)
        self._absence_recorded(envelope, self.pupil_id, absence)

    @event(AbsenceRecorded)
    def _absence_recorded(self, envelope: Envelope, pupil_id: UUID, absence: Absence) -> None:
        self._remember(envelope, absence)

    def record_late_arrival(self, envelope: Envelope, late_arrival: LateArrival,
                            school_days: SchoolDays) -> None:
        """ABS-7: late arrival is recorded as its own occurrence, not as absence."""
        self._check_school_day(late_arrival.date, school_days)
        self._late_arrival_recorded(envelope, self.pupil_id, late_arrival)

    @event(LateArrivalRecorded)
    def _late_arrival_recorded(self, envelope: Envelope, pupil_id: UUID,
                               late_arrival: LateArrival) -> None:
        self._remember(envelope, late_arrival)

    def record_left_school(self, envelope: Envelope, left_school: LeftSchool,
                           school_days: SchoolDays) -> None:
        """ABS-7: "kommer på skolen, men går igjen" is recorded as its own occurrence."""
        self._check_school_day(left_school.date, school_days)
        self._left_school_recorded(envelope, self.pupil_id, left_school)

    @event(LeftSchoolRecorded)
    def _left_school_recorded(self, envelope: Envelope, pupil_id: UUID,
                              left_school: LeftSchool) -> None:
        self._remember(envelope, left_school)

    def receive_notice(self, envelope: Envelope, notice: AbsenceNotice) -> None:
        """ABS-3/ABS-4: a notice from a guardian documents the absence it covers."""
        self._check_guardian(notice.guardian_id, notice.from_date)
        planned = envelope.occurred_at.date() < notice.from_date
        if planned and notice.cause is NoticeCause.OTHER and notice.lessons is None:
            raise RuleViolation(
                "leave_application_required",
                "planned absence of a day or more needs a leave application, not a notice",
                field="data.from_date", rule="ABS-6")
        self._notice_received(envelope, self.pupil_id, notice)

    @event(AbsenceNoticeReceived)
    def _notice_received(self, envelope: Envelope, pupil_id: UUID,
                         notice: AbsenceNotice) -> None:
        self._remember(envelope, notice)

    def receive_medical_certificate(self, envelope: Envelope,
                                    certificate: MedicalCertificate) -> None:
        """ABS-3: a doctor's note documents absence; DIP-4 needs it to leave days off."""
        self.enrolment_on(certificate.from_date, field="data.from_date")
        self._certificate_received(envelope, self.pupil_id, certificate)

    @event(MedicalCertificateReceived)
    def _certificate_received(self, envelope: Envelope, pupil_id: UUID,
                              certificate: MedicalCertificate) -> None:
        self._remember(envelope, certificate)

    def report_school_refusal(self, envelope: Envelope, signal: SchoolRefusalSignal) -> None:
        """FOL-19: an early warning from the guardians."""
        self._check_guardian(signal.guardian_id, envelope.occurred_at.date())
        self._school_refusal_reported(envelope, self.pupil_id, signal)

    @event(SchoolRefusalSignalReported)
    def _school_refusal_reported(self, envelope: Envelope, pupil_id: UUID,
                                 signal: SchoolRefusalSignal) -> None:
        pass

    def correct(self, envelope: Envelope, corrects_event_id: UUID, reason: str,
                replacement: Fact | None, school_days: SchoolDays) -> None:
        """ABS-9: a correction is a new event naming the one it corrects; nothing is edited."""
        key = str(corrects_event_id)
        if key not in self.fact_types:
            raise RuleViolation("not_correctable", "no absence, occurrence, notice or "
                                "certificate of this pupil has this event_id",
                                field="data.corrects_event_id", rule="ABS-9")
        if self.standing.records[key] is None:
            raise RuleViolation("already_void", "the event was already corrected as void",
                                field="data.corrects_event_id", rule="ABS-9")
        corrected_type = self.fact_types[key]
        if replacement is not None:
            if not isinstance(replacement, CORRECTABLE[corrected_type]):
                raise RuleViolation("replacement_type", f"the replacement must be the data "
                                    f"of a {corrected_type}", field="data.replacement",
                                    rule="ABS-9")
            if isinstance(replacement, Absence | LateArrival | LeftSchool):
                self._check_school_day(replacement.date, school_days,
                                       field="data.replacement.date")
        self._corrected(envelope, self.pupil_id, corrects_event_id, corrected_type, reason,
                        replacement)

    @event(RecordCorrected)
    def _corrected(self, envelope: Envelope, pupil_id: UUID, corrects_event_id: UUID,
                   corrected_type: str, reason: str, replacement: Fact | None) -> None:
        self.standing.correct(str(corrects_event_id),
                              None if replacement is None else _entry(replacement))

    # Leave (LEAVE) --------------------------------------------------------------------

    def apply_for_leave(self, envelope: Envelope, application: LeaveApplication,
                        calendar: Calendar | None, rules: RuleSet) -> None:
        if application.application_id in self.leave:
            raise RuleViolation("application_exists", "an application with this id exists",
                                field="data.application_id")
        if application.to_date < application.from_date:
            raise RuleViolation("period_reversed", "to_date is before from_date",
                                field="data.to_date")
        enrolment = self.enrolment_on(application.from_date, field="data.from_date")
        year = school_year_of(application.from_date)
        recommendation = recommend(
            application, applied_on=envelope.occurred_at.date(), enrolment=enrolment,
            calendar=calendar, rules=rules,
            granted_days_this_year=sum(case.recommendation.school_days
                                       for case in self.leave.values()
                                       if school_year_of(case.application.from_date) == year
                                       and _granted(case)))
        self._leave_applied(envelope, self.pupil_id, application, recommendation)

    @event(LeaveApplied)
    def _leave_applied(self, envelope: Envelope, pupil_id: UUID,
                       application: LeaveApplication, recommendation: Recommendation) -> None:
        self.leave[application.application_id] = LeaveCase(application, recommendation)

    def decide_leave(self, envelope: Envelope, application_id: str, decision: Decision,
                     reasons: str, overrides_recommendation: bool) -> None:
        """LEAVE-2: the principal decides, with reasons; LEAVE-8: overrides are explicit."""
        case = self.leave.get(application_id)
        if case is None:
            raise RuleViolation("unknown_application", "no leave application with this id "
                                "for this pupil", field="data.application_id", rule="LEAVE-2")
        if case.decision is not None:
            raise RuleViolation("already_decided", "the application is already decided",
                                field="data.application_id", rule="LEAVE-2")
        if envelope.actor.role not in DECIDING_ROLES:
            raise RuleViolation("not_the_principal", "leave is decided by the principal or "
                                "the school leadership", field="actor.role", rule="LEAVE-2")
        recommended = (Decision.REJECTED if case.recommendation.outcome is Advice.REJECT
                       else Decision.GRANTED)
        if (decision is not recommended) != overrides_recommendation:
            raise RuleViolation(
                "override_mismatch",
                f"the service recommended {case.recommendation.outcome.value}; "
                "overrides_recommendation must be true exactly when the decision differs",
                field="data.overrides_recommendation", rule="LEAVE-8")
        if not reasons.strip():
            raise RuleViolation("reasons_required", "every leave decision states its reasons",
                                field="data.reasons", rule="LEAVE-8" if overrides_recommendation
                                else "LEAVE-2")
        on = envelope.occurred_at.date()
        topic = ("leave_holy_days" if case.application.reason is LeaveReason.RELIGIOUS_HOLIDAY
                 else "leave")
        self._leave_decided(envelope, self.pupil_id, application_id, LeaveDecision(
            decision=decision, reasons=reasons, overrides_recommendation=overrides_recommendation,
            decided_by=envelope.actor, decided_on=on,
            legal_basis=legal_basis(topic, on).citation))

    @event(LeaveDecided)
    def _leave_decided(self, envelope: Envelope, pupil_id: UUID, application_id: str,
                       decision: LeaveDecision) -> None:
        self.leave[application_id] = replace(self.leave[application_id], decision=decision)
        _with_leave(self.standing, {application_id: self.leave[application_id]})

    # Diploma (DIP) --------------------------------------------------------------------

    def request_diploma_exclusion(self, envelope: Envelope, request: DiplomaRequest,
                                  school_days: SchoolDays, rules: RuleSet) -> None:
        self._check_new_request(request)
        decision = decide_exclusion(request, requested_on=envelope.occurred_at.date(),
                                    facts=self.diploma_facts(request.school_year),
                                    school_days=school_days, rules=rules)
        self._exclusion_requested(envelope, self.pupil_id, request, decision)

    @event(DiplomaExclusionRequested)
    def _exclusion_requested(self, envelope: Envelope, pupil_id: UUID,
                             request: DiplomaRequest, decision: RequestDecision) -> None:
        self.requests.append(request.request_id)
        self.excluded.setdefault(request.school_year, []).extend(decision.approved_dates)

    def request_cause_attachment(self, envelope: Envelope, request: DiplomaRequest,
                                 rules: RuleSet) -> None:
        self._check_new_request(request)
        decision = decide_cause_attachment(request, requested_on=envelope.occurred_at.date(),
                                           facts=self.diploma_facts(request.school_year),
                                           rules=rules)
        self._cause_attachment_requested(envelope, self.pupil_id, request, decision)

    @event(CauseAttachmentRequested)
    def _cause_attachment_requested(self, envelope: Envelope, pupil_id: UUID,
                                    request: DiplomaRequest, decision: RequestDecision) -> None:
        self.requests.append(request.request_id)

    def diploma_facts(self, school_year: str) -> PupilFacts:
        enrolment = self.enrolments.get(school_year)
        if enrolment is None:
            raise RuleViolation("not_enrolled", f"the pupil is not enrolled in school year "
                                f"{school_year}", field="data.school_year")
        first, last = school_year_bounds(school_year)
        absent = {f.day for f in self.standing.between(first, last, (FactKind.DAY,))}
        certified = set(self.standing.days_of(CERTIFICATE))
        noticed = set(self.standing.days_of(NOTICE))
        leave_days = {d: case.application.reason is LeaveReason.RELIGIOUS_HOLIDAY
                      for case in self.leave.values() if _granted(case)
                      for d in self._leave_days(case)}
        return PupilFacts(
            grade=enrolment.grade,
            chronic_illness_or_disability=enrolment.chronic_illness_or_disability,
            absent_days=absent, certified=certified, documented_causes=noticed | certified,
            leave_days=leave_days, excluded_days=len(self.excluded.get(school_year, [])))

    # What the follow-up case asks -------------------------------------------------------

    def school_on(self, day: date) -> str:
        """The school the pupil attends in the school year of ``day`` (or the latest)."""
        enrolment = self.enrolments.get(school_year_of(day)) or self.latest_enrolment()
        return enrolment.school_id

    def guardian_ids(self, day: date) -> set[str]:
        """The guardians with parental responsibility: the others are told nothing and
        consent to nothing (PRIV-2)."""
        enrolment = self.enrolments.get(school_year_of(day)) or self.latest_enrolment()
        return {g.guardian_id for g in enrolment.guardians if g.parental_responsibility}

    def identity_on_file(self) -> bool:
        enrolment = self.latest_enrolment()
        return bool(enrolment.name and enrolment.national_id)

    def latest_enrolment(self) -> Enrolment:
        return self.enrolments[max(self.enrolments)]

    # Rules shared by several facts ----------------------------------------------------

    def enrolment_on(self, day: date, *, field: str) -> Enrolment:
        try:
            enrolment = self.enrolments[school_year_of(day)]
        except KeyError:
            raise RuleViolation(
                "not_enrolled",
                f"the pupil is not enrolled in school year {school_year_of(day)}",
                field=field) from None
        if any(d.last_day < day and d.school_id == enrolment.school_id
               and school_year_of(d.last_day) == enrolment.school_year
               for d in self.departures):
            raise RuleViolation("after_departure", "the pupil had left the school by then",
                                field=field)
        return enrolment

    def _check_school_day(self, day: date, school_days: SchoolDays,
                          field: str = "data.date") -> None:
        self.enrolment_on(day, field=field)
        if day not in school_days:
            raise RuleViolation("not_a_school_day", f"{day.isoformat()} is not a school day "
                                "in the school's calendar", field=field)

    def _check_guardian(self, guardian_id: str, day: date) -> None:
        enrolment = self.enrolment_on(day, field="data.from_date")
        if guardian_id not in {g.guardian_id for g in enrolment.guardians}:
            raise RuleViolation(
                "not_a_guardian", "the notice must come from one of the pupil's registered "
                "guardians", field="data.guardian_id", rule="ABS-3")
        if not enrolment.responsible(guardian_id):
            raise RuleViolation(
                "no_parental_responsibility", "a guardian without parental responsibility "
                "(foreldreansvar) neither notifies nor is told about the pupil's absence",
                field="data.guardian_id", rule="PRIV-2")

    def _check_new_request(self, request: DiplomaRequest) -> None:
        if request.request_id in self.requests:
            raise RuleViolation("request_exists", "a request with this id exists",
                                field="data.request_id")
        self.diploma_facts(request.school_year)

    def _remember(self, envelope: Envelope, fact: Fact) -> None:
        key = str(envelope.event_id)
        self.standing.remember(key, _entry(fact))
        self.fact_types[key] = sys.intern(envelope.type)  # one string per type, not per fact

    def _leave_days(self, case: LeaveCase) -> list[date]:
        return list(_days(case.application.from_date, case.application.to_date))


def _entry(fact: Fact) -> Entry:
    """What a fact stands for in the index of standing facts."""
    if isinstance(fact, Absence):
        lesson = fact.lesson.period if fact.lesson else None
        return (FactKind.LESSON if fact.scope is AbsenceScope.LESSON else FactKind.DAY,
                fact.date, fact.date, None if lesson is None else (lesson,))
    if isinstance(fact, LateArrival | LeftSchool):
        kind = FactKind.LATE_ARRIVAL if isinstance(fact, LateArrival) else FactKind.LEFT_SCHOOL
        return (kind, fact.date, fact.date, None)
    if isinstance(fact, AbsenceNotice):
        return (NOTICE, fact.from_date, fact.to_date, fact.lessons)
    return (CERTIFICATE, fact.from_date, fact.to_date, None)


def _with_leave(standing: StandingFacts, leave: dict[str, LeaveCase]) -> StandingFacts:
    """LEAVE-9: granted leave documents absence like a notice."""
    for application_id, case in leave.items():
        if _granted(case):
            standing.grant(application_id, case.application.from_date, case.application.to_date)
    return standing


def _granted(case: LeaveCase) -> bool:
    return case.decision is not None and case.decision.decision is Decision.GRANTED


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
