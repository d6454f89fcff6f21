"""No session holds PostgreSQL for long: every connection the service opens carries a
statement timeout and an idle-in-transaction timeout, so a session that stops (a stuck
worker, a client that stopped reading) loses the event table's lock and writers go on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from services.bootstrap import Service, build
from services.config import Settings
from tests.support.events import enrolled, new_pupil


@pytest.fixture
def limited(pg_environ: dict[str, str]) -> Iterator[Service]:
    service = build(Settings.from_environ({
        **pg_environ, "POSTGRES_STATEMENT_TIMEOUT": "1",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "1", "POSTGRES_LOCK_TIMEOUT": "3"}))
    yield service
    service.close()


LIMITS = ("SELECT current_setting('statement_timeout') AS statement, "
          "current_setting('idle_in_transaction_session_timeout') AS idle")


def test_the_event_store_and_the_views_sessions_carry_both_limits(limited: Service) -> None:
    with limited.app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute(LIMITS)
        row = cursor.fetchone()  # eventsourcing's rows are dicts
    with limited.views.transaction() as tx:
        [views] = tx.execute(LIMITS)

    assert (row["statement"], row["idle"]) == views == ("1s", "1s")


def test_a_statement_running_past_the_limit_is_cancelled(limited: Service) -> None:
    started = time.monotonic()
    with pytest.raises(psycopg.errors.QueryCanceled), limited.views.transaction() as tx:
        tx.execute("SELECT pg_sleep(10)")

    assert time.monotonic() - started < 5


def test_a_session_idle_in_its_transaction_loses_the_table_lock_and_writers_go_on(
        limited: Service) -> None:
    recorder = limited.app.recorder
    table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'  # type: ignore[attr-defined]
    locked, failures = threading.Event(), list[Exception]()

    def hold_the_lock_and_stall() -> None:
        try:
            with recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
                locked.set()
                time.sleep(4)  # idle in transaction, as a stalled client would be
        except Exception as error:  # the server ended the session: what this test wants
            failures.append(error)

    holder = threading.Thread(target=hold_the_lock_and_stall)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()

    outcomes = limited.ingestor.ingest([enrolled(new_pupil())])

    waited = time.monotonic() - started
    holder.join()
    assert outcomes[0].status == "accepted"
    assert waited < 3.5, f"the writer waited {waited:.1f} s for the lock"
    assert failures, "the stalled session was not ended"
