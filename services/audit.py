"""Is the stored event log intact? Recompute it and compare with what the audit log recorded.

    python -m services.audit verify [--catch-up] [--public-key published.pem]

`verify_store` reads the events table as it is now and, position by position, compares each
event's leaf (`projections.audit_log.leaf_bytes`) with the leaf the audit log recorded when it
first saw the event: a changed byte, a deleted row, two rows swapped or a row inserted among
recorded ones all show up there, at the lowest such position. It then rebuilds the Merkle tree
from the recorded leaves and checks every stored checkpoint's Ed25519 signature and root, so an
edit of the ``audit_leaf`` table itself (made to match an edited event, say) is caught too; the
broken position is then the first leaf after the last checkpoint that still holds. Every
recorded leaf must be covered by a signed checkpoint (`AuditLog` with a `Signer` signs one per
batch, in the batch's transaction).

What this proves depends on the key and on where checkpoints go. The signing key comes from
``SKOLEFRAVAER_SIGNING_KEY`` (the 32-byte Ed25519 seed in base64, or a PKCS#8 PEM). Without it,
`signing_key` generates one on first use and keeps it in the view database (``audit_key``):
good for development only, because whoever can rewrite the tables can then re-sign them.
Production must configure the key outside the database and publish the public key (its
fingerprint: `services.checkpoints.public_key_fingerprint`) and, ideally, the checkpoints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.application import Application

from projections import audit_log
from projections.audit_log import AuditLog, Signer
from projections.db import ViewDatabase
from services import checkpoints, merkle
from services.config import Settings

SIGNING_KEY_VARIABLE = "SKOLEFRAVAER_SIGNING_KEY"
BATCH_SIZE = 5000

KEY_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_key (
    name TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    checked: int
    """Stored events compared with their recorded leaves."""
    first_broken_position: int | None
    reason: str | None


# Keys -------------------------------------------------------------------------------------------


def signing_key(views: ViewDatabase, environ: Mapping[str, str] | None = None
                ) -> Ed25519PrivateKey:
    """The checkpoint signing key: ``SKOLEFRAVAER_SIGNING_KEY``, else the one kept in
    ``audit_key``, generated on first use (development only: see the module docstring)."""
    env = os.environ if environ is None else environ
    if configured := env.get(SIGNING_KEY_VARIABLE):
        return checkpoints.load_private_key(configured)
    generated = checkpoints.generate_private_key()
    with views.transaction() as tx:
        tx.execute(KEY_SCHEMA)
        # Two workers starting at once: the first insert wins, both use its key.
        tx.execute("INSERT INTO audit_key (name, private_key, public_key_pem, created_at) "
                   "VALUES (:name, :key, :pem, :now) ON CONFLICT (name) DO NOTHING",
                   {"name": audit_log.NAME, "key": checkpoints.private_key_base64(generated),
                    "pem": checkpoints.public_key_pem(generated),
                    "now": checkpoints.now_rfc3339()})
        [(stored,)] = tx.execute("SELECT private_key FROM audit_key WHERE name = :name",
                                 {"name": audit_log.NAME})
    return checkpoints.load_private_key(str(stored))


def public_key(views: ViewDatabase, environ: Mapping[str, str] | None = None
               ) -> Ed25519PublicKey | None:
    """The public half of `signing_key`, without generating one; None when there is none."""
    env = os.environ if environ is None else environ
    if configured := env.get(SIGNING_KEY_VARIABLE):
        return checkpoints.load_private_key(configured).public_key()
    with views.transaction() as tx:
        tx.execute(KEY_SCHEMA)
        rows = tx.execute("SELECT public_key_pem FROM audit_key WHERE name = :name",
                          {"name": audit_log.NAME})
    return checkpoints.load_public_key(str(rows[0][0])) if rows else None


def origin(settings: Settings) -> str:
    """The checkpoints' origin line: names the log (one per PostgreSQL schema)."""
    if settings.uses_postgres:
        return f"{audit_log.DEFAULT_ORIGIN}/{settings.passthrough.get('POSTGRES_SCHEMA', 'public')}"
    return audit_log.DEFAULT_ORIGIN


def build_audit_log(app: Application[Any], views: ViewDatabase, settings: Settings,
                    environ: Mapping[str, str] | None = None, *, batch_size: int = 1000
                    ) -> AuditLog:
    """An `AuditLog` that signs a checkpoint after every batch."""
    signer = Signer(signing_key(views, environ), audit_log.DEFAULT_KEY_NAME, origin(settings))
    return AuditLog(app, views, signer=signer, batch_size=batch_size)


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
    findings = _Findings()
    key = key if key is not None else public_key(views)
    if snap.leaves != snap.accumulator.size or (snap.leaves and
                                                snap.last_leaf_position != snap.position):
        findings.broken(snap.last_leaf_position,
                        f"the audit log's state ({snap.accumulator.size} leaves, position "
                        f"{snap.position}) disagrees with its {snap.leaves} recorded leaves")
    if snap.latest_checkpoint is not None and snap.latest_checkpoint > snap.accumulator.size:
        findings.broken(snap.last_leaf_position,
                        f"a checkpoint claims {snap.latest_checkpoint} leaves; the audit log "
                        f"holds {snap.accumulator.size}")
    if key is None and snap.leaves:
        findings.broken(None, "no public key to verify the checkpoints with")

    events = _stored_events(app, snap.position, batch_size)
    leaves = _recorded_leaves(views, snap.position, batch_size)
    signed = _checkpoints(views, snap.accumulator.size, batch_size)
    tree = merkle.MerkleAccumulator()
    unsigned_from: int | None = None  # first leaf position after the last checkpoint that held
    tail_from: int | None = None  # first leaf position after the last checkpoint at all
    checkpoint = next(signed, None)
    checked = reported = 0

    def check_checkpoints() -> None:
        nonlocal checkpoint, unsigned_from, tail_from
        while checkpoint is not None and checkpoint[0] == tree.size:
            tail_from = None
            size, root_hex, note = checkpoint
            problem = None
            try:
                claimed = (checkpoints.parse_and_verify(note, key) if key is not None
                           else None)
                if claimed is None or claimed.size != size or claimed.root.hex() != root_hex:
                    problem = f"the checkpoint of {size} leaves does not match its note"
                elif claimed.root != tree.root():
                    problem = (f"the recorded leaves do not match the signed root of the "
                               f"checkpoint of {size} leaves")
            except checkpoints.CheckpointError as error:
                problem = f"the checkpoint of {size} leaves is not validly signed: {error}"
            if problem is None:
                unsigned_from = None
            else:
                findings.broken(unsigned_from, problem)
            checkpoint = next(signed, None)

    def record(position: int, index: int, leaf_hex: str) -> None:
        nonlocal unsigned_from, tail_from
        if index != tree.size:
            findings.broken(position, f"leaf index {index} at position {position} is out of "
                            f"order (expected {tree.size})")
        try:
            tree.append(bytes.fromhex(leaf_hex))
        except ValueError:
            findings.broken(position, f"the recorded leaf at position {position} is not a hash")
            tree.append(bytes(merkle.HASH_SIZE))
        if unsigned_from is None:
            unsigned_from = position
        if tail_from is None:
            tail_from = position
        check_checkpoints()

    check_checkpoints()  # a checkpoint of the empty tree
    event, leaf = next(events, None), next(leaves, None)
    while event is not None or leaf is not None:
        if leaf is None or (event is not None and event.id < leaf[0]):
            assert event is not None
            findings.broken(event.id, f"the stored event at position {event.id} was never "
                            "recorded by the audit log (inserted)")
            checked += 1
            event = next(events, None)
        elif event is None or leaf[0] < event.id:
            findings.broken(leaf[0], f"the event recorded at position {leaf[0]} is missing "
                            "from the store (deleted)")
            record(*leaf)
            leaf = next(leaves, None)
        else:
            if audit_log.notification_leaf_hash(event).hex() != leaf[2]:
                findings.broken(event.id, f"the stored event at position {event.id} differs "
                                "from the one recorded (changed, swapped or leaf edited)")
            record(*leaf)
            checked += 1
            event, leaf = next(events, None), next(leaves, None)
        if progress is not None and checked >= reported + batch_size:
            progress(checked, snap.leaves)
            reported = checked
    if progress is not None:
        progress(checked, snap.leaves)

    if checkpoint is not None:
        findings.broken(None, f"a checkpoint claims {checkpoint[0]} leaves; "
                        f"{tree.size} are recorded")
    if tail_from is not None:
        findings.broken(tail_from, f"the recorded leaves from position {tail_from} "
                        "on are not covered by a signed checkpoint")
    if (tree.size, tree.root()) != (snap.accumulator.size, snap.accumulator.root()):
        findings.broken(None, "the recorded leaves do not match the audit log's running root")
    position, reason = findings.first()
    return VerifyResult(reason is None, checked, position, reason)


# Command line -----------------------------------------------------------------------------------


def progress_bar(stream: Any = None, width: int = 30) -> Progress:
    """A plain-text progress bar: ``\\r[#####-----]  50% 5000/10000``."""
    out = sys.stderr if stream is None else stream

    def show(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        filled = int(share * width)
        out.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {share:4.0%} {done}/{total}")
        out.flush()

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """``verify``: 0 when the stored log is intact, 1 when not (with the first broken
    position), 2 for a wrong command line."""
    parser = argparse.ArgumentParser(prog="python -m services.audit",
                                     description="Tamper evidence for the stored event log.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the log and compare")
    verify.add_argument("--catch-up", action="store_true",
                        help="first record (and sign) events the audit log has not seen yet")
    verify.add_argument("--public-key", metavar="PEM",
                        help="the published public key (default: the configured one)")
    args = parser.parse_args(argv)

    from services.bootstrap import build

    settings = Settings.from_environ()
    service = build(settings, with_relay=False)
    try:
        key = None
        if args.public_key:
            with open(args.public_key, "rb") as pem:
                key = checkpoints.load_public_key(pem.read())
        if args.catch_up:
            build_audit_log(service.app, service.views, settings).catch_up()
        started = time.monotonic()
        result = verify_store(service.app, service.views, progress_bar(), key=key)
        seconds = time.monotonic() - started
        sys.stderr.write("\n")
        lag = AuditLog(service.app, service.views).lag()
        if lag:
            print(f"note: {lag} newer event(s) are not yet recorded by the audit log",
                  file=sys.stderr)
        if result.intact:
            print(f"intact: {result.checked} stored events checked in {seconds:.1f}s")
            return 0
        print(f"NOT intact: first broken position {result.first_broken_position}: "
              f"{result.reason} ({result.checked} stored events checked)")
        return 1
    finally:
        service.close()


if __name__ == "__main__":
    sys.exit(main())
