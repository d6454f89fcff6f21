"""Settings, read once from the environment (the README's configuration table)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SQLITE = "eventsourcing.sqlite"
POSTGRES = "eventsourcing.postgres"

# Passed through to eventsourcing unchanged; see its documentation.
EVENTSOURCING_VARIABLES = (
    "POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER",
    "POSTGRES_PASSWORD", "POSTGRES_SCHEMA", "POSTGRES_POOL_SIZE", "POSTGRES_MAX_OVERFLOW",
    "POSTGRES_CONNECT_TIMEOUT", "POSTGRES_PRE_PING", "CIPHER_TOPIC", "CIPHER_KEY",
    "COMPRESSOR_TOPIC",
)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "y", "on"}


@dataclass(frozen=True)
class Settings:
    persistence_module: str = SQLITE
    sqlite_dbname: str = "skolefravaer.sqlite"
    postgres_lock_timeout: str = "2"
    kafka_bootstrap_servers: str = ""
    kafka_topic_partitions: int = 3
    kafka_replication_factor: int = 1  # copies of each topic the relay creates; <= brokers
    events_topic: str = "absence.events.v1"
    alerts_topic: str = "absence.alerts.v1"
    status_topic: str = "absence.pupil-status.v1"
    relay_batch_size: int = 500
    run_workers_in_process: bool = True
    poll_interval: float = 0.2
    clock_interval: float = 30.0
    signing_key: str | None = None  # Ed25519, base64 raw or PEM: signs audit checkpoints
    passthrough: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        module = env.get("PERSISTENCE_MODULE") or SQLITE
        if module not in (SQLITE, POSTGRES):
            raise ValueError(f"PERSISTENCE_MODULE must be {SQLITE} or {POSTGRES}")
        if _flag(env.get("POSTGRES_ENABLE_DB_FUNCTIONS"), False):
            # Inserting without the table lock lets a later id commit before an earlier
            # one; followers reading "id > last seen" would skip events for good.
            log.warning("POSTGRES_ENABLE_DB_FUNCTIONS is ignored: it can make followers "
                        "skip events")
        return cls(
            persistence_module=module,
            sqlite_dbname=env.get("SQLITE_DBNAME") or cls.sqlite_dbname,
            postgres_lock_timeout=env.get("POSTGRES_LOCK_TIMEOUT") or cls.postgres_lock_timeout,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", ""),
            kafka_topic_partitions=int(env.get("KAFKA_TOPIC_PARTITIONS") or 3),
            kafka_replication_factor=int(env.get("KAFKA_REPLICATION_FACTOR") or 1),
            events_topic=env.get("SKOLEFRAVAER_EVENTS_TOPIC") or cls.events_topic,
            alerts_topic=env.get("SKOLEFRAVAER_ALERTS_TOPIC") or cls.alerts_topic,
            status_topic=env.get("SKOLEFRAVAER_STATUS_TOPIC") or cls.status_topic,
            relay_batch_size=int(env.get("SKOLEFRAVAER_RELAY_BATCH_SIZE") or 500),
            run_workers_in_process=_flag(env.get("SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS"),
                                         module == SQLITE),
            poll_interval=float(env.get("SKOLEFRAVAER_POLL_INTERVAL") or 0.2),
            clock_interval=float(env.get("SKOLEFRAVAER_CLOCK_INTERVAL") or 30),
            signing_key=env.get("SKOLEFRAVAER_SIGNING_KEY") or None,
            passthrough={k: env[k] for k in EVENTSOURCING_VARIABLES if k in env},
        )

    @property
    def uses_postgres(self) -> bool:
        return self.persistence_module == POSTGRES

    def eventsourcing_env(self) -> dict[str, str]:
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "POSTGRES_LOCK_TIMEOUT": self.postgres_lock_timeout,
            # Ingestion loads the same pupils batch after batch: keep them, and read only
            # the events stored since (by this or another worker) on the next load.
            "AGGREGATE_CACHE_MAXSIZE": "20000",
            "AGGREGATE_CACHE_FASTFORWARD": "y",
            **self.passthrough,
        }
        if self.uses_postgres:
            env.setdefault("POSTGRES_PASSWORD", "")  # trust or peer authentication
        else:
            env["SQLITE_DBNAME"] = str(Path(self.sqlite_dbname))
            env["SQLITE_LOCK_TIMEOUT"] = "10"
        return env

    def key_environ(self) -> dict[str, str]:
        """The signing key as services.evidence.verify reads it (absent: one kept in the views)."""
        return {"SKOLEFRAVAER_SIGNING_KEY": self.signing_key} if self.signing_key else {}

    def postgres_conninfo(self) -> str:
        parts = {
            "dbname": self.passthrough.get("POSTGRES_DBNAME", "skolefravaer"),
            "host": self.passthrough.get("POSTGRES_HOST", "127.0.0.1"),
            "port": self.passthrough.get("POSTGRES_PORT", "5432"),
            "user": self.passthrough.get("POSTGRES_USER", "postgres"),
            "password": self.passthrough.get("POSTGRES_PASSWORD", ""),
        }
        if schema := self.passthrough.get("POSTGRES_SCHEMA"):
            parts["options"] = f"-csearch_path={schema}"
        return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)
