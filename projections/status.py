"""Each pupil's status on the compacted status topic — the tally of the latest school year
and the concerns raised — from running figures, so that a batch recounts the days its
events touch and never a pupil's whole year.

A day's figures depend only on the facts recorded for that day and on the documentation
covering it (ABS-1…ABS-4, ABS-7), so the domain counts them one day at a time
(`absence.tally_of`): ``status_day`` keeps each day's figures, ``pupil_status`` their sums
per school year. A batch's facts, corrections and documentation name the days they may
change (`absence.TOUCHED`); after the batch is written, those days are counted again from
the rows that stand, and the difference is added to their year. Both tables are a
function of the standing facts alone, so a rebuild gives the same rows in any batches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import date
from uuid import UUID

from domain.school_year import school_year_of
from domain.tally import Count
from projections import absence, outbox
from projections.absence import FactKind, StoredFact
from projections.batch import Batch
from projections.db import Transaction

FIGURES = ("days_documented", "days_undocumented", "lessons_documented",
           "lessons_undocumented", "late_arrivals", "left_school", "facts")
"""The figures of a day or a year, in this order; ``facts``: the standing facts dated then
(any kind), which says which school year is a pupil's latest."""

Figures = tuple[int, ...]
ZERO: Figures = (0,) * len(FIGURES)
Pupil = tuple[str, str]  # (tenant, pupil id)

_COLUMNS = ", ".join(FIGURES)
_PERIODS = {"status_day": "day", "pupil_status": "school_year"}
TABLES = tuple(
    f"""CREATE TABLE IF NOT EXISTS {table} (
        tenant TEXT NOT NULL,
        pupil_id TEXT NOT NULL,
        {period} TEXT NOT NULL,
        {", ".join(f"{name} INTEGER NOT NULL" for name in FIGURES)},
        PRIMARY KEY (tenant, pupil_id, {period})
    )""" for table, period in _PERIODS.items())
_UPSERT = {table: f"INSERT INTO {table} (tenant, pupil_id, {period}, {_COLUMNS}) VALUES "
           f"(:tenant, :pupil_id, :key, {', '.join(':' + name for name in FIGURES)}) "
           f"ON CONFLICT (tenant, pupil_id, {period}) DO UPDATE SET "
           + ", ".join(f"{name} = excluded.{name}" for name in FIGURES)
           for table, period in _PERIODS.items()}
_DELETE = {table: f"DELETE FROM {table} WHERE tenant = :tenant AND pupil_id = :pupil_id "
           f"AND {period} = :key" for table, period in _PERIODS.items()}


BACKFILL_PUPILS = 500
"""Pupils counted per statement group when figures are made for views folded before these
tables existed (bounded memory: their facts only)."""


def backfill(tx: Transaction) -> None:
    """Figures for views folded before these tables existed, so that an upgrade needs no
    rebuild: when there are standing facts but no figures, every pupil's days are counted
    once. On any later start it costs two one-row reads."""
    if tx.execute("SELECT 1 FROM pupil_status LIMIT 1") or not tx.execute(
            "SELECT 1 FROM absence_fact WHERE void = 0 LIMIT 1"):
        return
    spans = [((tenant, pupil), (date.fromisoformat(low), date.fromisoformat(high)))
             for tenant, pupil, low, high in tx.execute(
                 "SELECT tenant, pupil_id, MIN(from_day), MAX(to_day) FROM absence_fact "
                 "GROUP BY tenant, pupil_id ORDER BY tenant, pupil_id")]
    for start in range(0, len(spans), BACKFILL_PUPILS):
        batch = Batch(tx)
        touched = batch.state(absence.TOUCHED)
        for pupil, span in spans[start:start + BACKFILL_PUPILS]:
            touched[pupil] = [span]
        fold(batch, (), None)
        batch.flush()


def fold(batch: Batch, touched: Collection[tuple[str, UUID]], end: int | None) -> None:
    """Count again the days the batch touched (the tables are current); with ``end``,
    queue the status at ``end`` of each pupil in ``touched``."""
    spans: dict[Pupil, list[tuple[date, date]]] = batch.state(absence.TOUCHED)
    shown = {(tenant, str(pupil)) for tenant, pupil in touched} if end is not None else set()
    pupils = sorted(spans.keys() | shown)
    if not pupils:
        return
    years = _years(batch.tx, pupils)
    if spans:
        _recount(batch, spans, years)
    if end is not None:
        _put(batch, touched, years, end)


def _recount(batch: Batch, spans: dict[Pupil, list[tuple[date, date]]],
             years: dict[Pupil, dict[str, Figures]]) -> None:
    low = min(first for pupil in spans.values() for first, _ in pupil)
    high = max(last for pupil in spans.values() for _, last in pupil)
    facts = absence.facts_between(batch.tx, list(spans), low, high)
    stored = _days(batch.tx, list(spans), low, high)
    for pupil, pupil_spans in sorted(spans.items()):
        kept = years.setdefault(pupil, {})
        was = dict(kept)
        for day, new, old in _changed(facts.get(pupil, []), stored.get(pupil, {}), pupil_spans):
            _write(batch, "status_day", pupil, day.isoformat(), new, old)
            year = school_year_of(day)
            kept[year] = tuple(k + n - o for k, n, o in
                               zip(kept.get(year, ZERO), new, old, strict=True))
        # Each year once, at its sum: a year may pass through zero on the way.
        for year in sorted(y for y, figures in kept.items() if figures != was.get(y, ZERO)):
            _write(batch, "pupil_status", pupil, year, kept[year], was.get(year, ZERO))


def _changed(standing: list[StoredFact], before: dict[date, Figures],
             spans: list[tuple[date, date]]) -> Iterator[tuple[date, Figures, Figures]]:
    """(day, new figures, old figures) of each day in ``spans`` whose figures changed."""
    days = {f.row.from_day for f in standing} | before.keys()
    for day in sorted(d for d in days if any(a <= d <= b for a, b in spans)):
        old, new = before.get(day, ZERO), figures_of_day(standing, day)
        if new != old:
            yield day, new, old


def figures_of_day(standing: list[StoredFact], day: date) -> Figures:
    """The figures of ``day``, from the pupil's standing facts (in log order) around it."""
    dated = [f for f in standing if f.row.from_day == day]
    covering = [f for f in standing if f.row.kind in FactKind.DOCUMENTING
                and f.row.from_day < day <= f.row.to_day]
    totals = absence.tally_of(dated + covering, None).totals
    return (totals.days.documented, totals.days.undocumented, totals.lessons.documented,
            totals.lessons.undocumented, totals.late_arrivals, totals.left_school, len(dated))


def _write(batch: Batch, table: str, pupil: Pupil, key: str, new: Figures, old: Figures
           ) -> None:
    """Queue a day's or a year's new figures; a row of zeros is no row, as in a rebuild."""
    row = {"tenant": pupil[0], "pupil_id": pupil[1], "key": key}
    if new != ZERO:
        batch.insert(_UPSERT[table], {**row, **dict(zip(FIGURES, new, strict=True))})
    elif old != ZERO:
        batch.update(_DELETE[table], row)


def _days(tx: Transaction, pupils: list[Pupil], low: date, high: date
          ) -> dict[Pupil, dict[date, Figures]]:
    where, params = absence.of_pupils(tx, pupils)
    found: dict[Pupil, dict[date, Figures]] = defaultdict(dict)
    for tenant, pupil_id, day, *figures in tx.execute(
            f"SELECT tenant, pupil_id, day, {_COLUMNS} FROM status_day WHERE {where} AND "
            "day BETWEEN :low AND :high ORDER BY tenant, pupil_id, day",
            {**params, "low": low.isoformat(), "high": high.isoformat()}):
        found[(tenant, pupil_id)][date.fromisoformat(day)] = tuple(figures)
    return found


def _years(tx: Transaction, pupils: list[Pupil]) -> dict[Pupil, dict[str, Figures]]:
    where, params = absence.of_pupils(tx, pupils)
    found: dict[Pupil, dict[str, Figures]] = {}
    for tenant, pupil_id, year, *figures in tx.execute(
            f"SELECT tenant, pupil_id, school_year, {_COLUMNS} FROM pupil_status WHERE "
            f"{where} ORDER BY tenant, pupil_id, school_year", params):
        found.setdefault((tenant, pupil_id), {})[year] = tuple(figures)
    return found


def _put(batch: Batch, touched: Collection[tuple[str, UUID]],
         years: dict[Pupil, dict[str, Figures]], end: int) -> None:
    """The status message of each pupil in ``touched``: the figures of the latest school
    year with facts (else of enrolment), and every concern raised."""
    latest = {pupil: max(y for y, f in kept.items() if f[-1])
              for pupil, kept in years.items() if any(f[-1] for f in kept.values())}
    shown = sorted({(tenant, str(pupil)) for tenant, pupil in touched})
    latest.update(_enrolled(batch.tx, [p for p in shown if p not in latest]))
    raised = _concerns(batch.tx, shown)
    for tenant, pupil_id in sorted(touched, key=str):
        pupil = (tenant, str(pupil_id))
        year = latest.get(pupil)
        figures = years.get(pupil, {}).get(year, ZERO) if year else ZERO
        outbox.put(batch, end, outbox.STATUS_TOPIC, str(pupil_id), {
            "tenant": tenant, "pupil_id": str(pupil_id), "school_year": year,
            "position": end, "days": Count(figures[0], figures[1]).as_dict(),
            "lessons": Count(figures[2], figures[3]).as_dict(),
            "late_arrivals": figures[4], "left_school": figures[5],
            "concerns": [{"rule": r, "period": p} for r, p in raised.get(pupil, [])]})


def _enrolled(tx: Transaction, pupils: list[Pupil]) -> dict[Pupil, str]:
    """The latest school year each of ``pupils`` is enrolled in."""
    if not pupils:
        return {}
    where, params = absence.of_pupils(tx, pupils)
    return {(tenant, pupil_id): year for tenant, pupil_id, year in tx.execute(
        f"SELECT tenant, pupil_id, school_year FROM pupil_year WHERE {where} "
        "ORDER BY tenant, pupil_id, school_year", params)}


def _concerns(tx: Transaction, pupils: list[Pupil]) -> dict[Pupil, list[tuple[str, str]]]:
    where, params = absence.of_pupils(tx, pupils)
    found: dict[Pupil, list[tuple[str, str]]] = {}
    for tenant, pupil_id, rule, period in tx.execute(
            f"SELECT tenant, pupil_id, rule, period FROM concern WHERE {where} "
            "ORDER BY tenant, pupil_id, position, rule, period", params):
        found.setdefault((tenant, pupil_id), []).append((rule, period))
    return found
