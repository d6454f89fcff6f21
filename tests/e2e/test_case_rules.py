"""The follow-up rules one by one (FOL, CT, REF, POL, SAFE): what each guards or opens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import sqlite_environ
from tests.support import http, tokens
from tests.support.case_events import (
    agreement,
    consent,
    contact,
    letter,
    meeting,
    pupil_event,
    referral,
)
from tests.support.events import absent, calendar, enrolled, envelope, new_pupil

AT = "2026-10-01T10:00:00+02:00"


class Desk:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.client: FlaskClient = http.client(service)
        self.pupil = new_pupil()

    def post(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.client.post("/v1/events", json={"events": list(events)})
        assert response.status_code == 200, response.get_json()
        self.service.pupil_views.catch_up()
        return response.get_json()["results"]  # type: ignore[no-any-return]

    def accept(self, *events: dict[str, Any]) -> None:
        results = self.post(*events)
        assert all(r["status"] == "accepted" for r in results), results

    def case(self, role: str | None = None) -> dict[str, Any]:
        headers = tokens.bearer(tokens.staff(role)) if role else {}
        return self.client.get(f"/v1/pupils/{self.pupil}/case",  # type: ignore[no-any-return]
                               headers=headers).get_json()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    service = build(Settings.from_environ(sqlite_environ(tmp_path / "d.sqlite")),
                    clock=lambda: datetime(2027, 7, 1, tzinfo=UTC))
    d = Desk(service)
    d.accept(calendar(), enrolled(d.pupil, more={"name": "Kari", "national_id": "01011050081"}))
    yield d
    service.close()


def error(results: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    assert results[index]["status"] == "rejected", results[index]
    return results[index]["errors"][0]  # type: ignore[no-any-return]


def tasks(case: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [t for t in case["tasks"] if t["rule"] == rule]


@pytest.mark.rule("FOL-1")
def test_absence_recorded_by_a_subject_teacher_is_kept_with_who_recorded_it(
        desk: Desk) -> None:
    recorded = absent(desk.pupil, "2026-09-01", period=2, role="subject_teacher")
    desk.accept(recorded)

    log = desk.service.app.recorder.select_notifications(start=1, limit=100)
    events = [desk.service.app.mapper.to_domain_event(n) for n in log]
    mine = [e for e in events if getattr(getattr(e, "envelope", None), "event_id", None)
            and str(e.envelope.event_id) == recorded["event_id"]]
    assert mine[0].envelope.actor.role.value == "subject_teacher"


@pytest.mark.rule("FOL-5", "FOL-7")
def test_an_undocumented_single_lesson_is_taken_up_with_the_guardians(desk: Desk) -> None:
    desk.accept(absent(desk.pupil, "2026-09-02", period=3))

    case = desk.case()

    # FOL-5 is two steps the same day: the guardians are told, and "ledelsen informeres".
    assert [(t["title"][:20], t["due_at"][:10]) for t in tasks(case, "FOL-5")] == [
        ("Informer foresatte s", "2026-09-02"), ("Ledelsen informeres ", "2026-09-02")]
    assert [t["due_at"][:10] for t in tasks(case, "FOL-7")] == ["2026-09-09"]
    desk.accept(contact(desk.pupil, "2026-09-02T12:00:00+02:00"))
    closed = [t["status"] == "done" for t in desk.case()["tasks"]
              if t["rule"] in ("FOL-5", "FOL-7")]
    assert closed == [True, False, True]
    desk.accept(pupil_event("LeadershipInformed", desk.pupil, "2026-09-02T13:00:00+02:00",
                            informed_role="principal", about="Udokumentert fravær"))
    assert {t["status"] for t in tasks(desk.case(), "FOL-5")} == {"done"}


@pytest.mark.rule("FOL-6", "POL-4")
def test_a_contact_without_who_whom_or_result_is_rejected_and_a_missing_time_flagged(
        desk: Desk) -> None:
    without_result = contact(desk.pupil, AT, result="  ")
    without_whom = contact(desk.pupil, AT)
    del without_whom["data"]["contacted"]
    without_who = contact(desk.pupil, AT)
    del without_who["data"]["made_by"]
    date_only = contact(desk.pupil, "2026-10-01")

    results = desk.post(without_result, without_whom, without_who, date_only)

    assert error(results, 0)["rule"] == "POL-4"
    assert error(results, 1)["field"] == "data.contacted"
    assert error(results, 2)["field"] == "data.made_by"
    assert results[3]["status"] == "accepted"
    [logged] = desk.case()["contacts"]
    assert logged["time_missing"] is True
    assert logged["contact"]["result"] == "Mor bekreftet at eleven er syk."


@pytest.mark.rule("FOL-12")
def test_absence_discussed_in_the_development_conversation_is_in_the_case(desk: Desk) -> None:
    desk.accept(meeting(desk.pupil, "development_conversation", AT,
                        minutes="Fraværet ble tatt opp."))

    [held] = desk.case()["meetings"]

    assert held["meeting"]["kind"] == "development_conversation"
    assert held["meeting"]["minutes"] == "Fraværet ble tatt opp."


@pytest.mark.rule("FOL-13")
def test_the_25_percent_rule_needs_an_administrative_decision_and_the_guardians(
        desk: Desk) -> None:
    measure = {"measure_id": "m1", "catalogue_code": "SKOLE-08", "text": "25 %-regelen",
               "responsible_role": "principal", "evaluate_by": "2026-11-01"}

    results = desk.post(
        agreement(desk.pupil, AT, measures=[measure]),
        agreement(desk.pupil, AT, measures=[{**measure, "administrative_decision_ref": "a-1"}],
                  signed_by=["teacher-1"]),
        agreement(desk.pupil, AT, measures=[{**measure, "catalogue_code": "NOPE"}]),
        agreement(desk.pupil, AT, measures=[{**measure, "administrative_decision_ref": "a-1"}]))

    assert error(results, 0)["code"] == "administrative_decision_required"
    assert error(results, 1)["code"] == "consent_required"
    assert error(results, 2)["code"] == "unknown_measure_code"
    assert results[3]["status"] == "accepted"
    assert error(desk.post(agreement(desk.pupil, AT, version=3)))["rule"] == "FOL-13"


@pytest.mark.rule("FOL-15")
def test_a_meeting_without_the_pupil_says_why(desk: Desk) -> None:
    results = desk.post(meeting(desk.pupil, "guardian_conversation", AT,
                                pupil_participated=False),
                        meeting(desk.pupil, "guardian_conversation", AT,
                                pupil_participated=False, pupil_absent_reason="Syk"))

    assert error(results)["rule"] == "FOL-15"
    assert results[1]["status"] == "accepted"


@pytest.mark.rule("FOL-19")
def test_the_guardians_early_warning_opens_the_follow_up_like_a_concern(desk: Desk) -> None:
    desk.accept(pupil_event("SchoolRefusalSignalReported", desk.pupil, AT,
                            guardian_id="guardian-1", text="Må presses for å dra på skolen"))

    case = desk.case()

    assert case["stage"] == "concern"
    assert {t["rule"] for t in case["tasks"]} >= {"FOL-3", "FOL-8", "FOL-9", "FOL-10"}


@pytest.mark.rule("FOL-20")
def test_the_conversation_guides_are_templates_and_answers_must_be_their_questions(
        desk: Desk) -> None:
    guides = desk.client.get("/v1/templates/conversation-guides").get_json()
    question = guides["pupil_conversation"]["topics"][0]["questions"][0]

    results = desk.post(
        meeting(desk.pupil, "pupil_conversation", AT,
                guide_answers=[{"question": question, "answer": "Gym og friminutt"}]),
        meeting(desk.pupil, "pupil_conversation", AT,
                guide_answers=[{"question": "Liker du pizza?", "answer": "Ja"}]))

    assert results[0]["status"] == "accepted"
    assert error(results, 1)["rule"] == "FOL-20"
    assert set(guides) == {"pupil_conversation", "guardian_conversation",
                           "after_conversation_checklist"}


@pytest.mark.rule("FOL-2", "FOL-11", "FOL-18")
def test_the_schools_routine_counts_reviews_and_parents_meetings_per_half_year(
        desk: Desk) -> None:
    def review(kind: str, scope: str, scope_id: str, period: str) -> dict[str, Any]:
        return envelope("AbsenceReviewCompleted", {
            "scope": scope, "scope_id": scope_id, "school_id": "school-1", "period": period,
            "kind": kind}, occurred_at=AT, role="principal")

    desk.accept(review("monthly_contact_teacher", "class", "9A", "2026-09"),
                review("grade_team", "grade", "9", "2026-autumn"),
                review("grade_team", "grade", "9", "2026-autumn"),
                review("leadership_school", "school", "school-1", "2026-autumn"),
                envelope("ParentsMeetingHeld", {"school_id": "school-1", "class_id": "9A",
                                                "at": AT, "guideline_reviewed": True},
                         occurred_at=AT))

    routine = desk.client.get("/v1/schools/school-1/routine?half_year=2026-autumn").get_json()

    met = {(c["rule"], c["what"][:20]): c["met"] for c in routine["checks"]}
    assert list(met.values()) == [True, True, False, True]
    assert routine["checks"][2]["count"] == 1


@pytest.mark.rule("CT-1", "REF-4")
def test_a_case_is_discussed_anonymously_without_consent_and_referred_only_with_it(
        desk: Desk) -> None:
    anonymous = envelope("CaseDiscussedAnonymously", {
        "with": "consultation_team", "school_id": "school-1", "summary": "Elev på 9. trinn"})
    by_school = referral(desk.pupil, AT, "consultation_team")
    by_guardians = referral(desk.pupil, AT, "consultation_team", role="guardian")

    results = desk.post(anonymous, by_school, by_guardians)

    assert results[0]["status"] == "accepted"
    assert error(results, 1)["rule"] == "REF-4"
    assert results[2]["status"] == "accepted"


@pytest.mark.rule("CT-7", "REF-4")
def test_guardians_who_decline_the_team_refer_to_single_agencies_with_their_consent(
        desk: Desk) -> None:
    desk.accept(consent(desk.pupil, AT, "consultation_team"),
                pupil_event("ConsentWithdrawn", desk.pupil, AT, consent_id="samtykke-1",
                            guardian_id="guardian-1"))

    declined = desk.post(referral(desk.pupil, AT, "consultation_team"))
    desk.accept(consent(desk.pupil, AT, "ppt", consent_id="samtykke-2"))
    ordinary = desk.post(referral(desk.pupil, AT, "ppt"))

    assert "CT-7" in error(declined)["detail"]
    assert ordinary[0]["status"] == "accepted"
    assert desk.case()["stage"] == "referral"


@pytest.mark.rule("REF-1")
def test_each_concern_goes_to_its_agency(desk: Desk) -> None:
    desk.accept(consent(desk.pupil, AT, "bup", "child_welfare", "family_counselling"))

    results = desk.post(
        referral(desk.pupil, AT, "bup", grounds="neglect", via="gp"),
        referral(desk.pupil, AT, "child_welfare", grounds="neglect"),
        referral(desk.pupil, AT, "family_counselling", grounds="guardian_conflict"))

    assert error(results)["rule"] == "REF-1"
    assert [r["status"] for r in results[1:]] == ["accepted", "accepted"]


@pytest.mark.rule("REF-2", "REF-4", "SAFE-4")
def test_the_school_sends_a_concern_report_without_consent(desk: Desk) -> None:
    desk.accept(pupil_event("ConcernReportSent", desk.pupil, AT, to="child_welfare",
                            grounds="Mistanke om omsorgssvikt", document_ref="melding-1"),
                pupil_event("ConcernReportSent", desk.pupil, AT, to="police",
                            grounds="Fare for tvangsekteskap er nært forestående",
                            document_ref="melding-2"))

    reports = desk.case()["concern_reports"]

    assert [r["report"]["to"] for r in reports] == ["child_welfare", "police"]


@pytest.mark.rule("REF-3")
def test_a_bup_referral_goes_via_the_gp_or_child_welfare_with_its_attachments(
        desk: Desk) -> None:
    desk.accept(consent(desk.pupil, AT, "bup"))
    attachments = [{"kind": "minutes", "ref": "1"}, {"kind": "problem_description", "ref": "2"},
                   {"kind": "measures_tried", "ref": "3"}]

    results = desk.post(referral(desk.pupil, AT, "bup", attachments=attachments),
                        referral(desk.pupil, AT, "bup", via="gp", attachments=attachments[:2]),
                        referral(desk.pupil, AT, "bup", via="child_welfare",
                                 attachments=attachments))

    assert error(results, 0)["code"] == "via_required"
    assert error(results, 1)["code"] == "attachments_required"
    assert results[2]["status"] == "accepted"


@pytest.mark.rule("POL-2")
def test_letters_missing_the_legal_basis_or_criminal_liability_are_flagged(desk: Desk) -> None:
    desk.accept(letter(desk.pupil, AT), letter(desk.pupil, AT, legal_basis=False),
                letter(desk.pupil, AT, criminal_liability=False, legal_basis=False))

    flags = [entry["pol2_statements_missing"] for entry in desk.case()["letters"]]

    assert flags == [[], ["states_legal_basis"],
                     ["states_legal_basis", "states_criminal_liability"]]


@pytest.mark.rule("POL-1", "POL-5")
def test_only_the_principal_forwards_and_only_the_municipal_director_decides(
        desk: Desk) -> None:
    early = desk.post(pupil_event("PoliceReportDecided", desk.pupil, AT,
                                  role="municipal_director", decision="report", reasons="x"))
    by_teacher = desk.post(pupil_event("CaseForwardedToMunicipalDirector", desk.pupil, AT,
                                       role="contact_teacher", presentation_ref="s"))
    desk.accept(pupil_event("CaseForwardedToMunicipalDirector", desk.pupil, AT,
                            presentation_ref="s"))
    by_principal = desk.post(pupil_event("PoliceReportDecided", desk.pupil, AT,
                                         decision="report", reasons="x"))

    assert error(early)["rule"] == "POL-5"
    assert error(by_teacher)["rule"] == "POL-5"
    assert error(by_principal)["rule"] == "POL-1"


@pytest.mark.rule("POL-3")
def test_every_follow_up_step_is_in_the_pupils_case_in_order(desk: Desk) -> None:
    desk.accept(contact(desk.pupil, AT), letter(desk.pupil, AT),
                meeting(desk.pupil, "guardian_conversation", AT),
                pupil_event("LeadershipInformed", desk.pupil, AT, informed_role="principal",
                            about="Fravær"))

    case = desk.case()

    recorded = [e["position"] for group in ("contacts", "letters", "meetings",
                                            "leadership_informed") for e in case[group]]
    assert len(recorded) == 4 and recorded == sorted(recorded)


@pytest.mark.rule("SAFE-1", "SAFE-2", "SAFE-3")
def test_safeguarding_opens_its_tasks_and_is_shown_only_to_those_who_handle_it(
        desk: Desk) -> None:
    early_offer = desk.post(pupil_event("HomeVisitOffered", desk.pupil, AT,
                                        role="school_health_service"))
    desk.accept(pupil_event("ExtendedTravelPlanned", desk.pupil, AT, from_date="2026-10-10",
                            to_date="2026-12-20", destination="utlandet"),
                pupil_event("SafeguardingConcernRecorded", desk.pupil, AT,
                            role="school_health_service", grounds="Opprinnelse i land der "
                            "kjønnslemlestelse forekommer"))
    health = desk.case(role="school_health_service")
    teacher = desk.case(role="contact_teacher")
    desk.accept(pupil_event("HomeVisitOffered", desk.pupil, AT, role="school_health_service"))

    assert error(early_offer)["rule"] == "SAFE-3"
    assert {t["rule"] for t in health["tasks"]} == {"SAFE-1", "SAFE-2"}
    assert len(health["safeguarding"]) == 2
    assert "safeguarding" not in teacher
    assert [t for t in teacher["tasks"] if t["rule"].startswith("SAFE-")] == []  # PRIV-1
    assert tasks(desk.case(role="principal"), "SAFE-2")[0]["status"] == "done"


@pytest.mark.rule("MISS-6")
def test_a_nav_notice_needs_the_name_and_national_id_on_file(desk: Desk) -> None:
    anonymous_pupil = new_pupil()
    desk.accept(enrolled(anonymous_pupil))

    results = desk.post(pupil_event("NavNotified", anonymous_pupil, AT, away_since="2026-09-01",
                                    document_ref="nav-1"),
                        pupil_event("NavNotified", desk.pupil, AT, away_since="2026-09-01",
                                    document_ref="nav-1"))

    assert error(results)["rule"] == "MISS-6"
    assert results[1]["status"] == "accepted"


@pytest.mark.rule("CT-3", "CT-4", "CT-5", "CT-6")
def test_consultations_are_recorded_in_order(desk: Desk) -> None:
    desk.accept(consent(desk.pupil, AT, "consultation_team"))
    before_referral = desk.post(meeting(desk.pupil, "consultation_1", AT, pupil_input="x"))
    desk.accept(referral(desk.pupil, AT, "consultation_team"))

    results = desk.post(
        meeting(desk.pupil, "consultation_2", AT, conclusion="continue"),
        meeting(desk.pupil, "consultation_1", AT),
        meeting(desk.pupil, "consultation_1", AT, pupil_input="Jeg vil ha hjelp i matte"),
        meeting(desk.pupil, "consultation_2", AT),
        meeting(desk.pupil, "consultation_2", AT, conclusion="close"),
        meeting(desk.pupil, "consultation_3", AT, conclusion="close"))

    assert error(before_referral)["rule"] == "CT-1"
    assert [error(results, i)["rule"] for i in (0, 1, 3, 5)] == ["CT-4", "CT-3", "CT-5",
                                                                 "CT-6"]
    assert [results[i]["status"] for i in (2, 4)] == ["accepted", "accepted"]
