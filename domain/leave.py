"""Leave of absence (permisjon, §2, opplæringslova § 2-2): the recommendation.

The service recommends; the principal decides (LEAVE-2, LEAVE-8). The recommendation is
made when the application is recorded, with the rule set in force on its date, and is
stored with it, so it reads the same years later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.calendar import BlackoutKind, Calendar
from domain.envelope import Actor
from domain.law import legal_basis
from domain.records import Enrolment
from domain.rule_sets import LeaveCapScope, RuleSet
from domain.school_days import SchoolDays

NO_REPLACEMENT_TEACHING = (
    "Permisjon gir ikke rett til erstatningsundervisning. Foresatte har ansvaret for "
    "elevens opplæring i permisjonstiden."
)
"""LEAVE-7: every decision letter says so (in the words guardians read)."""


class LeaveReason(StrEnum):
    RELIGIOUS_HOLIDAY = "religious_holiday"
    SPORTS_OR_CULTURE = "sports_or_culture"
    FAMILY_EVENT = "family_event"
    ORGANISATION_WORK = "organisation_work"
    OTHER = "other"


class Level(StrEnum):
    NATIONAL = "national"
    INTERNATIONAL = "international"


@dataclass(frozen=True)
class LeaveApplication:
    application_id: str
    from_date: date
    to_date: date
    reason: LeaveReason
    level: Level | None = None
    faith_community: str | None = None
    text: str | None = None


class Advice(StrEnum):
    RIGHT = "right"  # LEAVE-1: the pupil has a right to it
    GRANT = "grant"
    REJECT = "reject"


@dataclass(frozen=True)
class Recommendation:
    outcome: Advice
    rules: tuple[str, ...]
    notes: tuple[str, ...]  # for the principal, in Norwegian
    late_application: bool
    school_days: int
    legal_basis: str


class Decision(StrEnum):
    GRANTED = "granted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class LeaveDecision:
    decision: Decision
    reasons: str
    overrides_recommendation: bool
    decided_by: Actor
    decided_on: date
    statement: str = NO_REPLACEMENT_TEACHING
    legal_basis: str = ""

    @property
    def documents_absence(self) -> bool:
        """LEAVE-9: granted leave documents the absence in the period it covers."""
        return self.decision is Decision.GRANTED


def recommend(application: LeaveApplication, *, applied_on: date, enrolment: Enrolment,
              calendar: Calendar | None, rules: RuleSet,
              granted_days_this_year: int) -> Recommendation:
    school_days = SchoolDays(calendar)
    days = list(school_days.between(application.from_date, application.to_date))
    late = applied_on > application.from_date - timedelta(days=rules.leave_notice_days)
    late_notes = (f"Søknaden kom {applied_on.isoformat()}, senere enn "
                  f"{rules.leave_notice_days} dager før permisjonen (LEAVE-3).",) if late else ()
    late_rules = ("LEAVE-3",) if late else ()

    if application.reason is LeaveReason.RELIGIOUS_HOLIDAY:
        community = application.faith_community or enrolment.faith_community
        holy = {h.date for h in (calendar.holy_days if calendar else ())
                if h.faith_community == community}
        if community and days and set(days) <= holy:
            return Recommendation(
                Advice.RIGHT, ("LEAVE-1", *late_rules),
                (f"Helligdag i {community}: eleven har rett til permisjon.", *late_notes),
                late, len(days), legal_basis("leave_holy_days", applied_on).citation)

    basis = legal_basis("leave", applied_on).citation
    against: list[tuple[str, str]] = []
    blackouts = [p for p in (calendar.blackout_periods if calendar else ())
                 if (not p.grades or enrolment.grade in p.grades)
                 and p.from_date <= application.to_date and application.from_date <= p.to_date
                 and (p.kind is not BlackoutKind.SWIMMING or enrolment.can_swim is False)]
    for period in blackouts:
        against.append(("LEAVE-4", f"Permisjonen faller sammen med {_BLACKOUT[period.kind]} "
                        f"{period.from_date.isoformat()}–{period.to_date.isoformat()}."))
    if enrolment.grade == 10 and len(days) > 1 and any(d.month <= 6 for d in days):
        against.append(("LEAVE-5", "Permisjon over flere dager innvilges normalt ikke siste "
                        "halvår på 10. trinn."))
    counted = len(days) + (granted_days_this_year
                           if rules.leave_cap_scope is LeaveCapScope.PER_SCHOOL_YEAR else 0)
    if counted > rules.leave_cap_days:
        scope = ("per skoleår" if rules.leave_cap_scope is LeaveCapScope.PER_SCHOOL_YEAR
                 else "per permisjon")
        against.append(("LEAVE-2", f"{counted} skoledager er mer enn "
                        f"{rules.leave_cap_days} dager {scope}."))
    reason_ok = (application.reason in (LeaveReason.FAMILY_EVENT, LeaveReason.ORGANISATION_WORK)
                 or (application.reason is LeaveReason.SPORTS_OR_CULTURE
                     and application.level is not None))
    if not reason_ok:
        against.append(("LEAVE-6", _REASON_NOTE.get(application.reason, _OTHER_REASON)))
    if against:
        return Recommendation(
            Advice.REJECT, (*dict.fromkeys(rule for rule, _ in against), *late_rules),
            (*(note for _, note in against),
             "Rektor kan likevel innvilge med skriftlig begrunnelse (LEAVE-8).", *late_notes),
            late, len(days), basis)
    return Recommendation(
        Advice.GRANT, ("LEAVE-2", "LEAVE-6", *late_rules),
        (f"{len(days)} skoledager, innenfor {rules.leave_cap_days} dager og utenfor "
         "perioder med prøver, eksamen og leirskole.", *late_notes),
        late, len(days), basis)


_BLACKOUT = {
    BlackoutKind.NATIONAL_TEST: "nasjonale prøver",
    BlackoutKind.MAPPING_TEST: "kartleggingsprøver",
    BlackoutKind.EXAM: "eksamen",
    BlackoutKind.EXAM_PREPARATION: "forberedelse til eksamen",
    BlackoutKind.CAMP_SCHOOL: "leirskole",
    BlackoutKind.SWIMMING: "svømmeopplæring",
}
_OTHER_REASON = ("Grunnen er ikke blant dem veilederen nevner: uttak til idrett eller kultur "
                 "på nasjonalt eller internasjonalt nivå, viktige hendelser i nær familie, "
                 "eller politisk eller frivillig organisasjonsarbeid.")
_REASON_NOTE = {
    LeaveReason.SPORTS_OR_CULTURE: "Idrett eller kultur gir grunnlag for permisjon bare ved "
                                   "uttak på nasjonalt eller internasjonalt nivå.",
    LeaveReason.RELIGIOUS_HOLIDAY: "Datoene er ikke registrerte helligdager for elevens "
                                   "trossamfunn i skoleruta; søknaden vurderes som annen "
                                   "permisjon.",
}
