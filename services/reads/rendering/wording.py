"""Norwegian words for what the dossier shows (event types, meeting kinds, purposes)."""

from __future__ import annotations

TYPES_NB = {
    "PupilEnrolled": "Elev registrert", "PupilLeft": "Elev sluttet",
    "AbsenceRecorded": "Fravær registrert", "LateArrivalRecorded": "Forsentkomming",
    "LeftSchoolRecorded": "Kom på skolen, men gikk igjen",
    "AbsenceNoticeReceived": "Melding fra foresatte", "MedicalCertificateReceived":
    "Legeerklæring mottatt", "SchoolRefusalSignalReported": "Foresatte varslet om skolevegring",
    "RecordCorrected": "Rettelse", "LeaveApplied": "Søknad om permisjon",
    "LeaveDecided": "Vedtak om permisjon", "DiplomaExclusionRequested":
    "Krav om stryking av fravær på vitnemål", "CauseAttachmentRequested":
    "Krav om vedlegg med fraværsårsak", "ContactLogged": "Kontakt med hjemmet",
    "LetterSent": "Brev sendt", "MeetingHeld": "Møte", "LeadershipInformed":
    "Ledelsen informert", "CollaborationAgreementSigned": "Samarbeidsavtale",
    "MeasureEvaluated": "Tiltak evaluert", "ConsentGiven": "Samtykke gitt",
    "ConsentWithdrawn": "Samtykke trukket", "ChildWelfareAssessmentRecorded":
    "Vurdering av bekymringsmelding", "ReferralMade": "Henvisning",
    "ConsultationInvitationSent": "Invitasjon til konsultasjon",
    "WrittenEvaluationSubmitted": "Skriftlig evaluering", "ConcernReportSent":
    "Bekymringsmelding sendt", "CaseOpened": "Sak opprettet",
    "CaseForwardedToMunicipalDirector": "Sendt kommunedirektøren",
    "PoliceReportDecided": "Beslutning om politianmeldelse", "CaseClosed": "Sak avsluttet",
    "WhereaboutsUnknownReported": "Ukjent oppholdssted", "PopulationRegisterChecked":
    "Folkeregisteret sjekket", "ContactRouteTried": "Annen kontaktvei prøvd",
    "PupilLocated": "Eleven funnet / avklart", "MovingNoticeSent": "Flyttemelding sendt",
    "GuardianWrittenConfirmationReceived": "Skriftlig bekreftelse fra foresatte",
    "NavNotified": "Melding til NAV", "ExtendedTravelPlanned": "Lengre reise planlagt",
    "SchoolHealthServiceNotified": "Skolehelsetjenesten varslet",
    "SafeguardingConcernRecorded": "Bekymring (helse/tvang) registrert",
    "HomeVisitOffered": "Hjemmebesøk tilbudt", "TaskOverdue": "Frist overskredet",
    # What the service decided (docs/decisions.md)
    "CaseStarted": "Oppfølgingssak startet", "ConcernRaised": "Bekymringsfullt fravær",
    "StageChanged": "Saken i ny fase", "TaskOpened": "Oppgave med frist",
    "TaskClosed": "Oppgave utført", "TaskCancelled": "Oppgave bortfalt",
    "DayClosed": "Skoledagen avsluttet",
}
MEETINGS_NB = {
    "pupil_conversation": "Samtale med eleven", "guardian_conversation": "Samtale med foresatte",
    "joint_conversation": "Samtale med elev og foresatte",
    "contact_meeting_ppt": "Kontaktmøte med PPT", "grade_team_review": "Trinnmøte",
    "development_conversation": "Utviklingssamtale", "consultation_1": "1. konsultasjon",
    "consultation_2": "2. konsultasjon", "consultation_3": "3. konsultasjon",
    "external_agencies": "Møte med eksterne instanser", "principal_meeting": "Møte med rektor",
    "school_health_conversation": "Samtale med skolehelsetjenesten",
}
PURPOSES_NB = {"duty_of_education": "opplæringsplikt", "meeting_summons": "innkalling",
               "minutes": "referat", "decision": "vedtak", "other": "annet"}
STAGES_NB = {
    "registration": "registrering", "concern": "bekymring", "mapping": "kartlegging",
    "measures": "tiltak", "persistent": "vedvarende fravær",
    "consultation_team": "konsultasjonsteam", "referral": "henvist",
    "municipal_director": "hos kommunedirektøren", "closed": "avsluttet",
    "whereabouts_unknown": "ukjent oppholdssted",
}


def yes_no(value: bool | None) -> str:
    return "ja" if value else "nei"
