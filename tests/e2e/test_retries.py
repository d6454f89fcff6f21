"""A retry of an accepted event always answers ``duplicate``, with the position it was
stored at — for every event type, alone or in a batch with new events — however the
domain would judge the same event now (a second LeaveApplied, a second voiding
RecordCorrected and a second LeaveDecided would each be refused as new events)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service, build
from services.config import Settings
from services.intake.contract import DATA_SCHEMAS
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
from tests.support.events import (
    absent,
    applied_for_leave,
    calendar,
    certificate,
    corrected,
    decided_leave,
    enrolled,
    envelope,
    exclusion_requested,
    new_pupil,
    notice,
    rule_set,
)

AT = "2026-09-15T10:00:00+02:00"


def story(p: str) -> list[dict[str, Any]]:
    """One pupil's year, touching every type the service accepts, in an order it accepts."""
    wrong = absent(p, "2026-09-02")
    team = referral(p, AT, "consultation_team", referral_id="team-1")
    at = {"occurred_at": AT}
    return [
        calendar(), rule_set("2026-08-17", leave_notice_days=14),
        enrolled(p, more={"name": "Ola Nordmann", "national_id": "01011050081"}),
        absent(p, "2026-09-01"), wrong, corrected(wrong["event_id"], "Feilregistrert"),
        envelope("LateArrivalRecorded", {"pupil_id": p, "date": "2026-09-03",
                                         "minutes_late": 10}),
        envelope("LeftSchoolRecorded", {"pupil_id": p, "date": "2026-09-03", "time": "12:00"}),
        notice(p, "2026-09-01"), certificate(p, "2026-09-04", "2026-09-04"),
        pupil_event("SchoolRefusalSignalReported", p, AT, role="guardian",
                    guardian_id="guardian-1", text="Vondt i magen om morgenen"),
        applied_for_leave(p, "perm-1", "2026-10-05", "2026-10-06"),
        decided_leave("perm-1", "granted"),
        exclusion_requested(p, "vitnemaal-1", ["2026-09-04"]),
        envelope("CauseAttachmentRequested", {
            "request_id": "aarsak-1", "pupil_id": p, "school_year": "2026-2027",
            "dates": ["2026-09-01"],
            "documentation": [{"kind": "medical_certificate", "ref": "dok-2"}]}),
        pupil_event("CaseOpened", p, AT, reason="Bekymring fra kontaktlærer"),
        contact(p, AT, occurred_at=AT), letter(p, AT), leadership_informed(p, AT),
        meeting(p, "guardian_conversation", AT),
        envelope("AbsenceReviewCompleted", {
            "scope": "class", "scope_id": "9A", "school_id": "school-1", "period": "2026-09",
            "kind": "monthly_contact_teacher"}, role="principal", **at),
        envelope("ParentsMeetingHeld", {"school_id": "school-1", "class_id": "9A", "at": AT,
                                        "guideline_reviewed": True}, **at),
        envelope("CaseDiscussedAnonymously", {"with": "consultation_team",
                                              "school_id": "school-1", "summary": "9. trinn"}),
        agreement(p, AT), measure_evaluated(AT, outcome="partly"),
        consent(p, AT, "consultation_team"), team,
        invitation("team-1", AT, "2026-09-22T10:00:00+02:00"),
        envelope("WrittenEvaluationSubmitted", {"referral_id": "team-1",
                                                "document_ref": "evaluering-1"}, **at),
        consent(p, AT, "ppt", consent_id="samtykke-2"),
        pupil_event("ConsentWithdrawn", p, AT, consent_id="samtykke-2",
                    guardian_id="guardian-1"),
        pupil_event("ChildWelfareAssessmentRecorded", p, AT, decision="no_action",
                    reasons="Ikke grunnlag nå"),
        pupil_event("ExtendedTravelPlanned", p, AT, from_date="2026-10-10",
                    to_date="2026-10-20", destination="utlandet"),
        pupil_event("SchoolHealthServiceNotified", p, AT, about="extended_travel"),
        pupil_event("SafeguardingConcernRecorded", p, AT, role="school_health_service",
                    grounds="Reise til utlandet"),
        pupil_event("HomeVisitOffered", p, AT, role="school_health_service"),
        pupil_event("WhereaboutsUnknownReported", p, AT, away_since="2026-09-14"),
        pupil_event("PopulationRegisterChecked", p, AT, result="address_confirmed"),
        pupil_event("ContactRouteTried", p, AT, route="school_health", result="Ukjent"),
        pupil_event("NavNotified", p, AT, away_since="2026-09-14", document_ref="nav-1"),
        pupil_event("MovingNoticeSent", p, AT, to_municipality="0301"),
        pupil_event("GuardianWrittenConfirmationReceived", p, AT, about="abroad",
                    document_ref="bekreftelse-1"),
        pupil_event("PupilLocated", p, AT, outcome="continues_in_norway", details="Avklart"),
        pupil_event("ConcernReportSent", p, AT, to="child_welfare", grounds="Vedvarende",
                    document_ref="melding-1"),
        pupil_event("CaseForwardedToMunicipalDirector", p, AT, presentation_ref="sak-1"),
        pupil_event("PoliceReportDecided", p, AT, role="municipal_director",
                    decision="no_report", reasons="Saken følges opp av barnevernet"),
        pupil_event("CaseClosed", p, AT, reason="Eleven er tilbake på skolen"),
        envelope("PupilLeft", {"pupil_id": p, "school_id": "school-1", "reason": "moved",
                               "last_day": "2026-12-18"}),
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FlaskClient]:
    environ = (sqlite_environ(tmp_path / "store.sqlite") if request.param == "sqlite"
               else request.getfixturevalue("pg_environ"))
    service: Service = build(Settings.from_environ(environ))
    yield http.client(service)
    service.close()


def post(client: FlaskClient, *events: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/events", json={"events": list(events)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]  # type: ignore[no-any-return]


def test_every_event_type_posted_again_answers_duplicate_with_its_position(
        client: FlaskClient) -> None:
    events = story(new_pupil())
    stored = {}
    for event in events:  # one at a time, as the platform would
        [result] = post(client, event)
        assert result["status"] == "accepted", (event["type"], result)
        stored[event["event_id"]] = result["position"]
    assert {e["type"] for e in events} == set(DATA_SCHEMAS)

    for event in events:
        [again] = post(client, event)
        assert (event["type"], again["status"], again.get("position")) == (
            event["type"], "duplicate", stored[event["event_id"]])

    fresh = absent(events[2]["data"]["pupil_id"], "2026-09-07")
    mixed = post(client, *reversed(events), fresh, *events)
    assert [(r["status"], r.get("position")) for r in mixed] == [
        ("duplicate", stored[e["event_id"]]) for e in reversed(events)
    ] + [("accepted", mixed[len(events)]["position"])] + [
        ("duplicate", stored[e["event_id"]]) for e in events]
    assert mixed[len(events)]["position"] > max(stored.values())


def test_the_same_event_twice_in_one_batch_is_stored_once_and_both_answer_its_position(
        client: FlaskClient) -> None:
    pupil = new_pupil()
    post(client, enrolled(pupil))
    day = absent(pupil, "2026-09-01")

    first, second = post(client, day, day)

    assert (first["status"], second["status"]) == ("accepted", "duplicate")
    assert second["position"] == first["position"]

