"""A data key per pupil, wrapped by the master key (envelope encryption, PRIV-4).

With ``CIPHER_KEY`` set, each pupil's events (the pupil's stream, the follow-up case's and
the dossiers issued of it), their snapshots and the personal columns of the pupil's view
rows are encrypted with a key of the pupil's own. That key is stored only wrapped
(encrypted) by the master key, in ``pupil_key``; disposing of the pupil's data destroys
it (crypto-shredding): the stored ciphertext, and the audit log's hashes over it, stay as
they were, but nothing can read them any more. Everything else (municipalities, calendars,
receipts, the read log) is encrypted with the master key, as eventsourcing's ``AESCipher``
does.

A sealed value is ``MAGIC`` + the pupil key's id (16 bytes) + AES-GCM's nonce, tag and
ciphertext; the master key's output never starts with ``MAGIC`` but by a 2⁻⁴⁸ chance, so
events stored before per-pupil keys still read.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import Environment, get_topic, resolve_topic

from domain.case import FollowUpCase
from domain.disposal import DataDisposed
from domain.issued_dossier import IssuedDossier
from domain.pupil import Pupil, pupil_aggregate_id
from projections.db import Transaction, ViewDatabase

MAGIC = b"\x00SKPK1"
KEY_BYTES = 32
CACHE_SECONDS = 30.0
"""How long a process trusts a key it has read: a disposal elsewhere takes at most this
long to reach a running worker (the projection purges the rows again when it reaches the
disposal's event, so nothing it wrote meanwhile stays)."""

SCHEMA = """CREATE TABLE IF NOT EXISTS pupil_key (
    key_id TEXT PRIMARY KEY,
    wrapped TEXT,
    created_at TEXT NOT NULL,
    disposed_at TEXT
)"""

PUPIL_TOPICS = frozenset({get_topic(Pupil), get_topic(FollowUpCase)})


class PupilKeys:
    """The pupils' data keys: created on first use, unwrapped with the master key, cached
    for ``CACHE_SECONDS``, destroyed on disposal."""

    def __init__(self, db: ViewDatabase, cipher_class: type[Cipher], master_key: str) -> None:
        self.db = db
        self.cipher_class = cipher_class
        self.master = self._with_key(master_key)
        self._cache: dict[UUID, tuple[float, Cipher | None, str | None]] = {}
        self._lock = threading.Lock()
        with db.transaction() as tx:
            create(tx)

    @classmethod
    def from_settings(cls, db: ViewDatabase, cipher_topic: str, master_key: str) -> PupilKeys:
        """The configured cipher (``CIPHER_TOPIC``) under the master key and each pupil's."""
        return cls(db, resolve_topic(cipher_topic), master_key)

    def _with_key(self, key: str) -> Cipher:
        return self.cipher_class(Environment(env={"CIPHER_KEY": key}))

    def seal(self, key_id: UUID | None, plaintext: bytes) -> bytes:
        if key_id is None:
            return self.master.encrypt(plaintext)
        return MAGIC + key_id.bytes + self._cipher(key_id, create=True).encrypt(plaintext)

    def open(self, sealed: bytes) -> bytes:
        if not sealed.startswith(MAGIC):
            return self.master.decrypt(sealed)
        start = len(MAGIC)
        key_id = UUID(bytes=sealed[start:start + 16])
        return self._cipher(key_id, create=False).decrypt(sealed[start + 16:])

    def disposed_at(self, key_id: UUID) -> str | None:
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT disposed_at FROM pupil_key WHERE key_id = :id",
                              {"id": str(key_id)})
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def destroy(self, tx: Transaction, key_id: UUID, at: datetime) -> None:
        """Forget the pupil's key for good; remember only that, and when."""
        tx.execute("INSERT INTO pupil_key (key_id, wrapped, created_at, disposed_at) VALUES "
                   "(:id, NULL, :at, :at) ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, "
                   "disposed_at = excluded.disposed_at",
                   {"id": str(key_id), "at": at.astimezone(UTC).isoformat()})
        with self._lock:
            self._cache.pop(key_id, None)

    def _cipher(self, key_id: UUID, *, create: bool) -> Cipher:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is None or now - cached[0] > CACHE_SECONDS:
            cached = (now, *self._load(key_id, create=create))
            with self._lock:
                self._cache[key_id] = cached
        _, cipher, disposed_at = cached
        if cipher is None:
            raise DataDisposed(key_id, disposed_at)
        return cipher

    def _load(self, key_id: UUID, *, create: bool) -> tuple[Cipher | None, str | None]:
        with self.db.transaction() as tx:
            if create:
                wrapped = base64.b64encode(self.master.encrypt(os.urandom(KEY_BYTES))).decode()
                tx.execute("INSERT INTO pupil_key (key_id, wrapped, created_at) VALUES "
                           "(:id, :wrapped, :at) ON CONFLICT (key_id) DO NOTHING",
                           {"id": str(key_id), "wrapped": wrapped,
                            "at": datetime.now(UTC).isoformat()})
            rows = tx.execute("SELECT wrapped, disposed_at FROM pupil_key WHERE key_id = :id",
                              {"id": str(key_id)})
        if not rows or rows[0][0] is None:
            return None, str(rows[0][1]) if rows else None
        key = self.master.decrypt(base64.b64decode(rows[0][0]))
        return self._with_key(base64.b64encode(key).decode()), None


def create(tx: Transaction) -> None:
    tx.execute(SCHEMA)


def pupil_key_id(domain_event: Any) -> UUID | None:
    """The key of the pupil a stored event or snapshot belongs to; None for the rest."""
    if isinstance(domain_event, Pupil.Event | FollowUpCase.Event):
        return pupil_aggregate_id(domain_event.envelope.tenant, domain_event.pupil_id)
    if isinstance(domain_event, IssuedDossier.DossierIssued):  # a copy of the case's data
        return pupil_aggregate_id(domain_event.tenant, domain_event.pupil_id)
    if isinstance(domain_event, Snapshot) and domain_event.topic in PUPIL_TOPICS:
        state = domain_event.state
        return pupil_aggregate_id(state["tenant"], state["pupil_id"])
    return None


class PupilKeyMapper(Mapper[UUID]):
    """eventsourcing's mapper, with the cipher chosen per event: the pupil's key for the
    pupil's events and snapshots, the master key for the rest."""

    def __init__(self, transcoder: Transcoder, keys: PupilKeys,
                 compressor: Compressor | None = None) -> None:
        super().__init__(transcoder, compressor=compressor, cipher=None)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        return replace(stored, state=self.keys.seal(pupil_key_id(domain_event), stored.state))

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Raises ``DataDisposed`` for an event of a pupil whose data was disposed of."""
        opened = replace(stored_event, state=self.keys.open(stored_event.state))
        return super().to_domain_event(opened)


class ViewSealer:
    """Seals view columns with the pupil's key (``projections.sealing``)."""

    PREFIX = "sealed:"

    def __init__(self, keys: PupilKeys) -> None:
        self.keys = keys

    def seal(self, tenant: str, pupil_id: UUID | str, text: str) -> str:
        key_id = pupil_aggregate_id(tenant, UUID(str(pupil_id)))
        return self.PREFIX + base64.b64encode(self.keys.seal(key_id, text.encode())).decode()

    def open(self, text: str) -> str:
        if not text.startswith(self.PREFIX):  # JSON: stored before encryption was on
            return text
        return self.keys.open(base64.b64decode(text[len(self.PREFIX):])).decode()
