"""School years and half-years (§1: opplæringsår, halvår)."""

from __future__ import annotations

import re
from datetime import date

SCHOOL_YEAR_PATTERN = re.compile(r"([0-9]{4})-([0-9]{4})")


def school_year_of(day: date) -> str:
    """The school year ("2026-2027") a date belongs to: August to July."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


def school_year_bounds(school_year: str) -> tuple[date, date]:
    """First and last calendar date that can belong to ``school_year``."""
    match = SCHOOL_YEAR_PATTERN.fullmatch(school_year)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(f"not a school year: {school_year!r} (expected e.g. '2026-2027')")
    start = int(match.group(1))
    return date(start, 8, 1), date(start + 1, 7, 31)


def half_year_of(day: date) -> str:
    """Autumn is August–December, spring January–June (§1); July counts as spring."""
    return f"{day.year}-autumn" if day.month >= 8 else f"{day.year}-spring"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
