"""What the service decided is in the log: concerns, stages and tasks are events of the
pupil's case, decided once, and the views only fold them."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from domain.rule_sets import Deadlines, Period, RuleBook, RuleSet
from services.bootstrap import Service, build
from services.cli.commands import rebuild
from services.config import Settings
from services.evidence.offline_verify import verify_bundle
from services.outbound.clock import OverdueClock
from tests.conftest import ROOT
from tests.support import http, tokens
from tests.support.case_events import contact, leadership_informed, meeting, pupil_event
from tests.support.events import (
    absent,
    calendar,
    enrolled,
    envelope,
    new_pupil,
    notice,
    rule_set,
)

OSLO = ZoneInfo("Europe/Oslo")


class Office:
    """One municipality's service, its clock at a moment the test sets."""

    def __init__(self, tmp_path: Path) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=OSLO)
        self.settings = Settings.from_environ({"SQLITE_DBNAME": str(tmp_path / "d.sqlite"),
                                               **tokens.ENVIRON})
        self.service: Service = build(self.settings, clock=lambda: self.now)
        self.client: FlaskClient = http.client(self.service)

    def post(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        """Post ``events``, the clock moved on to the latest of them if it is behind."""
        latest = max(datetime.fromisoformat(e["occurred_at"]) for e in events)
        self.now = max(self.now, latest)
        response = self.client.post("/v1/events", json={"events": list(events)})
        assert response.status_code == 200, response.get_json()
        self.service.pupil_views.catch_up()
        return response.get_json()["results"]  # type: ignore[no-any-return]

    def accept(self, *events: dict[str, Any]) -> None:
        results = self.post(*events)
        assert all(r["status"] == "accepted" for r in results), results

    def tick(self, moment: str) -> int:
        """The clock at ``moment`` (Norwegian time): what it records, then the views."""
        self.now = datetime.fromisoformat(moment).replace(tzinfo=OSLO)
        [clock] = self.service.clocks
        recorded = clock.run_once()
        self.service.pupil_views.catch_up()
        return recorded

    def days_closed(self, pupil: str) -> list[str]:
        """The days the clock closed for ``pupil`` (``DayClosed`` in the log)."""
        with self.service.views.transaction() as tx:
            rows = tx.execute("SELECT position FROM pupil_log WHERE pupil_id = :pupil AND "
                              "type = 'DayClosed' ORDER BY position", {"pupil": pupil})
        stored = self.service.history.stored_events(UUID(pupil), "3101")
        return [stored.event(int(p)).day.isoformat() for (p,) in rows]

    def case(self, pupil: str) -> dict[str, Any]:
        return self.client.get(f"/v1/pupils/{pupil}/case").get_json()  # type: ignore[no-any-return]

    def concerns(self, pupil: str) -> list[dict[str, Any]]:
        return self.client.get(  # type: ignore[no-any-return]
            f"/v1/pupils/{pupil}/concerns").get_json()["concerns"]


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    made = Office(tmp_path)
    made.accept(calendar())
    yield made
    made.service.close()


def at(moment: str) -> str:
    return datetime.fromisoformat(moment).replace(tzinfo=OSLO).isoformat()


def absent_on(pupil: str, day: str, **kw: Any) -> dict[str, Any]:
    return absent(pupil, day, occurred_at=at(f"{day}T08:30"), **kw)


# 1. A rebuild folds, it never decides again -------------------------------------------------


DECIDED = {"concern": "position", "case_stage": "position", "case_task": "opened_position",
           "case_state": "tenant, pupil_id", "lesson_day": "tenant, pupil_id, day"}


def decided_rows(service: Service) -> dict[str, list[tuple[Any, ...]]]:
    with service.views.transaction() as tx:
        rows = {table: tx.execute(f"SELECT * FROM {table} ORDER BY {order}")
                for table, order in DECIDED.items()}
        rows["alerts"] = tx.execute("SELECT position, seq, body FROM outbox WHERE topic = "
                                    "'absence.alerts.v1' ORDER BY position, seq")
    return rows


def everything_else() -> RuleSet:
    """Every concern threshold and every deadline other than the code's defaults."""
    rules = RuleSet()
    return dataclasses.replace(
        rules, whereabouts_deadline_days=rules.whereabouts_deadline_days + 30,
        concern_rules=tuple(dataclasses.replace(r, threshold=r.threshold * 10 + 1)
                            for r in rules.concern_rules),
        deadlines=Deadlines(**{f.name: Period(days=99)
                               for f in dataclasses.fields(Deadlines)}))


@pytest.mark.rule("CON-1", "CON-3", "CON-5", "FOL-3", "FOL-4", "MISS-4", "LAW-2")
def test_a_rebuild_gives_the_same_concerns_stages_and_tasks_whatever_the_code_says_now(
        office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    pupil, missing = new_pupil(), new_pupil()
    office.accept(enrolled(pupil), enrolled(missing),
                  *(absent_on(pupil, d) for d in ("2026-09-01", "2026-09-02", "2026-09-03")),
                  absent_on(pupil, "2026-09-04", period=2),
                  envelope("LeftSchoolRecorded", {"pupil_id": pupil, "date": "2026-09-07",
                                                  "time": "10:15"}),
                  contact(pupil, at("2026-09-01T09:00")),
                  meeting(pupil, "guardian_conversation", at("2026-09-10T10:00")),
                  pupil_event("WhereaboutsUnknownReported", missing, at("2026-09-08T09:00"),
                              away_since="2026-09-01"))
    assert office.tick("2026-10-01T08:00") > 0  # days closed, tasks overdue
    before = decided_rows(office.service)
    assert all(before[table] for table in ("concern", "case_stage", "case_task", "alerts"))
    assert [row[-1] for row in before["lesson_day"]] == [1]  # the lesson's day, closed
    rules = everything_else()
    monkeypatch.setattr(RuleBook, "on", lambda self, day: rules)

    assert rebuild(argparse.Namespace(yes=True), office.settings) == 0
    office.service.pupil_views.catch_up()

    assert decided_rows(office.service) == before
    # The code's rules did change: the same facts today would raise no CON-1.
    later = new_pupil()
    office.accept(enrolled(later), *(absent_on(later, d)
                                     for d in ("2026-09-01", "2026-09-02", "2026-09-03")))
    assert office.concerns(later) == []
    assert {c["rule"] for c in office.concerns(pupil)} == {"CON-1", "CON-3", "CON-5"}


# 3. The reopen probe ------------------------------------------------------------------------


@pytest.mark.rule("CON-1", "FOL-3", "FOL-8", "FOL-9", "FOL-10")
def test_a_closed_case_reopens_as_a_second_episode_and_closes_again(office: Office) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil),
                  *(absent_on(pupil, d) for d in ("2026-09-01", "2026-09-02", "2026-09-03")))
    first = office.case(pupil)
    closed = office.post(pupil_event("CaseClosed", pupil, at("2026-09-04T12:00"),
                                     reason="Fraværet er forklart og fulgt opp"))
    office.accept(*(absent_on(pupil, d) for d in ("2026-10-05", "2026-10-06", "2026-10-07")))
    reopened = office.case(pupil)
    closed_again = office.post(pupil_event("CaseClosed", pupil, at("2026-10-08T12:00"),
                                           reason="Fulgt opp på nytt"))
    recorded = office.tick("2027-06-30T12:00")
    final = office.case(pupil)

    assert (first["stage"], first["episode"]) == ("concern", 1)
    assert {t["rule"] for t in first["tasks"]} >= {"FOL-3", "FOL-8", "FOL-9", "FOL-10"}
    assert [r["status"] for r in closed + closed_again] == ["accepted", "accepted"]
    assert (reopened["stage"], reopened["episode"]) == ("concern", 2)
    assert [c["period"] for c in office.concerns(pupil) if c["rule"] == "CON-1"] == [
        "2026-09", "2026-10"]
    assert [(s["stage"], s["episode"]) for s in final["stage_history"]] == [
        ("concern", 1), ("closed", 1), ("concern", 2), ("closed", 2)]
    # Closing ended every task of each episode: none ever goes overdue.
    assert recorded == 0
    assert {t["status"] for t in final["tasks"]} == {"cancelled"}
    assert all(t["cancel_reason"].startswith("Saken er avsluttet") for t in final["tasks"])
    assert {t["episode"] for t in final["tasks"]} == {0, 1, 2}
    listed = {status: office.client.get(f"/v1/tasks?status={status}").get_json()["tasks"]
              for status in ("cancelled", "overdue")}
    assert (len(listed["cancelled"]), listed["overdue"]) == (len(final["tasks"]), [])


# 5. CON-3 is decided when the day has ended -------------------------------------------------


@pytest.mark.rule("CON-3", "ABS-3", "ABS-5")
@pytest.mark.parametrize("notice_first", [True, False], ids=["notice-first", "lesson-first"])
def test_a_lesson_and_its_same_day_notice_in_either_order_raise_no_con3(
        office: Office, notice_first: bool) -> None:
    pupil = new_pupil()
    lesson = absent_on(pupil, "2026-09-02", period=3)
    dentist = notice(pupil, "2026-09-02", lessons=[3], cause="medical_appointment",
                     occurred_at=at("2026-09-02T15:00"))
    office.accept(enrolled(pupil), *((dentist, lesson) if notice_first else (lesson, dentist)))

    office.tick("2026-09-02T23:00")
    assert office.days_closed(pupil) == []  # the day has not ended
    office.tick("2026-09-03T00:05")
    office.tick("2026-09-03T00:10")

    assert office.days_closed(pupil) == ["2026-09-02"]
    assert office.concerns(pupil) == []
    assert office.case(pupil)["stage"] == "registration"  # a dentist visit opens no case


@pytest.mark.rule("CON-3", "FOL-3")
def test_a_lesson_no_notice_covers_by_the_days_end_raises_con3_once(office: Office) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil), absent_on(pupil, "2026-09-02", period=3),
                  absent_on(pupil, "2026-09-02", period=5))
    assert office.concerns(pupil) == []  # not on arrival: the guardians may still report

    office.tick("2026-09-03T00:05")
    office.tick("2026-09-03T00:10")
    late = office.post(notice(pupil, "2026-09-02", lessons=[3, 5],
                              occurred_at=at("2026-09-03T08:00")))
    office.tick("2026-09-04T00:05")

    [raised] = office.concerns(pupil)
    assert (raised["rule"], raised["period"], raised["trigger_date"]) == (
        "CON-3", "2026-09-02", "2026-09-02")
    assert len(raised["event_ids"]) == 2 and raised["threshold"] == 1
    assert late[0]["status"] == "accepted"
    assert office.days_closed(pupil) == ["2026-09-02"]
    assert office.case(pupil)["stage"] == "concern"


@pytest.mark.rule("CON-3")
def test_a_lesson_recorded_after_its_day_was_closed_has_the_day_closed_again(
        office: Office) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil), absent_on(pupil, "2026-09-02", period=3),
                  notice(pupil, "2026-09-02", lessons=[3], occurred_at=at("2026-09-02T09:00")))
    office.tick("2026-09-03T00:05")
    office.accept(absent(pupil, "2026-09-02", period=6, occurred_at=at("2026-09-04T09:00")))
    assert office.concerns(pupil) == []

    office.tick("2026-09-04T10:00")

    assert office.days_closed(pupil) == ["2026-09-02", "2026-09-02"]
    assert [c["rule"] for c in office.concerns(pupil)] == ["CON-3"]


# The clock ---------------------------------------------------------------------------------


@pytest.mark.rule("FOL-4")
def test_the_clock_records_each_task_overdue_once_and_never_a_closed_one(
        office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil), absent_on(pupil, "2026-09-07"))
    office.accept(leadership_informed(pupil, at("2026-09-07T12:00")))
    ingestor = office.service.ingestor
    posted: list[str] = []
    real = ingestor.ingest

    def counting(events: list[dict[str, Any]], **kw: Any) -> Any:
        posted.extend(e["type"] for e in events)
        return real(events, **kw)

    monkeypatch.setattr(ingestor, "ingest", counting)
    first = office.tick("2026-09-08T07:00")
    [clock] = office.service.clocks
    again = clock.run_once()  # before the views have folded what it recorded
    office.service.pupil_views.catch_up()
    later = office.tick("2026-09-09T07:00")

    tasks = {t["rule"]: t["status"] for t in office.case(pupil)["tasks"]}
    assert (first, again, later) == (1, 0, 0)
    assert posted == ["TaskOverdue"]  # not posted again, and the done one never
    assert tasks == {"FOL-4": "overdue", "FOL-5": "done"}


def test_a_task_not_open_is_refused_overdue_by_the_case(office: Office) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil), absent_on(pupil, "2026-09-07"),
                  contact(pupil, at("2026-09-07T09:00")))
    [call] = [t for t in office.case(pupil)["tasks"] if t["rule"] == "FOL-4"]

    [outcome] = office.service.ingestor.ingest([envelope(
        "TaskOverdue", {"pupil_id": pupil, "task_id": call["task_id"], "rule": "FOL-4",
                        "due_at": call["due_at"]}, role="skolefravaer")], internal=True)

    assert call["status"] == "done"
    assert (outcome.status, outcome.problems[0].code) == ("rejected", "task_not_open")


def test_the_day_closes_at_midnight_norwegian_time() -> None:
    closed = OverdueClock._day_closed("3101", "p", "2026-09-02", 7)

    assert datetime.fromisoformat(closed["occurred_at"]) == datetime(
        2026, 9, 2, 23, 59, 59, tzinfo=OSLO)
    assert date.fromisoformat(closed["data"]["date"]) == date(2026, 9, 2)


# 2. Each concern and task is a recorded event, proved ----------------------------------------


AUDITOR = tokens.bearer(tokens.staff("auditor", person="revisor-7"))
PRINCIPAL = tokens.bearer(tokens.staff("principal", person="rektor-1"))


@pytest.mark.rule("POL-5", "CON-1", "FOL-3", "FOL-4")
def test_history_and_dossier_list_each_concern_and_task_as_recorded_and_proved_events(
        office: Office, tmp_path: Path) -> None:
    pupil = new_pupil()
    office.accept(enrolled(pupil),
                  *(absent_on(pupil, d) for d in ("2026-09-01", "2026-09-02", "2026-09-03")),
                  contact(pupil, at("2026-09-01T09:00")),
                  leadership_informed(pupil, at("2026-09-03T12:00")))
    office.tick("2026-09-20T08:00")  # the other same-day steps go overdue
    office.service.audit_log.catch_up()

    history = office.client.get(f"/v1/pupils/{pupil}/history", headers=AUDITOR).get_json()
    dossier = office.client.get(f"/v1/pupils/{pupil}/dossier", headers=PRINCIPAL).get_json()

    by_position = {e["position"]: e for e in history["events"]}
    for state in (history["state"], {"concerns": dossier["concerns"],
                                     "case": {"tasks": dossier["tasks"]}}):
        recorded = [where for item in (*state["concerns"], *state["case"]["tasks"])
                    for where in item["recorded"].values()]
        assert recorded and all(len(where["hash"]) == 64 for where in recorded)
        assert all(by_position[where["position"]]["hash"] == where["hash"]
                   for where in recorded)
    kinds = {by_position[w["position"]]["type"] for item in dossier["tasks"]
             for w in item["recorded"].values()}
    assert kinds == {"TaskOpened", "TaskClosed", "TaskOverdue"}
    [raised] = dossier["concerns"]
    assert by_position[raised["recorded"]["raised"]["position"]]["type"] == "ConcernRaised"
    proved = {e["position"] for e in dossier["audit"]["events"]}
    assert {w["position"] for item in (*dossier["concerns"], *dossier["tasks"])
            for w in item["recorded"].values()} <= proved
    assert verify_bundle(dossier["audit"]) == []
    exported = tmp_path / "saksfremstilling.json"
    exported.write_text(json.dumps(dossier))
    offline = subprocess.run([sys.executable, str(ROOT / "services" / "evidence" /
                                                  "offline_verify.py"), str(exported)],
                             capture_output=True, text=True, cwd=tmp_path)
    assert offline.returncode == 0, offline.stdout


# Deadlines are the municipality's -------------------------------------------------------------


@pytest.mark.rule("LAW-2", "FOL-3", "MISS-4")
def test_a_municipality_sets_the_deadlines_the_guideline_leaves_to_people(
        office: Office) -> None:
    pupil = new_pupil()
    unknown = office.post(rule_set("2026-08-01", deadlines={"tomorrow": {"days": 1}}))
    office.accept(rule_set("2026-08-01", deadlines={"inform_leadership": {"days": 3}},
                           whereabouts_deadline_days=7),
                  enrolled(pupil), *(absent_on(pupil, d) for d in
                                     ("2026-09-01", "2026-09-02", "2026-09-03")),
                  pupil_event("WhereaboutsUnknownReported", pupil, at("2026-09-08T09:00"),
                              away_since="2026-09-01"))

    due = {t["rule"]: t["due_at"] for t in office.case(pupil)["tasks"]
           if t["rule"] in ("FOL-3", "MISS-4")}
    assert (unknown[0]["status"], unknown[0]["errors"][0]["field"]) == (
        "rejected", "data.deadlines.tomorrow.key")
    assert datetime.fromisoformat(due["FOL-3"]).astimezone(OSLO).date() == date(2026, 9, 6)
    assert datetime.fromisoformat(due["MISS-4"]).astimezone(OSLO).date() == date(2026, 9, 15)
