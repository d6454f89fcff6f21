"""The checkpoint signing key and the log's origin.

The signing key comes from ``SKOLEFRAVAER_SIGNING_KEY`` (the 32-byte Ed25519 seed in base64,
or a PKCS#8 PEM). Without it, `signing_key` generates one on first use and keeps it in the view
database (``audit_key``): good for development only, because whoever can rewrite the tables
can then re-sign them. Production must configure the key outside the database and publish the
public key (its fingerprint: `services.evidence.checkpoints.public_key_fingerprint`) and,
ideally, the checkpoints: ``SKOLEFRAVAER_MODE=production`` refuses to start without the
key, so there ``audit_key`` is never created, written or read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.application import Application

from projections.db import ViewDatabase
from services.config import Settings
from services.evidence import checkpoints, recorder
from services.evidence.recorder import AuditLog, Signer

SIGNING_KEY_VARIABLE = "SKOLEFRAVAER_SIGNING_KEY"

KEY_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_key (
    name TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


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
                   {"name": recorder.NAME, "key": checkpoints.private_key_base64(generated),
                    "pem": checkpoints.public_key_pem(generated),
                    "now": checkpoints.now_rfc3339()})
        [(stored,)] = tx.execute("SELECT private_key FROM audit_key WHERE name = :name",
                                 {"name": recorder.NAME})
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
                          {"name": recorder.NAME})
    return checkpoints.load_public_key(str(rows[0][0])) if rows else None


def origin(settings: Settings) -> str:
    """The checkpoints' origin line: names the log (one per PostgreSQL schema)."""
    if settings.uses_postgres:
        return f"{recorder.DEFAULT_ORIGIN}/{settings.passthrough.get('POSTGRES_SCHEMA', 'public')}"
    return recorder.DEFAULT_ORIGIN


def build_audit_log(app: Application[Any], views: ViewDatabase, settings: Settings,
                    environ: Mapping[str, str] | None = None, *, batch_size: int = 1000
                    ) -> AuditLog:
    """An `AuditLog` that signs a checkpoint after every batch."""
    signer = Signer(signing_key(views, environ), recorder.DEFAULT_KEY_NAME, origin(settings))
    return AuditLog(app, views, signer=signer, batch_size=batch_size)
