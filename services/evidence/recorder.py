"""The audit log: an RFC 6962 Merkle tree over the events table, exactly as it is stored.

One leaf per stored event (notification), in log order, appended when the event is first
seen. The leaf is not the decoded event but the stored bytes, bound to their place in the log
(`leaf_bytes`, version 1)::

    b"skolefravaer-leaf-v1\\n" + position + b"\\n" + originator_id + b"\\n"
        + originator_version + b"\\n" + topic + b"\\n" + state

``position`` is the notification id and ``originator_version`` the aggregate version, both as
ASCII decimal; ``originator_id`` is the aggregate id as text, a UUID in its canonical lowercase
hyphenated spelling (as PostgreSQL prints it; SQLite stores 32 hex digits, eventsourcing reads
them back as a UUID); ``topic`` is UTF-8; ``state`` is the ``state`` column byte for byte,
encrypted when a cipher is configured, so destroying a pupil's key (crypto-shredding) leaves
every proof valid. The first four fields hold no newline, so the encoding is unambiguous.
An exporter puts these bytes (base64) in a bundle's ``stored_bytes_b64``; the leaf hash is
``SHA-256(0x00 || leaf_bytes)`` (`services.evidence.merkle.leaf_hash`).

Leaf indexes are dense (0, 1, 2 …) while positions can skip numbers (PostgreSQL's sequence
skips the ids of rolled-back inserts), so ``audit_leaf`` maps one to the other.

`AuditLog` is its own worker rather than a `Follower` sink, because a follower hands its sink
decoded events and the stored bytes are gone by then. Each batch commits its leaves, the
accumulator frontier, the position (`projections.positions`, name ``audit-log``) and, when the
log has a `Signer`, a signed checkpoint of the new tree, in one transaction: every recorded leaf
is then always covered by a signed checkpoint, which
`services.evidence.verify.verify_store` insists on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application

from projections import positions
from projections.db import Transaction, ViewDatabase
from projections.follower import Worker
from services.evidence import checkpoints, merkle

NAME = "audit-log"
LEAF_PREFIX = b"skolefravaer-leaf-v1\n"
DEFAULT_KEY_NAME = "skolefravaer"
DEFAULT_ORIGIN = "skolefravaer/audit-log"

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS audit_leaf (
        position BIGINT PRIMARY KEY,
        leaf_index BIGINT UNIQUE NOT NULL,
        leaf_hash TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit_accumulator (
        name TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        frontier TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit_checkpoint (
        size BIGINT PRIMARY KEY,
        root_hex TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        note TEXT NOT NULL
    )
    """,
)


def leaf_bytes(position: int, originator_id: UUID | str, originator_version: int, topic: str,
               state: bytes) -> bytes:
    """The canonical bytes of one stored event's leaf (module docstring: version 1)."""
    oid = str(originator_id)
    for name, value in (("originator_id", oid), ("topic", topic)):
        if "\n" in value:
            raise ValueError(f"{name} must not contain a newline")
    return b"".join((LEAF_PREFIX, str(int(position)).encode("ascii"), b"\n",
                     oid.encode("utf-8"), b"\n", str(int(originator_version)).encode("ascii"),
                     b"\n", topic.encode("utf-8"), b"\n", bytes(state)))


def notification_leaf_hash(notification: Any) -> bytes:
    """The leaf hash of an eventsourcing ``Notification`` as read from the recorder."""
    return merkle.leaf_hash(leaf_bytes(notification.id, notification.originator_id,
                                       notification.originator_version, notification.topic,
                                       notification.state))


@dataclass(frozen=True)
class Proofs:
    """A signed checkpoint and, by position, (leaf index, inclusion proof) in its tree."""

    size: int
    note: str
    by_position: dict[int, tuple[int, list[bytes]]]


@dataclass(frozen=True)
class Signer:
    """Who signs checkpoints: the Ed25519 key, its signed-note key name and the log's origin."""

    key: Ed25519PrivateKey
    key_name: str = DEFAULT_KEY_NAME
    origin: str = DEFAULT_ORIGIN


def create_tables(tx: Transaction) -> None:
    positions.create(tx)
    for statement in SCHEMA:
        tx.execute(statement)


def load_accumulator(tx: Transaction) -> merkle.MerkleAccumulator:
    rows = tx.execute("SELECT size, frontier FROM audit_accumulator WHERE name = :name",
                      {"name": NAME})
    if not rows:
        return merkle.MerkleAccumulator()
    return merkle.MerkleAccumulator.from_dict(
        {"size": int(rows[0][0]), "frontier": json.loads(rows[0][1])})


def _save_accumulator(tx: Transaction, accumulator: merkle.MerkleAccumulator) -> None:
    state = accumulator.to_dict()
    tx.execute("INSERT INTO audit_accumulator (name, size, frontier) "
               "VALUES (:name, :size, :frontier) ON CONFLICT (name) DO UPDATE "
               "SET size = excluded.size, frontier = excluded.frontier",
               {"name": NAME, "size": state["size"], "frontier": json.dumps(state["frontier"])})


def _store_checkpoint(tx: Transaction, accumulator: merkle.MerkleAccumulator,
                      signer: Signer) -> str:
    """The signed note for the accumulator's tree; one per tree size (an existing one wins)."""
    existing = tx.execute("SELECT note FROM audit_checkpoint WHERE size = :size",
                          {"size": accumulator.size})
    if existing:
        return str(existing[0][0])
    checkpoint = checkpoints.Checkpoint(signer.origin, accumulator.size, accumulator.root(),
                                        checkpoints.now_rfc3339())
    note = checkpoints.sign(checkpoint, signer.key, signer.key_name)
    tx.execute("INSERT INTO audit_checkpoint (size, root_hex, issued_at, note) "
               "VALUES (:size, :root_hex, :issued_at, :note)",
               {"size": checkpoint.size, "root_hex": checkpoint.root.hex(),
                "issued_at": checkpoint.issued_at, "note": note})
    return note


class AuditLog(Worker):
    """Appends a leaf per stored event; issues signed checkpoints; answers inclusion proofs."""

    name = NAME

    def __init__(self, app: Application[Any], views: ViewDatabase, *, signer: Signer | None = None,
                 batch_size: int = 1000) -> None:
        super().__init__()
        self.app = app
        self.views = views
        self.signer = signer
        self.batch_size = batch_size
        with views.transaction() as tx:
            create_tables(tx)

    # The worker -----------------------------------------------------------------------------

    def position(self) -> int:
        return positions.read(self.views, NAME)

    def run_once(self) -> int:
        """Record the next batch of stored events, if any; answer how many."""
        start = self.position()
        notifications = self.app.recorder.select_notifications(start=start + 1,
                                                               limit=self.batch_size)
        if not notifications:
            return 0
        with self.views.transaction() as tx:
            # First, so that a second copy running at once fails here (PositionMoved).
            positions.advance(tx, NAME, start, notifications[-1].id)
            accumulator = load_accumulator(tx)
            rows = []
            for notification in notifications:
                leaf = notification_leaf_hash(notification)
                rows.append({"position": notification.id, "leaf_index": accumulator.size,
                             "leaf_hash": leaf.hex()})
                accumulator.append(leaf)
            tx.executemany("INSERT INTO audit_leaf (position, leaf_index, leaf_hash) "
                           "VALUES (:position, :leaf_index, :leaf_hash)", rows)
            _save_accumulator(tx, accumulator)
            if self.signer is not None:
                _store_checkpoint(tx, accumulator, self.signer)
        return len(notifications)

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, int(head) - self.position())

    # Checkpoints and proofs -----------------------------------------------------------------

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the largest stored checkpoint, or None before the first."""
        with self.views.transaction() as tx:
            rows = tx.execute("SELECT size, note FROM audit_checkpoint "
                              "ORDER BY size DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def leaf_hashes(self, size: int) -> list[bytes]:
        """The first ``size`` recorded leaf hashes, by leaf index."""
        with self.views.transaction() as tx:
            rows = tx.execute("SELECT leaf_hash FROM audit_leaf WHERE leaf_index < :size "
                              "ORDER BY leaf_index", {"size": size})
        if len(rows) != size:
            raise LookupError(f"the audit log holds {len(rows)} of {size} leaves")
        return [bytes.fromhex(row[0]) for row in rows]

    def proofs(self, positions: Sequence[int]) -> Proofs | None:
        """The latest signed checkpoint and an inclusion proof in its tree for each of
        ``positions`` it covers (others are left out); None before the first checkpoint."""
        latest = self.latest_checkpoint()
        if latest is None:
            return None
        size, note = latest
        leaves = self.leaf_hashes(size)
        with self.views.transaction() as tx:
            indexes = dict(tx.execute("SELECT position, leaf_index FROM audit_leaf "
                                      "WHERE leaf_index < :size", {"size": size}))
        return Proofs(size, note, {
            position: (int(indexes[position]),
                       merkle.inclusion_proof(leaves, int(indexes[position])))
            for position in positions if position in indexes})


def recorded_leaves(views: ViewDatabase, after: int, upto: int, limit: int
                    ) -> Sequence[tuple[int, int, str]]:
    """(position, leaf_index, leaf_hash hex) with ``after < position <= upto``, by position."""
    with views.transaction() as tx:
        rows = tx.execute("SELECT position, leaf_index, leaf_hash FROM audit_leaf "
                          "WHERE position > :after AND position <= :upto "
                          "ORDER BY position LIMIT :limit",
                          {"after": after, "upto": upto, "limit": limit})
    return [(int(p), int(i), str(h)) for p, i, h in rows]
