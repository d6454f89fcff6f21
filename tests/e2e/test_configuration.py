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

import pytest

from services.bootstrap import build
from services.config import Settings
from tests.conftest import ROOT, free_port
from tests.support import http
from tests.support.events import enrolled, new_pupil

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
