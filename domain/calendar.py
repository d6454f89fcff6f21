"""The school's calendar for one school year (skoleruta)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Envelope
from domain.errors import RuleViolation
from domain.ids import scoped_id
from domain.school_year import school_year_bounds


class BlackoutKind(StrEnum):
    """Periods over which leave is normally not granted (LEAVE-4)."""

    NATIONAL_TEST = "national_test"
    MAPPING_TEST = "mapping_test"
    EXAM = "exam"
    EXAM_PREPARATION = "exam_preparation"
    CAMP_SCHOOL = "camp_school"
    SWIMMING = "swimming"


@dataclass(frozen=True)
class BlackoutPeriod:
    kind: BlackoutKind
    from_date: date
    to_date: date
    grades: tuple[int, ...]


@dataclass(frozen=True)
class HolyDay:
    """A holy day of a faith community outside the Church of Norway (LEAVE-1)."""

    faith_community: str
    date: date


@dataclass(frozen=True)
class Calendar:
    """School days of one school year (§1: 190 school days), with LEAVE-4 periods."""

    school_id: str
    school_year: str
    school_days: tuple[date, ...]
    blackout_periods: tuple[BlackoutPeriod, ...] = ()
    holy_days: tuple[HolyDay, ...] = ()

    def __post_init__(self) -> None:
        try:
            first, last = school_year_bounds(self.school_year)
        except ValueError as error:
            raise RuleViolation("invalid_school_year", str(error),
                                field="data.school_year") from None
        outside = [d for d in self.school_days if not first <= d <= last]
        if outside:
            raise RuleViolation("date_outside_school_year",
                                f"{len(outside)} school day(s) fall outside {self.school_year},"
                                f" first {outside[0].isoformat()}", field="data.school_days")
        for index, period in enumerate(self.blackout_periods):
            if period.to_date < period.from_date:
                raise RuleViolation("period_reversed", "to is before from",
                                    field=f"data.blackout_periods[{index}].to")


def calendar_aggregate_id(tenant: str, school_id: str, school_year: str) -> UUID:
    return scoped_id(tenant, "calendar", school_id, school_year)


class SchoolCalendar(Aggregate):
    """The published calendar of one school for one school year."""

    class Published(Aggregate.Created):
        envelope: Envelope
        calendar: Calendar

    class Republished(Aggregate.Event):
        envelope: Envelope
        calendar: Calendar

    @staticmethod
    def create_id(envelope: Envelope, calendar: Calendar) -> UUID:
        return calendar_aggregate_id(envelope.tenant, calendar.school_id, calendar.school_year)

    @event(Published)
    def __init__(self, envelope: Envelope, calendar: Calendar) -> None:
        self.tenant = envelope.tenant
        self.calendar = calendar

    def republish(self, envelope: Envelope, calendar: Calendar) -> None:
        """A revised calendar replaces the earlier one from now on; both stay in the log."""
        self._republished(envelope, calendar)

    @event(Republished)
    def _republished(self, envelope: Envelope, calendar: Calendar) -> None:
        self.calendar = calendar
