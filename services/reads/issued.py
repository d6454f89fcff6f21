"""Issued case presentations (POL-5): a dossier made once, signed, recorded as a
``DossierIssued`` event, and fetched by id afterwards exactly as it was issued.

What is stored: the issued JSON itself, in the event (``domain.issued_dossier``). It is the
RFC 8785 canonical text of an envelope (``services.evidence.signed_json``) whose signed
``content`` holds

- ``issued``: the dossier's id, the pupil, when and by whom it was issued, and the tree size
  and root of the signed checkpoint it was made from;
- ``for_people``: the people-facing model (``rendering.people.document``) — every word and
  figure the HTML and the PDF show;
- ``dossier``: the dossier data, with the checkpoint and an inclusion proof for each event.

Storing it, rather than rebuilding it from the log prefix at that tree size, is what makes
a fetch byte-identical whatever happened since: the views a dossier reads (tallies, case,
concerns) are current state, not state as of a position, and rules, wording and shielding
may change between versions of the service. The HTML and the PDF are drawn from the stored
model on every fetch; they are the same bytes for as long as the renderer is (a new
version of fpdf2 may draw the same model differently — the JSON, signed, is the record).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from domain.disposal import DataDisposed
from domain.envelope import Role
from domain.issued_dossier import IssuedDossier, issued_dossier_id
from domain.privacy import Sight
from services.evidence import signed_json
from services.evidence.recorder import Signer
from services.reads.dossier import Dossiers
from services.reads.history import History, Reader
from services.reads.rendering import people
from services.store.application import Skolefravaer

FORMAT = "skolefravaer/utstedt-saksfremstilling"
VERSION = 1


class NotSignable(Exception):
    """No signed checkpoint or no key yet: a dossier cannot be issued."""


class Disposed(Exception):
    """The dossier's pupil's data was disposed of (PRIV-4): its key, and so the dossier's
    only readable copy, is destroyed."""


class Shielded(Exception):
    """The dossier was issued for a reader who sees safeguarding records or health details
    (SAFE, PRIV-1) that this reader may not see: the same bytes cannot be shown to both."""


@dataclass(frozen=True)
class Issued:
    """An issued dossier as stored: whose it is and its JSON text."""

    dossier_id: UUID
    pupil_id: UUID
    tenant: str
    content_sha256: str
    tree_size: int
    document: str
    shows: Sight
    """What its issuer could see, and so it shows."""

    @classmethod
    def of(cls, issued: IssuedDossier) -> Issued:
        return cls(issued.dossier_id, issued.pupil_id, issued.tenant, issued.content_sha256,
                   issued.tree_size, issued.document,
                   Sight(health=issued.health_details, safeguarding=issued.safeguarding,
                         whereabouts=issued.whereabouts))

    def readable_by(self, reader: Reader) -> bool:
        """Only by readers who may see all it shows (the same bytes for every reader)."""
        mine, shown = reader.sight, self.shows
        return (mine.health or not shown.health) and \
            (mine.safeguarding or not shown.safeguarding) and \
            (mine.whereabouts or not shown.whereabouts)

    def parsed(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.document)
        return found


class IssuedDossiers:
    """Issues dossiers and fetches issued ones, recording each read (PRIV-3)."""

    def __init__(self, app: Skolefravaer, history: History, dossiers: Dossiers,
                 signer: Signer | None) -> None:
        self.app = app
        self.history = history
        self.dossiers = dossiers
        self.signer = signer

    def issue(self, pupil_id: UUID, tenant: str, reader: Reader) -> Issued | None:
        """A new issued dossier of the pupil's case as it is now; None for a pupil nobody
        recorded anything about."""
        dossier_id = uuid4()
        made = self.dossiers.build(pupil_id, tenant, reader, what=f"dossier {dossier_id}")
        if made is None:
            return None
        digest = made["digest"]
        if digest is None or self.signer is None:
            raise NotSignable("no signed checkpoint to issue the dossier from")
        content = {
            "issued": {"dossier_id": str(dossier_id), "pupil_id": str(pupil_id),
                       "shows": {"safeguarding": reader.sight.safeguarding,
                                 "health_details": reader.sight.health,
                                 "whereabouts": reader.sight.whereabouts},
                       "municipality": made["municipality"], "issued_at": made["made_at"],
                       "issued_by": {"id": reader.actor.id, "role": Role(reader.actor.role).value},
                       "tree_size": digest["tree_size"], "root_sha256": digest["root_sha256"]},
            "for_people": people.document(made),
            "dossier": made,
        }
        envelope = signed_json.sign(content, self.signer.key, format=FORMAT, version=VERSION)
        issued = IssuedDossier(
            tenant=made["municipality"], dossier_id=dossier_id, pupil_id=pupil_id,
            tree_size=digest["tree_size"], root_sha256=digest["root_sha256"],
            issued_by=reader.actor, content_sha256=envelope["content_sha256"],
            document=signed_json.canonical(envelope).decode("utf-8"),
            safeguarding=reader.sight.safeguarding, health_details=reader.sight.health,
            whereabouts=reader.sight.whereabouts)
        self.app.save(issued)
        return Issued.of(issued)

    def fetch(self, dossier_id: UUID, tenant: str, reader_of: Callable[[UUID], Reader],
              may_read: Callable[[UUID], bool]) -> Issued | None:
        """The issued dossier, its read recorded; None when the municipality has none with
        this id or ``may_read`` (the reader's reach) says no to its pupil; `Shielded` when
        it shows what the reader may not see; `Disposed` when its pupil's data is gone."""
        try:
            found = self.app.peek(issued_dossier_id(tenant, dossier_id), Issued.of)
        except DataDisposed:
            raise Disposed(dossier_id) from None
        if found is None or not may_read(found.pupil_id):
            return None
        reader = reader_of(found.pupil_id)  # what they may see of this pupil
        if not found.readable_by(reader):
            raise Shielded(dossier_id)
        self.history.record_read(tenant, found.pupil_id, reader, f"dossier {dossier_id}")
        return found
