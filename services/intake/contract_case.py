"""The integration contract for the follow-up case (EVENTS.md "Follow-up and cases" and
"Whereabouts unknown, abroad, safeguarding") as marshmallow schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load, validate

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
    HealthServiceMatter,
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
from services.intake.loading import (
    FEW,
    ID,
    LABEL,
    NOTE,
    REF,
    TEXT,
    CommandSchema,
    DateOrDateTime,
    Day,
    FullMatch,
    Moment,
    TupleList,
    ValueSchema,
)


class PupilData(CommandSchema):
    pupil_id = fields.UUID(required=True)


class MadeBySchema(ValueSchema):
    value = Actor
    id = fields.String(required=True, validate=ID)
    role = fields.Enum(Role, by_value=True, required=True)


class ContactedSchema(ValueSchema):
    value = Contacted
    relation = fields.Enum(ContactedRelation, by_value=True, required=True)
    guardian_id = fields.String(load_default=None, validate=ID)
    name = fields.String(load_default=None, validate=LABEL)


class ContactLoggedSchema(PupilData):
    """POL-4: who made contact, who was contacted, when, and the result — all required."""

    command, value = c.LogContact, Contact
    contact_id = fields.String(required=True, validate=ID)
    made_by = fields.Nested(MadeBySchema, required=True)
    contacted = fields.Nested(ContactedSchema, required=True)
    at = DateOrDateTime(required=True)
    channel = fields.Enum(ContactChannel, by_value=True, required=True)
    reached = fields.Boolean(required=True)
    result = fields.String(required=True, validate=TEXT)
    information_obtained = fields.String(load_default=None, validate=NOTE)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        data["on"], data["at_time"] = data.pop("at")
        return super()._build(data)


class LetterSentSchema(PupilData):
    command, value = c.SendLetter, Letter
    letter_id = fields.String(required=True, validate=ID)
    recipients = TupleList(fields.String(validate=LABEL), required=True,
                           validate=validate.Length(min=1, max=100))
    channel = fields.Enum(LetterChannel, by_value=True, required=True)
    purpose = fields.Enum(LetterPurpose, by_value=True, required=True)
    states_legal_basis = fields.Boolean(required=True)
    states_criminal_liability = fields.Boolean(required=True)
    document_ref = fields.String(required=True, validate=REF)


class ParticipantSchema(ValueSchema):
    value = Participant
    id = fields.String(load_default=None, validate=ID)
    role = fields.String(required=True, validate=LABEL)


class GuideAnswerSchema(ValueSchema):
    value = GuideAnswer
    question = fields.String(required=True, validate=NOTE)
    answer = fields.String(required=True, validate=NOTE)


class MeetingHeldSchema(PupilData):
    command, value = c.HoldMeeting, Meeting
    meeting_id = fields.String(required=True, validate=ID)
    kind = fields.Enum(MeetingKind, by_value=True, required=True)
    at = Moment(required=True)
    participants = TupleList(fields.Nested(ParticipantSchema), required=True, validate=FEW)
    pupil_participated = fields.Boolean(required=True)
    pupil_absent_reason = fields.String(load_default=None, validate=NOTE)
    anonymous = fields.Boolean(load_default=False)
    minutes = fields.String(load_default=None, validate=TEXT)  # PRIV-5: not for school health
    guide_answers = TupleList(fields.Nested(GuideAnswerSchema), load_default=tuple,
                              validate=FEW)
    minutes_sent_to_guardians_at = Moment(load_default=None)
    conclusion = fields.Enum(Conclusion, by_value=True, load_default=None)
    pupil_input = fields.String(load_default=None, validate=NOTE)


class LeadershipInformedSchema(PupilData):
    command = c.InformLeadership
    informed_role = fields.String(required=True, validate=LABEL)
    about = fields.String(required=True, validate=TEXT)


class AbsenceReviewCompletedSchema(CommandSchema):
    command = c.CompleteReview
    scope = fields.String(required=True, validate=validate.OneOf(
        ["pupil", "class", "grade", "school"]))
    scope_id = fields.String(required=True, validate=ID)
    school_id = fields.String(required=True, validate=ID)
    period = fields.String(required=True, validate=LABEL)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["monthly_contact_teacher", "grade_team", "leadership_school"]))


class ParentsMeetingHeldSchema(CommandSchema):
    """FOL-18 (offered beyond EVENTS.md): the guideline reviewed at a parents' meeting."""

    command = c.HoldParentsMeeting

    school_id = fields.String(required=True, validate=ID)
    class_id = fields.String(required=True, validate=ID)
    at = Moment(required=True)
    guideline_reviewed = fields.Boolean(required=True)


class MeasureSchema(ValueSchema):
    value = AgreedMeasure
    measure_id = fields.String(required=True, validate=ID)
    catalogue_code = fields.String(load_default=None, validate=LABEL)
    text = fields.String(required=True, validate=TEXT)
    responsible_role = fields.String(required=True, validate=LABEL)
    evaluate_by = Day(required=True)
    administrative_decision_ref = fields.String(load_default=None, validate=REF)


class CollaborationAgreementSignedSchema(PupilData):
    command, value = c.SignAgreement, Agreement
    agreement_id = fields.String(required=True, validate=ID)
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    goals = fields.String(required=True, validate=TEXT)
    measures = TupleList(fields.Nested(MeasureSchema), required=True, validate=FEW)
    signed_by = TupleList(fields.String(validate=LABEL), required=True,
                          validate=validate.Length(min=1, max=100))
    pupil_input = fields.String(required=True, validate=NOTE)


class MeasureEvaluatedSchema(CommandSchema):
    command = c.EvaluateMeasure
    agreement_id = fields.String(required=True, validate=ID)
    measure_id = fields.String(required=True, validate=ID)
    outcome = fields.Enum(MeasureOutcome, by_value=True, required=True)
    notes = fields.String(required=True, validate=NOTE)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> c.EvaluateMeasure:
        return c.EvaluateMeasure(MeasureEvaluation(**data))


class ConsentSchema(PupilData):
    command, value = c.GiveConsent, Consent
    consent_id = fields.String(required=True, validate=ID)
    guardian_id = fields.String(required=True, validate=ID)
    scope = TupleList(fields.Enum(Agency, by_value=True), required=True,
                      validate=validate.Length(min=1, max=100))
    purpose = fields.String(required=True, validate=NOTE)


class ConsentWithdrawnSchema(PupilData):
    command = c.WithdrawConsent
    consent_id = fields.String(required=True, validate=ID)
    guardian_id = fields.String(required=True, validate=ID)
    scope = TupleList(fields.Enum(Agency, by_value=True), load_default=tuple, validate=FEW)
    purpose = fields.String(load_default=None, validate=NOTE)


class CaseDiscussedAnonymouslySchema(CommandSchema):
    command = c.DiscussAnonymously
    partner = fields.String(required=True, data_key="with", validate=validate.OneOf(
        ["ppt", "child_welfare", "consultation_team"]))
    school_id = fields.String(required=True, validate=ID)
    summary = fields.String(required=True, validate=TEXT)


class ChildWelfareAssessmentSchema(PupilData):
    command, value = c.AssessChildWelfare, WelfareAssessment
    decision = fields.Enum(WelfareDecision, by_value=True, required=True)
    reasons = fields.String(required=True, validate=NOTE)


class AttachmentSchema(ValueSchema):
    value = Attachment
    kind = fields.String(required=True, validate=LABEL)
    ref = fields.String(required=True, validate=REF)


class ReferralMadeSchema(PupilData):
    command, value = c.MakeReferral, Referral
    referral_id = fields.String(required=True, validate=ID)
    to = fields.Enum(Agency, by_value=True, required=True)
    via = fields.Enum(Via, by_value=True, load_default=None)
    attachments = TupleList(fields.Nested(AttachmentSchema), load_default=tuple,
                           validate=FEW)
    grounds = fields.Enum(Grounds, by_value=True, load_default=None)


class ConsultationInvitationSentSchema(CommandSchema):
    command = c.InviteToConsultation
    referral_id = fields.String(required=True, validate=ID)
    meeting_at = Moment(required=True)


class WrittenEvaluationSubmittedSchema(CommandSchema):
    command = c.SubmitWrittenEvaluation
    referral_id = fields.String(required=True, validate=ID)
    document_ref = fields.String(required=True, validate=REF)


class ConcernReportSentSchema(PupilData):
    command, value = c.SendConcernReport, ConcernReport
    to = fields.Enum(ReportRecipient, by_value=True, required=True)
    grounds = fields.String(required=True, validate=TEXT)
    document_ref = fields.String(required=True, validate=REF)


class CaseForwardedSchema(PupilData):
    command = c.ForwardCase
    presentation_ref = fields.String(required=True, validate=REF)


class PoliceReportDecidedSchema(PupilData):
    command = c.DecidePoliceReport
    decision = fields.Enum(PoliceDecision, by_value=True, required=True)
    reasons = fields.String(required=True, validate=TEXT)


class CaseClosedSchema(PupilData):
    command = c.CloseCase
    reason = fields.String(required=True, validate=TEXT)


class WhereaboutsUnknownReportedSchema(PupilData):
    command = c.ReportWhereaboutsUnknown
    away_since = Day(required=True)


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
    to_municipality = fields.String(required=True, validate=FullMatch(
        r"^[0-9]{4}$", error="must be a 4-digit municipality number"))


class GuardianWrittenConfirmationSchema(PupilData):
    command = c.ReceiveWrittenConfirmation
    about = fields.Enum(ConfirmationAbout, by_value=True, required=True)
    document_ref = fields.String(required=True, validate=REF)


class NavNotifiedSchema(PupilData):
    command = c.NotifyNav
    away_since = Day(required=True)
    document_ref = fields.String(required=True, validate=REF)


class ExtendedTravelPlannedSchema(PupilData):
    command = c.PlanExtendedTravel
    from_date = Day(required=True)
    to_date = Day(required=True)
    destination = fields.String(load_default=None, validate=LABEL)


class SchoolHealthServiceNotifiedSchema(PupilData):
    command = c.NotifySchoolHealth
    about = fields.Enum(HealthServiceMatter, by_value=True, required=True)  # PRIV-5


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
