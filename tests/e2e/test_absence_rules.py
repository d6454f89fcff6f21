"""The absence, leave and diploma rules as a school experiences them: events in, figures
and decisions out (SQLite, the embedded default)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from domain.pupil import Pupil
from services.bootstrap import Service, build
from services.config import Settings
from tests.conftest import sqlite_environ
from tests.support import http
from tests.support.events import (
    absent,
    applied_for_leave,
    calendar,
    certificate,
    corrected,
    decided_leave,
    enrolled,
    exclusion_requested,
    new_pupil,
    notice,
    rule_set,
)


class School:
    """Posts events and reads answers the way the integration platform does."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.client: FlaskClient = http.client(service)

    def post(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        answer = self.client.post("/v1/events", json={"events": list(events)}).get_json()
        self.service.pupil_views.catch_up()
        return answer["results"]  # type: ignore[no-any-return]

    def accept(self, *events: dict[str, Any]) -> None:
        results = self.post(*events)
        assert [r["status"] for r in results] == ["accepted"] * len(events), results

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def school(tmp_path: Path) -> Iterator[School]:
    # The school year of these tests runs to June 2027; the service's clock stands after it.
    service = build(Settings.from_environ(sqlite_environ(tmp_path / "s.sqlite")),
                    clock=lambda: datetime(2027, 7, 1, tzinfo=UTC))
    yield School(service)
    service.close()


@pytest.fixture
def pupil(school: School) -> str:
    pupil_id = new_pupil()
    school.accept(calendar(), enrolled(pupil_id))
    return pupil_id


def rejection(results: list[dict[str, Any]], index: int = 0) -> dict[str, Any]:
    assert results[index]["status"] == "rejected"
    return results[index]["errors"][0]  # type: ignore[no-any-return]


# ABS ---------------------------------------------------------------------------------

def test_absence_on_a_day_the_calendar_has_no_school_is_rejected(school: School,
                                                                 pupil: str) -> None:
    autumn_break = calendar(non_school_days=["2026-10-05"])
    school.accept(autumn_break)

    results = school.post(absent(pupil, "2026-10-05"), absent(pupil, "2026-10-10"))

    assert rejection(results, 0)["code"] == "not_a_school_day"
    assert rejection(results, 1)["field"] == "data.date"  # a Saturday


@pytest.mark.rule("ABS-5")
def test_a_notice_after_the_first_school_day_after_the_absence_is_marked_late(
        school: School, pupil: str) -> None:
    school.accept(absent(pupil, "2026-09-04"),  # a Friday
                  absent(pupil, "2026-09-08"),
                  notice(pupil, "2026-09-04", occurred_at="2026-09-07T07:30:00+02:00"),
                  notice(pupil, "2026-09-08", occurred_at="2026-09-10T07:30:00+02:00"))

    tally = school.get(f"/v1/pupils/{pupil}/absence")

    flags = {a["date"]: (a["documented"], a["late_notice"]) for a in tally["absences"]}
    assert flags == {"2026-09-04": (True, False), "2026-09-08": (True, True)}


@pytest.mark.rule("ABS-6")
def test_planned_absence_of_a_day_needs_a_leave_application_not_a_notice(
        school: School, pupil: str) -> None:
    planned_trip = notice(pupil, "2026-10-12", cause="other",
                          occurred_at="2026-10-01T08:00:00+02:00")
    planned_dentist = notice(pupil, "2026-10-12", cause="medical_appointment",
                             occurred_at="2026-10-01T08:00:00+02:00")

    results = school.post(planned_trip, planned_dentist)

    assert rejection(results)["rule"] == "ABS-6"
    assert results[1]["status"] == "accepted"


@pytest.mark.rule("ABS-8")
def test_undocumented_absence_is_reported_for_the_conduct_grade_from_grade_eight(
        school: School) -> None:
    ninth, seventh = new_pupil(), new_pupil()
    school.accept(enrolled(ninth, grade=9), enrolled(seventh, grade=7),
                  absent(ninth, "2026-09-01"), absent(ninth, "2026-09-02", period=3),
                  notice(ninth, "2026-09-01"), absent(seventh, "2026-09-01"))

    ninth_conduct = school.get(f"/v1/pupils/{ninth}/absence")["conduct_assessment"]
    seventh_conduct = school.get(f"/v1/pupils/{seventh}/absence")["conduct_assessment"]

    assert ninth_conduct == {"rule": "ABS-8", "applies": True, "undocumented_days": 0,
                             "undocumented_lessons": 1}
    assert seventh_conduct["applies"] is False


@pytest.mark.rule("ABS-9")
def test_a_correction_changes_the_figure_and_the_log_keeps_both(school: School,
                                                                pupil: str) -> None:
    wrong_day = absent(pupil, "2026-09-01")
    never_absent = absent(pupil, "2026-09-02")
    school.accept(wrong_day, never_absent)

    school.accept(
        corrected(wrong_day["event_id"], "Registrert på feil dag",
                  {**wrong_day["data"], "date": "2026-09-03"}),
        corrected(never_absent["event_id"], "Eleven var på tur med klassen"))

    tally = school.get(f"/v1/pupils/{pupil}/absence")
    assert [(a["date"], a["recorded_by"]) for a in tally["absences"]] == [
        ("2026-09-03", [wrong_day["event_id"]])]
    log = school.service.app.recorder.select_notifications(start=1, limit=100)
    events = [school.service.app.mapper.to_domain_event(n) for n in log]
    assert sum(isinstance(e, Pupil.AbsenceRecorded) for e in events) == 2
    assert sum(isinstance(e, Pupil.RecordCorrected) for e in events) == 2


@pytest.mark.rule("ABS-9")
def test_a_correction_must_name_a_record_of_the_pupil_and_keep_its_kind(
        school: School, pupil: str) -> None:
    recorded = absent(pupil, "2026-09-01")
    school.accept(recorded)

    results = school.post(
        corrected(new_pupil(), "finnes ikke"),
        corrected(recorded["event_id"], "flytt", {**recorded["data"], "pupil_id": new_pupil()}),
        corrected(recorded["event_id"], "feil", {"pupil_id": pupil, "date": "x"}))

    assert rejection(results, 0)["rule"] == "ABS-9"
    assert rejection(results, 1)["code"] == "other_pupil"
    assert rejection(results, 2)["field"] == "data.replacement.date"


# LEAVE -------------------------------------------------------------------------------

@pytest.mark.rule("LEAVE-2", "LEAVE-7", "LAW-1")
def test_the_principals_decision_records_who_why_the_law_and_the_statement(
        school: School, pupil: str) -> None:
    school.accept(applied_for_leave(pupil, "perm-1", "2026-11-02", "2026-11-04",
                                    occurred_at="2026-10-01T08:00:00+02:00"),
                  decided_leave("perm-1", "granted", "Konfirmasjon i nær familie."))

    found = school.get("/v1/leave-applications/perm-1")

    assert found["recommendation"]["outcome"] == "grant"
    assert found["late_application"] is False
    assert found["decision"]["decided_by"]["role"] == "principal"
    assert found["decision"]["reasons"] == "Konfirmasjon i nær familie."
    assert "erstatningsundervisning" in found["decision"]["statement"]
    assert found["decision"]["legal_basis"] == "opplæringslova § 2-2 fjerde ledd"


@pytest.mark.rule("LEAVE-2")
def test_only_the_school_leadership_decides_and_only_known_applications(
        school: School, pupil: str) -> None:
    school.accept(applied_for_leave(pupil, "perm-2", "2026-11-02", "2026-11-02"))

    results = school.post(decided_leave("perm-2", "granted", role="contact_teacher"),
                          decided_leave("perm-404", "granted"))

    assert rejection(results, 0)["rule"] == "LEAVE-2"
    assert rejection(results, 1) == {"field": "data.application_id",
                                     "code": "unknown_leave_application", "rule": "LEAVE-2",
                                     "detail": "no leave application with this id"}


@pytest.mark.rule("LEAVE-8")
def test_going_against_the_recommendation_must_say_so_with_reasons(school: School,
                                                                   pupil: str) -> None:
    school.accept(applied_for_leave(pupil, "perm-3", "2026-11-02", "2026-11-02",
                                    reason="other"))

    silent = school.post(decided_leave("perm-3", "granted"))
    unreasoned = school.post(decided_leave("perm-3", "granted", reasons=" ", overrides=True))
    school.accept(decided_leave("perm-3", "granted", "Særlige grunner: ...", overrides=True))

    assert rejection(silent)["rule"] == "LEAVE-8"
    assert rejection(unreasoned)["rule"] == "LEAVE-8"
    decision = school.get("/v1/leave-applications/perm-3")["decision"]
    assert decision["overrides_recommendation"] is True


@pytest.mark.rule("LEAVE-9")
def test_absence_covered_by_granted_leave_is_documented(school: School, pupil: str) -> None:
    school.accept(absent(pupil, "2026-11-02"), absent(pupil, "2026-11-03"),
                  applied_for_leave(pupil, "perm-4", "2026-11-02", "2026-11-02"),
                  decided_leave("perm-4", "granted"),
                  applied_for_leave(pupil, "perm-5", "2026-11-03", "2026-11-03"),
                  decided_leave("perm-5", "rejected", overrides=True,
                                reasons="Ikke forsvarlig nå."))

    days = school.get(f"/v1/pupils/{pupil}/absence")["days"]

    assert days == {"documented": 1, "undocumented": 1, "total": 2}


# DIP ---------------------------------------------------------------------------------

ILLNESS = ["2027-01-11", "2027-01-12", "2027-01-13", "2027-01-14", "2027-01-15"]


@pytest.mark.rule("DIP-1", "DIP-4")
def test_the_diploma_figure_of_a_year_after_leaving_off_days_four_and_five(
        school: School, pupil: str) -> None:
    school.accept(*(absent(pupil, day) for day in ILLNESS), absent(pupil, "2027-02-01", period=2),
                  certificate(pupil, ILLNESS[0], ILLNESS[-1]),
                  exclusion_requested(pupil, "krav-1", ILLNESS,
                                      occurred_at="2027-03-01T10:00:00+01:00"))

    diploma = school.get(f"/v1/pupils/{pupil}/diploma?school_year=2026-2027")

    assert (diploma["days"], diploma["lessons"], diploma["excluded_days"]) == (3, 1, 2)
    assert diploma["exclusions"] == [
        {"date": "2027-01-14", "basis": "health", "rule": "DIP-4"},
        {"date": "2027-01-15", "basis": "health", "rule": "DIP-4"}]
    [request] = diploma["requests"]
    assert (request["request_id"], request["outcome"]) == ("krav-1", "partly_approved")
    assert request["rules"] == ["DIP-4"]
    assert request["legal_basis"] == "opplæringsforskrifta § 9-44"


@pytest.mark.rule("DIP-7")
def test_the_diploma_total_sums_grades_eight_to_ten(school: School) -> None:
    pupil = new_pupil()
    school.accept(calendar("2025-2026"), calendar(),
                  enrolled(pupil, school_year="2025-2026", grade=8,
                           occurred_at="2025-08-18T08:00:00+02:00"),
                  enrolled(pupil, grade=9),
                  absent(pupil, "2025-09-01", occurred_at="2025-09-01T08:00:00+02:00"),
                  absent(pupil, "2025-09-02", period=1, occurred_at="2025-09-02T08:00:00+02:00"),
                  absent(pupil, "2026-09-01"), absent(pupil, "2026-09-02"))

    total = school.get(f"/v1/pupils/{pupil}/diploma")

    assert (total["days"], total["lessons"]) == (3, 1)
    assert [(y["school_year"], y["grade"], y["days"]) for y in total["years"]] == [
        ("2025-2026", 8, 1), ("2026-2027", 9, 2)]


# CON ---------------------------------------------------------------------------------

@pytest.mark.rule("CON-1", "CON-6")
def test_a_concern_is_raised_once_per_month_with_the_events_behind_it(school: School,
                                                                      pupil: str) -> None:
    september = [absent(pupil, day) for day in ("2026-09-01", "2026-09-08", "2026-09-15",
                                                "2026-09-22")]
    school.accept(*september, notice(pupil, "2026-09-01"))

    concerns = school.get(f"/v1/pupils/{pupil}/concerns")["concerns"]

    assert [(c["rule"], c["period"]) for c in concerns] == [("CON-1", "2026-09")]
    assert concerns[0]["event_ids"] == [e["event_id"] for e in september[:3]]


@pytest.mark.rule("CON-7", "LAW-2")
def test_a_municipalitys_own_rule_raises_concerns(school: School, pupil: str) -> None:
    school.accept(rule_set("2026-08-01", additional_concern_rules=[
        {"rule": "RINGSAKER-6", "kind": "consecutive_days", "threshold": 6,
         "description": "Mer enn 5 sammenhengende dager"}]))
    school.accept(*(absent(pupil, day) for day in ("2026-09-03", "2026-09-04", "2026-09-07",
                                                   "2026-09-08", "2026-09-09", "2026-09-10")))

    rules = [c["rule"] for c in school.get(f"/v1/pupils/{pupil}/concerns")["concerns"]]

    assert "RINGSAKER-6" in rules


@pytest.mark.rule("LAW-2", "CON-1")
def test_a_new_rule_set_changes_outcomes_from_its_date_only_also_on_replay(
        school: School, pupil: str) -> None:
    school.accept(rule_set("2026-10-01", concern_thresholds={"CON-1": 4}))
    three_in_september = [absent(pupil, d) for d in ("2026-09-01", "2026-09-02", "2026-09-03")]
    three_in_october = [absent(pupil, d) for d in ("2026-10-01", "2026-10-02", "2026-10-05")]
    school.accept(*three_in_september, *three_in_october)
    before = school.get(f"/v1/pupils/{pupil}/concerns")["concerns"]

    from projections.pupil_views import PupilViews
    with school.service.views.transaction() as tx:
        PupilViews().clear(tx)
    school.service.pupil_views.catch_up()
    replayed = school.get(f"/v1/pupils/{pupil}/concerns")["concerns"]

    assert [(c["rule"], c["period"]) for c in before if c["rule"] == "CON-1"] == [
        ("CON-1", "2026-09")]
    assert replayed == before


def test_rebuilding_from_empty_gives_the_same_figures_concerns_and_decisions(
        school: School, pupil: str) -> None:
    school.accept(*(absent(pupil, d) for d in ILLNESS), certificate(pupil, ILLNESS[0],
                                                                    ILLNESS[-1]),
                  absent(pupil, "2027-01-20", period=4),
                  exclusion_requested(pupil, "krav-2", ILLNESS,
                                      occurred_at="2027-03-01T10:00:00+01:00"))
    paths = [f"/v1/pupils/{pupil}/absence", f"/v1/pupils/{pupil}/concerns",
             f"/v1/pupils/{pupil}/diploma"]
    # Without the views' position: each read is recorded in the log (PRIV-3), so it moved.
    incremental = [school.get(p) | {"position": None} for p in paths]

    from projections.pupil_views import PupilViews
    with school.service.views.transaction() as tx:
        PupilViews().clear(tx)
    school.service.pupil_views.catch_up()

    assert [school.get(p) | {"position": None} for p in paths] == incremental
    assert UUID(pupil)
