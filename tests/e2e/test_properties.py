"""Properties that hold for any order of arrival, checked through ingestion and the views."""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.pupil_views import PupilViews
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import sqlite_environ
from tests.support.events import (
    absent,
    calendar,
    certificate,
    enrolled,
    new_pupil,
    notice,
    school_days,
)

DAYS = school_days(30, "2026-09-01")


def figures(service: Service, pupil: str) -> Any:
    tally = service.absence.tally(UUID(pupil), None)
    years = service.absence.years(UUID(pupil))
    diploma = service.requests.diploma(UUID(pupil), years)
    return (tally.totals.days.as_dict(), tally.totals.lessons.as_dict(),
            [(m.period, m.days.as_dict(), m.lessons.as_dict()) for m in tally.months],
            [(c.day, c.scope, c.period, c.documented) for c in tally.counted],
            {y: (f.days, f.lessons) for y, f in diploma.items()})


facts_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("day"), st.integers(0, 29), st.none()),
        st.tuples(st.just("lesson"), st.integers(0, 29), st.integers(1, 6)),
        st.tuples(st.just("notice"), st.integers(0, 29), st.integers(0, 4)),
        st.tuples(st.just("certificate"), st.integers(0, 29), st.integers(0, 6)),
    ), min_size=1, max_size=25)


def build_events(pupil: str, facts: list[tuple[str, int, int | None]]) -> list[dict[str, Any]]:
    events = []
    for kind, start, extra in facts:
        if kind == "day":
            events.append(absent(pupil, DAYS[start]))
        elif kind == "lesson":
            events.append(absent(pupil, DAYS[start], period=extra))
        else:
            last = DAYS[min(29, start + (extra or 0))]
            events.append(notice(pupil, DAYS[start], last) if kind == "notice"
                          else certificate(pupil, DAYS[start], last))
    return events


@pytest.mark.rule("ABS-4")
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts_strategy, st.randoms(use_true_random=False))
def test_arrival_order_changes_no_figure_and_a_rebuild_gives_the_same(
        facts: list[tuple[str, int, int | None]], rnd: random.Random) -> None:
    pupil = new_pupil()
    events = build_events(pupil, facts)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    answers = []
    with tempfile.TemporaryDirectory() as folder:
        for name, order in (("in-order", events), ("shuffled", shuffled)):
            service = build(Settings.from_environ(sqlite_environ(f"{folder}/{name}.db")),
                            clock=lambda: datetime(2027, 1, 1, tzinfo=UTC))
            service.ingestor.ingest([calendar(), enrolled(pupil)])
            for event in order:  # one batch each: the views see every intermediate state
                service.ingestor.ingest([event])
                service.pupil_views.run_once()
            incremental = figures(service, pupil)
            with service.views.transaction() as tx:
                PupilViews().clear(tx)
            service.pupil_views.catch_up()
            assert figures(service, pupil) == incremental
            answers.append(incremental)
            service.close()
    assert answers[0] == answers[1]
