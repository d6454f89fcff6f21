"""Two runners of one batch — the view worker and a read bringing the views forward — meet
at the position's row before either writes: the second waits, then stands aside."""

from __future__ import annotations

import threading

from projections import positions
from projections.follower import Follower, LoggedEvent, ViewSink
from projections.pupil_views import PupilViews
from services.bootstrap import build
from services.config import Settings
from tests.support.events import absent, enrolled, new_pupil, school_days


def test_the_second_runner_of_a_batch_waits_for_the_first_and_writes_nothing(
        pg_environ: dict[str, str]) -> None:
    service = build(Settings.from_environ(pg_environ))
    pupil = new_pupil()
    service.ingestor.ingest([enrolled(pupil), absent(pupil, school_days(1)[0])])
    sink = service.pupil_views.sink
    start, end = sink.position(), service.app.recorder.max_notification_id() or 0
    batch = [LoggedEvent(n.id, service.app.mapper.to_domain_event(n))
             for n in service.app.recorder.select_notifications(start=start + 1, limit=100)]
    second = Follower(service.app, ViewSink(service.views, PupilViews()))
    outcome: list[str] = []

    def run_second() -> None:
        try:
            second.run_once()
            outcome.append("folded")
        except Exception as error:  # what the second runner met is the finding
            outcome.append(type(error).__name__)

    with service.views.transaction() as tx:  # the first runner, mid-batch
        positions.claim(tx, sink.name, start)
        sink.projection.fold(tx, batch, end)  # its rows, the pupil's status message too
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(0.5)
        waited = thread.is_alive()
        positions.advance(tx, sink.name, start, end)
    thread.join(30)
    position = sink.position()
    service.close()

    assert waited
    assert outcome == ["PositionMoved"]  # not a unique violation on the outbox
    assert position == end
