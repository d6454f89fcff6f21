"""A realistic case for the case presentation (issue 12): one pupil with two named guardians,
days and lessons of absence, notices and a doctor's note, contacts (one late in the evening
UTC, after midnight in Oslo), letters, meetings, agreements with evaluations, consents,
referrals, a welfare assessment, a concern report, leave, a diploma request, a deadline
missed, forwarding to the municipal director and the police decision.

The clock moves with the case, so tasks open, close and go overdue as they would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient

from services.bootstrap import Service, build
from services.config import Settings
from tests.support import http, tokens
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
    decided_leave,
    enrolled,
    exclusion_requested,
    new_pupil,
    notice,
)

OSLO = ZoneInfo("Europe/Oslo")
NAME = "Máret Čuđi Ŋuolga"
MOTHER, FATHER = "Sára Čuđi", "Ánde Ŋuolga"
LATE_CONTACT = "2026-10-05T22:30:00+00:00"
"""A contact at 00:30 on 6 October in Oslo: the date people read is the 6th."""
PRINCIPAL = tokens.bearer(tokens.staff("principal", person="rektor-1"))
STAFF = {"principal": "rektor-1", "municipal_director": "kommunedirektor-1",
         "contact_teacher": "teacher-1"}
"""The id each role acts under in this case (the builders all act as "platform")."""


def ts(moment: str) -> str:
    """A local (Oslo) moment as RFC 3339 with its offset."""
    return datetime.fromisoformat(moment).replace(tzinfo=OSLO).isoformat()


class Municipality:
    """The service of one municipality, with a clock the case moves."""

    def __init__(self, tmp_path: Path, settings: dict[str, str] | None = None) -> None:
        self.now = datetime(2026, 8, 20, 8, 0, tzinfo=OSLO)
        self.service: Service = build(Settings.from_environ(
            settings or {"SQLITE_DBNAME": str(tmp_path / "kommune.sqlite"), **tokens.ENVIRON}),
            clock=self.clock, with_relay=False)
        self.client: FlaskClient = http.client(self.service)

    def clock(self) -> datetime:
        return self.now

    def at(self, moment: str, *events: dict[str, Any]) -> None:
        """Post ``events`` at ``moment`` (Oslo time); the clock records deadlines passed."""
        self.now = datetime.fromisoformat(moment).replace(tzinfo=OSLO)
        for event in events:
            role = event["actor"]["role"]
            event["actor"] = {"id": STAFF.get(role, event["actor"]["id"]), "role": role}
        if events:
            outcomes = self.service.ingestor.ingest(list(events))
            rejected = [o for o in outcomes if o.status != "accepted"]
            assert not rejected, rejected
        self.service.pupil_views.catch_up()
        for clock in self.service.clocks:
            clock.run_once()
        self.service.pupil_views.catch_up()

    def dossier(self, pupil: str, accept: str) -> Any:
        response = self.client.get(f"/v1/pupils/{pupil}/dossier",
                                   headers={**PRINCIPAL, "Accept": accept})
        assert response.status_code == 200, response.data[:300]
        return response

    def close(self) -> None:
        self.service.close()


def realistic_case(office: Municipality) -> str:
    """Posts the case; answers the pupil id."""
    p = new_pupil()
    at: Callable[..., None] = office.at
    at("2026-09-01T09:00", calendar(), enrolled(p, more={
        "name": NAME, "national_id": "01011012384", "guardians": [
            {"guardian_id": "guardian-1", "relation": "mother", "name": MOTHER},
            {"guardian_id": "guardian-2", "relation": "father", "name": FATHER}]}))
    # The first absence, not reported: the same-day call (FOL-4) is made the next morning.
    at("2026-09-07T08:30", absent(p, "2026-09-07", occurred_at=ts("2026-09-07T08:30")))
    at("2026-09-08T09:00", contact(p, ts("2026-09-08T08:40"), reached=False,
                                   result="Ingen svar; talemelding lagt igjen.",
                                   occurred_at=ts("2026-09-08T08:40")))
    at("2026-09-21T09:00",
       notice(p, "2026-09-14", occurred_at=ts("2026-09-14T07:30")),
       absent(p, "2026-09-14", occurred_at=ts("2026-09-14T08:30")),
       notice(p, "2026-09-21", occurred_at=ts("2026-09-21T07:30")),
       absent(p, "2026-09-21", occurred_at=ts("2026-09-21T08:30")))
    at("2026-09-21T12:00", leadership_informed(p, ts("2026-09-21T12:00")))
    at("2026-09-22T12:00",
       absent(p, "2026-09-22", period=3, occurred_at=ts("2026-09-22T10:30")),
       absent(p, "2026-09-22", period=4, occurred_at=ts("2026-09-22T11:30")))
    at("2026-09-30T15:00",
       meeting(p, "pupil_conversation", ts("2026-09-28T10:00")),
       meeting(p, "guardian_conversation", ts("2026-09-29T10:00"),
               minutes_sent_to_guardians_at=ts("2026-09-29T15:00")),
       meeting(p, "joint_conversation", ts("2026-09-30T10:00")))
    at("2026-10-02T14:00",
       pupil_event("ChildWelfareAssessmentRecorded", p, ts("2026-10-01T10:00"),
                   decision="discuss_anonymously",
                   reasons="Ingen mistanke om omsorgssvikt; drøftes anonymt."),
       meeting(p, "contact_meeting_ppt", ts("2026-10-02T13:00"), anonymous=True))
    at("2026-10-05T14:00", agreement(p, ts("2026-10-05T14:00"), evaluate_by="2026-10-30",
                                     agreement_id=f"avtale-{p[:8]}"))
    late = contact(p, LATE_CONTACT, relation="father", role="principal",
                   result="Far sier eleven blir holdt hjemme.", occurred_at=LATE_CONTACT)
    late["data"].update(information_obtained="Familien vil ikke ha hjelp.",
                        made_by={"id": "rektor-1", "role": "principal"},
                        contacted={"relation": "father", "guardian_id": "guardian-2"})
    at("2026-10-06T08:00", late)
    at("2026-10-12T15:00", *[absent(p, day, occurred_at=ts(f"{day}T08:30")) for day in (
        "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-12")],
       certificate(p, "2026-10-08", "2026-10-09", occurred_at=ts("2026-10-12T14:00")),
       letter(p, ts("2026-10-12T15:00")))
    at("2026-11-05T12:00", measure_evaluated(ts("2026-11-02T12:00"),
                                             agreement_id=f"avtale-{p[:8]}"),
       meeting(p, "principal_meeting", ts("2026-11-05T10:00")))
    at("2026-11-06T10:00", consent(p, ts("2026-11-05T11:00"), "consultation_team"),
       referral(p, ts("2026-11-06T10:00"), "consultation_team", f"team-{p[:8]}"))
    at("2026-11-10T10:00", invitation(f"team-{p[:8]}", ts("2026-11-10T10:00"),
                                      ts("2026-11-17T09:00")),
       applied_for_leave(p, f"perm-{p[:8]}", "2026-11-23", "2026-11-24",
                         occurred_at=ts("2026-11-10T10:00")))
    at("2026-11-12T10:00", decided_leave(f"perm-{p[:8]}", "rejected",
                                         reasons="Fraværet er allerede høyt.", overrides=True,
                                         occurred_at=ts("2026-11-12T10:00")))
    at("2026-11-17T11:00", meeting(p, "consultation_1", ts("2026-11-17T09:00"),
                                   pupil_input="Vil ha fast plass i klasserommet."),
       *[absent(p, day, occurred_at=ts(f"{day}T08:30")) for day in (
           "2026-11-13", "2026-11-16", "2026-11-17")])
    at("2026-11-20T13:00",
       letter(p, ts("2026-11-20T10:00"), "meeting_summons", legal_basis=False),
       contact(p, ts("2026-11-20T12:15"), relation="mother", channel="home_visit",
               result="Mor åpnet ikke.", reached=False, occurred_at=ts("2026-11-20T12:15")))
    at("2026-11-25T10:00",
       pupil_event("ConcernReportSent", p, ts("2026-11-25T10:00"), to="child_welfare",
                   grounds="Foresatte holder eleven hjemme over tid.",
                   document_ref="bekymringsmelding-1"),
       exclusion_requested(p, f"vitnemal-{p[:8]}", ["2026-10-08", "2026-10-09"],
                           occurred_at=ts("2026-11-25T10:00")))
    at("2027-01-15T10:00", letter(p, ts("2027-01-15T10:00")))
    at("2027-01-20T10:00", pupil_event("CaseForwardedToMunicipalDirector", p,
                                       ts("2027-01-20T10:00"),
                                       presentation_ref="saksfremstilling-2027-4"))
    at("2027-02-01T10:00", pupil_event(
        "PoliceReportDecided", p, ts("2027-02-01T10:00"), role="municipal_director",
        decision="report", reasons="Foresatte holder eleven hjemme (opplæringslova § 2-2)."))
    return p
