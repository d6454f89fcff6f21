"""The follow-up routine (FOL) on the case aggregate: what each fact opens and closes, how
the stage moves, and that what the case decided is stored once and never decided again."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from typing import Any

import pytest

from domain import case as case_module
from domain.case_records import (
    Agency,
    Consent,
    ContactedRelation,
    GuideAnswer,
    LetterPurpose,
    MeasureEvaluation,
    MeasureOutcome,
    MeetingKind,
    Participant,
    WelfareAssessment,
    WelfareDecision,
)
from domain.catalogue import guide_questions
from domain.envelope import Role
from domain.records import LateArrival, LeftSchool, SchoolRefusalSignal
from domain.rule_sets import Deadlines, Period, RuleBook, RuleSet, RuleSetChange
from domain.school_days import SchoolDays
from domain.school_routine import SchoolRoutine
from projections import school_routine
from projections.batch import Batch
from projections.db import SQLiteViews
from tests.support.casework import (
    FOL16,
    GUARDIAN,
    Desk,
    absence,
    agreement,
    contact,
    envelope,
    letter,
    meeting,
    notice,
    referral,
    refused,
)

CONCERN_TASKS = ["FOL-10", "FOL-3", "FOL-8", "FOL-9", "FOL-9", "FOL-9"]


def concern(desk: Desk) -> None:
    """Three single days in September: CON-1, the case a concern (days reported)."""
    for day in ("2026-09-01", "2026-09-02", "2026-09-03"):
        desk.fact("receive_notice", f"{day}T07:30", notice(day), role=Role.GUARDIAN)
        desk.fact("record_absence", f"{day}T08:30", absence(day))


def evaluation(outcome: MeasureOutcome = MeasureOutcome.DID_NOT_WORK) -> MeasureEvaluation:
    return MeasureEvaluation("avtale-1", "m1", outcome, "Evaluert")


@pytest.mark.rule("FOL-1")
def test_absence_is_recorded_with_who_recorded_it_on_a_school_day_only() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-01T08:30", absence("2026-09-01", 2),
              role=Role.SUBJECT_TEACHER)

    weekend = refused(desk.fact, "record_absence", "2026-09-05T08:30", absence("2026-09-05"))

    [recorded] = desk.decided("AbsenceRecorded")
    assert recorded.envelope.actor.role is Role.SUBJECT_TEACHER
    assert weekend.code == "not_a_school_day"


@pytest.mark.rule("FOL-2", "FOL-11", "FOL-18")
def test_the_schools_routine_is_counted_per_half_year() -> None:
    school = SchoolRoutine("3101", "school-1")
    school.complete_review(envelope("r", "2026-09-30"), "school-1", "class", "9A", "2026-09",
                           "monthly_contact_teacher")
    school.complete_review(envelope("r", "2026-10-15"), "school-1", "grade", "9",
                           "2026-autumn", "grade_team")
    school.hold_parents_meeting(envelope("p", "2026-09-10"), "school-1", "9A",
                                envelope("p", "2026-09-10").occurred_at, True)
    views = SQLiteViews(":memory:")
    with views.transaction() as tx:
        for statement in school_routine.TABLES:
            tx.execute(statement)
        batch = Batch(tx)
        for position, event in enumerate(school.collect_events()[1:], start=1):
            school_routine.apply(batch, event, position)
        batch.flush()
    checks = school_routine.RoutineReader(views).routine("school-1", "2026-autumn",
                                                         None)["checks"]

    met = [(c["rule"], c["met"]) for c in checks]
    assert met == [("FOL-2", True), ("FOL-11", False), ("FOL-11", False), ("FOL-18", True)]


@pytest.mark.rule("FOL-3", "CON-1")
def test_a_concern_has_the_leadership_informed_by_the_next_day() -> None:
    desk = Desk()
    concern(desk)

    assert desk.stage == "concern" and desk.case.episode == 1
    assert desk.rules_open() == CONCERN_TASKS
    assert ("FOL-3", "2026-09-04") in desk.open()
    desk.do("inform_leadership", "2026-09-03T12:00", "principal", "Bekymringsfullt fravær")
    assert "FOL-3" not in desk.rules_open()
    [raised] = desk.decided("ConcernRaised")
    assert (raised.rule, raised.period, raised.in_force.threshold) == ("CON-1", "2026-09", 3)
    assert len(raised.event_ids) == 3 and raised.rule_set_version == 0


@pytest.mark.rule("FOL-4", "ABS-3")
def test_unreported_absence_has_the_guardians_called_the_same_day() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-07T08:30", absence("2026-09-07"))
    reported = Desk()
    reported.fact("receive_notice", "2026-09-07T07:30", notice("2026-09-07"),
                  role=Role.GUARDIAN)
    reported.fact("record_absence", "2026-09-07T08:30", absence("2026-09-07"))

    assert desk.open() == {("FOL-4", "2026-09-07"), ("FOL-5", "2026-09-07")}
    desk.do("log_contact", "2026-09-07T09:00", contact("2026-09-06"))
    assert "FOL-4" in desk.rules_open()  # a contact the day before is not about it
    desk.do("log_contact", "2026-09-07T09:05", contact("2026-09-07"))
    assert desk.rules_open() == ["FOL-5"]
    assert reported.open() == set()


@pytest.mark.rule("FOL-5")
def test_undocumented_absence_has_the_guardians_and_the_leadership_told_the_same_day() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-02T10:00", absence("2026-09-02", 3))

    assert desk.open() == {("FOL-5", "2026-09-02"), ("FOL-7", "2026-09-09")}
    assert sum(1 for r in desk.rules_open() if r == "FOL-5") == 2
    desk.do("inform_leadership", "2026-09-02T12:00", "principal", "Udokumentert time")
    assert desk.rules_open() == ["FOL-5", "FOL-7"]
    desk.fact("receive_notice", "2026-09-02T15:00", notice("2026-09-02", (3,)),
              role=Role.GUARDIAN)
    assert desk.rules_open() == ["FOL-7"]


@pytest.mark.rule("FOL-6", "POL-4")
def test_every_contact_is_logged_with_its_result_the_time_preferred() -> None:
    desk = Desk()
    desk.do("log_contact", "2026-09-07T09:00", contact("2026-09-07", at_time=None))

    without_result = refused(desk.do, "log_contact", "2026-09-07T09:00",
                             contact("2026-09-07", result="  "))

    [logged] = desk.decided("ContactLogged")
    assert logged.contact.at_time is None
    assert (without_result.code, without_result.rule) == ("result_required", "POL-4")


@pytest.mark.rule("FOL-7")
def test_single_lessons_are_discussed_with_the_guardians_within_a_week() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-02T10:00", absence("2026-09-02", 3))

    desk.do("hold_meeting", "2026-09-08T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-09-08T10:00"))

    assert "FOL-7" not in desk.rules_open()
    assert desk.ended("TaskClosed") == ["FOL-7"]


@pytest.mark.rule("FOL-8", "FOL-9")
def test_a_concern_sets_the_conversations_going_within_a_month() -> None:
    desk = Desk()
    concern(desk)

    assert {due for rule, due in desk.open() if rule in ("FOL-8", "FOL-9")} == {"2026-10-03"}
    desk.do("hold_meeting", "2026-09-10T10:00",
            meeting(MeetingKind.PUPIL_CONVERSATION, "2026-09-10T10:00"))
    desk.do("hold_meeting", "2026-09-11T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-09-11T10:00"))
    assert desk.stage == "mapping"
    assert desk.open() >= {("FOL-9", "2026-09-18")}  # the minutes to the guardians
    desk.do("hold_meeting", "2026-09-12T10:00",
            meeting(MeetingKind.JOINT_CONVERSATION, "2026-09-12T10:00"))
    desk.do("send_letter", "2026-09-12T12:00", letter(LetterPurpose.MINUTES))

    assert sorted(desk.ended("TaskClosed")) == ["FOL-8", "FOL-9", "FOL-9", "FOL-9", "FOL-9"]


@pytest.mark.rule("FOL-10", "REF-4")
def test_the_concern_is_taken_to_the_contact_meeting_anonymously_or_with_consent() -> None:
    desk = Desk()
    concern(desk)

    named = refused(desk.do, "hold_meeting", "2026-09-20T10:00",
                    meeting(MeetingKind.CONTACT_MEETING_PPT, "2026-09-20T10:00"))
    desk.do("hold_meeting", "2026-09-20T10:00",
            meeting(MeetingKind.CONTACT_MEETING_PPT, "2026-09-20T10:00", anonymous=True))

    assert (named.code, named.rule) == ("consent_required", "REF-4")
    assert "FOL-10" not in desk.rules_open()


@pytest.mark.rule("FOL-12")
def test_absence_is_taken_up_in_the_development_conversation_without_moving_the_case() -> None:
    desk = Desk()
    desk.do("hold_meeting", "2026-10-01T10:00",
            meeting(MeetingKind.DEVELOPMENT_CONVERSATION, "2026-10-01T10:00",
                    minutes="Fraværet ble tatt opp."))

    [held] = desk.decided("MeetingHeld")
    assert held.meeting.minutes == "Fraværet ble tatt opp."
    assert desk.stage == "registration" and desk.decided("StageChanged") == []


@pytest.mark.rule("FOL-13")
def test_the_agreement_names_each_measure_and_when_it_is_evaluated() -> None:
    desk = Desk()
    desk.do("sign_agreement", "2026-10-05T14:00", agreement(evaluate_by="2026-10-30"))

    skipped = refused(desk.do, "sign_agreement", "2026-10-06T14:00", agreement(version=3))
    no_decision = refused(desk.do, "sign_agreement", "2026-10-06T14:00",
                          agreement(version=2, code="SKOLE-08"))
    no_guardian = refused(desk.do, "sign_agreement", "2026-10-06T14:00",
                          agreement(version=2, code="SKOLE-08", decision="a-1",
                                    signed_by=("teacher-1",)))
    unknown = refused(desk.do, "evaluate_measure", "2026-10-06T14:00",
                      MeasureEvaluation("avtale-1", "m9", MeasureOutcome.WORKED, ""))

    assert desk.stage == "measures"
    assert desk.open() == {("FOL-13", "2026-10-30"), ("FOL-14", "2026-11-05")}
    assert [e.code for e in (skipped, no_decision, no_guardian)] == [
        "agreement_version", "administrative_decision_required", "consent_required"]
    assert unknown.rule == "FOL-13"
    desk.do("evaluate_measure", "2026-10-29T10:00", evaluation(MeasureOutcome.PARTLY))
    assert desk.open() == {("FOL-14", "2026-11-05")}


@pytest.mark.rule("FOL-14")
def test_measures_are_tried_for_about_a_month_before_the_absence_is_persistent() -> None:
    early, month, judged = Desk(), Desk(), Desk()
    for desk in (early, month, judged):
        concern(desk)
        desk.do("sign_agreement", "2026-10-05T14:00", agreement())

    early.do("evaluate_measure", "2026-10-20T10:00", evaluation())
    month.do("evaluate_measure", "2026-11-05T10:00", evaluation())
    judged.do("evaluate_measure", "2026-10-20T10:00", evaluation(), role=Role.PRINCIPAL)

    assert (early.stage, month.stage, judged.stage) == ("measures", "persistent", "persistent")
    early.do("hold_meeting", "2026-10-21T10:00",
             meeting(MeetingKind.PRINCIPAL_MEETING, "2026-10-21T10:00"))
    assert early.stage == "persistent"
    assert "FOL-14" in early.ended("TaskClosed")


@pytest.mark.rule("FOL-15")
def test_a_meeting_the_pupil_did_not_take_part_in_says_why() -> None:
    desk = Desk()

    silent = refused(desk.do, "hold_meeting", "2026-10-01T10:00",
                     meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-10-01T10:00",
                             pupil_participated=False))
    desk.do("hold_meeting", "2026-10-01T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-10-01T10:00",
                    pupil_participated=False, pupil_absent_reason="Syk"))

    assert silent.rule == "FOL-15"
    assert len(desk.decided("MeetingHeld")) == 1


@pytest.mark.rule("FOL-17")
def test_after_the_guardians_conversation_the_child_welfare_assessment_is_recorded() -> None:
    desk = Desk()
    desk.do("hold_meeting", "2026-10-01T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-10-01T10:00",
                    minutes_sent_to_guardians_at=envelope("x", "2026-10-01").occurred_at))

    unreasoned = refused(desk.do, "assess_child_welfare", "2026-10-02T10:00",
                         WelfareAssessment(WelfareDecision.NO_ACTION, " "))
    assert desk.open() == {("FOL-13", "2026-10-15"), ("FOL-17", "2026-10-08")}
    desk.do("assess_child_welfare", "2026-10-02T10:00",
            WelfareAssessment(WelfareDecision.DISCUSS_ANONYMOUSLY, "Drøftes anonymt."))

    assert unreasoned.rule == "FOL-17"
    assert desk.open() == {("FOL-13", "2026-10-15")}


@pytest.mark.rule("FOL-19")
def test_the_guardians_early_warning_opens_the_follow_up_as_a_concern_does() -> None:
    desk = Desk()
    desk.fact("report_school_refusal", "2026-10-01T07:00",
              SchoolRefusalSignal(GUARDIAN, "Må presses for å dra"), role=Role.GUARDIAN)

    assert (desk.stage, desk.case.episode) == ("concern", 1)
    assert desk.rules_open() == CONCERN_TASKS
    assert desk.decided("ConcernRaised") == []


@pytest.mark.rule("FOL-20")
def test_answers_are_to_the_questions_of_the_conversation_guide() -> None:
    desk = Desk()
    question = sorted(guide_questions("pupil_conversation"))[0]
    desk.do("hold_meeting", "2026-10-01T10:00", meeting(
        MeetingKind.PUPIL_CONVERSATION, "2026-10-01T10:00",
        guide_answers=(GuideAnswer(question, "Gym"),)))

    off_guide = refused(desk.do, "hold_meeting", "2026-10-01T11:00", meeting(
        MeetingKind.PUPIL_CONVERSATION, "2026-10-01T11:00",
        guide_answers=(GuideAnswer("Liker du pizza?", "Ja"),)))

    assert off_guide.rule == "FOL-20"


# Concerns, episodes and closing --------------------------------------------------------


@pytest.mark.rule("CON-4", "CON-5")
def test_late_arrivals_and_leaving_again_raise_their_concerns_on_arrival() -> None:
    desk = Desk()
    for day in ("2026-09-01", "2026-09-02", "2026-09-03"):
        desk.fact("record_late_arrival", f"{day}T08:40", LateArrival(date.fromisoformat(day)))
    desk.fact("record_left_school", "2026-09-04T10:00",
              LeftSchool(date(2026, 9, 4), time(10, 0)))

    assert [(c.rule, c.period) for c in desk.decided("ConcernRaised")] == [
        ("CON-4", "2026-09"), ("CON-5", "2026-09-04")]
    assert [s.stage for s in desk.decided("StageChanged")] == ["concern"]


@pytest.mark.rule("CON-3")
def test_an_undocumented_lesson_is_a_concern_only_when_its_day_has_closed() -> None:
    late, reported = Desk(), Desk()
    for desk in (late, reported):
        desk.fact("record_absence", "2026-09-02T10:00", absence("2026-09-02", 3))
    reported.fact("receive_notice", "2026-09-02T16:00", notice("2026-09-02", (3,)),
                  role=Role.GUARDIAN)
    assert late.decided("ConcernRaised") == []

    for desk in (late, reported):
        desk.do("close_day", "2026-09-02T23:59", date(2026, 9, 2), role=Role.SERVICE)
    late.do("close_day", "2026-09-03T00:10", date(2026, 9, 2), role=Role.SERVICE)

    assert [(c.rule, c.period) for c in late.decided("ConcernRaised")] == [
        ("CON-3", "2026-09-02")]
    [closed, _] = late.decided("DayClosed")
    assert len(closed.undocumented) == 1
    assert reported.decided("ConcernRaised") == [] and reported.stage == "registration"


@pytest.mark.rule("CON-1", "FOL-3")
def test_closing_ends_the_episode_and_a_new_concern_opens_the_next() -> None:
    desk = Desk()
    concern(desk)
    desk.do("close_case", "2026-09-04T12:00", "Fulgt opp")
    again = refused(desk.do, "close_case", "2026-09-04T12:05", "Igjen")
    for day in ("2026-10-05", "2026-10-06", "2026-10-07"):
        desk.fact("record_absence", f"{day}T08:30", absence(day))
    reopened = (desk.stage, desk.case.episode)
    desk.do("close_case", "2026-10-08T12:00", "Fulgt opp igjen")

    assert again.code == "already_closed"
    assert reopened == ("concern", 2)
    assert desk.case.tasks == {}
    assert [(s.stage, s.episode) for s in desk.decided("StageChanged")] == [
        ("concern", 1), ("closed", 1), ("concern", 2), ("closed", 2)]
    assert sorted(desk.ended("TaskCancelled")).count("FOL-3") == 2


@pytest.mark.rule("ABS-9", "FOL-4")
def test_a_corrected_absence_cancels_what_it_opened_and_its_replacement_opens_its_own() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-07T08:30", absence("2026-09-07"))
    [wrong] = desk.decided("AbsenceRecorded")

    desk.fact("correct", "2026-09-07T10:00", wrong.envelope.event_id, "Feil dag",
              absence("2026-09-08"), SchoolDays(None))

    assert sorted(desk.ended("TaskCancelled")) == ["FOL-4", "FOL-5"]
    assert desk.open() == {("FOL-4", "2026-09-08"), ("FOL-5", "2026-09-08")}


# Decided once -------------------------------------------------------------------------


@pytest.mark.rule("LAW-2")
def test_a_replayed_case_decides_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk()
    concern(desk)
    desk.do("hold_meeting", "2026-09-10T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-09-10T10:00"))
    events = [e for e in desk.stored if e.originator_id == desk.case.id]

    def never(*args: Any, **kw: Any) -> Any:
        raise AssertionError("a replay decided")

    for name in ("tasks_opened_by", "concern_tasks", "evaluate", "candidate_stage"):
        monkeypatch.setattr(case_module, name, never)
    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed.tasks == desk.case.tasks
    assert (replayed.stage, replayed.episode, replayed.raised) == (
        desk.case.stage, desk.case.episode, desk.case.raised)


@pytest.mark.rule("LAW-2", "FOL-3", "FOL-13", "FOL-16", "FOL-17")
def test_every_deadline_is_a_setting_of_the_rule_set_in_force() -> None:
    book = RuleBook().adopt(RuleSetChange(date(2026, 8, 1), deadlines=(
        ("inform_leadership", Period(days=3)), ("agreement", Period(days=21)),
        ("measures_trial", Period(months=2)))))
    rules = book.on(date(2026, 9, 1))
    desk = Desk(rules)
    concern(desk)
    desk.do("hold_meeting", "2026-09-10T10:00",
            meeting(MeetingKind.GUARDIAN_CONVERSATION, "2026-09-10T10:00"))
    desk.do("sign_agreement", "2026-09-20T10:00", agreement())

    assert rules.version == 1 and book.on(date(2026, 7, 31)).deadlines == Deadlines()
    assert ("FOL-3", "2026-09-06") in desk.open()
    assert ("FOL-14", "2026-11-20") in desk.open()
    assert [t.rule_set_version for t in desk.case.tasks.values()] == [1] * len(desk.case.tasks)
    [agreement_task] = [e.task for e in desk.decided("TaskOpened")
                        if e.task.title.startswith("Skriv samarbeidsavtale")]
    assert agreement_task.due_at.date() == date(2026, 10, 1)
    everything = dataclasses.fields(Deadlines)
    assert len(everything) >= 25 and all(
        isinstance(getattr(Deadlines(), f.name), Period) for f in everything)


@pytest.mark.rule("FOL-16")
def test_the_external_agencies_meeting_has_pupil_guardians_contact_teacher_and_leadership(
) -> None:
    desk = Desk()
    desk.do("give_consent", "2026-10-01T10:00",
            Consent("s-1", GUARDIAN, (Agency.PPT,), "Henvisning"))
    desk.do("refer", "2026-10-01T11:00", referral(Agency.PPT))
    desk.do("hold_meeting", "2026-10-05T10:00",
            meeting(MeetingKind.EXTERNAL_AGENCIES, "2026-10-05T10:00"))
    assert ("FOL-16", "2026-10-15") in desk.open()
    desk.do("hold_meeting", "2026-10-06T10:00",
            meeting(MeetingKind.EXTERNAL_AGENCIES, "2026-10-06T10:00",
                    participants=(*FOL16, Participant("ppt_advisor"))))

    assert "FOL-16" not in desk.rules_open()
    assert desk.stage == "referral"


@pytest.mark.rule("FOL-4")
def test_a_contact_with_the_pupil_is_not_a_contact_with_the_guardians() -> None:
    desk = Desk()
    desk.fact("record_absence", "2026-09-07T08:30", absence("2026-09-07"))

    desk.do("log_contact", "2026-09-07T09:00",
            contact("2026-09-07", relation=ContactedRelation.PUPIL))

    assert "FOL-4" in desk.rules_open()


@pytest.mark.rule("LAW-2")
def test_a_rule_set_without_changes_is_the_guidelines() -> None:
    assert RuleBook().on(date(2026, 9, 1)) == RuleSet()
