"""What is recorded in a pupil's follow-up case (oppfølgingssak): contacts, letters,
meetings, agreements, consents, referrals, and the whereabouts-unknown procedure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from domain.envelope import Actor


class Agency(StrEnum):
    """Who a case can be referred to or discussed with (REF-1, CT-1)."""

    CONSULTATION_TEAM = "consultation_team"  # konsultasjonsteam: PPT + Læringsmiljøteamet
    PPT = "ppt"
    BUP = "bup"
    CHILD_WELFARE = "child_welfare"  # barnevern
    FAMILY_SERVICES = "family_services"
    FAMILY_COUNSELLING = "family_counselling"  # familievernkontoret


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    HOME_VISIT = "home_visit"
    MEETING = "meeting"
    APP = "app"


class ContactedRelation(StrEnum):
    MOTHER = "mother"
    FATHER = "father"
    GUARDIAN = "guardian"
    PUPIL = "pupil"
    OTHER = "other"


@dataclass(frozen=True)
class Contacted:
    relation: ContactedRelation
    guardian_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Contact:
    """POL-4: who made contact, who was contacted, when, how, and what came of it."""

    contact_id: str
    made_by: Actor
    contacted: Contacted
    on: date
    at_time: time | None  # "preferably time": a contact without one is kept, and flagged
    channel: ContactChannel
    reached: bool
    result: str
    information_obtained: str | None = None


class LetterPurpose(StrEnum):
    DUTY_OF_EDUCATION = "duty_of_education"
    MEETING_SUMMONS = "meeting_summons"
    MINUTES = "minutes"
    DECISION = "decision"
    OTHER = "other"


class LetterChannel(StrEnum):
    POST = "post"
    EMAIL = "email"
    DIGITAL_MAILBOX = "digital_mailbox"


@dataclass(frozen=True)
class Letter:
    letter_id: str
    recipients: tuple[str, ...]
    channel: LetterChannel
    purpose: LetterPurpose
    states_legal_basis: bool  # POL-2
    states_criminal_liability: bool  # POL-2
    document_ref: str


class MeetingKind(StrEnum):
    PUPIL_CONVERSATION = "pupil_conversation"
    GUARDIAN_CONVERSATION = "guardian_conversation"
    JOINT_CONVERSATION = "joint_conversation"
    CONTACT_MEETING_PPT = "contact_meeting_ppt"
    GRADE_TEAM_REVIEW = "grade_team_review"
    DEVELOPMENT_CONVERSATION = "development_conversation"
    CONSULTATION_1 = "consultation_1"
    CONSULTATION_2 = "consultation_2"
    CONSULTATION_3 = "consultation_3"
    EXTERNAL_AGENCIES = "external_agencies"
    PRINCIPAL_MEETING = "principal_meeting"
    SCHOOL_HEALTH_CONVERSATION = "school_health_conversation"  # SAFE-2


CONSULTATIONS = (MeetingKind.CONSULTATION_1, MeetingKind.CONSULTATION_2,
                 MeetingKind.CONSULTATION_3)


class Conclusion(StrEnum):
    """What a consultation concluded (CT-5, CT-6), written into the agreement."""

    CONTINUE = "continue"
    REFER = "refer"
    CLOSE = "close"


@dataclass(frozen=True)
class Participant:
    role: str
    id: str | None = None


@dataclass(frozen=True)
class GuideAnswer:
    """An answer to one question of a conversation guide (FOL-20)."""

    question: str
    answer: str


class HealthServiceMatter(StrEnum):
    """PRIV-5: what the school health service was notified about — a category, never the
    health details themselves (those stay in the service's own health record)."""

    EXTENDED_TRAVEL = "extended_travel"  # SAFE-1
    SAFEGUARDING_CONCERN = "safeguarding_concern"  # SAFE-2
    LONG_ABSENCE = "long_absence"
    SCHOOL_REFUSAL = "school_refusal"
    OTHER = "other"


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    kind: MeetingKind
    at: datetime
    participants: tuple[Participant, ...]
    pupil_participated: bool  # FOL-15
    anonymous: bool
    minutes: str | None  # PRIV-5: None for the school health service's conversation
    pupil_absent_reason: str | None = None
    guide_answers: tuple[GuideAnswer, ...] = ()
    minutes_sent_to_guardians_at: datetime | None = None
    conclusion: Conclusion | None = None
    pupil_input: str | None = None  # CT-3: the pupil's own input, before the meeting ends


@dataclass(frozen=True)
class AgreedMeasure:
    measure_id: str
    text: str
    responsible_role: str
    evaluate_by: date
    catalogue_code: str | None = None
    administrative_decision_ref: str | None = None  # the 25 % rule (FOL-13)


@dataclass(frozen=True)
class Agreement:
    """The collaboration agreement (samarbeidsavtale, FOL-13), one version."""

    agreement_id: str
    version: int
    goals: str
    measures: tuple[AgreedMeasure, ...]
    signed_by: tuple[str, ...]
    pupil_input: str


class MeasureOutcome(StrEnum):
    WORKED = "worked"
    PARTLY = "partly"
    DID_NOT_WORK = "did_not_work"


@dataclass(frozen=True)
class MeasureEvaluation:
    agreement_id: str
    measure_id: str
    outcome: MeasureOutcome
    notes: str


@dataclass(frozen=True)
class Consent:
    """The guardians' consent (samtykke) to involve agencies by name (REF-4)."""

    consent_id: str
    guardian_id: str
    scope: tuple[Agency, ...]
    purpose: str


class WelfareDecision(StrEnum):
    SEND_CONCERN_REPORT = "send_concern_report"
    DISCUSS_ANONYMOUSLY = "discuss_anonymously"
    NO_ACTION = "no_action"


@dataclass(frozen=True)
class WelfareAssessment:
    """FOL-17: after the guardians' conversation, whether child welfare is involved."""

    decision: WelfareDecision
    reasons: str


class Via(StrEnum):
    GP = "gp"  # fastlege
    CHILD_WELFARE = "child_welfare"


class Grounds(StrEnum):
    """REF-1: what points a case to which agency."""

    NEGLECT = "neglect"
    MENTAL_DISORDER = "mental_disorder"
    GUARDIAN_CONFLICT = "guardian_conflict"
    OTHER = "other"


@dataclass(frozen=True)
class Attachment:
    kind: str
    ref: str


@dataclass(frozen=True)
class Referral:
    referral_id: str
    to: Agency
    attachments: tuple[Attachment, ...]
    via: Via | None = None
    grounds: Grounds | None = None


class ReportRecipient(StrEnum):
    CHILD_WELFARE = "child_welfare"
    POLICE = "police"


@dataclass(frozen=True)
class ConcernReport:
    to: ReportRecipient
    grounds: str
    document_ref: str


class PoliceDecision(StrEnum):
    REPORT = "report"
    NO_REPORT = "no_report"


class RegisterResult(StrEnum):
    ADDRESS_CONFIRMED = "address_confirmed"
    ADDRESS_CHANGED = "address_changed"
    EMIGRATED = "emigrated"
    NO_RECORD = "no_record"


class Route(StrEnum):
    """MISS-3: other routes to find a pupil, each recorded when tried."""

    SCHOOL_HEALTH = "school_health"
    CHILD_WELFARE_CONTACT = "child_welfare_contact"
    KINDERGARTEN_OR_SCHOOL = "kindergarten_or_school"
    EMPLOYER = "employer"
    POLICE_CONTACT = "police_contact"
    TAX_OFFICE = "tax_office"
    NAV = "nav"


class Whereabouts(StrEnum):
    """MISS-5: the four outcomes."""

    CONTINUES_IN_NORWAY = "continues_in_norway"
    MOVED_MUNICIPALITY = "moved_municipality"
    ABROAD = "abroad"
    NOT_FOUND = "not_found"


class ConfirmationAbout(StrEnum):
    MOVED = "moved"
    ABROAD = "abroad"
