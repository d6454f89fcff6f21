"""One pupil walked through the whole follow-up routine, and the whereabouts procedure to
each of its outcomes: the stage, the open tasks and each due time checked at every step."""

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
from tests.support import http
from tests.support.case_events import (
    agreement,
    consent,
    contact,
    invitation,
    leadership_informed,
    letter,
    measure_evaluated,
    meeting,
    pupil_event,
    referral,
)
from tests.support.events import absent, calendar, enrolled, new_pupil, notice

OSLO = ZoneInfo("Europe/Oslo")
FOL16_PARTICIPANTS = [{"role": "guardian", "id": "guardian-1"}, {"role": "contact_teacher"},
                      {"role": "principal"}, {"role": "bup"}]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=OSLO)

    def __call__(self) -> datetime:
        return self.now


class Case:
    """The municipality's view of one pupil's case, step by step."""

    def __init__(self, tmp_path: Path) -> None:
        self.clock = Clock()
        self.service: Service = build(
            Settings.from_environ(sqlite_environ(tmp_path / "case.sqlite")),
            clock=self.clock)
        self.client: FlaskClient = http.client(self.service)
        self.pupil = new_pupil()

    def at(self, moment: str, *events: dict[str, Any]) -> dict[str, Any]:
        """Post ``events`` at ``moment`` (local time) and answer the case read then."""
        self.clock.now = datetime.fromisoformat(moment).replace(tzinfo=OSLO)
        if events:
            response = self.client.post("/v1/events", json={"events": list(events)})
            answer = response.get_json()
            assert response.status_code == 200, answer
            rejected = [r for r in answer["results"] if r["status"] != "accepted"]
            assert not rejected, rejected
        self.service.pupil_views.catch_up()
        response = self.client.get(f"/v1/pupils/{self.pupil}/case")
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]


def open_tasks(case: dict[str, Any]) -> set[tuple[str, str]]:
    """(rule, local due date) of every task not done."""
    return {(t["rule"], datetime.fromisoformat(t["due_at"]).astimezone(OSLO).date().isoformat())
            for t in case["tasks"] if t["status"] != "done"}


@pytest.fixture
def case(tmp_path: Path) -> Iterator[Case]:
    walk = Case(tmp_path)
    walk.at("2026-09-01T09:00", calendar(), enrolled(walk.pupil))
    yield walk
    walk.service.close()


def ts(moment: str) -> str:
    return datetime.fromisoformat(moment).replace(tzinfo=OSLO).isoformat()


@pytest.mark.rule("FOL-3", "FOL-4", "FOL-5", "FOL-8", "FOL-9", "FOL-10", "FOL-13", "FOL-14",
                  "FOL-16", "FOL-17", "CT-2", "CT-3", "CT-4", "CT-5", "CT-6", "POL-1",
                  "POL-5")
def test_from_the_first_unreported_absence_to_the_municipal_director(case: Case) -> None:
    p = case.pupil
    # The first absence, not reported by the guardians: call them the same day (FOL-4),
    # and the leadership is told the same day (FOL-5).
    step = case.at("2026-09-07T08:30", absent(p, "2026-09-07",
                                              occurred_at=ts("2026-09-07T08:30")))
    assert step["stage"] == "registration"
    assert open_tasks(step) == {("FOL-4", "2026-09-07"), ("FOL-5", "2026-09-07")}
    step = case.at("2026-09-07T09:00", contact(p, ts("2026-09-07T09:00"),
                                               occurred_at=ts("2026-09-07T09:00")))
    assert open_tasks(step) == {("FOL-5", "2026-09-07")}
    step = case.at("2026-09-07T09:30", leadership_informed(p, ts("2026-09-07T09:30")))
    assert open_tasks(step) == set()

    # Two more days that month, reported: CON-1 is reached and the case is a concern.
    step = case.at("2026-09-21T09:00",
                   notice(p, "2026-09-14", occurred_at=ts("2026-09-14T07:30")),
                   absent(p, "2026-09-14", occurred_at=ts("2026-09-14T08:30")),
                   notice(p, "2026-09-21", occurred_at=ts("2026-09-21T07:30")),
                   absent(p, "2026-09-21", occurred_at=ts("2026-09-21T08:30")))
    assert step["stage"] == "concern"
    assert open_tasks(step) == {("FOL-3", "2026-09-22"), ("FOL-8", "2026-10-21"),
                                ("FOL-9", "2026-10-21"), ("FOL-10", "2026-10-21")}
    assert sum(1 for t in step["tasks"] if t["rule"] == "FOL-9") == 3

    step = case.at("2026-09-21T12:00", leadership_informed(p, ts("2026-09-21T12:00")))
    assert ("FOL-3", "2026-09-22") not in open_tasks(step)

    # Mapping (FOL-9): pupil, guardians, both; minutes sent to the guardians.
    step = case.at("2026-09-30T15:00",
                   meeting(p, "pupil_conversation", ts("2026-09-28T10:00")),
                   meeting(p, "guardian_conversation", ts("2026-09-29T10:00"),
                           minutes_sent_to_guardians_at=ts("2026-09-29T15:00")),
                   meeting(p, "joint_conversation", ts("2026-09-30T10:00")))
    assert step["stage"] == "mapping"
    assert open_tasks(step) == {("FOL-10", "2026-10-21"), ("FOL-13", "2026-10-13"),
                                ("FOL-17", "2026-10-06")}

    step = case.at("2026-10-02T14:00",
                   pupil_event("ChildWelfareAssessmentRecorded", p, ts("2026-10-01T10:00"),
                               decision="discuss_anonymously", reasons="Ingen mistanke om "
                               "omsorgssvikt; drøftes anonymt."),
                   meeting(p, "contact_meeting_ppt", ts("2026-10-02T13:00"), anonymous=True))
    assert open_tasks(step) == {("FOL-13", "2026-10-13")}

    # The collaboration agreement (FOL-13): measures, each evaluated by a date.
    step = case.at("2026-10-05T14:00", agreement(p, ts("2026-10-05T14:00"),
                                                 evaluate_by="2026-10-30"))
    assert step["stage"] == "measures"
    assert open_tasks(step) == {("FOL-13", "2026-10-30"), ("FOL-14", "2026-11-05")}

    # A month of measures that did not work; the new meeting (FOL-14).
    step = case.at("2026-11-05T12:00", measure_evaluated(ts("2026-11-02T12:00")),
                   meeting(p, "principal_meeting", ts("2026-11-05T10:00")))
    assert step["stage"] == "persistent"
    assert open_tasks(step) == set()

    # The consultation team (CT-1…CT-6).
    step = case.at("2026-11-06T10:00", consent(p, ts("2026-11-05T11:00"), "consultation_team"),
                   referral(p, ts("2026-11-06T10:00"), "consultation_team", "team-1"))
    assert step["stage"] == "consultation_team"
    assert open_tasks(step) == {("CT-2", "2026-11-16")}
    step = case.at("2026-11-10T10:00", invitation("team-1", ts("2026-11-10T10:00"),
                                                  ts("2026-11-17T09:00")))
    assert open_tasks(step) == {("CT-3", "2026-11-17")}
    step = case.at("2026-11-17T11:00", meeting(p, "consultation_1", ts("2026-11-17T09:00"),
                                               pupil_input="Vil ha fast plass i klasserommet."))
    assert open_tasks(step) == {("CT-3", "2026-11-24"), ("CT-4", "2026-12-08")}
    step = case.at("2026-11-18T10:00", agreement(p, ts("2026-11-18T10:00"), version=2))
    assert open_tasks(step) == {("CT-4", "2026-12-08"), ("FOL-13", "2026-11-15")}
    step = case.at("2026-12-08T11:00",
                   measure_evaluated(ts("2026-12-07T10:00"), "partly"),
                   meeting(p, "consultation_2", ts("2026-12-08T09:00"), conclusion="continue"))
    assert open_tasks(step) == {("CT-5", "2026-12-15"), ("CT-6", "2026-12-29")}
    step = case.at("2026-12-09T10:00", agreement(p, ts("2026-12-09T10:00"), version=3))
    assert open_tasks(step) == {("CT-6", "2026-12-29"), ("FOL-13", "2026-11-15")}
    step = case.at("2026-12-29T11:00",
                   measure_evaluated(ts("2026-12-28T10:00"), "did_not_work"),
                   meeting(p, "consultation_3", ts("2026-12-29T09:00"), conclusion="refer"))
    assert open_tasks(step) == {("CT-6", "2027-01-05"), ("CT-6", "2027-01-12")}

    # Referral to BUP via the GP, with consent and the attachments (REF-3, REF-4).
    step = case.at("2027-01-08T10:00",
                   agreement(p, ts("2027-01-04T10:00"), version=4),
                   consent(p, ts("2027-01-07T10:00"), "bup", consent_id="samtykke-2"),
                   referral(p, ts("2027-01-08T10:00"), "bup", via="gp", attachments=[
                       {"kind": "minutes", "ref": "r1"},
                       {"kind": "problem_description", "ref": "r2"},
                       {"kind": "measures_tried", "ref": "r3"}]))
    assert step["stage"] == "referral"
    assert open_tasks(step) == {("FOL-16", "2027-01-22"), ("FOL-13", "2026-11-15")}
    # FOL-16: the pupil, the guardians, the contact teacher and the principal meet.
    step = case.at("2027-01-12T10:00", meeting(p, "external_agencies", ts("2027-01-12T09:00"),
                                               participants=FOL16_PARTICIPANTS),
                   measure_evaluated(ts("2027-01-12T10:00"), "did_not_work"))
    assert open_tasks(step) == set()

    # The principal sends the case to the municipal director (POL-5), who decides (POL-1).
    step = case.at("2027-01-20T10:00", letter(p, ts("2027-01-15T10:00")),
                   pupil_event("CaseForwardedToMunicipalDirector", p, ts("2027-01-20T10:00"),
                               presentation_ref="saksfremstilling-1"))
    assert step["stage"] == "municipal_director"
    assert open_tasks(step) == {("POL-1", "2027-02-20")}
    step = case.at("2027-02-01T10:00", pupil_event(
        "PoliceReportDecided", p, ts("2027-02-01T10:00"), role="municipal_director",
        decision="report", reasons="Foresatte holder eleven hjemme (opplæringslova § 2-2)."))
    assert open_tasks(step) == set()
    assert [s["stage"] for s in step["stage_history"]] == [
        "concern", "mapping", "measures", "persistent", "consultation_team", "referral",
        "municipal_director"]


@pytest.mark.rule("MISS-1", "MISS-2", "MISS-3", "MISS-4", "MISS-5", "MISS-6", "POL-6")
@pytest.mark.parametrize("outcome, follow_ups, stage", [
    ("continues_in_norway", {("MISS-5", "2026-10-12")}, "registration"),
    ("moved_municipality", {("MISS-5", "2026-10-12"), ("MISS-5", "2026-10-19")},
     "registration"),
    ("abroad", {("MISS-6", "2026-10-12"), ("MISS-5", "2026-10-19")}, "registration"),
    ("not_found", {("MISS-5", "2026-10-12"), ("POL-6", "2026-10-19")}, "whereabouts_unknown"),
])
def test_whereabouts_unknown_to_each_outcome(case: Case, outcome: str,
                                             follow_ups: set[tuple[str, str]],
                                             stage: str) -> None:
    p = case.pupil
    case.at("2026-09-20T10:00", enrolled(p, more={"name": "Ola Nordmann",
                                                  "national_id": "01011050081"}))
    step = case.at("2026-09-21T09:00", pupil_event("WhereaboutsUnknownReported", p,
                                                   ts("2026-09-21T09:00"),
                                                   away_since="2026-09-14"))
    assert step["stage"] == "whereabouts_unknown"
    assert open_tasks(step) == {("MISS-1", "2026-09-21"), ("MISS-4", "2026-10-05")}

    # The guardians do not answer (MISS-1 done, MISS-2 opens within the 14 days).
    step = case.at("2026-09-21T11:00", contact(p, ts("2026-09-21T10:00"), reached=False,
                                               result="Ingen svar på telefon",
                                               occurred_at=ts("2026-09-21T10:00")))
    assert open_tasks(step) == {("MISS-4", "2026-10-05"), ("MISS-2", "2026-10-05")}
    step = case.at("2026-09-23T11:00",
                   pupil_event("PopulationRegisterChecked", p, ts("2026-09-22T10:00"),
                               result="address_confirmed"),
                   letter(p, ts("2026-09-22T12:00")),
                   pupil_event("ContactRouteTried", p, ts("2026-09-23T10:00"),
                               route="school_health", result="Ikke kjent hos helsesykepleier"))
    assert open_tasks(step) == {("MISS-4", "2026-10-05")}

    step = case.at("2026-10-05T10:00", pupil_event("PupilLocated", p, ts("2026-10-05T10:00"),
                                                   outcome=outcome, details="Avklart"))
    assert open_tasks(step) == follow_ups
    assert step["stage"] == stage

    closing = {
        "continues_in_norway": [meeting(p, "principal_meeting", ts("2026-10-07T10:00"))],
        "moved_municipality": [
            pupil_event("MovingNoticeSent", p, ts("2026-10-06T10:00"), to_municipality="0301"),
            pupil_event("GuardianWrittenConfirmationReceived", p, ts("2026-10-08T10:00"),
                        about="moved", document_ref="bekreftelse-1")],
        "abroad": [
            pupil_event("NavNotified", p, ts("2026-10-06T10:00"), away_since="2026-09-14",
                        document_ref="nav-1"),
            pupil_event("GuardianWrittenConfirmationReceived", p, ts("2026-10-08T10:00"),
                        about="abroad", document_ref="bekreftelse-1")],
        "not_found": [
            pupil_event("ConcernReportSent", p, ts("2026-10-06T10:00"), to="child_welfare",
                        grounds="Eleven er ikke funnet; tiltak og resultater vedlagt.",
                        document_ref="melding-1"),
            pupil_event("CaseForwardedToMunicipalDirector", p, ts("2026-10-08T10:00"),
                        presentation_ref="sak-1")],
    }[outcome]
    step = case.at("2026-10-09T10:00", *closing)
    assert open_tasks(step) == ({("POL-1", "2026-11-08")} if outcome == "not_found" else set())
    if outcome == "not_found":
        assert step["stage"] == "municipal_director"
