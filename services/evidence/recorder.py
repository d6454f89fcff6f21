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

The same transaction stores the interior nodes the batch completes (``audit_node``: the hash of
every complete subtree of 2**level leaves by level and index, from `LOWEST_STORED_LEVEL` up; the
leaves are level 0). An inclusion or consistency proof is a handful of tree hashes over leaf
ranges, and every such range is a few complete subtrees (`services.evidence.merkle.subtrees`),
so a proof reads O(log n) stored hashes instead of the whole log. A store recorded before nodes
were is back-filled from its leaves when the audit log starts, or when a proof finds a node
missing.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
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
BACKFILL_BATCH = 10_000  # leaves read per statement while back-filling nodes
LOWEST_STORED_LEVEL = 3
"""Nodes over 2 and 4 leaves are not stored: they are three quarters of all nodes, and would
make each batch write almost twice the rows. A proof computes them from the 8 leaves of the
block its leaf is in: 4 rows more than reading them."""
Key = TypeVar("Key")

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
    CREATE TABLE IF NOT EXISTS audit_node (
        level BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (level, idx)
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
    return _accumulator(*rows[0]) if rows else merkle.MerkleAccumulator()


def _accumulator(size: int | None, frontier: str | None) -> merkle.MerkleAccumulator:
    """The accumulator saved as ``size`` and ``frontier`` (none saved yet: the empty one)."""
    if size is None or frontier is None:
        return merkle.MerkleAccumulator()
    return merkle.MerkleAccumulator.from_dict({"size": int(size),
                                               "frontier": json.loads(frontier)})


def _save_accumulator(tx: Transaction, accumulator: merkle.MerkleAccumulator) -> None:
    state = accumulator.to_dict()
    tx.execute("INSERT INTO audit_accumulator (name, size, frontier) "
               "VALUES (:name, :size, :frontier) ON CONFLICT (name) DO UPDATE "
               "SET size = excluded.size, frontier = excluded.frontier",
               {"name": NAME, "size": state["size"], "frontier": json.dumps(state["frontier"])})


def _store_checkpoint(tx: Transaction, accumulator: merkle.MerkleAccumulator,
                      signer: Signer) -> str:
    """The signed note for the accumulator's tree; one per tree size (an existing one wins)."""
    checkpoint = checkpoints.Checkpoint(signer.origin, accumulator.size, accumulator.root(),
                                        checkpoints.now_rfc3339())
    note = checkpoints.sign(checkpoint, signer.key, signer.key_name)
    # Signed before it is known to be new (a signature costs less than a round trip).
    if tx.execute("INSERT INTO audit_checkpoint (size, root_hex, issued_at, note) "
                  "VALUES (:size, :root_hex, :issued_at, :note) ON CONFLICT (size) DO NOTHING "
                  "RETURNING size",
                  {"size": checkpoint.size, "root_hex": checkpoint.root.hex(),
                   "issued_at": checkpoint.issued_at, "note": note}):
        return note
    [(existing,)] = tx.execute("SELECT note FROM audit_checkpoint WHERE size = :size",
                               {"size": accumulator.size})
    return str(existing)


def _store_nodes(tx: Transaction, nodes: Iterable[tuple[merkle.Subtree, bytes]]) -> None:
    # A node is a function of the leaves under it: one already stored (by a back-fill that
    # ran at the same time) is the same node.
    tx.executemany("INSERT INTO audit_node (level, idx, hash) VALUES (:level, :idx, :hash) "
                   "ON CONFLICT (level, idx) DO NOTHING",
                   [{"level": level, "idx": idx, "hash": node.hex()}
                    for (level, idx), node in kept_nodes(nodes)])


def _store_nodes_at_once(tx: Transaction, nodes: Iterable[tuple[merkle.Subtree, bytes]]
                         ) -> None:
    """`_store_nodes` in one PostgreSQL statement: the rows as three arrays."""
    kept = kept_nodes(nodes)
    tx.execute("INSERT INTO audit_node (level, idx, hash) SELECT * FROM unnest("
               "CAST(:levels AS BIGINT[]), CAST(:indexes AS BIGINT[]), CAST(:hashes AS TEXT[])) "
               "ON CONFLICT (level, idx) DO NOTHING",
               {"levels": [level for (level, _), _ in kept],
                "indexes": [index for (_, index), _ in kept],
                "hashes": [node.hex() for _, node in kept]})


def kept_nodes(nodes: Iterable[tuple[merkle.Subtree, bytes]]
               ) -> list[tuple[merkle.Subtree, bytes]]:
    """Those of ``nodes`` (as `merkle.MerkleAccumulator.append` completes them) that are
    stored: from `LOWEST_STORED_LEVEL` up."""
    return [(subtree, node) for subtree, node in nodes if subtree[0] >= LOWEST_STORED_LEVEL]


def _stored_below(subtree: merkle.Subtree) -> list[merkle.Subtree]:
    """What is stored of ``subtree``: itself (a leaf or a stored node), or its leaves."""
    level, index = subtree
    if level == 0 or level >= LOWEST_STORED_LEVEL:
        return [subtree]
    return [(0, leaf) for leaf in range(index << level, (index + 1) << level)]


def _nodes_missing(tx: Transaction) -> bool:
    """Whether the recorded tree lacks stored nodes: a tree of n leaves has n >> k complete
    subtrees at level k. One statement, so one snapshot of both."""
    [(size, count)] = tx.execute("SELECT (SELECT size FROM audit_accumulator WHERE name = :name), "
                                 "(SELECT count(*) FROM audit_node)", {"name": NAME})
    leaves = int(size or 0)
    return int(count) < sum(leaves >> level for level in range(LOWEST_STORED_LEVEL,
                                                                leaves.bit_length()))


def _backfill_nodes(tx: Transaction) -> None:
    """Store the interior nodes of the whole recorded tree, recomputed from its leaves, for a
    log recorded before nodes were (or by an older version running beside this one)."""
    tree = merkle.MerkleAccumulator()
    while rows := tx.execute("SELECT leaf_hash FROM audit_leaf WHERE leaf_index >= :start "
                             "ORDER BY leaf_index LIMIT :limit",
                             {"start": tree.size, "limit": BACKFILL_BATCH}):
        _store_nodes(tx, [node for (leaf,) in rows for node in tree.append(bytes.fromhex(leaf))])


def _leaves_at(tx: Transaction, positions: Iterable[int]) -> dict[int, tuple[int, str]]:
    among, params = tx.one_of("positions", sorted(set(positions)))
    rows = tx.execute("SELECT position, leaf_index, leaf_hash FROM audit_leaf "
                      f"WHERE position {among}", params)
    return {int(position): (int(index), str(leaf)) for position, index, leaf in rows}


def _stored_subtrees(tx: Transaction, wanted: Iterable[merkle.Subtree]
                     ) -> dict[merkle.Subtree, bytes]:
    """The stored hashes of the ``wanted`` subtrees: leaves (level 0) by leaf index, nodes by
    level and index; a statement per level."""
    by_level: dict[int, list[int]] = {}
    for level, index in sorted(set(wanted)):
        by_level.setdefault(level, []).append(index)
    found: dict[merkle.Subtree, bytes] = {}
    for level, indexes in by_level.items():
        among, params = tx.one_of("indexes", indexes)
        rows = tx.execute(f"SELECT leaf_index, leaf_hash FROM audit_leaf WHERE leaf_index {among}"
                          if level == 0 else
                          f"SELECT idx, hash FROM audit_node WHERE level = :level AND idx {among}",
                          {**params, "level": level})
        found.update(((level, int(index)), bytes.fromhex(h)) for index, h in rows)
    return found


def _tree_hashes(tx: Transaction, paths: Mapping[Key, Sequence[tuple[int, int]]]
                 ) -> dict[Key, list[bytes]]:
    """For each path, the tree hash of each of its leaf ranges, from the stored subtrees they
    are made of, all read at once. Missing nodes are back-filled first."""
    wanted = {stored for path in paths.values() for lo, hi in path
              for subtree in merkle.subtrees(lo, hi) for stored in _stored_below(subtree)}
    hashes = _stored_subtrees(tx, wanted)
    if any(level > 0 for level, _ in wanted - hashes.keys()):  # a leaf cannot be back-filled
        _backfill_nodes(tx)
        hashes = _stored_subtrees(tx, wanted)
    if len(hashes) < len(wanted):
        raise LookupError(f"the audit log holds {len(hashes)} of the {len(wanted)} leaves and "
                          "nodes a proof needs")
    return {key: [merkle.tree_hash(hashes, lo, hi) for lo, hi in path]
            for key, path in paths.items()}


LEAVES_IN_DATABASE = """
    INSERT INTO audit_leaf (position, leaf_index, leaf_hash)
    SELECT notification_id, :size - 1 + row_number() OVER (ORDER BY notification_id),
        encode(sha256(:prefix || convert_to(notification_id::text || E'\\n'
            || originator_id::text || E'\\n' || originator_version::text || E'\\n' || topic
            || E'\\n', 'UTF8') || state), 'hex')
    FROM {events} WHERE notification_id > :start AND notification_id <= :end
    RETURNING leaf_index, leaf_hash
"""
"""`leaf_bytes` and `merkle.leaf_hash` in SQL, byte for byte: ``originator_id::text`` is the
canonical UUID spelling, the numbers are ASCII decimal, the topic UTF-8. (A topic is a
module and class name, and an id a UUID: neither holds the newline `leaf_bytes` refuses.)"""
BATCH_IN_DATABASE = """
    WITH saved AS (SELECT coalesce((SELECT position FROM projection_position
                                     WHERE name = :name), 0) AS start)
    SELECT saved.start,
        (SELECT max(notification_id) FROM (SELECT notification_id FROM {events}
            WHERE notification_id > saved.start ORDER BY notification_id LIMIT :limit) AS batch),
        accumulator.size, accumulator.frontier
    FROM saved LEFT JOIN audit_accumulator AS accumulator ON accumulator.name = :name
"""
"""The audit log's position, the last position of its next batch (NULL: none) and its saved
accumulator, in one statement."""


def _events_table_beside(app: Application[Any], views: ViewDatabase) -> str | None:
    """The events table, quoted, when the views are in its PostgreSQL database (as
    `services.bootstrap` builds them: one conninfo); else None."""
    from eventsourcing.postgres import PostgresApplicationRecorder

    from projections.db import PostgresViews

    recorder = app.recorder
    if not (isinstance(views, PostgresViews) and
            isinstance(recorder, PostgresApplicationRecorder)):
        return None
    return ".".join('"' + name.replace('"', '""') + '"'
                    for name in (recorder.datastore.schema, recorder.events_table_name))


class AuditLog(Worker):
    """Appends a leaf per stored event and the nodes it completes; issues signed checkpoints;
    answers inclusion and consistency proofs."""

    name = NAME

    def __init__(self, app: Application[Any], views: ViewDatabase, *, signer: Signer | None = None,
                 batch_size: int = 1000) -> None:
        super().__init__()
        self.app = app
        self.views = views
        self.signer = signer
        self.batch_size = batch_size
        self._events_table = _events_table_beside(app, views)
        with views.transaction() as tx:
            create_tables(tx)
            if _nodes_missing(tx):
                _backfill_nodes(tx)

    # The worker -----------------------------------------------------------------------------

    def position(self) -> int:
        return positions.read(self.views, NAME)

    def run_once(self) -> int:
        """Record the next batch of stored events, if any; answer how many."""
        if self._events_table is not None:
            return self._record_in_database(self._events_table)
        start = self.position()
        notifications = self.app.recorder.select_notifications(start=start + 1,
                                                               limit=self.batch_size)
        if not notifications:
            return 0
        with self.views.transaction() as tx:
            # First, so that a second copy running at once fails here (PositionMoved).
            positions.advance(tx, NAME, start, notifications[-1].id)
            accumulator = load_accumulator(tx)
            leaves = [notification_leaf_hash(notification) for notification in notifications]
            tx.executemany("INSERT INTO audit_leaf (position, leaf_index, leaf_hash) "
                           "VALUES (:position, :leaf_index, :leaf_hash)",
                           [{"position": n.id, "leaf_index": accumulator.size + i,
                             "leaf_hash": leaf.hex()}
                            for i, (n, leaf) in enumerate(zip(notifications, leaves, strict=True))])
            self._complete_batch(tx, accumulator, leaves)
        return len(leaves)

    def _record_in_database(self, events_table: str) -> int:
        """`run_once` where the events table is in the views' PostgreSQL database: the leaves
        are hashed and inserted by one statement (`LEAVES_IN_DATABASE`), so the stored bytes
        never travel; only the leaf hashes come back, for the nodes and the root. Six round
        trips a batch, the commit included."""
        with self.views.transaction() as tx:
            [(start, end, size, frontier)] = tx.execute(
                BATCH_IN_DATABASE.format(events=events_table),
                {"name": NAME, "limit": self.batch_size})
            if end is None:
                return 0
            # First, so that a second copy running at once fails here (PositionMoved).
            positions.advance(tx, NAME, int(start), int(end))
            accumulator = _accumulator(size, frontier)
            rows = tx.execute(LEAVES_IN_DATABASE.format(events=events_table),
                              {"start": start, "end": end, "size": accumulator.size,
                               "prefix": b"\x00" + LEAF_PREFIX})
            leaves = [bytes.fromhex(leaf) for _, leaf in sorted(rows)]
            self._complete_batch(tx, accumulator, leaves, bulk=True)
        return len(leaves)

    def _complete_batch(self, tx: Transaction, accumulator: merkle.MerkleAccumulator,
                        leaves: list[bytes], *, bulk: bool = False) -> None:
        """The nodes the batch's ``leaves`` complete, the new frontier and the signed
        checkpoint of the new tree, in the batch's transaction."""
        nodes = [node for leaf in leaves for node in accumulator.append(leaf)]
        if bulk:
            _store_nodes_at_once(tx, nodes)
        else:
            _store_nodes(tx, nodes)
        _save_accumulator(tx, accumulator)
        if self.signer is not None:
            _store_checkpoint(tx, accumulator, self.signer)

    def lag(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        return max(0, int(head) - self.position())

    def reached(self) -> Hashable:
        return self.position()

    # Checkpoints and proofs -----------------------------------------------------------------

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the largest stored checkpoint, or None before the first."""
        with self.views.transaction() as tx:
            rows = tx.execute("SELECT size, note FROM audit_checkpoint "
                              "ORDER BY size DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def proofs(self, positions: Sequence[int]) -> Proofs | None:
        """The latest signed checkpoint and an inclusion proof in its tree for each of
        ``positions`` it covers (others are left out); None before the first checkpoint.
        Reads the leaves at ``positions`` and the stored subtrees their proofs are made of."""
        latest = self.latest_checkpoint()
        if latest is None:
            return None
        size, note = latest
        with self.views.transaction() as tx:
            indexes = {position: index for position, (index, _) in _leaves_at(tx, positions).items()
                       if index < size}
            paths = _tree_hashes(tx, {position: merkle.inclusion_ranges(index, size)
                                      for position, index in indexes.items()})
        return Proofs(size, note, {position: (indexes[position], paths[position])
                                   for position in positions if position in indexes})

    def consistency(self, old_size: int, size: int) -> list[bytes]:
        """PROOF(old_size, D[size]) of RFC 9162 (`merkle.consistency_proof`), from the stored
        subtrees instead of every leaf."""
        with self.views.transaction() as tx:
            return _tree_hashes(tx, {size: merkle.consistency_ranges(old_size, size)})[size]


def recorded_at(views: ViewDatabase, positions: Iterable[int]) -> dict[int, tuple[int, str]]:
    """(leaf index, leaf hash hex) of the recorded leaves at ``positions``, by position;
    positions not (yet) recorded are left out."""
    with views.transaction() as tx:
        return _leaves_at(tx, positions)


def stored_subtrees(views: ViewDatabase, wanted: Iterable[merkle.Subtree]
                    ) -> dict[merkle.Subtree, bytes]:
    """The stored hashes of the ``wanted`` subtrees (leaves and nodes); missing ones are left
    out."""
    with views.transaction() as tx:
        return _stored_subtrees(tx, wanted)


def recorded_leaves(views: ViewDatabase, after: int, upto: int, limit: int
                    ) -> Sequence[tuple[int, int, str]]:
    """(position, leaf_index, leaf_hash hex) with ``after < position <= upto``, by position."""
    with views.transaction() as tx:
        rows = tx.execute("SELECT position, leaf_index, leaf_hash FROM audit_leaf "
                          "WHERE position > :after AND position <= :upto "
                          "ORDER BY position LIMIT :limit",
                          {"after": after, "upto": upto, "limit": limit})
    return [(int(p), int(i), str(h)) for p, i, h in rows]
