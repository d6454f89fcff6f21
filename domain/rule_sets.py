"""Rule sets: what each municipality has chosen, in force from a date (LAW-2, CON-7).

The defaults are the guideline's. A municipality adopts changes (``RuleSetAdopted``) with
an effective date; the rule set in force on a date is the defaults with every change
effective on or before that date applied in date order. Outcomes for a date always use
the rule set in force on that date, so a replay years later gives the same answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Measure(StrEnum):
    DAYS = "days"  # CON-6: documented and undocumented alike
    LESSONS = "lessons"
    UNDOCUMENTED_LESSONS = "undocumented_lessons"
    LATE_ARRIVALS = "late_arrivals"
    LEFT_SCHOOL = "left_school"


class Window(StrEnum):
    DAY = "day"
    CALENDAR_MONTH = "calendar_month"
    HALF_YEAR = "half_year"
    SCHOOL_YEAR = "school_year"
    ROLLING_DAYS = "rolling_days"


class ConcernKind(StrEnum):
    COUNT = "count"  # threshold occurrences of the measure in the window
    CONSECUTIVE_DAYS = "consecutive_days"  # a run of threshold absent school days
    SHARE_OF_LESSONS = "share_of_lessons"  # threshold share (0.10) of lessons missed
    WEEKDAY_PATTERN = "weekday_pattern"  # absent threshold of the last out_of same weekdays


@dataclass(frozen=True)
class ConcernRule:
    """One way absence becomes concerning (bekymringsfullt fravær, §5)."""

    rule: str
    kind: ConcernKind
    threshold: float
    measure: Measure = Measure.DAYS
    window: Window = Window.CALENDAR_MONTH
    window_days: int | None = None
    out_of: int | None = None
    lessons_per_day: int = 6
    description: str = ""


DEFAULT_CONCERN_RULES: tuple[ConcernRule, ...] = (
    ConcernRule("CON-1", ConcernKind.COUNT, 3, Measure.DAYS, Window.CALENDAR_MONTH,
                description="3 enkeltdager fravær i løpet av en måned"),
    ConcernRule("CON-2", ConcernKind.COUNT, 10, Measure.DAYS, Window.HALF_YEAR,
                description="10 enkeltdager fravær i løpet av et halvår"),
    ConcernRule("CON-3", ConcernKind.COUNT, 1, Measure.UNDOCUMENTED_LESSONS, Window.DAY,
                description="1 enkelttime med udokumentert fravær"),
    ConcernRule("CON-4", ConcernKind.COUNT, 3, Measure.LATE_ARRIVALS, Window.CALENDAR_MONTH,
                description="3 ganger forsentkomming i løpet av en måned"),
    ConcernRule("CON-5", ConcernKind.COUNT, 1, Measure.LEFT_SCHOOL, Window.DAY,
                description="Eleven kommer på skolen, men går igjen"),
)
MONTHLY_RULES = ("CON-1", "CON-4")


@dataclass(frozen=True)
class Period:
    """How long a deadline runs: calendar days, or calendar months ("innen en måned"),
    counted from the day of the event that opens the task; due at the end of that day,
    Norwegian time."""

    days: int = 0
    months: int = 0


@dataclass(frozen=True)
class Deadlines:
    """FOL-*, CT-*, MISS-*, POL-*, SAFE-*: every deadline a task runs to, by name.

    Where the guideline gives the time, the default is the guideline's (its words beside
    it); where it leaves the time to people, the default is the service's suggestion and
    a municipality sets its own (``RuleSetAdopted.deadlines``). MISS-4 is
    ``RuleSet.whereabouts_deadline_days`` (LAW-2 names it).
    """

    # FOL-3 "Ved bekymring for fravær informerer kontaktlærer skolens ledelse." (no time)
    inform_leadership: Period = Period(days=1)
    # FOL-4 "… skal kontaktlærer ringe foreldrene for å avklare fraværet på elevens første
    # fraværsdag."
    call_guardians: Period = Period(days=0)
    # FOL-5 "Kontaktlærer skal informere foreldre umiddelbart ved alt ugyldig fravær.
    # Ledelsen informeres. Informasjon skal gis i løpet av samme dag."
    inform_guardians: Period = Period(days=0)
    # FOL-7 "Fravær i enkeltstående time(r) – skole kontakter foresatte og drøfter
    # fraværet. Innen en uke"
    discuss_lessons: Period = Period(days=7)
    # FOL-8 "Gjentagende fraværsmønster eller økende fravær – samtale med elev og
    # foreldre. Innen en måned"
    conversation: Period = Period(months=1)
    # FOL-9 "Kartleggingsarbeid igangsettes … Innen en måned"
    mapping: Period = Period(months=1)
    # FOL-9 "Skriv referat og send kopi til foresatte." (no time)
    minutes_to_guardians: Period = Period(days=7)
    # FOL-10 "Bekymringen tas opp i kontaktmøtet på skolen, hvor PPT er representert"
    # (no time)
    contact_meeting: Period = Period(months=1)
    # FOL-13 "Samarbeidsavtale utarbeides/underskrives" (no time)
    agreement: Period = Period(days=14)
    # FOL-14 "Tiltak prøves ut ca. en måned (bruk av skjønn)"
    measures_trial: Period = Period(months=1)
    # FOL-16 "Når eksterne instanser blir involvert, skal det avholdes møte … Innen kort
    # tid – etter avtale"
    external_meeting: Period = Period(days=14)
    # FOL-17 "Etter samtalen: … Gjør en vurdering om det er nødvendig med
    # bekymringsmelding til barneverntjenesten." (no time)
    welfare_assessment: Period = Period(days=7)
    # CT-2 "Innen 10 dager skal teamet invitere foresatte, elev og skole"
    team_invitation: Period = Period(days=10)
    # CT-3 "Mål, tiltak og ansvar skriftliggjøres i en samarbeidsavtale" (no time)
    team_agreement: Period = Period(days=7)
    # CT-4, CT-6 "Forpliktende og avtalte tiltak gjennomføres 2-3 uker. Deretter nytt møte";
    # "et tredje møte etter ca 2-3 uker"
    consultation_interval: Period = Period(days=21)
    # CT-5, CT-6 "Konklusjon av videre fremgang skriftliggjøres i samarbeidsavtalen."
    # (no time)
    team_conclusion: Period = Period(days=7)
    # CT-5, CT-6 "… vurdere henvisning videre, til for eksempel PPT, Familietjenesten,
    # Barnevernstjenesten eller BUP." (no time)
    onward_referral: Period = Period(days=14)
    # MISS-1 "1. Skolen kontakter foresatte." (no time)
    contact_when_missing: Period = Period(days=0)
    # MISS-5 (1) "Foresatte … innkalles til en samtale med rektor" (no time)
    principal_meeting: Period = Period(days=7)
    # MISS-5 (2) "Skole sender flyttemelding til den nye bostedskommunen." (no time)
    moving_notice: Period = Period(days=7)
    # MISS-5 (2), (3) "Foreldre skal bekrefte flytting skriftlig." (no time)
    written_confirmation: Period = Period(days=14)
    # MISS-5 (4) "Rektor sender bekymringsmelding til barnevernet" (no time)
    concern_report_when_not_found: Period = Period(days=7)
    # MISS-6 "Skolene har plikt å melde fra til NAV når de får kjennskap til at en elev
    # oppholder seg utenlands" (no time)
    nav_notice: Period = Period(days=7)
    # POL-6 "Skolene skal sende enkeltsaker av denne karakter fortløpende til
    # kommunedirektøren." (no time)
    forward_to_director: Period = Period(days=14)
    # POL-1 "Saken oversendes kommunedirektør som vurderer grunnlaget for anmeldelse"
    # (no time)
    police_assessment: Period = Period(months=1)
    # SAFE-1 "Skolen gir rutinemessig melding til skolehelsetjenesten" (no time)
    notify_school_health: Period = Period(days=2)
    # SAFE-2 "… innkalles foresatte til samtale med skolehelsetjenesten" (no time)
    health_conversation: Period = Period(days=7)


DEADLINE_NAMES = tuple(f.name for f in dataclasses.fields(Deadlines))


class LeaveCapScope(StrEnum):
    PER_LEAVE = "per_leave"
    PER_SCHOOL_YEAR = "per_school_year"


class MonthWindow(StrEnum):
    """Interpretation of "a month" in CON-1 and CON-4."""

    CALENDAR_MONTH = "calendar_month"
    ROLLING_30_DAYS = "rolling_30_days"


@dataclass(frozen=True)
class RuleSet:
    concern_rules: tuple[ConcernRule, ...] = DEFAULT_CONCERN_RULES
    leave_cap_days: int = 10  # LEAVE-2: school days
    leave_cap_scope: LeaveCapScope = LeaveCapScope.PER_LEAVE
    leave_notice_days: int = 7  # LEAVE-3
    diploma_request_deadline: str = "06-01"  # DIP-6, MM-DD of the year the grade ends
    diploma_exclusion_cap_days: int = 10  # DIP-3
    holy_day_leave_counts_for_diploma: bool = False  # LAW-2, flagged for legal review
    # MISS-4 "Tiltakene bør være gjennomført i løpet 14 dager."
    whereabouts_deadline_days: int = 14
    deadlines: Deadlines = Deadlines()
    version: int = 0  # how many rule sets the municipality had adopted when this was read

    def concern_rule(self, rule: str) -> ConcernRule:
        return next(r for r in self.concern_rules if r.rule == rule)


@dataclass(frozen=True)
class RuleSetChange:
    """What one ``RuleSetAdopted`` changes; fields left None keep their value."""

    effective_from: date
    concern_thresholds: tuple[tuple[str, float], ...] = ()
    month_window: MonthWindow | None = None
    additional_concern_rules: tuple[ConcernRule, ...] = ()
    leave_cap_days: int | None = None
    leave_cap_scope: LeaveCapScope | None = None
    leave_notice_days: int | None = None
    diploma_request_deadline: str | None = None
    holy_day_leave_counts_for_diploma: bool | None = None
    whereabouts_deadline_days: int | None = None
    deadlines: tuple[tuple[str, Period], ...] = ()

    SCALARS = ("leave_cap_days", "leave_cap_scope", "leave_notice_days",
               "diploma_request_deadline", "holy_day_leave_counts_for_diploma",
               "whereabouts_deadline_days")

    def applied_to(self, rules: RuleSet) -> RuleSet:
        thresholds = dict(self.concern_thresholds)
        concern_rules = []
        for rule in rules.concern_rules:
            if rule.rule in thresholds:
                rule = dataclasses.replace(rule, threshold=thresholds[rule.rule])
            if self.month_window is not None and rule.rule in MONTHLY_RULES:
                rolling = self.month_window is MonthWindow.ROLLING_30_DAYS
                rule = dataclasses.replace(
                    rule, window=Window.ROLLING_DAYS if rolling else Window.CALENDAR_MONTH,
                    window_days=30 if rolling else None)
            concern_rules.append(rule)
        added = {rule.rule for rule in self.additional_concern_rules}
        concern_rules = [r for r in concern_rules if r.rule not in added]
        concern_rules.extend(self.additional_concern_rules)
        scalars = {name: getattr(self, name) for name in self.SCALARS
                   if getattr(self, name) is not None}
        deadlines = dataclasses.replace(rules.deadlines, **dict(self.deadlines))
        return dataclasses.replace(rules, concern_rules=tuple(concern_rules),
                                   deadlines=deadlines, **scalars)


@dataclass(frozen=True)
class RuleBook:
    """Every change a municipality adopted, in the order adopted."""

    changes: tuple[RuleSetChange, ...] = field(default=())

    def adopt(self, change: RuleSetChange) -> RuleBook:
        return RuleBook((*self.changes, change))

    def on(self, day: date) -> RuleSet:
        """The rule set in force on ``day``."""
        rules = RuleSet()
        for change in sorted((c for c in self.changes if c.effective_from <= day),
                             key=lambda c: c.effective_from):
            rules = change.applied_to(rules)
        return dataclasses.replace(rules, version=len(self.changes))


def rule_book(changes: Iterable[RuleSetChange]) -> RuleBook:
    return RuleBook(tuple(changes))
