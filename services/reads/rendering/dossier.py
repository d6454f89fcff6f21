"""The dossier as HTML and as PDF, in Norwegian bokmål."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from jinja2 import Environment, PackageLoader, select_autoescape

from services.reads.dossier import ROLES_NB
from services.reads.rendering import wording as t

_templates = Environment(loader=PackageLoader("services.reads.rendering", "templates"),
                         autoescape=select_autoescape(["html"]))

# The PDF's built-in fonts cover Latin-1 (æ, ø, å and the rest of Norwegian); typographic
# characters outside it are replaced by their plain equivalents.
_PLAIN = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
                        "«": '"', "»": '"', "…": "...", "≥": ">=", "≤": "<="})


def html(d: dict[str, Any]) -> str:
    return _templates.get_template("dossier.html").render(d=d, t=t, roles=ROLES_NB)


def pdf(d: dict[str, Any]) -> bytes:
    document = _Pdf()
    document.add_page()
    document.title_block(d)
    document.section("Elev og skole")
    pupil = d["pupil"]
    document.pairs([
        ("Navn", pupil["name"] or "ikke registrert"),
        ("Fødselsnummer", pupil["national_id"] or "ikke registrert"),
        ("Skole", f"{pupil['school_id']}, {pupil['grade']}. trinn, {pupil['class_id']} "
                  f"({pupil['school_year']})"),
        ("Foresatte", ", ".join(f"{g['name'] or g['guardian_id']} ({g['relation']})"
                                for g in pupil["guardians"])),
        ("Trinn i saken", t.STAGES_NB.get(d["stage"], d["stage"])),
    ])
    days, lessons = d["absence"]["days"], d["absence"]["lessons"]
    document.section("Fraværsoversikt")
    document.grid(["", "Dokumentert", "Udokumentert", "Sum"], [
        ["Dager", days["documented"], days["undocumented"], days["total"]],
        ["Enkelttimer", lessons["documented"], lessons["undocumented"], lessons["total"]]],
        [40, 45, 45, 30])
    document.section("Kontroll av dokumentasjonen")
    document.grid(["Regel", "Krav", "Oppfylt", "Mangler / merknad"], [
        [c["rule"], c["requirement"], t.yes_no(c["met"]),
         "; ".join(c["missing"] + c["remarks"]) or "-"]
        for c in d["completeness"]], [18, 72, 18, 72])
    document.section("Kontaktlogg")
    document.grid(["Dato", "Kl.", "Hvem tok kontakt", "Kontaktet", "Kanal", "Nådd",
                    "Resultat"], [
        [c["date"], c["time"] or "ikke oppgitt", c["made_by"], c["contacted"], c["channel"],
         t.yes_no(c["reached"]), c["result"]] for c in d["contacts"]],
        [20, 16, 34, 24, 18, 12, 56])
    document.section("Brev til foresatte")
    document.grid(["Dato", "Formål", "Lovgrunnlag oppgitt", "Straffeansvar oppgitt",
                    "Dokument"], [
        [letter["date"], t.PURPOSES_NB.get(letter["purpose"], letter["purpose"]),
         t.yes_no(letter["states_legal_basis"]), t.yes_no(letter["states_criminal_liability"]),
         letter["document_ref"]] for letter in d["letters"]], [24, 40, 38, 38, 40])
    document.section("Møter")
    document.grid(["Dato", "Møte", "Eleven deltok", "Referat"], [
        [m["at"][:10], t.MEETINGS_NB.get(m["kind"], m["kind"]), t.yes_no(m["pupil_participated"]),
         m["minutes"]] for m in d["meetings"]], [24, 50, 26, 80])
    document.section("Tidslinje")
    document.grid(["Skjedde", "Registrert", "Hendelse", "Av", "Lovgrunnlag", "Pos."], [
        [e["occurred_at"][:10], e["recorded_at"][:10], t.TYPES_NB.get(e["type"], e["type"]),
         ROLES_NB.get(e["actor"]["role"], e["actor"]["role"]), e["legal_basis"] or "",
         e["position"]] for e in d["timeline"]], [22, 22, 46, 30, 46, 14])
    document.section("Etterprøving")
    digest = d["digest"]
    document.paragraph(
        "Hendelsene er med i Skolefraværs manipuleringssikre logg (RFC 6962). "
        + (f"Loggen hadde {digest['tree_size']} hendelser med rothash "
           f"{digest['root_sha256']} ({digest['issued_at']}), signert med nøkkelen med "
           f"fingeravtrykk {digest['public_key_fingerprint_sha256']}. Kontroller "
           "saksfremstillingen (JSON) uten tjenesten med offline_verify.py."
           if digest else "Loggen er ikke signert ennå."))
    return bytes(document.output())


class _Pdf(FPDF):
    def title_block(self, d: dict[str, Any]) -> None:
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(0, 9, _text(d["title"]), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 5, _text(f"Utarbeidet {d['made_at'][:16].replace('T', ' kl. ')} "
                                    f"for kommune {d['municipality']}."),
                        new_x="LMARGIN", new_y="NEXT")

    def section(self, title: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(0, 7, _text(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 8)

    def paragraph(self, text: str) -> None:
        self.multi_cell(0, 4.5, _text(text), new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        self.grid([], [[label, value] for label, value in rows], [40, 140])

    def grid(self, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        if not rows:
            self.paragraph("Ingen.")
            return
        with super().table(col_widths=widths, text_align="LEFT", line_height=4.5,
                           first_row_as_headings=bool(header)) as table:
            for values in ([header] if header else []) + rows:
                row = table.row()
                for value in values:
                    row.cell(_text(str(value)))


def _text(value: str) -> str:
    return value.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")
