"""Start-up with settings that cannot be right: the command and the server refuse to start
with exit code 78 and a log line naming the variable, and a cipher key that cannot read the
stored events makes the service not ready, saying why."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from services.bootstrap import build
from services.config import Settings
from services.evidence import checkpoints
from tests.conftest import ROOT, free_port
from tests.support import http, tokens
from tests.support.events import enrolled, new_pupil
from tests.support.http import Gunicorn, call

EX_CONFIG = 78
AES = "eventsourcing.cryptography:AESCipher"


def cli() -> list[str]:
    """The installed ``skolefravaer`` command."""
    return [str(Path(sys.executable).with_name("skolefravaer"))]


def gunicorn() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
            "services.http.wsgi:app"]


def refusal(command: list[str], environ: dict[str, str]) -> tuple[int, list[dict[str, str]]]:
    """Run until it stops; its exit code and its stderr, one JSON object per line."""
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, **environ},
                          capture_output=True, text=True, timeout=60)
    return done.returncode, [json.loads(line) for line in done.stderr.splitlines()]


BAD = [
    ({"SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "ture"}, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS",
     "valid boolean"),
    ({"KAFKA_TOPIC_PARTITIONS": "six"}, "KAFKA_TOPIC_PARTITIONS", "valid integer"),
    ({"CIPHER_TOPIC": AES}, "CIPHER_TOPIC", "CIPHER_KEY is not"),
]


@pytest.mark.parametrize(("environ", "variable", "says"), BAD)
def test_the_command_refuses_to_start_naming_the_variable(
        environ: dict[str, str], variable: str, says: str, tmp_path: Path) -> None:
    code, lines = refusal([*cli(), "status"],
                          {"SQLITE_DBNAME": str(tmp_path / "s.sqlite"), **environ})

    assert code == EX_CONFIG
    [line] = lines
    assert (line["level"], line["variable"]) == ("critical", variable)
    assert says in line["problem"]
    assert line["event"].startswith(f"configuration error: {variable}: ")
    assert not (tmp_path / "s.sqlite").exists()  # stopped before touching anything


@pytest.mark.parametrize(("environ", "variable", "says"), BAD)
def test_the_server_refuses_to_start_naming_the_variable(
        environ: dict[str, str], variable: str, says: str) -> None:
    code, lines = refusal(gunicorn(), {"BIND": f"127.0.0.1:{free_port()}", **environ})

    assert code == EX_CONFIG
    assert [(line["variable"], says in line["problem"]) for line in lines] == [(variable, True)]


def test_a_cipher_key_that_cannot_read_the_stored_events_makes_the_service_not_ready(
        tmp_path: Path) -> None:
    def environ(key: bytes) -> dict[str, str]:
        return {"SQLITE_DBNAME": str(tmp_path / "store.sqlite"), "CIPHER_TOPIC": AES,
                "CIPHER_KEY": base64.b64encode(key).decode()}

    stored = build(Settings.from_environ(environ(b"k" * 32)))
    stored.ingestor.ingest([enrolled(new_pupil())])
    stored.close()
    service = build(Settings.from_environ(environ(b"w" * 32)))
    try:
        response = http.client(service).get("/readyz")
    finally:
        service.close()

    assert response.status_code == 503
    check = response.get_json()["checks"]["newest_event"]
    assert check["ok"] is False
    assert "cannot be decrypted" in check["error"] and "CIPHER_KEY" in check["error"]


# Production mode ------------------------------------------------------------------------

PRODUCTION_ISSUER = "https://login.kommune.example/"  # not the development issuer


def production(**unset: str) -> dict[str, str]:
    """Production settings with everything it needs, but the variables in ``unset``."""
    issuer = {**json.loads(tokens.ENVIRON["AUTH_ISSUERS"])[0], "issuer": PRODUCTION_ISSUER}
    complete = {"SKOLEFRAVAER_MODE": "production", "AUTH_ISSUERS": json.dumps([issuer]),
                "SKOLEFRAVAER_SIGNING_KEY": base64.b64encode(b"s" * 32).decode(),
                "CIPHER_TOPIC": AES, "CIPHER_KEY": base64.b64encode(b"k" * 32).decode()}
    return {**complete, **{variable: "" for variable in unset}}


MISSING = [
    (["AUTH_ISSUERS"], ["AUTH_ISSUERS"]),
    (["SKOLEFRAVAER_SIGNING_KEY"], ["SKOLEFRAVAER_SIGNING_KEY"]),
    (["CIPHER_KEY", "CIPHER_TOPIC"], ["CIPHER_KEY"]),
    (["AUTH_ISSUERS", "SKOLEFRAVAER_SIGNING_KEY", "CIPHER_KEY", "CIPHER_TOPIC"],
     ["AUTH_ISSUERS", "SKOLEFRAVAER_SIGNING_KEY", "CIPHER_KEY"]),
]


@pytest.mark.parametrize(("unset", "named"), MISSING)
def test_production_refuses_to_start_naming_each_missing_thing(
        unset: list[str], named: list[str]) -> None:
    environ = production(**dict.fromkeys(unset, ""))

    code, lines = refusal(gunicorn(), {"BIND": f"127.0.0.1:{free_port()}", **environ})
    command_code, _ = refusal([*cli(), "status"], environ)

    assert (code, command_code) == (EX_CONFIG, EX_CONFIG)
    assert [line["variable"] for line in lines] == named
    assert all("production needs" in line["problem"] for line in lines)


def test_production_never_trusts_the_development_issuer() -> None:
    environ = {**production(), **tokens.ENVIRON}

    code, lines = refusal([*cli(), "status"], environ)

    assert code == EX_CONFIG
    assert [line["variable"] for line in lines] == ["AUTH_ISSUERS", "AUTH_ISSUERS"]
    assert "development issuer" in lines[0]["problem"]


def test_in_production_no_table_holds_the_signing_key(
        pg_environ: dict[str, str], postgres_conninfo: str) -> None:
    environ = {**pg_environ, **production()}
    server = Gunicorn(environ, workers=1)
    director = tokens.signed(tokens.staff_claims(iss=PRODUCTION_ISSUER, sub="direktor-1",
                                                 role="municipal_director"))
    event = {**enrolled(new_pupil()), "actor": {"id": "direktor-1",
                                                "role": "municipal_director"}}
    try:
        status, answer = call("POST", f"{server.base}/v1/events", {"events": [event]},
                              token=director)
        assert (status, answer["accepted"]) == (200, 1)
        status, published = call("GET", f"{server.base}/v1/audit/public-key", token=director)
    finally:
        server.stop()

    seed = environ["SKOLEFRAVAER_SIGNING_KEY"]
    expected = checkpoints.load_private_key(seed).public_key()
    assert (status, published["fingerprint_sha256"]) == (
        200, checkpoints.public_key_fingerprint(expected))
    with psycopg.connect(postgres_conninfo) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (pg_environ["POSTGRES_SCHEMA"],))]
        holding = [table for table in tables if connection.execute(
            sql.SQL("SELECT count(*) FROM {}.{} AS t WHERE t::text LIKE %s").format(
                sql.Identifier(pg_environ["POSTGRES_SCHEMA"]), sql.Identifier(table)),
            (f"%{seed}%",)).fetchone() != (0,)]
    assert "audit_key" not in tables
    assert tables and holding == []
