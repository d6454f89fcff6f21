"""Whereabouts unknown (MISS), safeguarding (SAFE) and the case sent to the municipal
director (POL) on the case aggregate."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from domain.case import restricted
from domain.case_records import (
    ConcernReport,
    ConfirmationAbout,
    ContactedRelation,
    HealthServiceMatter,
    MeetingKind,
    PoliceDecision,
    RegisterResult,
    ReportRecipient,
    Route,
    Whereabouts,
)
from domain.envelope import Role
from domain.records import Departure, LeavingReason
from domain.rule_sets import RuleSet
from tests.support.casework import Desk, absence, contact, letter, meeting, refused

AWAY = date(2026, 9, 14)


def missing(desk: Desk) -> None:
    desk.do("report_whereabouts_unknown", "2026-09-21T09:00", AWAY)


def unreachable(desk: Desk) -> None:
    missing(desk)
    desk.do("log_contact", "2026-09-21T10:00", contact("2026-09-21", reached=False,
                                                       result="Ingen svar"))


@pytest.mark.rule("MISS-1")
def test_the_school_contacts_the_guardians_the_same_day() -> None:
    desk = Desk()
    missing(desk)

    again = refused(desk.do, "report_whereabouts_unknown", "2026-09-22T09:00", AWAY)
    assert desk.stage == "whereabouts_unknown"
    assert desk.open() == {("MISS-1", "2026-09-21"), ("MISS-4", "2026-10-05")}
    desk.do("log_contact", "2026-09-21T10:00", contact("2026-09-21", reached=False,
                                                       result="Ingen svar"))

    assert again.rule == "MISS-1"
    assert "MISS-1" in desk.ended("TaskClosed")


@pytest.mark.rule("MISS-2", "POL-2")
def test_when_the_guardians_are_not_reached_the_register_is_checked_and_they_get_a_letter(
) -> None:
    desk = Desk()
    outside = refused(desk.do, "check_population_register", "2026-09-20T10:00",
                      RegisterResult.ADDRESS_CONFIRMED)
    unreachable(desk)
    desk.do("log_contact", "2026-09-21T11:00", contact("2026-09-21", reached=False,
                                                       result="Ingen svar igjen"))

    assert outside.rule == "MISS-2"
    assert sorted(desk.rules_open()) == ["MISS-2", "MISS-2", "MISS-4"]  # once per procedure
    assert {due for rule, due in desk.open() if rule == "MISS-2"} == {"2026-10-05"}
    desk.do("check_population_register", "2026-09-22T10:00", RegisterResult.ADDRESS_CONFIRMED)
    desk.do("send_letter", "2026-09-22T12:00", letter(criminal=False))
    assert desk.rules_open() == ["MISS-2", "MISS-4"]  # without the criminal liability
    desk.do("send_letter", "2026-09-22T13:00", letter())
    assert desk.rules_open() == ["MISS-4"]


@pytest.mark.rule("MISS-3")
def test_other_routes_are_recorded_as_they_are_tried_inside_the_procedure() -> None:
    desk = Desk()
    outside = refused(desk.do, "try_contact_route", "2026-09-20T10:00", Route.NAV, "x")
    missing(desk)

    desk.do("try_contact_route", "2026-09-22T10:00", Route.SCHOOL_HEALTH, "Ikke kjent")

    [tried] = desk.decided("ContactRouteTried")
    assert (tried.route, tried.result) == (Route.SCHOOL_HEALTH, "Ikke kjent")
    assert outside.rule == "MISS-3"


@pytest.mark.rule("MISS-4")
def test_the_procedure_runs_to_the_municipalitys_deadline_and_keeps_the_case_open() -> None:
    week = Desk(dataclasses.replace(RuleSet(), whereabouts_deadline_days=7))
    missing(week)

    closing = refused(week.do, "close_case", "2026-09-22T10:00", "Ingen grunn")
    assert ("MISS-4", "2026-09-28") in week.open()
    week.do("locate", "2026-09-25T10:00", Whereabouts.NOT_FOUND, "Ikke funnet")
    still = refused(week.do, "close_case", "2026-09-26T10:00", "Ingen grunn")
    week.do("locate", "2026-10-01T10:00", Whereabouts.MOVED_MUNICIPALITY, "Flyttet")
    week.do("close_case", "2026-10-02T10:00", "Flyttet til Oslo")

    assert (closing.code, closing.rule) == ("whereabouts_unknown", "MISS-4")
    assert still.code == "whereabouts_unknown"
    assert week.stage == "closed"


@pytest.mark.rule("MISS-5")
@pytest.mark.parametrize("outcome, follow_ups", [
    (Whereabouts.CONTINUES_IN_NORWAY, {("MISS-5", "2026-10-12")}),
    (Whereabouts.MOVED_MUNICIPALITY, {("MISS-5", "2026-10-12"), ("MISS-5", "2026-10-19")}),
    (Whereabouts.ABROAD, {("MISS-6", "2026-10-12"), ("MISS-5", "2026-10-19")}),
    (Whereabouts.NOT_FOUND, {("MISS-5", "2026-10-12"), ("POL-6", "2026-10-19")}),
])
def test_each_outcome_opens_its_steps_and_the_procedures_own_steps_end(
        outcome: Whereabouts, follow_ups: set[tuple[str, str]]) -> None:
    desk = Desk()
    unreachable(desk)

    desk.do("locate", "2026-10-05T10:00", outcome, "Avklart")

    assert desk.open() == follow_ups
    assert sorted(desk.ended("TaskCancelled")) == ["MISS-2", "MISS-2"]
    assert desk.stage == ("whereabouts_unknown" if outcome is Whereabouts.NOT_FOUND
                          else "registration")
    assert desk.case.whereabouts_open is (outcome is Whereabouts.NOT_FOUND)


@pytest.mark.rule("MISS-5")
def test_found_in_norway_the_meeting_with_the_principal_closes_the_case() -> None:
    desk = Desk()
    missing(desk)
    desk.do("locate", "2026-10-05T10:00", Whereabouts.CONTINUES_IN_NORWAY, "Tilbake")

    desk.do("hold_meeting", "2026-10-07T10:00",
            meeting(MeetingKind.PRINCIPAL_MEETING, "2026-10-07T10:00"))

    assert desk.stage == "closed"
    assert desk.case.tasks == {}
    [closed] = [s for s in desk.decided("StageChanged") if s.stage == "closed"]
    assert "skolen avslutter saken" in closed.reason


@pytest.mark.rule("MISS-5", "CON-1", "FOL-3")
def test_a_concern_raised_while_the_pupil_was_missing_is_followed_up_when_found() -> None:
    desk = Desk()
    missing(desk)
    for day in ("2026-09-21", "2026-09-22", "2026-09-23"):
        desk.fact("record_absence", f"{day}T08:30", absence(day))
    assert desk.stage == "whereabouts_unknown"
    assert [c.rule for c in desk.decided("ConcernRaised")] == ["CON-1"]

    desk.do("locate", "2026-09-25T10:00", Whereabouts.MOVED_MUNICIPALITY, "Flyttet")

    assert (desk.stage, desk.case.episode) == ("concern", 1)
    assert {"FOL-3", "FOL-8", "FOL-9", "FOL-10"} <= set(desk.rules_open())


@pytest.mark.rule("MISS-6")
def test_nav_is_told_in_writing_with_the_name_and_national_identity_number() -> None:
    anonymous, named = Desk(identity=False), Desk()

    unnamed = refused(anonymous.do, "notify_nav", "2026-10-06T10:00", AWAY, "nav-1")
    named.fact("depart", "2026-10-01T10:00",
               Departure("school-1", LeavingReason.ABROAD, date(2026, 9, 30)))
    assert named.open() == {("MISS-6", "2026-10-08")}
    named.do("notify_nav", "2026-10-06T10:00", AWAY, "nav-1")

    assert unnamed.rule == "MISS-6"
    assert named.open() == set()
    [opened] = named.decided("TaskOpened")
    assert opened.task.legal_basis == "folketrygdloven § 21-4"


@pytest.mark.rule("MISS-5")
def test_moved_and_abroad_close_with_the_notice_and_the_written_confirmation() -> None:
    moved = Desk()
    missing(moved)
    moved.do("locate", "2026-10-05T10:00", Whereabouts.MOVED_MUNICIPALITY, "Flyttet")
    moved.do("send_moving_notice", "2026-10-06T10:00", "0301")
    moved.do("receive_written_confirmation", "2026-10-08T10:00", ConfirmationAbout.ABROAD, "b")
    assert [r for r, _ in moved.open()] == ["MISS-5"]  # it must confirm the move
    moved.do("receive_written_confirmation", "2026-10-08T10:00", ConfirmationAbout.MOVED, "b")

    assert moved.open() == set()


@pytest.mark.rule("SAFE-1")
def test_planned_long_travel_is_told_to_the_school_health_service() -> None:
    desk = Desk()
    reversed_period = refused(desk.do, "plan_extended_travel", "2026-10-01T10:00",
                              date(2026, 12, 1), date(2026, 10, 10), None)
    desk.do("plan_extended_travel", "2026-10-01T10:00", date(2026, 10, 10),
            date(2026, 12, 20), "utlandet")
    assert desk.open() == {("SAFE-1", "2026-10-03")}

    desk.do("notify_school_health", "2026-10-02T10:00", HealthServiceMatter.EXTENDED_TRAVEL)

    assert reversed_period.code == "period_reversed"
    assert desk.open() == set()


@pytest.mark.rule("SAFE-2")
def test_a_safeguarding_concern_calls_the_guardians_to_the_school_health_service() -> None:
    desk = Desk()
    guardian = refused(desk.do, "record_safeguarding_concern", "2026-10-01T10:00", "Grunn",
                       role=Role.GUARDIAN)
    desk.do("record_safeguarding_concern", "2026-10-01T10:00", "Grunn",
            role=Role.SCHOOL_HEALTH_SERVICE)
    assert desk.open() == {("SAFE-2", "2026-10-08")}

    desk.do("hold_meeting", "2026-10-05T10:00",
            meeting(MeetingKind.SCHOOL_HEALTH_CONVERSATION, "2026-10-05T10:00", minutes=None))

    assert guardian.rule == "SAFE-2"
    assert desk.open() == set()
    assert all(restricted(e) for e in desk.decided("TaskOpened") + desk.decided("TaskClosed"))


@pytest.mark.rule("SAFE-3")
def test_the_school_health_service_offers_the_home_visit() -> None:
    desk = Desk()
    early = refused(desk.do, "offer_home_visit", "2026-10-01T10:00",
                    role=Role.SCHOOL_HEALTH_SERVICE)
    desk.do("record_safeguarding_concern", "2026-10-01T10:00", "Grunn",
            role=Role.SCHOOL_HEALTH_SERVICE)

    by_teacher = refused(desk.do, "offer_home_visit", "2026-10-06T10:00",
                         role=Role.CONTACT_TEACHER)
    desk.do("offer_home_visit", "2026-10-06T10:00", role=Role.SCHOOL_HEALTH_SERVICE)

    assert (early.code, by_teacher.code) == ("no_safeguarding_concern",
                                             "not_the_school_health_service")
    assert by_teacher.rule == "SAFE-3"
    assert desk.open() == set()


@pytest.mark.rule("SAFE-4", "REF-2")
def test_an_imminent_risk_is_reported_to_the_police_without_consent() -> None:
    desk = Desk()

    desk.do("send_concern_report", "2026-10-01T10:00",
            ConcernReport(ReportRecipient.POLICE, "Tvangsekteskap nært forestående", "m-2"))

    [sent] = desk.decided("ConcernReportSent")
    assert sent.report.to is ReportRecipient.POLICE
    assert desk.stage == "registration" and desk.open() == set()


@pytest.mark.rule("POL-1", "POL-5", "POL-6")
def test_the_principal_sends_the_case_and_the_municipal_director_decides() -> None:
    desk = Desk()
    early = refused(desk.do, "decide_police_report", "2026-10-01T10:00",
                    PoliceDecision.REPORT, "x", role=Role.MUNICIPAL_DIRECTOR)
    leadership = refused(desk.do, "forward_to_municipal_director", "2026-10-01T10:00", "s-1",
                         role=Role.SCHOOL_LEADERSHIP)
    desk.do("forward_to_municipal_director", "2026-10-01T10:00", "s-1", role=Role.PRINCIPAL)
    by_principal = refused(desk.do, "decide_police_report", "2026-10-02T10:00",
                           PoliceDecision.REPORT, "x", role=Role.PRINCIPAL)
    assert desk.open() == {("POL-1", "2026-11-01")}

    desk.do("decide_police_report", "2026-10-20T10:00", PoliceDecision.REPORT,
            "Foresatte holder eleven hjemme.", role=Role.MUNICIPAL_DIRECTOR)

    assert (early.rule, leadership.rule, by_principal.rule) == ("POL-5", "POL-5", "POL-1")
    assert desk.stage == "municipal_director" and desk.open() == set()


@pytest.mark.rule("MISS-1")
def test_a_contact_with_someone_else_than_the_guardians_does_not_do_for_miss1() -> None:
    desk = Desk()
    missing(desk)

    desk.do("log_contact", "2026-09-21T10:00",
            contact("2026-09-21", relation=ContactedRelation.OTHER))

    assert "MISS-1" in desk.rules_open()


@pytest.mark.rule("MISS-5")
def test_a_closed_case_the_procedure_reopened_stays_open_for_the_steps_after_it() -> None:
    desk = Desk()
    desk.do("close_case", "2026-09-01T10:00", "Ingen bekymring")
    missing(desk)

    desk.do("locate", "2026-09-25T10:00", Whereabouts.ABROAD, "I utlandet")

    assert desk.stage == "registration"
    assert [r for r, _ in sorted(desk.open())] == ["MISS-5", "MISS-6"]
    desk.do("close_case", "2026-09-26T10:00", "Meldt NAV, bekreftelse kommer")
    assert desk.case.tasks == {}


@pytest.mark.rule("PRIV-5")
def test_the_school_health_services_conversation_is_recorded_without_its_notes() -> None:
    desk = Desk()
    desk.do("record_safeguarding_concern", "2026-10-01T10:00", "Grunn",
            role=Role.SCHOOL_HEALTH_SERVICE)
    at = "2026-10-05T10:00"
    with_minutes = refused(desk.do, "hold_meeting", at,
                           meeting(MeetingKind.SCHOOL_HEALTH_CONVERSATION, at))
    with_input = refused(desk.do, "hold_meeting", at, meeting(
        MeetingKind.SCHOOL_HEALTH_CONVERSATION, at, minutes=None, pupil_input="Vondt i magen"))
    without_minutes = refused(desk.do, "hold_meeting", at,
                              meeting(MeetingKind.GUARDIAN_CONVERSATION, at, minutes=None))
    assert desk.open() == {("SAFE-2", "2026-10-08")}

    desk.do("hold_meeting", at,
            meeting(MeetingKind.SCHOOL_HEALTH_CONVERSATION, at, minutes=None))

    assert (with_minutes.rule, with_minutes.code) == ("PRIV-5", "notes_stay_in_health_record")
    assert with_input.rule == "PRIV-5"
    assert without_minutes.code == "minutes_required"
    assert desk.open() == set()
