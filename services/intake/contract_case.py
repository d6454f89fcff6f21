"""The integration contract for the follow-up case (EVENTS.md "Follow-up and cases" and
"Whereabouts unknown, abroad, safeguarding") as marshmallow schemas."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate

from domain.case_records import (
    Agency,
    AgreedMeasure,
    Agreement,
    Attachment,
    ConcernReport,
    Conclusion,
    ConfirmationAbout,
    Consent,
    Contact,
    ContactChannel,
    Contacted,
    ContactedRelation,
    Grounds,
    GuideAnswer,
    Letter,
    LetterChannel,
    LetterPurpose,
    MeasureEvaluation,
    MeasureOutcome,
    Meeting,
    MeetingKind,
    Participant,
    PoliceDecision,
    Referral,
    RegisterResult,
    ReportRecipient,
    Route,
    Via,
    WelfareAssessment,
    WelfareDecision,
    Whereabouts,
)
from domain.envelope import Actor, Role
from services.intake import commands as c
from services.intake.loading import CommandSchema, TupleList, ValueSchema

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


class PupilData(CommandSchema):
    pupil_id = fields.UUID(required=True)


class MadeBySchema(ValueSchema):
    value = Actor
    id = fields.String(required=True, validate=validate.Length(min=1))
    role = fields.Enum(Role, by_value=True, required=True)


class ContactedSchema(ValueSchema):
    value = Contacted
    relation = fields.Enum(ContactedRelation, by_value=True, required=True)
    guardian_id = fields.String(load_default=None)
    name = fields.String(load_default=None)


class ContactLoggedSchema(PupilData):
    """POL-4: who made contact, who was contacted, when, and the result — all required."""

    command, value = c.LogContact, Contact
    contact_id = fields.String(required=True, validate=validate.Length(min=1))
    made_by = fields.Nested(MadeBySchema, required=True)
    contacted = fields.Nested(ContactedSchema, required=True)
    at = DateOrDateTime(required=True)
    channel = fields.Enum(ContactChannel, by_value=True, required=True)
    reached = fields.Boolean(required=True)
    result = fields.String(required=True, validate=TEXT)
    information_obtained = fields.String(load_default=None)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        data["on"], data["at_time"] = data.pop("at")
        return super()._build(data)


class LetterSentSchema(PupilData):
    command, value = c.SendLetter, Letter
    letter_id = fields.String(required=True)
    recipients = TupleList(fields.String(), required=True, validate=validate.Length(min=1))
    channel = fields.Enum(LetterChannel, by_value=True, required=True)
    purpose = fields.Enum(LetterPurpose, by_value=True, required=True)
    states_legal_basis = fields.Boolean(required=True)
    states_criminal_liability = fields.Boolean(required=True)
    document_ref = fields.String(required=True)


class ParticipantSchema(ValueSchema):
    value = Participant
    id = fields.String(load_default=None)
    role = fields.String(required=True)


class GuideAnswerSchema(ValueSchema):
    value = GuideAnswer
    question = fields.String(required=True)
    answer = fields.String(required=True)


class MeetingHeldSchema(PupilData):
    command, value = c.HoldMeeting, Meeting
    meeting_id = fields.String(required=True)
    kind = fields.Enum(MeetingKind, by_value=True, required=True)
    at = fields.AwareDateTime(required=True)
    participants = TupleList(fields.Nested(ParticipantSchema), required=True)
    pupil_participated = fields.Boolean(required=True)
    pupil_absent_reason = fields.String(load_default=None)
    anonymous = fields.Boolean(load_default=False)
    minutes = fields.String(required=True, validate=TEXT)
    guide_answers = TupleList(fields.Nested(GuideAnswerSchema), load_default=tuple)
    minutes_sent_to_guardians_at = fields.AwareDateTime(load_default=None)
    conclusion = fields.Enum(Conclusion, by_value=True, load_default=None)
    pupil_input = fields.String(load_default=None)


class LeadershipInformedSchema(PupilData):
    command = c.InformLeadership
    informed_role = fields.String(required=True)
    about = fields.String(required=True, validate=TEXT)


class AbsenceReviewCompletedSchema(CommandSchema):
    command = c.CompleteReview
    scope = fields.String(required=True, validate=validate.OneOf(
        ["pupil", "class", "grade", "school"]))
    scope_id = fields.String(required=True)
    school_id = fields.String(required=True)
    period = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["monthly_contact_teacher", "grade_team", "leadership_school"]))


class ParentsMeetingHeldSchema(CommandSchema):
    """FOL-18 (offered beyond EVENTS.md): the guideline reviewed at a parents' meeting."""

    command = c.HoldParentsMeeting

    school_id = fields.String(required=True)
    class_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    guideline_reviewed = fields.Boolean(required=True)


class MeasureSchema(ValueSchema):
    value = AgreedMeasure
    measure_id = fields.String(required=True)
    catalogue_code = fields.String(load_default=None)
    text = fields.String(required=True, validate=TEXT)
    responsible_role = fields.String(required=True)
    evaluate_by = fields.Date(required=True)
    administrative_decision_ref = fields.String(load_default=None)


class CollaborationAgreementSignedSchema(PupilData):
    command, value = c.SignAgreement, Agreement
    agreement_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    goals = fields.String(required=True, validate=TEXT)
    measures = TupleList(fields.Nested(MeasureSchema), required=True)
    signed_by = TupleList(fields.String(), required=True, validate=validate.Length(min=1))
    pupil_input = fields.String(required=True)


class MeasureEvaluatedSchema(CommandSchema):
    command = c.EvaluateMeasure
    agreement_id = fields.String(required=True)
    measure_id = fields.String(required=True)
    outcome = fields.Enum(MeasureOutcome, by_value=True, required=True)
    notes = fields.String(required=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> c.EvaluateMeasure:
        return c.EvaluateMeasure(MeasureEvaluation(**data))


class ConsentSchema(PupilData):
    command, value = c.GiveConsent, Consent
    consent_id = fields.String(required=True)
    guardian_id = fields.String(required=True)
    scope = TupleList(fields.Enum(Agency, by_value=True), required=True,
                      validate=validate.Length(min=1))
    purpose = fields.String(required=True)


class ConsentWithdrawnSchema(PupilData):
    command = c.WithdrawConsent
    consent_id = fields.String(required=True)
    guardian_id = fields.String(required=True)
    scope = TupleList(fields.Enum(Agency, by_value=True), load_default=tuple)
    purpose = fields.String(load_default=None)


class CaseDiscussedAnonymouslySchema(CommandSchema):
    command = c.DiscussAnonymously
    partner = fields.String(required=True, data_key="with", validate=validate.OneOf(
        ["ppt", "child_welfare", "consultation_team"]))
    school_id = fields.String(required=True)
    summary = fields.String(required=True, validate=TEXT)


class ChildWelfareAssessmentSchema(PupilData):
    command, value = c.AssessChildWelfare, WelfareAssessment
    decision = fields.Enum(WelfareDecision, by_value=True, required=True)
    reasons = fields.String(required=True)


class AttachmentSchema(ValueSchema):
    value = Attachment
    kind = fields.String(required=True)
    ref = fields.String(required=True)


class ReferralMadeSchema(PupilData):
    command, value = c.MakeReferral, Referral
    referral_id = fields.String(required=True)
    to = fields.Enum(Agency, by_value=True, required=True)
    via = fields.Enum(Via, by_value=True, load_default=None)
    attachments = TupleList(fields.Nested(AttachmentSchema), load_default=tuple)
    grounds = fields.Enum(Grounds, by_value=True, load_default=None)


class ConsultationInvitationSentSchema(CommandSchema):
    command = c.InviteToConsultation
    referral_id = fields.String(required=True)
    meeting_at = fields.AwareDateTime(required=True)


class WrittenEvaluationSubmittedSchema(CommandSchema):
    command = c.SubmitWrittenEvaluation
    referral_id = fields.String(required=True)
    document_ref = fields.String(required=True)


class ConcernReportSentSchema(PupilData):
    command, value = c.SendConcernReport, ConcernReport
    to = fields.Enum(ReportRecipient, by_value=True, required=True)
    grounds = fields.String(required=True, validate=TEXT)
    document_ref = fields.String(required=True)


class CaseForwardedSchema(PupilData):
    command = c.ForwardCase
    presentation_ref = fields.String(required=True)


class PoliceReportDecidedSchema(PupilData):
    command = c.DecidePoliceReport
    decision = fields.Enum(PoliceDecision, by_value=True, required=True)
    reasons = fields.String(required=True, validate=TEXT)


class CaseClosedSchema(PupilData):
    command = c.CloseCase
    reason = fields.String(required=True, validate=TEXT)


class WhereaboutsUnknownReportedSchema(PupilData):
    command = c.ReportWhereaboutsUnknown
    away_since = fields.Date(required=True)


class PopulationRegisterCheckedSchema(PupilData):
    command = c.CheckPopulationRegister
    result = fields.Enum(RegisterResult, by_value=True, required=True)


class ContactRouteTriedSchema(PupilData):
    command = c.TryContactRoute
    route = fields.Enum(Route, by_value=True, required=True)
    result = fields.String(required=True, validate=TEXT)


class PupilLocatedSchema(PupilData):
    command = c.LocatePupil
    outcome = fields.Enum(Whereabouts, by_value=True, required=True)
    details = fields.String(required=True, validate=TEXT)


class MovingNoticeSentSchema(PupilData):
    command = c.SendMovingNotice
    to_municipality = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))


class GuardianWrittenConfirmationSchema(PupilData):
    command = c.ReceiveWrittenConfirmation
    about = fields.Enum(ConfirmationAbout, by_value=True, required=True)
    document_ref = fields.String(required=True)


class NavNotifiedSchema(PupilData):
    command = c.NotifyNav
    away_since = fields.Date(required=True)
    document_ref = fields.String(required=True)


class ExtendedTravelPlannedSchema(PupilData):
    command = c.PlanExtendedTravel
    from_date = fields.Date(required=True)
    to_date = fields.Date(required=True)
    destination = fields.String(load_default=None)


class SchoolHealthServiceNotifiedSchema(PupilData):
    command = c.NotifySchoolHealth
    about = fields.String(required=True, validate=TEXT)


class SafeguardingConcernRecordedSchema(PupilData):
    command = c.RecordSafeguardingConcern
    grounds = fields.String(required=True, validate=TEXT)


class CaseOpenedSchema(PupilData):
    """A case opened by staff, without a concern (the case stage, FOL)."""

    command = c.OpenCase

    reason = fields.String(required=True, validate=TEXT)


class HomeVisitOfferedSchema(PupilData):
    command = c.OfferHomeVisit


CASE_SCHEMAS: dict[str, CommandSchema] = {
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
    "CaseClosed": CaseClosedSchema(),
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
    "HomeVisitOffered": HomeVisitOfferedSchema(),
}
