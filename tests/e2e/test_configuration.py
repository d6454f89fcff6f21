"""Start-up with settings that cannot be right: the server refuses to start with exit code
78 and a log line naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, free_port

EX_CONFIG = 78
AES = "eventsourcing.cryptography:AESCipher"


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
def test_the_server_refuses_to_start_naming_the_variable(
        environ: dict[str, str], variable: str, says: str) -> None:
    code, lines = refusal(gunicorn(), {"BIND": f"127.0.0.1:{free_port()}", **environ})

    assert code == EX_CONFIG
    assert [(line["variable"], says in line["problem"]) for line in lines] == [(variable, True)]

