"""How long a pupil's data is kept, and the record that it was disposed of (PRIV-4).

This service is the school's working tool, not the municipality's archive: what has
archival value (decisions, the follow-up's documentation in the pupil's folder, reports to
other agencies) is journaled into the municipality's records system as the case goes
(arkivlova § 6, arkivforskrifta §§ 9-10), and the archive keeps it under the Riksarkivar's
rules for disposal (arkivforskrifta § 14, riksarkivarens forskrift kap. 7). What stays
here is kept only as long as the school needs it for the purpose it was collected for
(personvernforordningen art. 5 nr. 1 bokstav e; opplæringslova §§ 10-6 and 12-2 on the
follow-up of absence and the pupil's folder), then disposed of by crypto-shredding: the
pupil's data key is destroyed, so the stored events can no longer be read, while the
tamper-evident log over their ciphertext stays whole.

Each contract event type has a retention class; a pupil is due for disposal when every
class the pupil has events of has run its course since the pupil's last such event. The
periods below are defaults: a municipality sets its own (its archive plan decides), per
class, in ``SKOLEFRAVAER_RETENTION_YEARS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RetentionClass(StrEnum):
    PUPIL_RECORD = "pupil_record"
    ABSENCE_RECORD = "absence_record"
    DECISION = "decision"
    FOLLOW_UP = "follow_up"
    SAFEGUARDING = "safeguarding"


@dataclass(frozen=True)
class Retention:
    years: int
    basis: str


DEFAULTS: Mapping[RetentionClass, Retention] = {
    RetentionClass.PUPIL_RECORD: Retention(3, "Enrolment and departure: needed while the pupil "
                                              "attends and to answer for the follow-up after; "
                                              "the pupil's folder itself is archived "
                                              "(arkivforskrifta § 14)."),
    RetentionClass.ABSENCE_RECORD: Retention(3, "Absence, notices and certificates: the "
                                                "diploma counts absence from grade 8 to 10 "
                                                "(opplæringslova § 10-6 with forskrift § 3-"
                                                "47); kept past the last school year it can "
                                                "count in."),
    RetentionClass.DECISION: Retention(5, "Leave and diploma decisions are individual "
                                          "decisions (forvaltningsloven § 2), journaled and "
                                          "archived (arkivlova § 6); the working copy serves "
                                          "complaints and the follow-up."),
    RetentionClass.FOLLOW_UP: Retention(5, "The follow-up's documentation belongs in the "
                                           "pupil's folder (opplæringslova § 12-2; guideline "
                                           "§ 10: 'dokumentasjon oppbevares i den digitale "
                                           "elevmappen'), which the archive keeps."),
    RetentionClass.SAFEGUARDING: Retention(10, "Reports to child welfare and the police "
                                               "(barnevernsloven § 13-2) are archived by the "
                                               "receiving agency as well; kept longest here "
                                               "to answer for what was reported."),
}

_BY_TYPE: Mapping[str, RetentionClass] = {
    **dict.fromkeys(("PupilEnrolled", "PupilLeft"), RetentionClass.PUPIL_RECORD),
    **dict.fromkeys(("AbsenceRecorded", "LateArrivalRecorded", "LeftSchoolRecorded",
                     "AbsenceNoticeReceived", "MedicalCertificateReceived", "RecordCorrected",
                     "AbsenceReviewCompleted", "SchoolRefusalSignalReported"),
                    RetentionClass.ABSENCE_RECORD),
    **dict.fromkeys(("LeaveApplied", "LeaveDecided", "DiplomaExclusionRequested",
                     "CauseAttachmentRequested", "ExtendedTravelPlanned"),
                    RetentionClass.DECISION),
    **dict.fromkeys(("ConcernReportSent", "SafeguardingConcernRecorded",
                     "ChildWelfareAssessmentRecorded", "PoliceReportDecided",
                     "WhereaboutsUnknownReported", "PopulationRegisterChecked",
                     "PupilLocated", "MovingNoticeSent", "NavNotified"),
                    RetentionClass.SAFEGUARDING),
}


def retention_class(event_type: str) -> RetentionClass:
    """The class of a contract event type (PRIV-4); everything else the case records or
    decides (meetings, contacts, tasks, stages) is the follow-up's documentation."""
    return _BY_TYPE.get(event_type, RetentionClass.FOLLOW_UP)


@dataclass(frozen=True)
class RetentionPolicy:
    """The periods a municipality keeps each class for: its own where it set them, else the
    defaults."""

    overrides: Mapping[str, Mapping[RetentionClass, int]]

    @classmethod
    def of(cls, configured: Mapping[str, Mapping[str, int]]) -> RetentionPolicy:
        """From ``SKOLEFRAVAER_RETENTION_YEARS``; an unknown class name raises ValueError."""
        return cls({tenant: {RetentionClass(name): years for name, years in periods.items()}
                    for tenant, periods in configured.items()})

    def years(self, tenant: str, cls: RetentionClass) -> int:
        return self.overrides.get(tenant, {}).get(cls, DEFAULTS[cls].years)

    def due(self, tenant: str, last_by_type: Iterable[tuple[str, datetime]]) -> tuple[
            datetime, RetentionClass]:
        """When a pupil's data is due for disposal, given the last time each event type was
        recorded for the pupil, and the class that holds it longest."""
        ends = [(_add_years(at, self.years(tenant, retention_class(t))), retention_class(t))
                for t, at in last_by_type]
        return max(ends)


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)
