"""Issued case presentations (issue 12): a dossier issued once, signed and recorded as an
event, fetched by id as the same bytes whatever is posted since; every byte a person reads
bound to the signature, checked offline from the JSON or from the PDF that carries it."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.issued_dossier import IssuedDossier, issued_dossier_id
from services.evidence import offline_verify, signed_json
from services.reads.rendering import issued as render
from tests.conftest import ROOT
from tests.e2e.test_dossier_document import html_text, pages_of
from tests.support import tokens
from tests.support.case_events import contact
from tests.support.events import absent
from tests.support.realistic_case import NAME, PRINCIPAL, Municipality, realistic_case

VERIFIER = ROOT / "services" / "evidence" / "offline_verify.py"
AUDITOR = tokens.bearer(tokens.staff("auditor", person="revisor-1"))
MEDIA = ("application/json", "text/html", "application/pdf")


@dataclass(frozen=True)
class Issued:
    pupil: str
    location: str
    answer: dict[str, Any]
    first: dict[str, bytes]
    """By media type: the bytes of the first fetch (before more was posted)."""
    again: dict[str, bytes]
    """… and of a fetch after events were posted and another dossier issued."""
    stored: IssuedDossier
    reads: list[dict[str, Any]]
    consistency: dict[str, Any]
    second_tree_size: int
    by_auditor: bytes
    """The JSON of the dossier an auditor reads (a preview; auditors do not issue): made
    for a reader without health details."""

    @property
    def envelope(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.first["application/json"])
        return found


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issued]:
    office = Municipality(tmp_path_factory.mktemp("kommune"))
    try:
        pupil = realistic_case(office)
        posted = office.client.post(f"/v1/pupils/{pupil}/dossiers", headers=PRINCIPAL)
        assert posted.status_code == 201, posted.data[:300]
        location = posted.headers["Location"]
        first = fetch_all(office, location)
        office.at("2027-02-02T09:00", absent(pupil, "2027-02-02"),
                  contact(pupil, "2027-02-02T09:00:00+01:00", result="Mor tar ikke telefonen."))
        second = office.client.post(f"/v1/pupils/{pupil}/dossiers", headers=PRINCIPAL)
        again = fetch_all(office, location)
        office.service.audit_log.settle()
        old_size = posted.get_json()["tree_size"]
        consistency = office.client.get(f"/v1/audit/consistency?old_size={old_size}").get_json()
        stored: IssuedDossier = office.service.app.repository.get(issued_dossier_id(
            "3101", UUID(posted.get_json()["dossier_id"])))
        reads = office.client.get(f"/v1/pupils/{pupil}/reads", headers=PRINCIPAL).get_json()
        by_auditor = office.client.get(f"/v1/pupils/{pupil}/dossier", headers=AUDITOR).data
    finally:
        office.close()
    yield Issued(pupil, location, posted.get_json(), first, again, stored, reads["reads"],
                 consistency, second.get_json()["tree_size"], by_auditor)


def fetch_all(office: Municipality, location: str) -> dict[str, bytes]:
    fetched = {}
    for accept in MEDIA:
        response = office.client.get(location, headers={**PRINCIPAL, "Accept": accept})
        assert response.status_code == 200 and response.mimetype == accept, response.data[:300]
        fetched[accept] = response.data
    return fetched


def test_fetching_an_issued_dossier_gives_the_same_bytes_whatever_was_posted_since(
        issued: Issued) -> None:
    assert issued.second_tree_size > issued.answer["tree_size"]  # the log did grow
    for accept in MEDIA:
        assert issued.again[accept] == issued.first[accept], accept
    assert "Mor tar ikke telefonen." not in issued.first["application/json"].decode()


def test_issuing_is_recorded_as_an_event_naming_the_checkpoint_the_issuer_and_the_hash(
        issued: Issued) -> None:
    envelope, stored = issued.envelope, issued.stored
    content = envelope["content"]
    assert stored.document.encode() == issued.first["application/json"]
    assert stored.document.encode() == signed_json.canonical(envelope)  # stored canonical
    assert stored.content_sha256 == hashlib.sha256(
        signed_json.canonical(content)).hexdigest() == issued.answer["content_sha256"]
    assert (stored.tree_size, stored.root_sha256) == (
        content["dossier"]["digest"]["tree_size"], content["dossier"]["digest"]["root_sha256"])
    assert (stored.issued_by.id, str(stored.issued_by.role)) == ("rektor-1", "principal")
    assert content["issued"]["dossier_id"] == str(stored.dossier_id)
    assert issued.location == f"/v1/dossiers/{stored.dossier_id}"


def test_issuing_and_every_fetch_are_recorded_reads(issued: Issued) -> None:
    """PRIV-3: the issue and the six fetches of this dossier, each by its id."""
    mine = [r for r in issued.reads if r["what"] == f"dossier {issued.stored.dossier_id}"]
    assert len(mine) == 1 + 2 * len(MEDIA)
    assert {r["reader"]["id"] for r in mine} == {"rektor-1"}


def test_the_untouched_dossier_verifies_offline_as_json_and_as_pdf(issued: Issued,
                                                                   tmp_path: Path) -> None:
    for name, data in (("d.json", issued.first["application/json"]),
                       ("d.pdf", issued.first["application/pdf"])):
        (tmp_path / name).write_bytes(data)
        run = standalone(tmp_path / name)
        assert run.returncode == 0, run.stdout
        assert f"Innholdets fingeravtrykk (SHA-256): {issued.answer['content_sha256']}" \
            in run.stdout
        assert "Signaturen over innholdet (RFC 8785, Ed25519) er gyldig" in run.stdout
    assert offline_verify.attached_json(issued.first["application/pdf"]) == \
        issued.first["application/json"]


def standalone(*args: Path | str) -> subprocess.CompletedProcess[str]:
    """The verifier as an auditor runs it: the file alone, from elsewhere."""
    return subprocess.run([sys.executable, str(VERIFIER), *map(str, args)],
                          capture_output=True, text=True, cwd=Path("/"))


def _edit_people(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    """An edit of the text people read: the first cell or paragraph holding ``old``."""
    def edit(content: dict[str, Any]) -> None:
        text = json.dumps(content["for_people"], ensure_ascii=False)
        assert old in text, old
        content["for_people"] = json.loads(text.replace(old, new, 1))
    return edit


def _edit_name(content: dict[str, Any]) -> None:
    content["dossier"]["pupil"]["name"] = "Ola Nordmann"


def _edit_tally(content: dict[str, Any]) -> None:
    content["dossier"]["absence"]["days"]["undocumented"] = 40


def _edit_result(content: dict[str, Any]) -> None:
    content["dossier"]["contacts"][1]["result"] = "Far samarbeider godt."


def _edit_date(content: dict[str, Any]) -> None:
    entry = next(e for e in content["dossier"]["timeline"] if e["type"] == "ContactLogged")
    entry["occurred_at"] = entry["occurred_at"].replace("2026-", "2025-")


def _edit_flag(content: dict[str, Any]) -> None:
    letter = content["dossier"]["letters"][0]
    letter["states_legal_basis"] = not letter["states_legal_basis"]


EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "pupil's name, read": _edit_people(NAME, "Ola Nordmann"),
    "pupil's name, data": _edit_name,
    "tally figure, read": _edit_people("(7 udokumentert)", "(40 udokumentert)"),
    "tally figure, data": _edit_tally,
    "contact's result, read": _edit_people("Far sier eleven blir holdt hjemme.",
                                           "Far samarbeider godt."),
    "contact's result, data": _edit_result,
    "timeline date, read": _edit_people("06.10.2026 kl. 00:30", "06.11.2026 kl. 00:30"),
    "timeline date, data": _edit_date,
    "letter flag, read": _edit_people("'digital postkasse', 'ja', 'ja'".replace("'", '"'),
                                      "'digital postkasse', 'nei', 'ja'".replace("'", '"')),
    "letter flag, data": _edit_flag,
}


@pytest.mark.rule("POL-5")
@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_what_a_person_reads_is_rejected_in_the_json_and_in_the_pdf(
        issued: Issued, edit: str, tmp_path: Path) -> None:
    forged = copy.deepcopy(issued.envelope)
    EDITS[edit](forged["content"])
    assert forged != issued.envelope
    text = json.dumps(forged, ensure_ascii=False)
    (tmp_path / "forged.json").write_text(text, encoding="utf-8")
    (tmp_path / "forged.pdf").write_bytes(render.pdf(text))  # the forger's PDF, JSON attached

    for name in ("forged.json", "forged.pdf"):
        document = offline_verify.read_document(str(tmp_path / name))
        findings, _ = offline_verify.check_document(document, None)
        failed = [said for passed, said in findings if not passed]
        assert any("Signaturen over innholdet stemmer ikke" in f for f in failed), (name, failed)
    run = standalone(tmp_path / "forged.pdf")
    assert run.returncode == 1 and "FEIL: Signaturen over innholdet stemmer ikke" in run.stdout


def test_a_recomputed_content_hash_does_not_help_the_forger(issued: Issued) -> None:
    forged = copy.deepcopy(issued.envelope)
    _edit_tally(forged["content"])
    forged["content_sha256"] = hashlib.sha256(
        signed_json.canonical(forged["content"])).hexdigest()
    findings, _ = offline_verify.check_document(forged, None)
    assert [f for passed, f in findings if not passed] == [
        "Signaturen over innholdet stemmer ikke: noe i saksfremstillingen er endret etter at "
        "den ble utstedt, eller den er signert med en annen nøkkel"]


@pytest.mark.rule("POL-4")
def test_a_contact_after_midnight_in_oslo_reads_06_10_2026_kl_00_30_in_the_issued_dossier(
        issued: Issued) -> None:
    late = "06.10.2026 kl. 00:30"
    [section] = [s for s in issued.envelope["content"]["for_people"]["sections"]
                 if s["id"] == "kontakt"]
    rows = [r for b in section["blocks"] if b["kind"] == "table" for r in b["rows"]]
    assert [r[0] for r in rows if "Far sier eleven" in r[5]] == [late]
    assert late in html_text(issued.first["text/html"].decode())
    pages = " ".join(pages_of(issued.first["application/pdf"]))
    assert late in pages and "05.10.2026 kl. 22:30" not in pages


def test_the_pdf_and_html_print_the_fingerprint_and_how_to_verify(issued: Issued) -> None:
    fingerprint = issued.answer["content_sha256"]
    pages = pages_of(issued.first["application/pdf"])
    html = html_text(issued.first["text/html"].decode())
    for text in (" ".join(pages), html):
        appendix = text.split("Vedlegg E. Utstedelse og kontroll", 1)[1]
        assert fingerprint in appendix
        assert "python offline_verify.py saksfremstilling.pdf" in appendix
    assert f"som dokument {issued.stored.dossier_id}" in pages[0]


def test_the_verifier_checks_offline_that_the_log_only_grew_since_the_dossier(
        issued: Issued, tmp_path: Path) -> None:
    older, newer = tmp_path / "d.json", tmp_path / "nyere.json"
    older.write_bytes(issued.first["application/json"])
    newer.write_text(json.dumps(issued.consistency))
    assert issued.consistency["new_size"] > issued.consistency["old_size"]

    run = standalone(older, "--konsistens", older, newer)
    assert run.returncode == 0, run.stdout
    assert f"inneholder uendret loggen med {issued.answer['tree_size']} hendelser" in run.stdout

    rewritten = {**issued.consistency, "proof": [("0" * 64), *issued.consistency["proof"][1:]]}
    newer.write_text(json.dumps(rewritten))
    run = standalone("--konsistens", older, newer, "--offentlig-nokkel", _key_file(
        issued, tmp_path))
    assert run.returncode == 1 and "er IKKE en utvidelse" in run.stdout


def _key_file(issued: Issued, tmp_path: Path) -> Path:
    pem = tmp_path / "nokkel.pem"
    pem.write_text(issued.envelope["content"]["dossier"]["audit"]["public_key_pem"])
    return pem



@pytest.mark.rule("PRIV-1")
def test_a_dossier_for_a_reader_without_health_details_proves_those_events_by_hash(
        issued: Issued, tmp_path: Path) -> None:
    """The doctor's note is in the log, and in the dossier as its leaf hash only: the
    auditor's dossier shows neither doctor nor document, and still verifies offline."""
    events = json.loads(issued.by_auditor)["audit"]["events"]
    hashed = [e for e in events if "leaf_sha256" in e]
    (tmp_path / "auditor.json").write_bytes(issued.by_auditor)

    run = standalone(tmp_path / "auditor.json")

    assert hashed and all("stored_bytes_b64" not in e for e in hashed)
    assert b"legeerklaering-1" not in issued.by_auditor
    assert run.returncode == 0, run.stdout
