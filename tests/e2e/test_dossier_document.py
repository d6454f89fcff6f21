"""The case presentation as a document people read (issue 12): the realistic case fetched
as JSON, HTML and PDF — Oslo time, people by name, every record kind, page numbers and the
pupil at the head of every page, embedded fonts that hold Sámi letters, PDF/A metadata."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdf
import pypdfium2
import pytest

from services.reads.rendering import dossier as render
from services.reads.rendering import people, wording
from tests.e2e.test_retries import story
from tests.support.events import new_pupil
from tests.support.realistic_case import (
    FATHER,
    LATE_CONTACT,
    MOTHER,
    NAME,
    Municipality,
    realistic_case,
)

HEADER = f"{NAME} · saksref. saksfremstilling-2027-4"


@dataclass(frozen=True)
class Fetched:
    dossier: dict[str, Any]
    model: dict[str, Any]
    html: str
    pdf: bytes
    pages: list[str]
    """The text of each PDF page, its lines joined by spaces."""


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetched]:
    office = Municipality(tmp_path_factory.mktemp("kommune"))
    try:
        pupil = realistic_case(office)
        dossier = office.dossier(pupil, "application/json").get_json()
        html = office.dossier(pupil, "text/html").get_data(as_text=True)
        pdf = office.dossier(pupil, "application/pdf").data
    finally:
        office.close()
    yield Fetched(dossier, people.document(dossier), html, pdf, pages_of(pdf))


def pages_of(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [re.sub(r"\s+", " ", document[i].get_textpage().get_text_range())
            for i in range(len(document))]


def model_text(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False)


def html_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def rows_of(model: dict[str, Any], section_id: str) -> list[list[str]]:
    [section] = [s for s in model["sections"] if s["id"] == section_id]
    return [row for b in section["blocks"] if b["kind"] == "table" for row in b["rows"]]


@pytest.mark.rule("POL-4")
def test_a_contact_after_midnight_in_oslo_shows_the_oslo_date_and_time_everywhere(
        fetched: Fetched) -> None:
    assert LATE_CONTACT == "2026-10-05T22:30:00+00:00"
    late = "06.10.2026 kl. 00:30"

    [contact] = [r for r in rows_of(fetched.model, "kontakt") if FATHER in r[2]]
    assert contact[0] == late and contact[1] == "rektor"
    assert late in html_text(fetched.html)
    assert late in " ".join(fetched.pages)
    for wrong in ("05.10.2026 kl. 22:30", "2026-10-05", "22:30"):
        assert wrong not in model_text(fetched.model)
        assert wrong not in " ".join(fetched.pages)
    made = fetched.dossier["made_at"]  # 10:00 Oslo time in winter: 09:00 UTC
    assert made == "2027-02-01T10:00:00+01:00"
    assert "Utarbeidet 01.02.2027 kl. 10:00" in fetched.pages[0]


RECORD_KINDS = {
    "pupil and guardians": [NAME, f"{MOTHER} (mor)", f"{FATHER} (far)", "01011012384"],
    "tally": ["11 dager (7 udokumentert) og 2 enkelttimer (2 udokumentert)", "Udokumentert"],
    "absence days and lessons": ["22.09.2026 3. time", "17.11.2026 hel dag"],
    "notices and the doctor's note": ["Melding fra foresatte", "legeerklaering-1"],
    "completeness": ["Kontroll av dokumentasjonen", "oppgir ikke lovgrunnlag"],
    "contacts": ["Far sier eleven blir holdt hjemme. Opplysninger: Familien vil ikke ha hjelp.",
                 "hjemmebesøk"],
    "letters": ["Brev til foresatte (POL-2)", "innkalling", "digital postkasse"],
    "meetings": ["1. konsultasjon", "Elevens innspill: Vil ha fast plass i klasserommet.",
                 "Kontaktmøte med PPT (anonymt)"],
    "leadership informed": ["Ledelsen informert (FOL-3)", "Bekymringsfullt fravær"],
    "agreements and measures": ["Fast person møter eleven ved ankomst (SKOLE-09)",
                                "Jeg vil gjerne bli møtt i døra."],
    "evaluations": ["02.11.2026: virket ikke"],
    "consents": ["Samtykker (REF-4)", "konsultasjonsteamet"],
    "referrals": ["Henvisning", "møte 17.11.2026 kl. 09:00"],
    "child-welfare assessment": ["drøfte saken anonymt med barnevernstjenesten"],
    "concern reports": ["Foresatte holder eleven hjemme over tid.", "bekymringsmelding-1"],
    "concerns raised": ["3 enkeltdager fravær i løpet av en måned", "september 2026",
                        "høsten 2026"],
    "tasks with met and missed deadlines": ["Ring foresatte samme dag",
                                            "overskredet, utført senere", "holdt"],
    "leave": ["familiebegivenhet", "avslått 12.11.2026, avviker fra anbefalingen"],
    "diploma": ["delvis godkjent", "4. sykedag med dokumentasjon fra lege."],
    "forwarding": ["Sendt kommunedirektøren", "saksreferanse saksfremstilling-2027-4"],
    "police decision": ["forholdet anmeldes til politiet"],
    "timeline": ["Vedlegg A. Tidslinje", "Frist overskredet"],
    "signatures": ["Underskrifter", "Rektor", "Kommunedirektør", "Sted og dato"],
    "appendices": ["Vedlegg B. Personer og id-er", "Vedlegg C. Lovgrunnlag",
                   "Vedlegg D. Etterprøving"],
}


@pytest.mark.rule("POL-2", "POL-3", "POL-4", "POL-5")
@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_every_record_kind_of_the_case_is_in_the_pdf_and_the_html(fetched: Fetched,
                                                                  kind: str) -> None:
    pdf, html = " ".join(fetched.pages), html_text(fetched.html)
    for words in RECORD_KINDS[kind]:
        assert words in pdf, (kind, words)
        assert words in html, (kind, words)


def test_the_pupils_name_in_sami_letters_is_intact(fetched: Fetched) -> None:
    assert NAME == "Máret Čuđi Ŋuolga"
    assert NAME in fetched.pages[0] and NAME in fetched.html
    assert "?" not in fetched.pages[0].split("Saksfremstilling")[1][:200]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=fetched.pdf,
                              capture_output=True, check=True).stdout.decode()
        assert NAME in text and f"{FATHER} (far)" in text


def test_every_page_carries_the_pupil_the_case_reference_and_side_x_av_y(
        fetched: Fetched) -> None:
    count = len(fetched.pages)
    assert count >= 5
    for number, text in enumerate(fetched.pages, start=1):
        assert HEADER in text, number
        assert f"Side {number} av {count}" in text, number
    # Printed from a browser, the HTML's page boxes carry the same.
    assert f'@top-right {{ content: "{HEADER}";' in fetched.html
    assert '@bottom-right { content: "Side " counter(page) " av " counter(pages);' in fetched.html


def test_every_page_is_drawn_with_its_header_and_footer(fetched: Fetched,
                                                        tmp_path: Path) -> None:
    document = pypdfium2.PdfDocument(fetched.pdf)
    for number in range(len(document)):
        image = document[number].render(scale=1).to_pil().convert("L")
        image.save(tmp_path / f"side-{number + 1}.png")
        width, height = image.size
        head = image.crop((0, 0, width, height * 20 // 297))  # the top 20 mm
        foot = image.crop((0, height * 283 // 297, width, height))  # the bottom 14 mm
        assert head.getextrema()[0] < 128 and foot.getextrema()[0] < 128, number + 1


def fonts_of(pdf: bytes) -> dict[str, bool]:
    """Each font the pages use, and whether its program is embedded in the file."""
    found: dict[str, bool] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                          else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            found[str(font["/BaseFont"])] = any(key in descriptor for key in (
                "/FontFile", "/FontFile2", "/FontFile3"))
    return found


def test_every_font_is_embedded_and_the_file_declares_pdf_a_3b(fetched: Fetched) -> None:
    fonts = fonts_of(fetched.pdf)
    assert set(fonts) == {"/MPDFAA+DejaVuSansCondensed", "/MPDFAA+DejaVuSansCondensedBold"}
    assert all(fonts.values()), fonts
    if shutil.which("pdffonts"):
        listed = subprocess.run(["pdffonts", "-"], input=fetched.pdf, capture_output=True,
                                check=True).stdout.decode().splitlines()[2:]
        assert len(listed) == 2 and all(line.split()[-5] == "yes" for line in listed), listed
    reader = pypdf.PdfReader(io.BytesIO(fetched.pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.dc_title["x-default"] == f"Saksfremstilling – alvorlig skolefravær: {NAME}"
    assert xmp.dc_creator == ["Skolefravær, kommunenummer 3101"]
    assert "saksreferanse saksfremstilling-2027-4" in xmp.dc_description["x-default"]
    assert xmp.xmp_create_date.isoformat().startswith("2027-02-01T09:00:00")  # made_at, UTC
    assert xmp.pdf_producer.startswith("Skolefravær")
    raw = xmp.rdf_root.toxml()
    assert "<pdfaid:part>3</pdfaid:part>" in raw and "<pdfaid:conformance>B" in raw
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert reader.pdf_header == "%PDF-1.7"


def test_the_same_dossier_gives_the_same_document_byte_for_byte(fetched: Fetched) -> None:
    again = copy.deepcopy(fetched.dossier)
    assert people.document(again) == fetched.model
    assert json.loads(json.dumps(fetched.model)) == fetched.model  # plain data
    assert render.pdf(again) == render.pdf(fetched.dossier)
    assert render.html(again) == render.html(fetched.dossier)


def test_people_appear_by_name_or_role_and_their_ids_only_in_appendix_b(
        fetched: Fetched) -> None:
    pdf = " ".join(fetched.pages)
    html = html_text(fetched.html)
    ids = ["guardian-1", "guardian-2", "teacher-1", "rektor-1", "kommunedirektor-1",
           fetched.dossier["pupil"]["pupil_id"]]
    for text in (pdf, html):
        running, appendix = text.split("Vedlegg B. Personer og id-er", 1)
        for raw in ids:
            assert raw not in running, raw
            assert raw in appendix.split("Vedlegg C")[0], raw


def test_the_proof_hashes_are_only_in_appendix_d(fetched: Fetched) -> None:
    hashes = [e["hash"] for e in fetched.dossier["timeline"]]
    root = fetched.dossier["digest"]["root_sha256"]  # each read adds to the log: this read's
    for text in (" ".join(pages_of(render.pdf(fetched.dossier))),
                 html_text(render.html(fetched.dossier))):
        running, appendix = text.split("Vedlegg D. Etterprøving", 1)
        assert root not in running and root in appendix
        assert not any(h in running for h in hashes)
        assert all(h in appendix for h in hashes)


@pytest.mark.rule("LAW-1")
def test_unverified_legal_references_are_marked_and_verified_ones_are_not(
        fetched: Fetched) -> None:
    def bases(model: dict[str, Any]) -> list[str]:
        return [p for s in model["sections"] for b in s["blocks"] if b["kind"] == "text"
                for p in b["paragraphs"] if p.startswith("Lovgrunnlag:")]

    unverified = bases(fetched.model)
    assert "Lovgrunnlag: opplæringslova § 2-2 første ledd (ikke verifisert)." in unverified
    assert all("(ikke verifisert)" in b for b in unverified)
    assert "opplæringslova § 2-2 første ledd (ikke verifisert)" in " ".join(fetched.pages)

    verified = copy.deepcopy(fetched.dossier)
    for entry in verified["timeline"]:
        entry["legal_basis_verified"] = True
    marked = bases(people.document(verified))
    assert "Lovgrunnlag: opplæringslova § 2-2 første ledd." in marked
    assert not any("ikke verifisert" in b for b in marked)


def test_every_kind_of_event_about_a_pupil_is_drawn_in_words(tmp_path: Path) -> None:
    """The retry test's story touches every type the service accepts; the principal, who
    handles safeguarding, reads all of the pupil's."""
    pupil = new_pupil()
    office = Municipality(tmp_path)
    try:
        office.at("2026-12-20T10:00", *story(pupil))
        dossier = office.dossier(pupil, "application/json").get_json()
        pdf = " ".join(pages_of(office.dossier(pupil, "application/pdf").data))
        html = html_text(office.dossier(pupil, "text/html").get_data(as_text=True))
    finally:
        office.close()

    kinds = {e["type"] for e in dossier["timeline"]}
    assert len(kinds) >= 40 and "SafeguardingConcernRecorded" in kinds
    for kind in kinds:
        assert kind in wording.TYPES_NB, kind
        assert wording.TYPES_NB[kind] in pdf and wording.TYPES_NB[kind] in html, kind
        assert kind not in pdf and kind not in html, kind  # no code names for people
    for words in ("Lengre reise planlagt", "10.10.2026–20.10.2026, utlandet",
                  "fortsetter opplæringen i Norge", "til kommunenummer 0301",
                  "hel dag (rettet 01.09.2026: ugyldig, Feilregistrert)", "for sent, 10 min",
                  "kom, men gikk kl. 12:00", "Vondt i magen om morgenen", "trukket",
                  "dokument evaluering-1", "forholdet anmeldes ikke", "flyttet, siste dag"):
        assert words in pdf and words in html, words


def test_several_people_in_one_role_are_told_apart_by_number(fetched: Fetched) -> None:
    changed = copy.deepcopy(fetched.dossier)
    first, *_ = [e for e in changed["timeline"] if e["type"] == "ContactLogged"]
    first["data"]["contact"]["made_by"]["id"] = "teacher-2"

    model = people.document(changed)

    makers = [row[1] for row in rows_of(model, "kontakt")]
    assert makers == ["kontaktlærer 2", "rektor", "kontaktlærer 1"]
    appendix = {row[0]: row[1] for row in model["appendices"][1]["blocks"][1]["rows"]}
    assert appendix["teacher-1"] == "kontaktlærer 1"
    assert appendix["teacher-2"] == "kontaktlærer 2"
    assert appendix["guardian-2"] == f"foresatt, {FATHER} (far)"
