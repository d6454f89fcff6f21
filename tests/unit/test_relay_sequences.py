"""The events relay numbers its next batch before the last one is acknowledged: the counts
it saves per batch must be those at that batch's end, and a relay that failed meanwhile
counts on from what was saved."""

from __future__ import annotations

from projections.db import SQLiteViews
from projections.follower import LoggedEvent
from services.outbound.publication import Sequences
from tests.support.casework import Desk, absence, contact


def saved(views: SQLiteViews) -> dict[str, int]:
    with views.transaction() as tx:
        rows = tx.execute("SELECT message_key, sequence FROM published_sequence")
    return {str(key): int(sequence) for key, sequence in rows}


def numbered(sequences: Sequences, events: list[LoggedEvent], start: int) -> list[int]:
    return [body["sequence"] for _, body in sequences.messages(events, start)]


def test_batches_numbered_ahead_are_saved_one_by_one_with_their_own_counts() -> None:
    desk = Desk()
    for day in ("2026-09-07", "2026-09-08", "2026-09-09"):
        desk.fact("record_absence", f"{day}T08:30", absence(day))
        desk.do("log_contact", f"{day}T09:00", contact(day))
    events = [LoggedEvent(n, e) for n, e in enumerate(desk.stored, start=1)]
    pupil = str(desk.pupil.pupil_id)
    views = SQLiteViews(":memory:")
    sequences = Sequences(views, "relay:test")
    half = len(events) // 2

    first = numbered(sequences, events[:half], 0)
    second = numbered(sequences, events[half:], half)  # before the first is saved
    with views.transaction() as tx:
        sequences.save(tx)
    after_first = saved(views)
    with views.transaction() as tx:
        sequences.save(tx)

    assert first + second == list(range(1, len(events) + 1))
    assert after_first == {pupil: half}
    assert saved(views) == {pupil: len(events)}


def test_after_a_failure_numbering_goes_on_from_the_saved_counts() -> None:
    desk = Desk()
    for day in ("2026-09-07", "2026-09-08"):
        desk.fact("record_absence", f"{day}T08:30", absence(day))
    events = [LoggedEvent(n, e) for n, e in enumerate(desk.stored, start=1)]
    views = SQLiteViews(":memory:")
    sequences = Sequences(views, "relay:test")
    first = numbered(sequences, events[:2], 0)
    with views.transaction() as tx:
        sequences.save(tx)
    lost = numbered(sequences, events[2:], 2)  # sent, never acknowledged
    sequences.forget()

    assert numbered(sequences, events[2:], 2) == lost == list(range(3, len(events) + 1))
    assert first == [1, 2]
