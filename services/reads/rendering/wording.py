"""Norwegian words for what the dossier shows (event types, meeting kinds, purposes), and
times as people in Norway read them: Oslo time, ``dd.mm.åååå kl. tt:mm``."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")

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


AGENCIES_NB = {
    "consultation_team": "konsultasjonsteamet", "ppt": "PPT", "bup": "BUP",
    "child_welfare": "barnevernstjenesten", "family_services": "familietjenesten",
    "family_counselling": "familievernkontoret", "police": "politiet",
}
VIA_NB = {"gp": "fastlegen", "child_welfare": "barnevernstjenesten"}
OUTCOMES_NB = {"worked": "virket", "partly": "virket delvis", "did_not_work": "virket ikke"}
WELFARE_NB = {"send_concern_report": "sende bekymringsmelding til barnevernstjenesten",
              "discuss_anonymously": "drøfte saken anonymt med barnevernstjenesten",
              "no_action": "ikke involvere barnevernstjenesten"}
POLICE_NB = {"report": "forholdet anmeldes til politiet",
             "no_report": "forholdet anmeldes ikke"}
CONCLUSIONS_NB = {"continue": "fortsette tiltakene", "refer": "henvise videre",
                  "close": "avslutte saken"}
LEAVE_REASONS_NB = {"religious_holiday": "religiøs høytid", "sports_or_culture":
                    "idrett eller kultur", "family_event": "familiebegivenhet",
                    "organisation_work": "organisasjonsarbeid", "other": "annet"}
ADVICE_NB = {"right": "eleven har rett til permisjon", "grant": "innvilge",
             "reject": "avslå"}
LEAVE_DECISIONS_NB = {"granted": "innvilget", "rejected": "avslått"}
DIPLOMA_OUTCOMES_NB = {"approved": "godkjent", "partly_approved": "delvis godkjent",
                       "rejected": "avslått"}
BASES_NB = {"health": "helsegrunner", "leave": "permisjon"}
CAUSES_NB = {"illness": "sykdom", "medical_appointment": "time hos lege/tannlege o.l.",
             "funeral": "begravelse", "other": "annet"}
REGISTER_NB = {"address_confirmed": "adressen bekreftet", "address_changed":
               "ny adresse", "emigrated": "utvandret", "no_record": "ikke registrert"}
ROUTES_NB = {"school_health": "skolehelsetjenesten", "child_welfare_contact":
             "skolens barnevernskontakt", "kindergarten_or_school": "barnehage eller skole",
             "employer": "foresattes arbeidsgiver", "police_contact": "politikontakten",
             "tax_office": "skatteetaten/folkeregisteret", "nav": "NAV"}
WHEREABOUTS_NB = {"continues_in_norway": "fortsetter opplæringen i Norge",
                  "moved_municipality": "flyttet til en annen kommune",
                  "abroad": "i utlandet", "not_found": "ikke funnet"}
LEAVING_NB = {"moved": "flyttet", "changed_school": "byttet skole", "abroad": "utlandet",
              "other": "annet"}
SCOPES_NB = {"day": "hel dag", "lesson": "enkelttime"}


def yes_no(value: bool | None) -> str:
    return "ja" if value else "nei"


def moment(value: str | None) -> str:
    """An RFC 3339 time as read in Norway: ``06.10.2026 kl. 00:30`` (Oslo time)."""
    if not value:
        return ""
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:  # never stored so; shown as given rather than guessed
        return at.strftime("%d.%m.%Y kl. %H:%M")
    return at.astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")


def day(value: str | None) -> str:
    """An ISO date, or the Oslo date of an RFC 3339 time: ``06.10.2026``."""
    if not value:
        return ""
    if len(value) == 10:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    return moment(value)[:10]


def day_and_time(on: str, at_time: str | None) -> str:
    """A date with a time of day that may carry its own offset (a contact's ``at``)."""
    if at_time is None:
        return f"{day(on)} (klokkeslett ikke oppgitt)"
    clock = time.fromisoformat(at_time)
    at = datetime.combine(date.fromisoformat(on), clock)
    return moment(at.isoformat())
