"""Evidence: Merkle tree, signed checkpoints, the audit-log recorder, keys, verification."""
