"""The consultation team (CT) and referrals to other agencies (REF) on the case aggregate."""

from __future__ import annotations

from typing import Any

import pytest

from domain.case_records import (
    Agency,
    Attachment,
    ConcernReport,
    Conclusion,
    Consent,
    Grounds,
    MeetingKind,
    Participant,
    ReportRecipient,
    Via,
)
from domain.envelope import Role
from tests.support.casework import GUARDIAN, Desk, envelope, meeting, referral, refused

BUP = (Attachment("minutes", "r1"), Attachment("problem_description", "r2"),
       Attachment("measures_tried", "r3"))


def consent(*scope: Agency, consent_id: str = "s-1", guardian: str = GUARDIAN) -> Consent:
    return Consent(consent_id, guardian, scope, "Henvisning")


def with_team(desk: Desk, referral_id: str = "team-1") -> None:
    desk.do("give_consent", "2026-11-05T10:00", consent(Agency.CONSULTATION_TEAM))
    desk.do("refer", "2026-11-06T10:00", referral(Agency.CONSULTATION_TEAM, referral_id))


def consultation(desk: Desk, kind: MeetingKind, at: str, **extra: Any) -> None:
    desk.do("hold_meeting", at, meeting(kind, at, **extra))


@pytest.mark.rule("CT-1", "REF-4")
def test_the_school_refers_to_the_team_with_consent_and_the_guardians_without() -> None:
    school, guardians = Desk(), Desk()

    unconsented = refused(school.do, "refer", "2026-11-06T10:00",
                          referral(Agency.CONSULTATION_TEAM))
    guardians.do("refer", "2026-11-06T10:00", referral(Agency.CONSULTATION_TEAM),
                 role=Role.GUARDIAN)
    before_referral = refused(school.do, "hold_meeting", "2026-11-07T10:00",
                              meeting(MeetingKind.CONSULTATION_1, "2026-11-07T10:00",
                                      pupil_input="x"))

    assert (unconsented.code, unconsented.rule) == ("consent_required", "REF-4")
    assert guardians.stage == "consultation_team"
    assert before_referral.rule == "CT-1"


@pytest.mark.rule("CT-2")
def test_the_team_invites_within_ten_days_of_the_referral() -> None:
    desk = Desk()
    with_team(desk)
    desk.do("refer", "2026-11-06T11:00", referral(Agency.PPT, "ppt-1"),
            role=Role.GUARDIAN)

    assert ("CT-2", "2026-11-16") in desk.open()
    wrong = refused(desk.do, "invite_to_consultation", "2026-11-10T10:00", "ppt-1",
                    envelope("x", "2026-11-17T09:00").occurred_at)
    desk.do("invite_to_consultation", "2026-11-10T10:00", "team-1",
            envelope("x", "2026-11-17T09:00").occurred_at)

    assert wrong.rule == "CT-2"
    assert ("CT-2", "2026-11-16") not in desk.open()
    assert ("CT-3", "2026-11-17") in desk.open()


@pytest.mark.rule("CT-3")
def test_the_first_consultation_records_the_pupils_input_and_the_agreement_follows() -> None:
    desk = Desk()
    with_team(desk)

    silent = refused(desk.do, "hold_meeting", "2026-11-17T09:00",
                     meeting(MeetingKind.CONSULTATION_1, "2026-11-17T09:00"))
    consultation(desk, MeetingKind.CONSULTATION_1, "2026-11-17T09:00",
                 pupil_input="Fast plass i klasserommet")

    assert silent.rule == "CT-3"
    assert {("CT-3", "2026-11-24"), ("CT-4", "2026-12-08")} <= desk.open()


@pytest.mark.rule("CT-4")
def test_the_second_consultation_follows_the_first_after_two_to_three_weeks() -> None:
    desk = Desk()
    with_team(desk)

    early = refused(desk.do, "hold_meeting", "2026-11-17T09:00",
                    meeting(MeetingKind.CONSULTATION_2, "2026-11-17T09:00",
                            conclusion=Conclusion.CONTINUE))
    consultation(desk, MeetingKind.CONSULTATION_1, "2026-11-17T09:00", pupil_input="Ja")
    consultation(desk, MeetingKind.CONSULTATION_2, "2026-12-08T09:00",
                 conclusion=Conclusion.CLOSE)

    assert early.rule == "CT-4"
    assert "CT-4" in desk.ended("TaskClosed")


@pytest.mark.rule("CT-5")
def test_the_second_consultation_concludes_and_a_referral_onward_is_a_task() -> None:
    desk = Desk()
    with_team(desk)
    consultation(desk, MeetingKind.CONSULTATION_1, "2026-11-17T09:00", pupil_input="Ja")
    desk.do("submit_written_evaluation", "2026-12-06T09:00", "team-1", "evaluering-1")

    unconcluded = refused(desk.do, "hold_meeting", "2026-12-08T09:00",
                          meeting(MeetingKind.CONSULTATION_2, "2026-12-08T09:00"))
    unknown = refused(desk.do, "submit_written_evaluation", "2026-12-06T09:00", "nope", "e")
    consultation(desk, MeetingKind.CONSULTATION_2, "2026-12-08T09:00",
                 conclusion=Conclusion.REFER)

    assert (unconcluded.rule, unknown.rule) == ("CT-5", "CT-5")
    assert {("CT-5", "2026-12-15"), ("CT-5", "2026-12-22")} <= desk.open()
    assert desk.stage == "referral"


@pytest.mark.rule("CT-6")
def test_a_third_consultation_only_after_a_second_that_continued() -> None:
    closing, continuing = Desk(), Desk()
    for desk, conclusion in ((closing, Conclusion.CLOSE), (continuing, Conclusion.CONTINUE)):
        with_team(desk)
        consultation(desk, MeetingKind.CONSULTATION_1, "2026-11-17T09:00", pupil_input="Ja")
        consultation(desk, MeetingKind.CONSULTATION_2, "2026-12-08T09:00",
                     conclusion=conclusion)

    not_continued = refused(closing.do, "hold_meeting", "2026-12-29T09:00",
                            meeting(MeetingKind.CONSULTATION_3, "2026-12-29T09:00",
                                    conclusion=Conclusion.CLOSE))
    assert ("CT-6", "2026-12-29") in continuing.open()
    consultation(continuing, MeetingKind.CONSULTATION_3, "2026-12-29T09:00",
                 conclusion=Conclusion.CLOSE)
    repeated = refused(continuing.do, "hold_meeting", "2026-12-30T09:00",
                       meeting(MeetingKind.CONSULTATION_3, "2026-12-30T09:00",
                               conclusion=Conclusion.CLOSE))

    assert (not_continued.rule, repeated.rule) == ("CT-6", "CT-6")
    assert ("CT-6", "2026-12-29") not in continuing.open()


@pytest.mark.rule("CT-7", "REF-4")
def test_guardians_who_decline_the_team_refer_to_single_agencies_with_consent() -> None:
    desk = Desk()
    desk.do("give_consent", "2026-11-01T10:00", consent(Agency.CONSULTATION_TEAM))
    desk.do("withdraw_consent", "2026-11-02T10:00", "s-1", GUARDIAN)

    declined = refused(desk.do, "refer", "2026-11-03T10:00",
                       referral(Agency.CONSULTATION_TEAM))
    withdrawn_twice = refused(desk.do, "withdraw_consent", "2026-11-03T10:00", "s-1",
                              GUARDIAN)
    desk.do("give_consent", "2026-11-04T10:00", consent(Agency.PPT, consent_id="s-2"))
    desk.do("refer", "2026-11-05T10:00", referral(Agency.PPT))

    assert "CT-7" in declined.detail and withdrawn_twice.rule == "REF-4"
    assert desk.stage == "referral"
    assert ("FOL-16", "2026-11-19") in desk.open()


@pytest.mark.rule("REF-1")
def test_each_concern_goes_to_its_agency() -> None:
    desk = Desk()
    desk.do("give_consent", "2026-11-01T10:00",
            consent(Agency.BUP, Agency.CHILD_WELFARE, Agency.FAMILY_COUNSELLING))

    wrong = refused(desk.do, "refer", "2026-11-02T10:00",
                    referral(Agency.BUP, grounds=Grounds.NEGLECT, via=Via.GP, attachments=BUP))
    desk.do("refer", "2026-11-02T10:00", referral(Agency.CHILD_WELFARE, grounds=Grounds.NEGLECT))
    desk.do("refer", "2026-11-02T10:00",
            referral(Agency.FAMILY_COUNSELLING, grounds=Grounds.GUARDIAN_CONFLICT))

    assert (wrong.code, wrong.rule) == ("wrong_agency", "REF-1")
    assert len(desk.decided("ReferralMade")) == 2


@pytest.mark.rule("REF-2", "REF-4")
def test_a_concern_report_to_child_welfare_needs_no_consent_and_involves_it() -> None:
    desk = Desk()
    desk.do("send_concern_report", "2026-11-01T10:00",
            ConcernReport(ReportRecipient.CHILD_WELFARE, "Mistanke om omsorgssvikt", "m-1"))

    assert desk.stage == "referral"
    assert desk.open() == {("FOL-16", "2026-11-15")}
    [opened] = desk.decided("TaskOpened")
    assert opened.task.legal_basis == "opplæringslova § 10-6"


@pytest.mark.rule("REF-3")
def test_a_bup_referral_goes_via_the_gp_or_child_welfare_with_its_attachments() -> None:
    desk = Desk()
    desk.do("give_consent", "2026-11-01T10:00", consent(Agency.BUP))

    direct = refused(desk.do, "refer", "2026-11-02T10:00", referral(Agency.BUP, attachments=BUP))
    thin = refused(desk.do, "refer", "2026-11-02T10:00",
                   referral(Agency.BUP, via=Via.GP, attachments=BUP[:2]))
    desk.do("refer", "2026-11-02T10:00",
            referral(Agency.BUP, via=Via.CHILD_WELFARE, attachments=BUP))

    assert (direct.code, thin.code) == ("via_required", "attachments_required")
    assert direct.rule == thin.rule == "REF-3"


@pytest.mark.rule("REF-4")
def test_consent_is_the_guardians_and_a_named_meeting_with_an_agency_needs_it() -> None:
    desk = Desk()

    stranger = refused(desk.do, "give_consent", "2026-11-01T10:00",
                       consent(Agency.PPT, guardian="someone-else"))
    named = refused(desk.do, "hold_meeting", "2026-11-02T10:00",
                    meeting(MeetingKind.EXTERNAL_AGENCIES, "2026-11-02T10:00",
                            participants=(Participant("contact_teacher"),
                                          Participant("child_welfare_contact"))))
    desk.do("hold_meeting", "2026-11-02T10:00",
            meeting(MeetingKind.EXTERNAL_AGENCIES, "2026-11-02T10:00", anonymous=True,
                    participants=(Participant("child_welfare_contact"),)))
    desk.do("give_consent", "2026-11-03T10:00", consent(Agency.PPT))
    desk.do("hold_meeting", "2026-11-04T10:00",
            meeting(MeetingKind.CONTACT_MEETING_PPT, "2026-11-04T10:00"))

    assert stranger.code == "not_a_guardian"
    assert (named.code, named.rule, named.field) == ("consent_required", "REF-4",
                                                     "data.anonymous")
    assert len(desk.decided("MeetingHeld")) == 2
