"""The case presentation as people read it ("JSON for people"): one pure function from the
dossier (``Dossiers.build``) to numbered sections of Norwegian text, which the HTML template
and the PDF both draw, so the two cannot drift apart.

The model is plain data — strings, lists and dicts, no layout — and the same dossier always
gives the same model, so it can be embedded in an issued, signed dossier and re-derived by a
verifier. Every time in it is Oslo time (``dd.mm.åååå kl. tt:mm``), every date
``dd.mm.åååå``; people appear by name (guardians) or role (staff), their ids only in
appendix B; the proof hashes only in appendix D. Appendix A is the whole timeline, C the
legal bases.

What it is drawn from today: the dossier's pupil, tally, completeness check, digest,
concerns, tasks and stage history, and the timeline's events (their ``data``) for every
record. Concerns and tasks still come from the views (issue 11 makes them events).

Blocks are ``{"kind": "facts", "rows": [[label, value]]}``, ``{"kind": "table", "columns":
[...], "rows": [[...]], "empty": text}`` and ``{"kind": "text", "paragraphs": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from services.reads.dossier import CHANNELS_NB, RELATIONS_NB, ROLES_NB
from services.reads.rendering import wording as t

FORMAT = "skolefravaer/saksfremstilling-for-mennesker"
VERSION = 1
NONE = "Ingen registrert."
UNVERIFIED = "ikke verifisert"
TIMELINE, PEOPLE, LAW, PROOFS = "A", "B", "C", "D"  # the appendices

Entry = dict[str, Any]
Block = dict[str, Any]
Section = dict[str, Any]


def facts(rows: Iterable[tuple[str, str]]) -> Block:
    return {"kind": "facts", "rows": [[label, value] for label, value in rows]}


def table(columns: list[str], rows: Iterable[list[str]], empty: str = NONE) -> Block:
    return {"kind": "table", "columns": columns, "rows": [list(r) for r in rows],
            "empty": empty}


def text(*paragraphs: str) -> Block:
    return {"kind": "text", "paragraphs": list(paragraphs)}


def _section(ident: str, title: str, shown: list[Entry], *blocks: Block) -> Section:
    """A section showing ``shown``, headed by the legal basis they rest on (LAW-1)."""
    cited = list(dict.fromkeys(law(e) for e in shown if e.get("legal_basis")))
    basis = [text("Lovgrunnlag: " + "; ".join(cited) + ".")] if cited else []
    return {"id": ident, "title": title, "blocks": [*basis, *blocks]}


class People:
    """Who is who in the case: guardians by name, staff and systems by role — numbered
    ("kontaktlærer 2") where several people acted in one role; the raw ids are kept for
    the appendix."""

    def __init__(self, d: dict[str, Any]) -> None:
        pupil = d["pupil"]
        self.guardians = {g["guardian_id"]: (f"{g['name']} ({g['relation']})" if g["name"]
                                             else g["relation"])
                          for g in pupil["guardians"]}
        self.roles: dict[str, list[str]] = {}
        self.by_role: dict[str, list[str]] = {}
        self.pupil = (pupil["pupil_id"], f"eleven, {pupil['name'] or 'navn ikke registrert'}")
        if pupil["contact_teacher_id"]:
            self._saw(pupil["contact_teacher_id"], "contact_teacher")
        for entry in d["timeline"]:
            self._saw(entry["actor"]["id"], entry["actor"]["role"])
            for found in _people_in(entry):
                self._saw(*found)

    def _saw(self, person_id: str, role: str) -> None:
        if person_id in self.guardians:
            return
        roles = self.roles.setdefault(person_id, [])
        if role not in roles:
            roles.append(role)
            self.by_role.setdefault(role, []).append(person_id)

    def _label(self, person_id: str, role: str) -> str:
        word = ROLES_NB.get(role, role)
        ids = self.by_role.get(role, [])
        return f"{word} {ids.index(person_id) + 1}" if len(ids) > 1 and person_id in ids \
            else word

    def acting(self, person_id: str, role: str) -> str:
        """Someone acting in a role: a guardian by name, staff and systems by role."""
        if person_id in self.guardians:
            return self.guardians[person_id]
        return self._label(person_id, role)

    def named(self, person_id: str) -> str:
        """Someone known only by id (a letter's recipient, an agreement's signatory)."""
        if person_id in self.guardians:
            return self.guardians[person_id]
        if person_id in self.roles:
            return " / ".join(self._label(person_id, r) for r in self.roles[person_id])
        return f"ukjent (se vedlegg {PEOPLE})"

    def appendix(self) -> list[list[str]]:
        rows = [[self.pupil[0], self.pupil[1]]]
        rows += [[g, f"foresatt, {who}"] for g, who in self.guardians.items()]
        rows += [[p, ", ".join(self._label(p, r) for r in roles)]
                 for p, roles in sorted(self.roles.items())]
        return rows


def _people_in(entry: Entry) -> list[tuple[str, str]]:
    """(id, role) of the staff an event names besides its actor."""
    data = entry["data"]
    if "contact" in data:
        made_by = data["contact"]["made_by"]
        return [(made_by["id"], made_by["role"])]
    if "meeting" in data:
        return [(p["id"], p["role"]) for p in data["meeting"]["participants"] if p["id"]]
    return []


class Case:
    """The dossier with its people, and its events by kind in log order."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d
        self.people = People(d)
        self.corrections = {e["data"]["corrects_event_id"]: e
                            for e in self.of("RecordCorrected")}

    def of(self, *types: str) -> list[Entry]:
        return [e for e in self.d["timeline"] if e["type"] in types]

    def by(self, entry: Entry) -> str:
        return self.people.acting(entry["actor"]["id"], entry["actor"]["role"])

    def corrected(self, entry: Entry) -> str:
        """What a later correction (ABS-9) did to this record, as a note to its row."""
        found = self.corrections.get(entry["event_id"])
        if found is None:
            return ""
        done = "erstattet" if found["data"]["replacement"] else "ugyldig"
        return f" (rettet {t.day(found['occurred_at'])}: {done}, {found['data']['reason']})"

    def reference(self) -> str | None:
        forwarded = self.of("CaseForwardedToMunicipalDirector")
        return forwarded[-1]["data"]["presentation_ref"] if forwarded else None


def _kind(entry: Entry) -> str:
    """The kind of event, in words."""
    kind: str = entry["type"]
    return t.TYPES_NB.get(kind, kind)


def law(entry: Entry) -> str:
    """The legal basis as cited, marked when the table's row is not verified (LAW-1)."""
    citation = entry.get("legal_basis")
    if not citation:
        return ""
    return citation if entry.get("legal_basis_verified") else f"{citation} ({UNVERIFIED})"


def document(d: dict[str, Any]) -> dict[str, Any]:
    """The people-facing case presentation of the dossier ``d``."""
    case = Case(d)
    name = d["pupil"]["name"] or "navn ikke registrert"
    reference = case.reference()
    sections = [make(case) for make in SECTIONS]
    numbered = [{**s, "title": f"{n}. {s['title']}"}
                for n, s in enumerate((s for s in sections if s is not None), start=1)]
    return {
        "format": FORMAT, "version": VERSION, "language": "nb",
        "title": d["title"],
        "header": {"pupil": name, "reference": reference or "ikke tildelt"},
        "footer": f"Utarbeidet {t.moment(d['made_at'])} av Skolefravær",
        "metadata": {
            "title": f"{d['title']}: {name}",
            "subject": "Saksfremstilling til kommunedirektøren (POL-5)"
                       + (f", saksreferanse {reference}" if reference else ""),
            "author": f"Skolefravær, kommunenummer {d['municipality']}",
            "created": d["made_at"]},
        "lead": _lead(d),
        "sections": numbered,
        "signatures": SIGNATURES,
        "appendices": [_timeline(case), _people_appendix(case), _law_appendix(case),
                       _proof_appendix(d)],
    }


def _lead(d: dict[str, Any]) -> list[str]:
    return [
        f"Utarbeidet {t.moment(d['made_at'])} for kommunenummer {d['municipality']}. "
        "Alle tidspunkt er norsk tid.",
        "Saksfremstillingen beskriver oppfølgingen av elevens fravær slik den er registrert "
        "i Skolefravær: brev til foresatte (POL-2), tiltak og oppfølging (POL-3) og hver "
        "kontakt og hvert forsøk på kontakt (POL-4). Kopier av brev og dokumenter som er "
        "nevnt, ligger i elevmappen. Personer er nevnt ved navn eller rolle; id-ene står i "
        f"vedlegg {PEOPLE}. Vedlegg {TIMELINE} viser alt som er registrert om eleven, i "
        "tidsrekkefølge.",
        "Lovhenvisningene kommer fra tjenestens tabell over lovgrunnlag. En henvisning merket "
        f"«{UNVERIFIED}» er ikke kontrollert mot Lovdata og må kontrolleres før den siteres "
        f"(vedlegg {LAW}).",
    ]


SIGNATURES = [
    {"role": "Rektor",
     "statement": "Saken oversendes kommunedirektøren for vurdering av politianmeldelse.",
     "fields": ["Sted og dato", "Underskrift", "Navn"]},
    {"role": "Kommunedirektør",
     "statement": "Saken er mottatt og vurdert.",
     "fields": ["Sted og dato", "Underskrift", "Navn"]},
]


# --- the sections, in the order the document shows them ------------------------------------

def _summary(case: Case) -> Section:
    d = case.d
    days, lessons = d["absence"]["days"], d["absence"]["lessons"]
    forwarded = case.of("CaseForwardedToMunicipalDirector")
    decided = case.of("PoliceReportDecided")
    met = sum(1 for c in d["completeness"] if c["met"])
    kept = _deadline_counts(d.get("tasks", []))
    rows = [
        ("Elev", d["pupil"]["name"] or "navn ikke registrert"),
        ("Saken er nå", t.STAGES_NB.get(d["stage"], d["stage"])),
        ("Fravær", f"{days['total']} dager ({days['undocumented']} udokumentert) og "
                   f"{lessons['total']} enkelttimer ({lessons['undocumented']} udokumentert)"),
        ("Oversendt kommunedirektøren",
         f"{t.day(forwarded[-1]['occurred_at'])}, saksreferanse "
         f"{forwarded[-1]['data']['presentation_ref']}" if forwarded else "nei"),
        ("Politianmeldelse",
         f"{t.POLICE_NB.get(decided[-1]['data']['decision'], '')} "
         f"({t.day(decided[-1]['occurred_at'])})" if decided else "ikke vurdert ennå"),
        ("Krav til dokumentasjonen", f"{met} av {len(d['completeness'])} oppfylt "
                                     "(se kontrollen nedenfor)"),
        ("Frister", kept),
    ]
    history = d.get("stage_history", [])
    blocks = [facts(rows)]
    if history:
        blocks.append(table(["Fra", "Trinn i saken"],
                            ([t.moment(s["at"]), t.STAGES_NB.get(s["stage"], s["stage"])]
                             for s in history)))
    return {"id": "sammendrag", "title": "Sammendrag", "blocks": blocks}


def _deadline_counts(tasks: list[dict[str, Any]]) -> str:
    verdicts = [_deadline(task) for task in tasks]
    return (f"{verdicts.count('holdt')} holdt, "
            f"{sum(1 for v in verdicts if v.startswith('overskredet'))} overskredet, "
            f"{verdicts.count('ikke ennå')} åpne")


def _pupil(case: Case) -> Section:
    pupil = case.d["pupil"]
    rows = [
        ("Navn", pupil["name"] or "ikke registrert"),
        ("Fødselsnummer", pupil["national_id"] or "ikke registrert"),
        ("Skole", pupil["school_id"]),
        ("Skoleår", pupil["school_year"]),
        ("Trinn og klasse", f"{pupil['grade']}. trinn, klasse {pupil['class_id']}"),
        ("Kommune", f"kommunenummer {case.d['municipality']}"),
        *(("Foresatt", case.people.guardians[g["guardian_id"]]) for g in pupil["guardians"]),
    ]
    return {"id": "elev", "title": "Elev og foresatte", "blocks": [facts(rows)]}


def _absence(case: Case) -> Section:
    totals = case.d["absence"]
    days, lessons = totals["days"], totals["lessons"]
    recorded = case.of("AbsenceRecorded", "LateArrivalRecorded", "LeftSchoolRecorded")
    return _section("fravaer", "Fraværsoversikt", recorded,
        table(["", "Dokumentert", "Udokumentert", "Sum"], [
            ["Dager", str(days["documented"]), str(days["undocumented"]), str(days["total"])],
            ["Enkelttimer", str(lessons["documented"]), str(lessons["undocumented"]),
             str(lessons["total"])]]),
        text(f"Forsentkomminger: {totals['late_arrivals']}. Kom på skolen, men gikk igjen: "
             f"{totals['left_school']}."),
        table(["Dato", "Fravær", "Registrert av", "Registrert"],
              ([*_absence_row(e, case.corrected(e)), case.by(e), t.moment(e["recorded_at"])]
               for e in recorded),
              "Ikke noe fravær registrert."))


def _absence_row(entry: Entry, corrected: str) -> list[str]:
    day, what = _absence_fact(entry["data"])
    return [day, what + corrected]


def _absence_fact(data: dict[str, Any]) -> tuple[str, str]:
    """The day and what happened of an absence, late arrival or early leaving."""
    if "absence" in data:
        absence = data["absence"]
        lesson = absence["lesson"]
        what = (f"{lesson['period']}. time" + (f" ({lesson['subject']})" if lesson["subject"]
                                                else "")) if lesson else "hel dag"
        return t.day(absence["date"]), what
    if "late_arrival" in data:
        late = data["late_arrival"]
        minutes = late["minutes_late"]
        return t.day(late["date"]), "for sent" + (f", {minutes} min" if minutes else "")
    left = data["left_school"]
    return t.day(left["date"]), f"kom, men gikk kl. {left['time'][:5]}"


def _notices(case: Case) -> Section:
    shown = case.of("AbsenceNoticeReceived", "MedicalCertificateReceived",
                    "SchoolRefusalSignalReported", "RecordCorrected")
    rows = [[t.moment(e["occurred_at"]), _kind(e), *_notice(e, case.people)] for e in shown]
    for row, e in zip(rows, shown, strict=True):
        row[3] += case.corrected(e)
    return _section("meldinger", "Meldinger, legeerklæringer og rettelser", shown,
                    table(["Mottatt", "Hva", "Gjelder", "Innhold", "Fra"], rows))


def _notice(entry: Entry, people: People) -> list[str]:
    data = entry["data"]
    if "notice" in data:
        n = data["notice"]
        lessons = f", timene {', '.join(map(str, n['lessons']))}" if n["lessons"] else ""
        cause = t.CAUSES_NB.get(n["cause"], n["cause"]) + (
            f": {n['cause_text']}" if n["cause_text"] else "")
        return [_period(n["from_date"], n["to_date"]) + lessons,
                f"{cause} ({CHANNELS_NB.get(n['channel'], n['channel'])})",
                people.named(n["guardian_id"])]
    if "certificate" in data:
        c = data["certificate"]
        return [_period(c["from_date"], c["to_date"]),
                "dokument " + (c["document_ref"] or "ikke oppgitt"), c["issued_by"]]
    if "signal" in data:
        return ["", data["signal"]["text"], people.named(data["signal"]["guardian_id"])]
    return [t.TYPES_NB.get(data["corrected_type"], data["corrected_type"]),
            data["reason"] + ("" if data["replacement"] else " (registreringen er ugyldig)"),
            ROLES_NB.get(entry["actor"]["role"], entry["actor"]["role"])]


def _period(start: str, end: str) -> str:
    return t.day(start) if start == end else f"{t.day(start)}–{t.day(end)}"


def _completeness(case: Case) -> Section:
    return {"id": "kontroll", "title": "Kontroll av dokumentasjonen (POL-2 til POL-4)",
            "blocks": [table(["Regel", "Krav", "Oppfylt", "Mangler / merknad"], (
                [c["rule"], c["requirement"], t.yes_no(c["met"]),
                 "\n".join(c["missing"] + c.get("remarks", [])) or "–"]
                for c in case.d["completeness"]))]}


def _contacts(case: Case) -> Section:
    rows, shown = [], case.of("ContactLogged")
    for e in shown:
        c = e["data"]["contact"]
        contacted = c["contacted"]
        who = (case.people.guardians.get(contacted["guardian_id"] or "")
               or " ".join(filter(None, [RELATIONS_NB.get(contacted["relation"],
                                                          contacted["relation"]),
                                         contacted["name"]])))
        result = c["result"] + (f" Opplysninger: {c['information_obtained']}"
                                if c["information_obtained"] else "")
        rows.append([t.day_and_time(c["on"], c["at_time"]),
                     case.people.acting(c["made_by"]["id"], c["made_by"]["role"]), who,
                     CHANNELS_NB.get(c["channel"], c["channel"]), t.yes_no(c["reached"]),
                     result])
    return _section("kontakt", "Kontaktlogg: kontakt og forsøk på kontakt med hjemmet (POL-4)",
                    shown,
                    table(["Tidspunkt", "Tok kontakt", "Kontaktet", "Kanal", "Nådd",
                           "Resultat"], rows))


def _letters(case: Case) -> Section:
    rows, shown = [], case.of("LetterSent")
    for e in shown:
        letter = e["data"]["letter"]
        rows.append([t.moment(e["occurred_at"]),
                     t.PURPOSES_NB.get(letter["purpose"], letter["purpose"]),
                     ", ".join(case.people.named(r) for r in letter["recipients"]),
                     CHANNELS_NB.get(letter["channel"], letter["channel"]),
                     t.yes_no(letter["states_legal_basis"]),
                     t.yes_no(letter["states_criminal_liability"]), letter["document_ref"]])
    return _section("brev", "Brev til foresatte (POL-2)", shown,
                    table(["Sendt", "Formål", "Mottakere", "Kanal", "Lovhjemmel oppgitt",
                           "Straffeansvar oppgitt", "Dokument"], rows))


def _meetings(case: Case) -> Section:
    rows, shown = [], case.of("MeetingHeld")
    for e in shown:
        m = e["data"]["meeting"]
        kind = t.MEETINGS_NB.get(m["kind"], m["kind"]) + (" (anonymt)" if m["anonymous"]
                                                           else "")
        present = ", ".join(case.people.acting(p["id"] or "", p["role"])
                            for p in m["participants"])
        pupil = t.yes_no(m["pupil_participated"]) + (
            f" ({m['pupil_absent_reason']})" if m["pupil_absent_reason"] else "")
        minutes = (m["minutes"] or "I skolehelsetjenestens journal (PRIV-5)") + (
            f" Sendt foresatte {t.moment(m['minutes_sent_to_guardians_at'])}."
            if m["minutes_sent_to_guardians_at"] else "")
        rows.append([t.moment(m["at"]), kind, present, pupil, minutes, _meeting_notes(m)])
    return _section("moter", "Møter", shown,
                    table(["Tidspunkt", "Møte", "Deltakere", "Eleven deltok", "Referat",
                           "Konklusjon og innspill"], rows))


def _meeting_notes(meeting: dict[str, Any]) -> str:
    notes = []
    if meeting["conclusion"]:
        notes.append("Konklusjon: " + t.CONCLUSIONS_NB.get(meeting["conclusion"],
                                                           meeting["conclusion"]) + ".")
    if meeting["pupil_input"]:
        notes.append(f"Elevens innspill: {meeting['pupil_input']}")
    notes += [f"{a['question']}: {a['answer']}" for a in meeting["guide_answers"]]
    return "\n".join(notes) or "–"


def _agreements(case: Case) -> Section:
    """Each version of each collaboration agreement (FOL-13), its measures with the
    evaluations made while that version was in force."""
    versions: list[tuple[Entry, dict[tuple[str, str], list[str]]]] = []
    current: dict[str, dict[tuple[str, str], list[str]]] = {}
    shown = case.of("CollaborationAgreementSigned", "MeasureEvaluated")
    for e in shown:
        if e["type"] == "CollaborationAgreementSigned":
            evaluations: dict[tuple[str, str], list[str]] = {}
            current[e["data"]["agreement"]["agreement_id"]] = evaluations
            versions.append((e, evaluations))
            continue
        ev = e["data"]["evaluation"]
        current.setdefault(ev["agreement_id"], {}).setdefault(
            (ev["agreement_id"], ev["measure_id"]), []).append(
            f"{t.day(e['occurred_at'])}: {t.OUTCOMES_NB.get(ev['outcome'], ev['outcome'])}"
            + (f". {ev['notes']}" if ev["notes"] else ""))
    blocks: list[Block] = []
    for signed, evaluations in versions:
        blocks += _agreement(case, signed, evaluations)
    return _section("avtaler", "Samarbeidsavtaler, tiltak og evalueringer (FOL-13)", shown,
                    *(blocks or [text(NONE)]))


def _agreement(case: Case, signed: Entry,
               evaluations: dict[tuple[str, str], list[str]]) -> list[Block]:
    a = signed["data"]["agreement"]
    return [
        facts([("Avtale", f"{a['agreement_id']}, versjon {a['version']}"),
               ("Signert", t.moment(signed["occurred_at"])),
               ("Signert av", ", ".join(case.people.named(s) for s in a["signed_by"])),
               ("Mål", a["goals"]), ("Elevens innspill", a["pupil_input"] or "–")]),
        table(["Tiltak", "Ansvarlig", "Evalueres innen", "Evaluering"], (
            [m["text"] + (f" ({m['catalogue_code']})" if m["catalogue_code"] else ""),
             ROLES_NB.get(m["responsible_role"], m["responsible_role"]),
             t.day(m["evaluate_by"]),
             "\n".join(evaluations.get((a["agreement_id"], m["measure_id"]), []))
             or "ikke evaluert"] for m in a["measures"]), "Ingen tiltak i avtalen."),
    ]


def _consents(case: Case) -> Section:
    rows, shown = [], case.of("ConsentGiven", "ConsentWithdrawn")
    for e in shown:
        if e["type"] == "ConsentGiven":
            c = e["data"]["consent"]
            rows.append([t.day(e["occurred_at"]), "gitt", case.people.named(c["guardian_id"]),
                         ", ".join(t.AGENCIES_NB.get(s, s) for s in c["scope"]),
                         c["purpose"]])
        else:
            rows.append([t.day(e["occurred_at"]), "trukket",
                         case.people.named(e["data"]["guardian_id"]), "", ""])
    return _section("samtykker", "Samtykker (REF-4)", shown,
                    table(["Dato", "Samtykke", "Foresatt", "Gjelder", "Formål"], rows))


def _referrals(case: Case) -> Section:
    rows, shown = [], case.of("ReferralMade", "ConsultationInvitationSent",
                              "WrittenEvaluationSubmitted")
    for e in shown:
        data = e["data"]
        if "referral" in data:
            r = data["referral"]
            detail = (f"til {t.AGENCIES_NB.get(r['to'], r['to'])}"
                      + (f" via {t.VIA_NB.get(r['via'], r['via'])}" if r["via"] else "")
                      + (". Vedlegg: " + ", ".join(a["ref"] for a in r["attachments"])
                         if r["attachments"] else ""))
        elif "meeting_at" in data:
            detail = f"møte {t.moment(data['meeting_at'])}"
        else:
            detail = f"dokument {data['document_ref']}"
        rows.append([t.day(e["occurred_at"]), _kind(e), detail,
                     case.by(e)])
    return _section("henvisninger", "Henvisninger og konsultasjonsteam", shown,
                    table(["Dato", "Hva", "Detaljer", "Av"], rows))


def _welfare(case: Case) -> Section:
    shown = case.of("ChildWelfareAssessmentRecorded")
    rows = [[t.day(e["occurred_at"]),
             t.WELFARE_NB.get(e["data"]["assessment"]["decision"],
                              e["data"]["assessment"]["decision"]),
             e["data"]["assessment"]["reasons"], case.by(e)] for e in shown]
    return _section("barnevern", "Vurdering av om barnevernstjenesten skal involveres "
                                 "(FOL-17)", shown,
                    table(["Dato", "Vurdering", "Begrunnelse", "Av"], rows))


def _concern_reports(case: Case) -> Section:
    shown = case.of("ConcernReportSent")
    rows = [[t.moment(e["occurred_at"]),
             t.AGENCIES_NB.get(e["data"]["report"]["to"], e["data"]["report"]["to"]),
             e["data"]["report"]["grounds"], e["data"]["report"]["document_ref"], case.by(e)]
            for e in shown]
    return _section("bekymringsmeldinger", "Bekymringsmeldinger", shown,
                    table(["Sendt", "Til", "Grunnlag", "Dokument", "Av"], rows))


def _leadership(case: Case) -> Section:
    shown = case.of("LeadershipInformed")
    rows = [[t.moment(e["occurred_at"]),
             ROLES_NB.get(e["data"]["informed_role"], e["data"]["informed_role"]),
             e["data"]["about"], case.by(e)] for e in shown]
    return _section("ledelsen", "Ledelsen informert (FOL-3)", shown,
                    table(["Tidspunkt", "Informert", "Om", "Av"], rows))


def _concerns(case: Case) -> Section:
    rows = [[t.moment(c["raised_at"]), c["rule"], c["description"], _month(c["period"])]
            for c in case.d.get("concerns", [])]
    return {"id": "bekymringer", "title": "Bekymringsfullt fravær tjenesten har registrert",
            "blocks": [table(["Registrert", "Regel", "Hva", "Periode"], rows)]}


MONTHS_NB = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
             "september", "oktober", "november", "desember")
HALVES_NB = {"autumn": "høsten", "spring": "våren"}


def _month(period: str) -> str:
    """A concern's period in words: ``22.09.2026``, ``september 2026``, ``høsten 2026``,
    ``skoleåret 2026–2027``, or a rolling window ``01.09.2026–30.09.2026``."""
    if "/" in period:
        return _period(*period.split("/", 1))
    if len(period) == 10:
        return t.day(period)
    first, _, second = period.partition("-")
    if second in HALVES_NB:
        return f"{HALVES_NB[second]} {first}"
    if second.isdigit() and len(second) == 4:
        return f"skoleåret {first}–{second}"
    if second.isdigit() and 1 <= int(second) <= 12:
        return f"{MONTHS_NB[int(second) - 1]} {first}"
    return period


def _tasks(case: Case) -> Section:
    tasks = case.d.get("tasks", [])
    rows = [[task["rule"], task["title"], t.moment(task["opened_at"]), t.moment(task["due_at"]),
             t.moment(task["closed_at"]) or "–", _deadline(task)] for task in tasks]
    return {"id": "frister", "title": "Oppgaver og frister", "blocks": [
        text(f"Frister: {_deadline_counts(tasks)}."),
        table(["Regel", "Oppgave", "Åpnet", "Frist", "Utført", "Frist holdt"], rows)]}


def _deadline(task: dict[str, Any]) -> str:
    """Met, missed or not yet due: a task done after its due time missed it."""
    if task["closed_at"]:
        in_time = datetime.fromisoformat(task["closed_at"]) <= datetime.fromisoformat(
            task["due_at"])
        return "holdt" if in_time else "overskredet, utført senere"
    return "overskredet, ikke utført" if task["status"] == "overdue" else "ikke ennå"


def _leave(case: Case) -> Section:
    decisions = {e["data"]["application_id"]: e for e in case.of("LeaveDecided")}
    rows, shown = [], case.of("LeaveApplied", "LeaveDecided")
    for e in (e for e in shown if e["type"] == "LeaveApplied"):
        application, advice = e["data"]["application"], e["data"]["recommendation"]
        decided = decisions.get(application["application_id"])
        rows.append([t.day(e["occurred_at"]),
                     _period(application["from_date"], application["to_date"]),
                     t.LEAVE_REASONS_NB.get(application["reason"], application["reason"]),
                     t.ADVICE_NB.get(advice["outcome"], advice["outcome"]),
                     _leave_decision(decided) if decided else "ikke avgjort"])
    return _section("permisjon", "Permisjon", shown,
                    table(["Søkt", "Periode", "Grunn", "Tjenestens anbefaling", "Vedtak"], rows))


def _leave_decision(entry: Entry) -> str:
    decision = entry["data"]["decision"]
    return (f"{t.LEAVE_DECISIONS_NB.get(decision['decision'], decision['decision'])} "
            f"{t.day(decision['decided_on'])}"
            + (", avviker fra anbefalingen" if decision["overrides_recommendation"] else "")
            + f". {decision['reasons']}")


def _diploma(case: Case) -> Section:
    rows, shown = [], case.of("DiplomaExclusionRequested", "CauseAttachmentRequested")
    for e in shown:
        request, decision = e["data"]["request"], e["data"]["decision"]
        rows.append([t.day(e["occurred_at"]), _kind(e),
                     ", ".join(t.day(day) for day in request["dates"]),
                     t.BASES_NB.get(request["basis"] or "", request["basis"] or "–"),
                     t.DIPLOMA_OUTCOMES_NB.get(decision["outcome"], decision["outcome"]),
                     "\n".join(f"{t.day(o['date'])}: {o['reason']}"
                               for o in decision["dates"])])
    return _section("vitnemal", "Fravær på vitnemålet", shown,
                    table(["Dato", "Krav", "Gjelder", "Grunnlag", "Utfall", "Begrunnelse"],
                          rows))


WHEREABOUTS = ("WhereaboutsUnknownReported", "PopulationRegisterChecked", "ContactRouteTried",
               "PupilLocated", "MovingNoticeSent", "GuardianWrittenConfirmationReceived",
               "NavNotified")
SAFEGUARDING = ("ExtendedTravelPlanned", "SchoolHealthServiceNotified",
                "SafeguardingConcernRecorded", "HomeVisitOffered")
DECISIONS = ("CaseOpened", "CaseForwardedToMunicipalDirector", "PoliceReportDecided",
             "CaseClosed", "PupilLeft")


def _details(entry: Entry) -> str:
    """The data of the simpler records, in words."""
    data = entry["data"]
    words: dict[str, Callable[[dict[str, Any]], str]] = {
        "WhereaboutsUnknownReported": lambda x: f"borte siden {t.day(x['away_since'])}",
        "PopulationRegisterChecked": lambda x: t.REGISTER_NB.get(x["result"], x["result"]),
        "ContactRouteTried": lambda x: f"{t.ROUTES_NB.get(x['route'], x['route'])}: "
                                       f"{x['result']}",
        "PupilLocated": lambda x: f"{t.WHEREABOUTS_NB.get(x['outcome'], x['outcome'])}. "
                                  f"{x['details']}",
        "MovingNoticeSent": lambda x: f"til kommunenummer {x['to_municipality']}",
        "GuardianWrittenConfirmationReceived": lambda x: f"dokument {x['document_ref']}",
        "NavNotified": lambda x: f"borte siden {t.day(x['away_since'])}, dokument "
                                 f"{x['document_ref']}",
        "ExtendedTravelPlanned": lambda x: _period(x["from_date"], x["to_date"])
                                           + (f", {x['destination']}" if x["destination"]
                                              else ""),
        "SchoolHealthServiceNotified": lambda x: x["about"],
        "SafeguardingConcernRecorded": lambda x: x["grounds"],
        "HomeVisitOffered": lambda x: "",
        "CaseOpened": lambda x: x["reason"],
        "CaseForwardedToMunicipalDirector": lambda x: f"saksreferanse {x['presentation_ref']}",
        "PoliceReportDecided": lambda x: f"{t.POLICE_NB.get(x['decision'], x['decision'])}. "
                                         f"{x['reasons']}",
        "CaseClosed": lambda x: x["reason"],
        "PupilLeft": lambda x: f"{t.LEAVING_NB.get(x['departure']['reason'], '')}, siste dag "
                               f"{t.day(x['departure']['last_day'])}",
    }
    return words[entry["type"]](data)


def _listing(case: Case, types: tuple[str, ...], ident: str, title: str,
             always: bool) -> Section | None:
    entries = case.of(*types)
    if not entries and not always:
        return None
    return _section(ident, title, entries, table(
        ["Tidspunkt", "Hva", "Detaljer", "Av"],
        ([t.moment(e["occurred_at"]), _kind(e), _details(e),
          case.by(e)] for e in entries)))


SECTIONS: list[Callable[[Case], Section | None]] = [
    _summary, _pupil, _absence, _notices, _completeness, _contacts, _letters, _meetings,
    _leadership, _agreements, _consents, _referrals, _welfare, _concern_reports, _concerns,
    _tasks, _leave, _diploma,
    lambda c: _listing(c, WHEREABOUTS, "oppholdssted", "Ukjent oppholdssted", False),
    lambda c: _listing(c, SAFEGUARDING, "skjermet", "Reiser, skolehelsetjenesten og "
                                                    "bekymring (skjermet)", False),
    lambda c: _listing(c, DECISIONS, "vedtak", "Oversendelse og beslutninger", True),
]


# --- the appendices -------------------------------------------------------------------------

def _timeline(case: Case) -> Section:
    return {"id": "tidslinje", "title": f"Vedlegg {TIMELINE}. Tidslinje: alt som er "
                                        "registrert om eleven",
            "blocks": [text("Hver registrering med tidspunktet den skjedde og tidspunktet "
                            f"tjenesten fikk den. Nr. viser til vedlegg {PROOFS}, "
                            f"lovgrunnlaget for hver slags hendelse står i vedlegg {LAW}."),
                       table(["Nr.", "Skjedde", "Registrert", "Hendelse", "Av"], (
                           [str(n), t.moment(e["occurred_at"]), t.moment(e["recorded_at"]),
                            _kind(e), case.by(e)]
                           for n, e in enumerate(case.d["timeline"], start=1)))]}


def _people_appendix(case: Case) -> Section:
    return {"id": "personer", "title": f"Vedlegg {PEOPLE}. Personer og id-er", "blocks": [
        text("Id-ene tjenesten kjenner personene i saken ved. Ansatte er registrert med "
             "rolle, ikke navn."),
        table(["Id", "Hvem"], case.people.appendix())]}


def _law_appendix(case: Case) -> Section:
    used: dict[str, tuple[bool, list[str]]] = {}
    for e in case.d["timeline"]:
        if e.get("legal_basis"):
            kinds = used.setdefault(e["legal_basis"], (bool(e["legal_basis_verified"]), []))[1]
            kind = _kind(e)
            if kind not in kinds:
                kinds.append(kind)
    return {"id": "lovgrunnlag", "title": f"Vedlegg {LAW}. Lovgrunnlag", "blocks": [
        text("Lovgrunnlaget hver hendelse i saken hviler på, fra tjenestens tabell over "
             "lovgrunnlag (veilederens henvisninger, oversatt til opplæringslova 2023). En rad "
             "som ikke er verifisert, er ikke kontrollert mot Lovdata."),
        table(["Lovgrunnlag", "Verifisert mot Lovdata", "Gjelder"],
              ([citation, t.yes_no(verified), ", ".join(kinds)]
               for citation, (verified, kinds) in used.items()))]}


def _proof_appendix(d: dict[str, Any]) -> Section:
    digest = d["digest"]
    if digest is None:
        intro = text("Loggen er ikke signert ennå; hendelsene kan ikke etterprøves.")
    else:
        intro = text(
            "Hendelsene er med i Skolefraværs manipuleringssikre logg (RFC 6962). Da "
            f"saksfremstillingen ble laget, hadde loggen {digest['tree_size']} hendelser.",
            f"Rothash (SHA-256): {digest['root_sha256']}",
            f"Signert: {t.moment(digest['issued_at'])}",
            f"Fingeravtrykk for nøkkelen (SHA-256): {digest['public_key_fingerprint_sha256']}",
            "Hent saksfremstillingen som JSON og kontroller den uten tjenesten: "
            "python offline_verify.py saksfremstilling.json")
    return {"id": "etterproving", "title": f"Vedlegg {PROOFS}. Etterprøving", "blocks": [
        intro,
        table(["Nr.", "Posisjon", "Hendelse-id", "Hash (SHA-256)"], (
            [str(n), str(e["position"]), e["event_id"], e["hash"] or "ikke beregnet"]
            for n, e in enumerate(d["timeline"], start=1)))]}
