"""A case presentation issued once (POL-5): what was issued, from which state of the log, by
whom, and its canonical, signed content — so that it reads the same however often it is
fetched and whatever is recorded after it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.envelope import Actor
from domain.ids import scoped_id


def issued_dossier_id(tenant: str, dossier_id: UUID) -> UUID:
    return scoped_id(tenant, "issued-dossier", dossier_id)


class IssuedDossier(Aggregate):
    """One issued dossier: a single event, never changed (a newer state of the case is a
    new dossier). Kept apart from the pupil and the case, so issuing never competes with
    recording; ``pupil_id`` says whose it is (PRIV-4 disposes of it with the pupil's data)."""

    class DossierIssued(Aggregate.Created):
        tenant: str
        dossier_id: UUID
        pupil_id: UUID
        tree_size: int
        root_sha256: str
        issued_by: Actor
        content_sha256: str
        document: str
        safeguarding: bool
        health_details: bool
        whereabouts: bool

    @staticmethod
    def create_id(tenant: str, dossier_id: UUID, **_: object) -> UUID:
        return issued_dossier_id(tenant, dossier_id)

    @event(DossierIssued)
    def __init__(self, tenant: str, dossier_id: UUID, pupil_id: UUID, tree_size: int,
                 root_sha256: str, issued_by: Actor, content_sha256: str,
                 document: str, safeguarding: bool, health_details: bool,
                 whereabouts: bool) -> None:
        """``document``: the issued JSON as served, byte for byte (RFC 8785 text); its
        ``content`` hashes to ``content_sha256`` and holds the proofs against the signed
        checkpoint of ``tree_size`` leaves with root ``root_sha256``. ``safeguarding``,
        ``health_details`` and ``whereabouts``: whether it was made for a reader who sees
        those (SAFE, PRIV-1, PRIV-2) — only readers who see them too may read it."""
        self.tenant = tenant
        self.dossier_id = dossier_id
        self.pupil_id = pupil_id
        self.tree_size = tree_size
        self.root_sha256 = root_sha256
        self.issued_by = issued_by
        self.content_sha256 = content_sha256
        self.document = document
        self.safeguarding = safeguarding
        self.health_details = health_details
        self.whereabouts = whereabouts
