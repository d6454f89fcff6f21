"""Concerns (CON-*) raised as facts arrive, with the rule set and calendar in force.

Evaluated event by event in log order, inside the projection's transaction, so a rebuild
from an empty view raises the same concerns with the same ``raised_at`` as were raised
as the facts came in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.calendar import Calendar
from domain.concerns import Fact, FactKind, Reached, evaluate, is_rolling
from domain.records import AbsenceScope
from domain.rule_sets import RuleBook, RuleSet
from domain.school_days import SchoolDays
from domain.school_year import school_year_bounds, school_year_of
from domain.tally import Documentation, RecordedAbsence
from projections import codec, outbox
from projections.absence import FOR_PUPIL, facts
from projections.absence import FactKind as RowKind
from projections.db import Transaction, ViewDatabase

TABLES = (
    """CREATE TABLE IF NOT EXISTS concern (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        description TEXT NOT NULL,
        period TEXT NOT NULL,
        trigger_day TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        event_ids TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (tenant, pupil_id, rule, period)
    )""",
    """CREATE TABLE IF NOT EXISTS school_calendar (
        tenant TEXT NOT NULL,
        school_id TEXT NOT NULL,
        school_year TEXT NOT NULL,
        calendar TEXT NOT NULL,
        PRIMARY KEY (tenant, school_id, school_year)
    )""",
    """CREATE TABLE IF NOT EXISTS rule_set_change (
        tenant TEXT NOT NULL,
        position BIGINT NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (tenant, position)
    )""",
)


def record_calendar(tx: Transaction, tenant: str, calendar: Calendar) -> None:
    tx.execute("INSERT INTO school_calendar (tenant, school_id, school_year, calendar) VALUES "
               "(:tenant, :school_id, :school_year, :calendar) ON CONFLICT (tenant, school_id, "
               "school_year) DO UPDATE SET calendar = excluded.calendar",
               {"tenant": tenant, "school_id": calendar.school_id,
                "school_year": calendar.school_year, "calendar": codec.dumps(calendar)})


def record_rule_set_change(tx: Transaction, tenant: str, change: Any, position: int) -> None:
    tx.execute("INSERT INTO rule_set_change (tenant, position, change) VALUES "
               "(:tenant, :position, :change) ON CONFLICT (tenant, position) DO NOTHING",
               {"tenant": tenant, "position": position, "change": codec.dumps(change)})


def rule_book(tx: Transaction, tenant: str) -> RuleBook:
    rows = tx.execute("SELECT change FROM rule_set_change WHERE tenant = :tenant "
                      "ORDER BY position", {"tenant": tenant})
    return RuleBook(tuple(codec.loads(change) for (change,) in rows))


def raise_concerns(tx: Transaction, *, tenant: str, pupil_id: UUID, day: date,
                   raised_at: datetime, position: int, rules: RuleSet,
                   days: SchoolDays) -> list[Reached]:
    """Evaluate every rule of ``rules`` (those in force on ``day``) for the window around
    it, with the pupil's school days; store what is new."""
    first, last = school_year_bounds(school_year_of(day))
    known = _concern_facts(facts(tx, pupil_id, tenant, (first - timedelta(days=200), last)))
    raised = []
    for rule in rules.concern_rules:
        reached = evaluate(rule, known, day, days)
        if reached is None or _already_raised(tx, tenant, pupil_id, reached, rule, day):
            continue
        tx.execute(
            "INSERT INTO concern (tenant, pupil_id, rule, description, period, trigger_day, "
            "raised_at, event_ids, position) VALUES (:tenant, :pupil_id, :rule, :description, "
            ":period, :day, :raised_at, :event_ids, :position) ON CONFLICT DO NOTHING",
            {"tenant": tenant, "pupil_id": str(pupil_id), "rule": reached.rule,
             "description": rule.description,
             "period": reached.period, "day": day.isoformat(),
             "raised_at": raised_at.isoformat(), "position": position,
             "event_ids": json.dumps([str(e) for e in reached.event_ids])})
        outbox.put(tx, position, outbox.ALERTS_TOPIC, str(pupil_id), {
            "kind": "concern_raised", "tenant": tenant, "pupil_id": str(pupil_id),
            "rule": reached.rule, "description": rule.description, "period": reached.period,
            "raised_at": raised_at.isoformat(), "position": position,
            "event_ids": [str(e) for e in reached.event_ids]})
        raised.append(reached)
    return raised


def _already_raised(tx: Transaction, tenant: str, pupil_id: UUID, reached: Reached,
                    rule: Any, day: date) -> bool:
    if is_rolling(rule):
        since = day - timedelta(days=(rule.window_days or 30) - 1)
        return bool(tx.execute(
            "SELECT 1 FROM concern WHERE tenant = :tenant AND pupil_id = :pupil_id "
            "AND rule = :rule AND trigger_day >= :since",
            {"tenant": tenant, "pupil_id": str(pupil_id), "rule": reached.rule,
             "since": since.isoformat()}))
    return bool(tx.execute(
        "SELECT 1 FROM concern WHERE tenant = :tenant AND pupil_id = :pupil_id "
        "AND rule = :rule AND period = :period",
        {"tenant": tenant, "pupil_id": str(pupil_id), "rule": reached.rule,
         "period": reached.period}))


def _concern_facts(stored: list[Any]) -> list[Fact]:
    documentation = [Documentation(f.event_id, f.row.from_day, f.row.to_day, f.row.periods)
                     for f in stored if f.row.kind in RowKind.DOCUMENTING]
    known = []
    for fact in stored:
        row = fact.row
        if row.kind in (RowKind.DAY, RowKind.LESSON):
            scope = AbsenceScope.DAY if row.kind == RowKind.DAY else AbsenceScope.LESSON
            absence = RecordedAbsence(fact.event_id, row.from_day, scope, row.period)
            known.append(Fact(fact.event_id, row.from_day,
                              FactKind.DAY if row.kind == RowKind.DAY else FactKind.LESSON,
                              documented=any(d.covers(absence) for d in documentation)))
        elif row.kind == RowKind.LATE_ARRIVAL:
            known.append(Fact(fact.event_id, row.from_day, FactKind.LATE_ARRIVAL))
        elif row.kind == RowKind.LEFT_SCHOOL:
            known.append(Fact(fact.event_id, row.from_day, FactKind.LEFT_SCHOOL))
    return known


@dataclass(frozen=True)
class RaisedConcern:
    rule: str
    description: str
    period: str
    raised_at: str
    trigger_day: str
    event_ids: list[str]


class ConcernReader:
    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def concerns(self, pupil_id: UUID, tenant: str | None = None) -> list[RaisedConcern]:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT rule, description, period, raised_at, trigger_day, "
                              "event_ids FROM concern " + FOR_PUPIL + " ORDER BY position, rule",
                              {"pupil_id": str(pupil_id), "tenant": tenant})
        return [RaisedConcern(r, text, p, at, d, json.loads(ids))
                for r, text, p, at, d, ids in rows]
