"""Snapshots of the pupil and the case (issue 15): the pupil's facts are kept as indexed
records and the case's concerns and open tasks by key (version 2), so a snapshot taken
before (version 1, every fact in full) is upcast when loaded. Either way the restored
aggregates decide exactly what the live ones decide."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from domain.case import FollowUpCase
from domain.pupil import Pupil
from projections.transcoding import register_domain_transcodings
from tests.unit.test_aggregate_equivalence import Run, decisions, finished

FACTS = ("absence", "late_arrival", "left_school", "notice", "certificate")


def through_json(snapshot: Any) -> Any:
    """The aggregate a snapshot stored as the application stores it gives back."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    register_domain_transcodings(transcoder)
    mapper: Mapper[Any] = Mapper(transcoder=transcoder)
    return mapper.to_domain_event(mapper.to_stored_event(snapshot)).mutate(None)


def taken_now(aggregate: Any, stored: list[Any]) -> Any:
    return type(aggregate).Snapshot.take(aggregate)


def taken_before(aggregate: Any, stored: list[Any]) -> Any:
    """The snapshot version 1 took: the pupil's every fact in full by event id (None once
    voided); the case's concerns as a list, its open tasks unindexed."""
    state = {k: v for k, v in vars(aggregate).items()
             if k not in ("_id", "_version", "_pending_events", "standing", "raised",
                          "latest_raised", "task_index", "tasks_opened")}
    if isinstance(aggregate, Pupil):
        state["facts"] = {}
        for event in stored:
            if isinstance(event, Pupil.RecordCorrected):
                state["facts"][str(event.corrects_event_id)] = event.replacement
            for name in FACTS:
                if hasattr(event, name) and isinstance(event, Pupil.Event):
                    state["facts"][str(event.envelope.event_id)] = getattr(event, name)
    else:
        state["raised"] = [[e.rule, e.period, e.trigger_day] for e in stored
                           if isinstance(e, FollowUpCase.ConcernRaised)]
    return Snapshot(originator_id=aggregate.id, originator_version=aggregate.version,
                    timestamp=Snapshot.create_timestamp(), topic=get_topic(type(aggregate)),
                    state=state)


@pytest.mark.rule("ABS-9", "CON-1")
@pytest.mark.parametrize("take", [taken_now, taken_before])
@pytest.mark.parametrize("seed", [1, 2, 7])
def test_aggregates_restored_from_a_snapshot_decide_as_the_live_ones(
        seed: int, take: Callable[[Any, list[Any]], Any]) -> None:
    run = Run(seed)
    for _ in range(100):
        run.step()
    live = indexed(run.pupil)
    run.pupil = through_json(take(run.pupil, run.stored))
    run.case = through_json(take(run.case, run.stored))
    restored = indexed(run.pupil)
    for _ in range(80):
        run.step()

    assert restored == live
    assert any(record.kind == "leave" for found in live[3].values() for record in found)
    assert finished(run) == decisions(seed, 180)


def indexed(pupil: Pupil) -> Any:
    """The pupil's index of standing facts, granted leave included, in a fixed order."""
    standing = pupil.standing
    return (dict(standing.records), standing.recorded,
            {month: sorted(found) for month, found in standing.facts.items()},
            {month: sorted(found) for month, found in standing.documents.items()})


def test_a_snapshot_keeps_each_fact_as_a_compact_record() -> None:
    run = Run(3)
    for _ in range(60):
        run.step()

    state = Pupil.Snapshot.take(run.pupil).state

    assert "facts" not in state and state["class_version"] == 2
    records = state["standing"]["records"]
    assert records and all(r is None or len(r) == 5 for r in records.values())


def test_a_copy_of_a_pupil_changes_apart_from_the_pupil() -> None:
    """The service decides on a copy of a cached pupil: the copy shares the immutable
    records, never the index that holds them."""
    run = Run(4)
    for _ in range(60):
        run.step()
    before = indexed(run.pupil)
    original = run.pupil
    run.pupil = copy.deepcopy(original)
    for _ in range(40):
        run.step()

    assert indexed(original) == before != indexed(run.pupil)
