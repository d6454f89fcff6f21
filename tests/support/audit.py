"""What the audit log recorded, read directly: the tests' independent view of it."""

from __future__ import annotations

from services.evidence.recorder import AuditLog


def recorded_leaf_hashes(log: AuditLog, size: int) -> list[bytes]:
    """The first ``size`` recorded leaf hashes, by leaf index (all of them, as the service
    itself never needs to read)."""
    with log.views.transaction() as tx:
        rows = tx.execute("SELECT leaf_hash FROM audit_leaf WHERE leaf_index < :size "
                          "ORDER BY leaf_index", {"size": size})
    assert len(rows) == size, f"the audit log holds {len(rows)} of {size} leaves"
    return [bytes.fromhex(row[0]) for row in rows]
