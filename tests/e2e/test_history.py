"""A pupil's history as an auditor reads it: both time axes, and the state as it was known
at any past moment (before a correction and a late notice, and after)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import sqlite_environ
from tests.support import http, tokens
from tests.support.events import absent, calendar, corrected, enrolled, new_pupil, notice

OSLO = ZoneInfo("Europe/Oslo")
AUDITOR = tokens.bearer(tokens.staff("auditor", person="revisor-7"))


class Office:
    def __init__(self, tmp_path: Path) -> None:
        self.now = datetime(2026, 9, 2, 10, 0, tzinfo=OSLO)
        self.service: Service = build(
            Settings.from_environ(sqlite_environ(tmp_path / "h.sqlite")),
            clock=lambda: self.now)
        self.client: FlaskClient = http.client(self.service)

    def post(self, when: datetime, *events: dict[str, Any]) -> None:
        self.now = when
        answer = self.client.post("/v1/events", json={"events": list(events)}).get_json()
        assert {r["status"] for r in answer["results"]} == {"accepted"}, answer
        self.service.pupil_views.catch_up()
        self.service.audit_log.catch_up()

    def history(self, pupil: str, as_of: str | None = None) -> Any:
        query = f"?as_of={as_of}" if as_of else ""
        response = self.client.get(f"/v1/pupils/{pupil}/history{query.replace('+', '%2B')}",
                                   headers=AUDITOR)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    made = Office(tmp_path)
    yield made
    made.service.close()


def test_as_of_a_moment_between_shows_the_state_before_a_correction_and_a_late_notice(
        office: Office) -> None:
    pupil = new_pupil()
    wrong = absent(pupil, "2026-09-02", occurred_at="2026-09-02T08:30:00+02:00")
    office.post(datetime(2026, 9, 2, 10, 0, tzinfo=OSLO), calendar(), enrolled(pupil),
                absent(pupil, "2026-09-01", occurred_at="2026-09-01T08:30:00+02:00"), wrong)
    office.post(datetime(2026, 9, 10, 12, 0, tzinfo=OSLO),
                corrected(wrong["event_id"], "Eleven var på ekskursjon",
                          occurred_at="2026-09-10T11:00:00+02:00"),
                notice(pupil, "2026-09-01", occurred_at="2026-09-10T11:30:00+02:00"))

    before = office.history(pupil, "2026-09-05T12:00:00+02:00")
    after = office.history(pupil)

    assert before["state"]["absence"]["days"] == {"documented": 0, "undocumented": 2,
                                                  "total": 2}
    assert after["state"]["absence"]["days"] == {"documented": 1, "undocumented": 0,
                                                 "total": 1}
    posted = [e for e in after["events"] if e["actor"]["role"] != "skolefravaer"]
    assert [e["type"] for e in before["events"]
            if e["actor"]["role"] != "skolefravaer"] == ["PupilEnrolled", "AbsenceRecorded",
                                                          "AbsenceRecorded"]
    assert [e["type"] for e in posted][-2:] == ["RecordCorrected", "AbsenceNoticeReceived"]
    # What the service decided on them is listed too, each where it was recorded: the
    # correction cancels what the wrong absence opened, the notice closes the same-day call.
    decided = [(e["type"], e["data"].get("rule")) for e in after["events"]
               if e["position"] > posted[-2]["position"]]
    assert decided == [("TaskCancelled", "FOL-4"), ("TaskCancelled", "FOL-5"),
                       ("AbsenceNoticeReceived", None), ("TaskClosed", "FOL-4"),
                       ("TaskClosed", "FOL-5")]
    late = posted[-1]
    assert late["occurred_at"] == "2026-09-10T11:30:00+02:00"
    assert late["recorded_at"].startswith("2026-09-10T12:00:00")
    assert all(len(e["hash"]) == 64 for e in after["events"])
    positions = [e["position"] for e in after["events"]]
    assert positions == sorted(positions)
    # Before the notice the same-day calls were still open; after it they are done.
    before_tasks = {t["status"] for t in before["state"]["case"]["tasks"]
                    if t["rule"] == "FOL-4"}
    after_tasks = {t["status"] for t in after["state"]["case"]["tasks"] if t["rule"] == "FOL-4"}
    assert before_tasks == {"overdue"} and "done" in after_tasks


@pytest.mark.rule("PRIV-3")
def test_every_read_of_a_history_is_itself_recorded(office: Office) -> None:
    pupil = new_pupil()
    office.post(datetime(2026, 9, 2, 10, 0, tzinfo=OSLO), enrolled(pupil))

    office.history(pupil)
    office.history(pupil, "2026-09-01T12:00:00+02:00")
    reads = office.client.get(f"/v1/pupils/{pupil}/reads").get_json()["reads"]

    assert [(r["reader"], r["what"]) for r in reads] == [
        ({"id": "revisor-7", "role": "auditor"}, "history as_of=now"),
        ({"id": "revisor-7", "role": "auditor"}, "history as_of=2026-09-01T12:00:00+02:00")]
    assert all(r["at"] for r in reads)


@pytest.mark.rule("PRIV-1")
def test_causes_of_absence_are_shown_only_to_the_roles_that_follow_the_pupil_up(
        office: Office) -> None:
    pupil = new_pupil()
    sick = notice(pupil, "2026-09-01")
    sick["data"]["cause_text"] = "Innlagt med lungebetennelse"
    office.post(datetime(2026, 9, 2, 10, 0, tzinfo=OSLO), enrolled(pupil),
                absent(pupil, "2026-09-01"), sick)

    def notice_seen_by(role: str) -> dict[str, Any]:
        response = office.client.get(f"/v1/pupils/{pupil}/history",
                                     headers=tokens.bearer(tokens.staff(role)))
        return next(e["data"]["notice"] for e in response.get_json()["events"]
                    if e["type"] == "AbsenceNoticeReceived")

    # Both may read histories; only the principal follows the pupil up.
    principal, auditor = notice_seen_by("principal"), notice_seen_by("auditor")
    assert (principal["cause"], principal["cause_text"]) == ("illness",
                                                             "Innlagt med lungebetennelse")
    assert (auditor["cause"], auditor["cause_text"]) == ("[skjermet]", "[skjermet]")
    assert auditor["from_date"] == "2026-09-01"
