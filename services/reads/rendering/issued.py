"""An issued dossier (``services.reads.issued``) as HTML and as PDF: the people-facing model
it was issued with, drawn as the preview is, with appendix E saying what was issued and how
to check it — and, in the PDF, the issued JSON itself attached (a PDF/A-3 associated file),
so the paper carries what its signature covers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.reads.dossier import ROLES_NB
from services.reads.rendering import pdf as paper
from services.reads.rendering import wording as t
from services.reads.rendering.dossier import html_of
from services.reads.rendering.people import facts, text

ATTACHMENT = "saksfremstilling.json"
ISSUED = "E"


def html(document: str) -> str:
    return html_of(model_of(json.loads(document)))


def pdf(document: str) -> bytes:
    envelope = json.loads(document)
    issued_at = datetime.fromisoformat(envelope["content"]["issued"]["issued_at"])
    return paper.render(model_of(envelope),
                        paper.Attachment(ATTACHMENT, document.encode("utf-8"), issued_at,
                                         "Saksfremstillingen som signert JSON (RFC 8785)"))


def model_of(envelope: dict[str, Any]) -> dict[str, Any]:
    """The model the dossier was issued with, a lead paragraph and appendix E added; what
    they say is in the signed content or derived from it (its hash)."""
    model: dict[str, Any] = envelope["content"]["for_people"]
    issued = envelope["content"]["issued"]
    lead = (f"Utstedt {t.moment(issued['issued_at'])} som dokument {issued['dossier_id']}. "
            "Saksfremstillingen er signert og endres ikke; hvordan den kontrolleres, står i "
            f"vedlegg {ISSUED}.")
    return {**model, "lead": [lead, *model["lead"]],
            "appendices": [*model["appendices"], _appendix(envelope)]}


def _appendix(envelope: dict[str, Any]) -> dict[str, Any]:
    issued, signature = envelope["content"]["issued"], envelope["signature"]
    by = issued["issued_by"]
    return {"id": "utstedelse", "title": f"Vedlegg {ISSUED}. Utstedelse og kontroll",
            "blocks": [
                facts([("Dokument-id", issued["dossier_id"]),
                       ("Utstedt", t.moment(issued["issued_at"])),
                       ("Utstedt av", f"{ROLES_NB.get(by['role'], by['role'])} ({by['id']})"),
                       ("Laget fra loggen med", f"{issued['tree_size']} hendelser"),
                       ("Loggens rothash (SHA-256)", issued["root_sha256"]),
                       ("Innholdets fingeravtrykk (SHA-256)", envelope["content_sha256"]),
                       ("Nøkkelens fingeravtrykk (SHA-256)",
                        signature["public_key_fingerprint_sha256"])]),
                text("Alt saksfremstillingen viser, står i filen "
                     f"{ATTACHMENT}, som er signert med tjenestens nøkkel for loggen "
                     "(Ed25519, over JSON-teksten i kanonisk form etter RFC 8785). I PDF-en "
                     "er filen lagt ved.",
                     "Kontroller uten tjenesten: python offline_verify.py saksfremstilling.pdf "
                     "--offentlig-nokkel skolefravaer.pem (eller den hentede JSON-filen). "
                     "Programmet viser innholdets fingeravtrykk: det skal være det samme som "
                     "over. Et endret tegn i noe av det saksfremstillingen viser, gir feil.")]}
