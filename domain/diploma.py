"""Absence on the diploma (vitnemål, §4, opplæringsforskrifta § 9-44): DIP-1…DIP-7.

A request to leave days off the diploma is decided date by date when it is recorded,
with the rule set in force on its date, and the decision is stored with it.

Interpretation (written down because the guideline is silent): "more than three days"
counts consecutive school days of absence around the date (the illness episode), and the
doctor's documentation must cover the date; single lessons are never left off.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.law import legal_basis
from domain.rule_sets import RuleSet
from domain.school_days import SchoolDays


class ExclusionBasis(StrEnum):
    HEALTH = "health"
    LEAVE = "leave"


class DocumentKind(StrEnum):
    MEDICAL_CERTIFICATE = "medical_certificate"
    MESSAGE_BOOK = "message_book"
    LEAVE_DECISION = "leave_decision"


@dataclass(frozen=True)
class DocumentRef:
    kind: DocumentKind
    ref: str


@dataclass(frozen=True)
class DiplomaRequest:
    """DiplomaExclusionRequested (DIP-3) or CauseAttachmentRequested (DIP-2)."""

    request_id: str
    school_year: str
    dates: tuple[date, ...]
    documentation: tuple[DocumentRef, ...]
    basis: ExclusionBasis | None = None  # None for a cause attachment
    requested_by: str | None = None


class RequestOutcome(StrEnum):
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class DateOutcome:
    date: date
    approved: bool
    rule: str
    reason: str  # Norwegian: the pupil and guardians read it


@dataclass(frozen=True)
class RequestDecision:
    request_id: str
    outcome: RequestOutcome
    dates: tuple[DateOutcome, ...]
    rules: tuple[str, ...]
    legal_basis: str

    @property
    def approved_dates(self) -> tuple[date, ...]:
        return tuple(d.date for d in self.dates if d.approved)


@dataclass(frozen=True)
class PupilFacts:
    """What the decision needs to know about the pupil in the request's school year."""

    grade: int
    chronic_illness_or_disability: bool
    absent_days: Collection[date]
    certified: Collection[date]  # days a doctor's documentation covers
    documented_causes: Collection[date]  # days a notice with cause or a certificate covers
    leave_days: Mapping[date, bool]  # granted leave: date -> is holy-day leave
    excluded_days: int  # already left off this school year


def deadline(school_year: str, rules: RuleSet) -> date:
    month, day = (int(part) for part in rules.diploma_request_deadline.split("-"))
    return date(int(school_year[-4:]), month, day)


def decide_exclusion(request: DiplomaRequest, *, requested_on: date, facts: PupilFacts,
                     school_days: SchoolDays, rules: RuleSet) -> RequestDecision:
    """DIP-3…DIP-6: which of the requested dates are left off the diploma."""
    basis = legal_basis("diploma_absence", requested_on).citation
    refused = _refused_outright(request, requested_on, facts, rules)
    if refused:
        return _decision(request, [DateOutcome(d, False, *refused) for d in request.dates],
                         basis)
    outcomes: list[DateOutcome] = []
    room = rules.diploma_exclusion_cap_days - facts.excluded_days
    for day in sorted(set(request.dates)):
        outcome = (_health(day, facts, school_days) if request.basis is ExclusionBasis.HEALTH
                   else _leave(day, facts, rules))
        if outcome.approved and room <= 0:
            outcome = DateOutcome(day, False, "DIP-3", "Høyst 10 skoledager per skoleår kan "
                                  "strykes, helsegrunner og permisjon til sammen.")
        if outcome.approved:
            room -= 1
        outcomes.append(outcome)
    return _decision(request, outcomes, basis)


def decide_cause_attachment(request: DiplomaRequest, *, requested_on: date,
                            facts: PupilFacts, rules: RuleSet) -> RequestDecision:
    """DIP-2: the cause goes on an attachment only where it was documented."""
    basis = legal_basis("diploma_absence", requested_on).citation
    refused = _refused_outright(request, requested_on, facts, rules)
    if refused:
        return _decision(request, [DateOutcome(d, False, *refused) for d in request.dates],
                         basis)
    return _decision(request, [
        DateOutcome(day, True, "DIP-2", "Årsaken er dokumentert.")
        if day in facts.documented_causes else
        DateOutcome(day, False, "DIP-2", "Årsaken til fraværet denne dagen er ikke "
                    "dokumentert.")
        for day in sorted(set(request.dates))], basis)


def _refused_outright(request: DiplomaRequest, requested_on: date, facts: PupilFacts,
                      rules: RuleSet) -> tuple[str, str] | None:
    if facts.grade < 8:
        return ("DIP-1", "Fravær føres på vitnemålet fra 8. trinn.")
    last_day = deadline(request.school_year, rules)
    if requested_on > last_day:
        return ("DIP-6", f"Kravet kom etter fristen {last_day.strftime('%d.%m.%Y')}.")
    if not request.documentation:
        return ("DIP-6", "Kravet må ha dokumentasjon vedlagt.")
    needed = {ExclusionBasis.HEALTH: DocumentKind.MEDICAL_CERTIFICATE,
              ExclusionBasis.LEAVE: DocumentKind.LEAVE_DECISION}.get(request.basis)  # type: ignore[arg-type]
    if needed is not None and needed not in {d.kind for d in request.documentation}:
        return ("DIP-6", "Kravet mangler vedlegg: "
                + ("legeerklæring." if needed is DocumentKind.MEDICAL_CERTIFICATE
                   else "vedtak om permisjon."))
    return None


def _health(day: date, facts: PupilFacts, school_days: SchoolDays) -> DateOutcome:
    if day not in facts.absent_days:
        return DateOutcome(day, False, "DIP-3", "Eleven er ikke registrert med fravær hele "
                           "denne dagen.")
    if day not in facts.certified:
        return DateOutcome(day, False, "DIP-4", "Det er ikke dokumentasjon fra lege for "
                           "denne dagen.")
    if facts.chronic_illness_or_disability:
        return DateOutcome(day, True, "DIP-5", "Kronisk sykdom eller funksjonsnedsettelse: "
                           "fravær kan strykes fra første sykedag.")
    sick_day = _day_of_episode(day, facts.absent_days, school_days)
    if sick_day < 4:
        return DateOutcome(day, False, "DIP-4", f"Dette er {sick_day}. sykedag; fravær kan "
                           "strykes først fra fjerde sykedag.")
    return DateOutcome(day, True, "DIP-4", f"{sick_day}. sykedag med dokumentasjon fra lege.")


def _leave(day: date, facts: PupilFacts, rules: RuleSet) -> DateOutcome:
    if day not in facts.leave_days:
        return DateOutcome(day, False, "DIP-3", "Det er ikke innvilget permisjon denne dagen.")
    if facts.leave_days[day] and not rules.holy_day_leave_counts_for_diploma:
        return DateOutcome(day, False, "LAW-2", "Permisjon på helligdag strykes ikke etter "
                           "opplæringsforskrifta § 9-44 slik kommunen har lagt den til grunn.")
    return DateOutcome(day, True, "DIP-3", "Innvilget permisjon.")


def _day_of_episode(day: date, absent_days: Collection[date], school_days: SchoolDays) -> int:
    """1 for the first school day of an unbroken run of absent school days, and so on."""
    count = 1
    for earlier in reversed(school_days.before(day, 60)[:-1]):
        if earlier not in absent_days:
            break
        count += 1
    return count


def _decision(request: DiplomaRequest, outcomes: list[DateOutcome],
              basis: str) -> RequestDecision:
    approved = sum(1 for o in outcomes if o.approved)
    outcome = (RequestOutcome.APPROVED if outcomes and approved == len(outcomes)
               else RequestOutcome.REJECTED if approved == 0 else RequestOutcome.PARTLY_APPROVED)
    return RequestDecision(request.request_id, outcome, tuple(outcomes),
                           tuple(dict.fromkeys(o.rule for o in outcomes)), basis)


@dataclass(frozen=True)
class Exclusion:
    date: date
    basis: ExclusionBasis
    rule: str


@dataclass(frozen=True)
class DiplomaFigures:
    """DIP-1: days and single lessons on the diploma, counted apart, after exclusions."""

    school_year: str | None
    on_diploma: bool
    days: int
    lessons: int
    excluded_days: int
    exclusions: tuple[Exclusion, ...]


def diploma_year(school_year: str, grade: int, absent_days: Collection[date], lessons: int,
                 approved: Collection[Exclusion]) -> DiplomaFigures:
    """One school year's figures. Days left off must still be absent days (a correction
    may have voided one); lessons are never left off."""
    if grade < 8:
        return DiplomaFigures(school_year, False, 0, 0, 0, ())
    standing = tuple(sorted({e.date: e for e in approved if e.date in absent_days}.values(),
                            key=lambda e: e.date))
    return DiplomaFigures(school_year, True, len(absent_days) - len(standing), lessons,
                          len(standing), standing)


def diploma_total(years: Collection[DiplomaFigures]) -> DiplomaFigures:
    """DIP-7: the sum over grades 8, 9 and 10."""
    counted = [y for y in years if y.on_diploma]
    return DiplomaFigures(None, bool(counted), sum(y.days for y in counted),
                          sum(y.lessons for y in counted),
                          sum(y.excluded_days for y in counted),
                          tuple(e for y in counted for e in y.exclusions))
