"""The integration contract for the follow-up case (EVENTS.md "Follow-up and cases" and
"Whereabouts unknown, abroad, safeguarding") as marshmallow schemas."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from domain.case_records import (
    Agency,
    Conclusion,
    ConfirmationAbout,
    ContactChannel,
    ContactedRelation,
    Grounds,
    LetterChannel,
    LetterPurpose,
    MeasureOutcome,
    MeetingKind,
    PoliceDecision,
    RegisterResult,
    ReportRecipient,
    Route,
    Via,
    WelfareDecision,
    Whereabouts,
)
from domain.envelope import Role

TEXT = validate.Length(min=1, max=20_000)


class DateOrDateTime(fields.Field):  # type: ignore[type-arg]
    """POL-4 asks for the date and "preferably" the time: both forms are accepted."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> tuple[date, time | None]:
        if not isinstance(value, str):
            raise ValidationError("must be a date or an RFC 3339 date-time")
        try:
            if "T" in value:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValidationError("a date-time needs its offset")
                return moment.date(), moment.timetz()
            return date.fromisoformat(value), None
        except ValueError:
            raise ValidationError("must be a date or an RFC 3339 date-time") from None


class PupilData(Schema):
    pupil_id = fields.UUID(required=True)


class MadeBySchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1))
    role = fields.Enum(Role, by_value=True, required=True)


class ContactedSchema(Schema):
    relation = fields.Enum(ContactedRelation, by_value=True, required=True)
    guardian_id = fields.String(load_default=None)
    name = fields.String(load_default=None)


class ContactLoggedSchema(PupilData):
    """POL-4: who made contact, who was contacted, when, and the result — all required."""

    contact_id = fields.String(required=True, validate=validate.Length(min=1))
    made_by = fields.Nested(MadeBySchema, required=True)
    contacted = fields.Nested(ContactedSchema, required=True)
    at = DateOrDateTime(required=True)
    channel = fields.Enum(ContactChannel, by_value=True, required=True)
    reached = fields.Boolean(required=True)
    result = fields.String(required=True, validate=TEXT)
    information_obtained = fields.String(load_default=None)


class LetterSentSchema(PupilData):
    letter_id = fields.String(required=True)
    recipients = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    channel = fields.Enum(LetterChannel, by_value=True, required=True)
    purpose = fields.Enum(LetterPurpose, by_value=True, required=True)
    states_legal_basis = fields.Boolean(required=True)
    states_criminal_liability = fields.Boolean(required=True)
    document_ref = fields.String(required=True)


class ParticipantSchema(Schema):
    id = fields.String(load_default=None)
    role = fields.String(required=True)


class GuideAnswerSchema(Schema):
    question = fields.String(required=True)
    answer = fields.String(required=True)


class MeetingHeldSchema(PupilData):
    meeting_id = fields.String(required=True)
    kind = fields.Enum(MeetingKind, by_value=True, required=True)
    at = fields.AwareDateTime(required=True)
    participants = fields.List(fields.Nested(ParticipantSchema), required=True)
    pupil_participated = fields.Boolean(required=True)
    pupil_absent_reason = fields.String(load_default=None)
    anonymous = fields.Boolean(load_default=False)
    minutes = fields.String(required=True, validate=TEXT)
    guide_answers = fields.List(fields.Nested(GuideAnswerSchema), load_default=list)
    minutes_sent_to_guardians_at = fields.AwareDateTime(load_default=None)
    conclusion = fields.Enum(Conclusion, by_value=True, load_default=None)
    pupil_input = fields.String(load_default=None)


class LeadershipInformedSchema(PupilData):
    informed_role = fields.String(required=True)
    about = fields.String(required=True, validate=TEXT)


class AbsenceReviewCompletedSchema(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(
        ["pupil", "class", "grade", "school"]))
    scope_id = fields.String(required=True)
    school_id = fields.String(required=True)
    period = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["monthly_contact_teacher", "grade_team", "leadership_school"]))


class ParentsMeetingHeldSchema(Schema):
    """FOL-18 (offered beyond EVENTS.md): the guideline reviewed at a parents' meeting."""

    school_id = fields.String(required=True)
    class_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    guideline_reviewed = fields.Boolean(required=True)


class MeasureSchema(Schema):
    measure_id = fields.String(required=True)
    catalogue_code = fields.String(load_default=None)
    text = fields.String(required=True, validate=TEXT)
    responsible_role = fields.String(required=True)
    evaluate_by = fields.Date(required=True)
    administrative_decision_ref = fields.String(load_default=None)


class CollaborationAgreementSignedSchema(PupilData):
    agreement_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    goals = fields.String(required=True, validate=TEXT)
    measures = fields.List(fields.Nested(MeasureSchema), required=True)
    signed_by = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    pupil_input = fields.String(required=True)


class MeasureEvaluatedSchema(Schema):
    agreement_id = fields.String(required=True)
    measure_id = fields.String(required=True)
    outcome = fields.Enum(MeasureOutcome, by_value=True, required=True)
    notes = fields.String(required=True)


class ConsentSchema(PupilData):
    consent_id = fields.String(required=True)
    guardian_id = fields.String(required=True)
    scope = fields.List(fields.Enum(Agency, by_value=True), required=True,
                        validate=validate.Length(min=1))
    purpose = fields.String(required=True)


class ConsentWithdrawnSchema(PupilData):
    consent_id = fields.String(required=True)
    guardian_id = fields.String(required=True)
    scope = fields.List(fields.Enum(Agency, by_value=True), load_default=list)
    purpose = fields.String(load_default=None)


class CaseDiscussedAnonymouslySchema(Schema):
    with_ = fields.String(required=True, data_key="with", validate=validate.OneOf(
        ["ppt", "child_welfare", "consultation_team"]))
    school_id = fields.String(required=True)
    summary = fields.String(required=True, validate=TEXT)


class ChildWelfareAssessmentSchema(PupilData):
    decision = fields.Enum(WelfareDecision, by_value=True, required=True)
    reasons = fields.String(required=True)


class AttachmentSchema(Schema):
    kind = fields.String(required=True)
    ref = fields.String(required=True)


class ReferralMadeSchema(PupilData):
    referral_id = fields.String(required=True)
    to = fields.Enum(Agency, by_value=True, required=True)
    via = fields.Enum(Via, by_value=True, load_default=None)
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list)
    grounds = fields.Enum(Grounds, by_value=True, load_default=None)


class ConsultationInvitationSentSchema(Schema):
    referral_id = fields.String(required=True)
    meeting_at = fields.AwareDateTime(required=True)


class WrittenEvaluationSubmittedSchema(Schema):
    referral_id = fields.String(required=True)
    document_ref = fields.String(required=True)


class ConcernReportSentSchema(PupilData):
    to = fields.Enum(ReportRecipient, by_value=True, required=True)
    grounds = fields.String(required=True, validate=TEXT)
    document_ref = fields.String(required=True)


class CaseForwardedSchema(PupilData):
    presentation_ref = fields.String(required=True)


class PoliceReportDecidedSchema(PupilData):
    decision = fields.Enum(PoliceDecision, by_value=True, required=True)
    reasons = fields.String(required=True, validate=TEXT)


class ReasonSchema(PupilData):
    reason = fields.String(required=True, validate=TEXT)


class WhereaboutsUnknownReportedSchema(PupilData):
    away_since = fields.Date(required=True)


class PopulationRegisterCheckedSchema(PupilData):
    result = fields.Enum(RegisterResult, by_value=True, required=True)


class ContactRouteTriedSchema(PupilData):
    route = fields.Enum(Route, by_value=True, required=True)
    result = fields.String(required=True, validate=TEXT)


class PupilLocatedSchema(PupilData):
    outcome = fields.Enum(Whereabouts, by_value=True, required=True)
    details = fields.String(required=True, validate=TEXT)


class MovingNoticeSentSchema(PupilData):
    to_municipality = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))


class GuardianWrittenConfirmationSchema(PupilData):
    about = fields.Enum(ConfirmationAbout, by_value=True, required=True)
    document_ref = fields.String(required=True)


class NavNotifiedSchema(PupilData):
    away_since = fields.Date(required=True)
    document_ref = fields.String(required=True)


class ExtendedTravelPlannedSchema(PupilData):
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    destination = fields.String(load_default=None)


class SchoolHealthServiceNotifiedSchema(PupilData):
    about = fields.String(required=True, validate=TEXT)


class SafeguardingConcernRecordedSchema(PupilData):
    grounds = fields.String(required=True, validate=TEXT)


class CaseOpenedSchema(PupilData):
    """A case opened by staff, without a concern (the case stage, FOL)."""

    reason = fields.String(required=True, validate=TEXT)


CASE_SCHEMAS: dict[str, Schema] = {
    "ContactLogged": ContactLoggedSchema(),
    "LetterSent": LetterSentSchema(),
    "MeetingHeld": MeetingHeldSchema(),
    "LeadershipInformed": LeadershipInformedSchema(),
    "AbsenceReviewCompleted": AbsenceReviewCompletedSchema(),
    "ParentsMeetingHeld": ParentsMeetingHeldSchema(),
    "CollaborationAgreementSigned": CollaborationAgreementSignedSchema(),
    "MeasureEvaluated": MeasureEvaluatedSchema(),
    "ConsentGiven": ConsentSchema(),
    "ConsentWithdrawn": ConsentWithdrawnSchema(),
    "CaseDiscussedAnonymously": CaseDiscussedAnonymouslySchema(),
    "ChildWelfareAssessmentRecorded": ChildWelfareAssessmentSchema(),
    "ReferralMade": ReferralMadeSchema(),
    "ConsultationInvitationSent": ConsultationInvitationSentSchema(),
    "WrittenEvaluationSubmitted": WrittenEvaluationSubmittedSchema(),
    "ConcernReportSent": ConcernReportSentSchema(),
    "CaseOpened": CaseOpenedSchema(),
    "CaseForwardedToMunicipalDirector": CaseForwardedSchema(),
    "PoliceReportDecided": PoliceReportDecidedSchema(),
    "CaseClosed": ReasonSchema(),
    "WhereaboutsUnknownReported": WhereaboutsUnknownReportedSchema(),
    "PopulationRegisterChecked": PopulationRegisterCheckedSchema(),
    "ContactRouteTried": ContactRouteTriedSchema(),
    "PupilLocated": PupilLocatedSchema(),
    "MovingNoticeSent": MovingNoticeSentSchema(),
    "GuardianWrittenConfirmationReceived": GuardianWrittenConfirmationSchema(),
    "NavNotified": NavNotifiedSchema(),
    "ExtendedTravelPlanned": ExtendedTravelPlannedSchema(),
    "SchoolHealthServiceNotified": SchoolHealthServiceNotifiedSchema(),
    "SafeguardingConcernRecorded": SafeguardingConcernRecordedSchema(),
    "HomeVisitOffered": PupilData(),
}
