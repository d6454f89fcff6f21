"""Is the stored event log intact? Recompute it and compare with what the audit log recorded.

`verify_store` reads the events table as it is now and, position by position, compares each
event's leaf (`services.evidence.recorder.leaf_bytes`) with the leaf the audit log recorded when
it first saw the event: a changed byte, a deleted row, two rows swapped or a row inserted among
recorded ones all show up there, at the lowest such position. It then rebuilds the Merkle tree
from the recorded leaves and checks every stored checkpoint's Ed25519 signature and root, so an
edit of the ``audit_leaf`` table itself (made to match an edited event, say) is caught too; the
broken position is then the first leaf after the last checkpoint that still holds. Every
recorded leaf must be covered by a signed checkpoint (`AuditLog` with a `Signer` signs one per
batch, in the batch's transaction). What this proves depends on the key: see
`services.evidence.keys`. From the command line: ``skolefravaer verify``.

The stored interior nodes (``audit_node``, what proofs are built from) are compared with the
nodes of the rebuilt tree too. An edited node cannot hide an edited event: the proofs through
it would not verify against the signed root, offline or here. It would make honest events
unprovable, though, so it is reported, without a position (no event is at fault). A node not
stored is no finding: `AuditLog` back-fills missing nodes before a proof needs them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application

from projections.db import ViewDatabase
from services.evidence import checkpoints, merkle
from services.evidence import recorder as audit_log
from services.evidence.keys import public_key

BATCH_SIZE = 5000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    checked: int
    """Stored events compared with their recorded leaves."""
    first_broken_position: int | None
    reason: str | None


# Verification -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    position: int
    accumulator: merkle.MerkleAccumulator
    leaves: int
    last_leaf_position: int | None
    latest_checkpoint: int | None


def _snapshot(views: ViewDatabase) -> _Snapshot:
    """What the audit log had recorded, read in one statement: one consistent snapshot even
    under PostgreSQL's READ COMMITTED, while the audit worker keeps appending."""
    with views.transaction() as tx:
        audit_log.create_tables(tx)
        [row] = tx.execute(
            "SELECT (SELECT position FROM projection_position WHERE name = :name), "
            "(SELECT size FROM audit_accumulator WHERE name = :name), "
            "(SELECT frontier FROM audit_accumulator WHERE name = :name), "
            "(SELECT count(*) FROM audit_leaf), (SELECT max(position) FROM audit_leaf), "
            "(SELECT max(size) FROM audit_checkpoint)", {"name": audit_log.NAME})
    position, size, frontier, leaves, last, latest = row
    accumulator = (merkle.MerkleAccumulator() if size is None else
                   merkle.MerkleAccumulator.from_dict({"size": int(size),
                                                       "frontier": json.loads(frontier)}))
    return _Snapshot(int(position or 0), accumulator, int(leaves),
                     None if last is None else int(last),
                     None if latest is None else int(latest))


def _stored_events(app: Application[Any], upto: int, batch_size: int) -> Iterator[Any]:
    start = 1
    while start <= upto:
        batch = app.recorder.select_notifications(start=start, limit=batch_size, stop=upto)
        yield from batch
        if len(batch) < batch_size:
            return
        start = batch[-1].id + 1


def _recorded_leaves(views: ViewDatabase, upto: int, batch_size: int
                     ) -> Iterator[tuple[int, int, str]]:
    after = 0
    while True:
        batch = audit_log.recorded_leaves(views, after, upto, batch_size)
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1][0]


def _checkpoints(views: ViewDatabase, upto: int, batch_size: int
                 ) -> Iterator[tuple[int, str, str]]:
    after = -1
    while True:
        with views.transaction() as tx:
            rows = tx.execute("SELECT size, root_hex, note FROM audit_checkpoint "
                              "WHERE size > :after AND size <= :upto ORDER BY size "
                              "LIMIT :limit", {"after": after, "upto": upto, "limit": batch_size})
        yield from ((int(s), str(r), str(n)) for s, r, n in rows)
        if len(rows) < batch_size:
            return
        after = int(rows[-1][0])


class _Findings:
    """What does not hold, by position; the lowest is the first broken position."""

    KEPT = 100

    def __init__(self) -> None:
        self.found: list[tuple[int | None, str]] = []
        self.count = 0

    @staticmethod
    def _order(finding: tuple[int | None, str]) -> tuple[bool, int]:
        return finding[0] is None, finding[0] or 0

    def broken(self, position: int | None, reason: str) -> None:
        self.count += 1
        self.found.append((position, reason))
        if len(self.found) > 2 * self.KEPT:  # a thoroughly mangled store: keep the lowest
            self.found = sorted(self.found, key=self._order)[: self.KEPT]

    def first(self) -> tuple[int | None, str | None]:
        """The lowest position and why; the next finding is named too (when the lowest is a
        checkpoint's whole batch, the next is usually the leaf or event at fault)."""
        if not self.found:
            return None, None
        ordered = sorted(self.found, key=self._order)
        position, reason = ordered[0]
        if len(ordered) > 1:
            reason += f" (and {self.count - 1} more; next: {ordered[1][1]})"
        return position, reason


def verify_store(app: Application[Any], views: ViewDatabase, progress: Progress | None = None,
                 *, key: Ed25519PublicKey | None = None, batch_size: int = BATCH_SIZE
                 ) -> VerifyResult:
    """Compare the events table as it is now with the audit log's leaves and checkpoints.

    Covers the events up to the audit log's position; later ones are not yet recorded.
    ``key`` is the public key checkpoints must be signed with (default: `public_key`; pass
    the published one to trust nothing in the database). ``progress(done, total)`` is called
    after every batch of events.
    """
    snap = _snapshot(views)
    key = key if key is not None else public_key(views)
    return _Verification(app, views, snap, key, batch_size).run(progress)


class _Verification:
    """One pass over the stored events, the recorded leaves and the checkpoints, merged by
    position, rebuilding the tree as it goes."""

    def __init__(self, app: Application[Any], views: ViewDatabase, snap: _Snapshot,
                 key: Ed25519PublicKey | None, batch_size: int) -> None:
        self.snap, self.key, self.batch_size, self.views = snap, key, batch_size, views
        self.findings = _Findings()
        self.events = _stored_events(app, snap.position, batch_size)
        self.leaves = _recorded_leaves(views, snap.position, batch_size)
        self.signed = _checkpoints(views, snap.accumulator.size, batch_size)
        self.tree = merkle.MerkleAccumulator()
        self.nodes: list[tuple[merkle.Subtree, bytes]] = []  # completed, not yet compared
        self.unsigned_from: int | None = None  # first leaf after the last checkpoint that held
        self.tail_from: int | None = None  # first leaf after the last checkpoint at all
        self.checkpoint = next(self.signed, None)
        self.checked = 0

    def run(self, progress: Progress | None) -> VerifyResult:
        self._check_state()
        self._check_checkpoints()  # a checkpoint of the empty tree
        reported = 0
        event, leaf = next(self.events, None), next(self.leaves, None)
        while event is not None or leaf is not None:
            event, leaf = self._step(event, leaf)
            if progress is not None and self.checked >= reported + self.batch_size:
                progress(self.checked, self.snap.leaves)
                reported = self.checked
        if progress is not None:
            progress(self.checked, self.snap.leaves)
        self._check_end()
        position, reason = self.findings.first()
        return VerifyResult(reason is None, self.checked, position, reason)

    def _check_state(self) -> None:
        snap, broken = self.snap, self.findings.broken
        if snap.leaves != snap.accumulator.size or (snap.leaves and
                                                    snap.last_leaf_position != snap.position):
            broken(snap.last_leaf_position,
                   f"the audit log's state ({snap.accumulator.size} leaves, position "
                   f"{snap.position}) disagrees with its {snap.leaves} recorded leaves")
        if snap.latest_checkpoint is not None and snap.latest_checkpoint > snap.accumulator.size:
            broken(snap.last_leaf_position,
                   f"a checkpoint claims {snap.latest_checkpoint} leaves; the audit log "
                   f"holds {snap.accumulator.size}")
        if self.key is None and snap.leaves:
            broken(None, "no public key to verify the checkpoints with")

    def _step(self, event: Any, leaf: tuple[int, int, str] | None
              ) -> tuple[Any, tuple[int, int, str] | None]:
        """Compare the next stored event with the next recorded leaf; advance past them."""
        if leaf is None or (event is not None and event.id < leaf[0]):
            self.findings.broken(event.id, f"the stored event at position {event.id} was "
                                 "never recorded by the audit log (inserted)")
            self.checked += 1
            return next(self.events, None), leaf
        if event is None or leaf[0] < event.id:
            self.findings.broken(leaf[0], f"the event recorded at position {leaf[0]} is "
                                 "missing from the store (deleted)")
            self._record(*leaf)
            return event, next(self.leaves, None)
        if audit_log.notification_leaf_hash(event).hex() != leaf[2]:
            self.findings.broken(event.id, f"the stored event at position {event.id} differs "
                                 "from the one recorded (changed, swapped or leaf edited)")
        self._record(*leaf)
        self.checked += 1
        return next(self.events, None), next(self.leaves, None)

    def _record(self, position: int, index: int, leaf_hex: str) -> None:
        if index != self.tree.size:
            self.findings.broken(position, f"leaf index {index} at position {position} is out "
                                 f"of order (expected {self.tree.size})")
        try:
            completed = self.tree.append(bytes.fromhex(leaf_hex))
        except ValueError:
            self.findings.broken(position, f"the recorded leaf at position {position} is not "
                                 "a hash")
            completed = self.tree.append(bytes(merkle.HASH_SIZE))
        self.nodes += audit_log.kept_nodes(completed)
        if len(self.nodes) >= self.batch_size:
            self._check_nodes()
        if self.unsigned_from is None:
            self.unsigned_from = position
        if self.tail_from is None:
            self.tail_from = position
        self._check_checkpoints()

    def _check_checkpoints(self) -> None:
        """Check every checkpoint of the tree's current size."""
        while self.checkpoint is not None and self.checkpoint[0] == self.tree.size:
            self.tail_from = None
            problem = self._checkpoint_problem(*self.checkpoint)
            if problem is None:
                self.unsigned_from = None
            else:
                self.findings.broken(self.unsigned_from, problem)
            self.checkpoint = next(self.signed, None)

    def _checkpoint_problem(self, size: int, root_hex: str, note: str) -> str | None:
        try:
            claimed = (checkpoints.parse_and_verify(note, self.key) if self.key is not None
                       else None)
        except checkpoints.CheckpointError as error:
            return f"the checkpoint of {size} leaves is not validly signed: {error}"
        if claimed is None or claimed.size != size or claimed.root.hex() != root_hex:
            return f"the checkpoint of {size} leaves does not match its note"
        if claimed.root != self.tree.root():
            return (f"the recorded leaves do not match the signed root of the checkpoint of "
                    f"{size} leaves")
        return None

    def _check_nodes(self) -> None:
        """Compare the nodes the rebuilt tree completed since the last call with the stored
        ones."""
        stored = audit_log.stored_subtrees(self.views, [subtree for subtree, _ in self.nodes])
        for (level, index), node in self.nodes:
            if stored.get((level, index), node) != node:
                self.findings.broken(None, f"the stored node over leaves {index << level} to "
                                     f"{((index + 1) << level) - 1} does not match the "
                                     "recorded leaves (proofs through it would not verify)")
        self.nodes = []

    def _check_end(self) -> None:
        self._check_nodes()
        tree, snap, broken = self.tree, self.snap, self.findings.broken
        if self.checkpoint is not None:
            broken(None, f"a checkpoint claims {self.checkpoint[0]} leaves; "
                   f"{tree.size} are recorded")
        if self.tail_from is not None:
            broken(self.tail_from, f"the recorded leaves from position {self.tail_from} "
                   "on are not covered by a signed checkpoint")
        if (tree.size, tree.root()) != (snap.accumulator.size, snap.accumulator.root()):
            broken(None, "the recorded leaves do not match the audit log's running root")
