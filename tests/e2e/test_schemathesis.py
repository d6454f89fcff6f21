"""bin/schemathesis against the service as deployed (gunicorn, PostgreSQL): schemathesis
generates requests for every operation of /openapi.json, valid and invalid, and runs every
check on the answers (--checks all, tests/schemathesis.toml): no server error, and every
status, media type, header and body as the document says."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from services.http.contract.operations import ANSWERS
from tests.conftest import ROOT
from tests.support import tokens
from tests.support.http import Gunicorn

METRICS = "/metrics"


def fuzz(base: str, token: str, *options: str) -> str:
    """bin/schemathesis with ``token``; its report (the test fails on any failure)."""
    run = subprocess.run([str(ROOT / "bin" / "schemathesis"), base, *options], cwd=ROOT,
                         env={**os.environ, "NO_COLOR": "1", "SKOLEFRAVAER_TOKEN": token,
                              "SKOLEFRAVAER_SETUP_TOKEN": tokens.system()},
                         capture_output=True, text=True, timeout=600, check=False)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "Authentication failed" not in report, report[-3000:]  # each call signed in
    return report


def operations_tested(report: str) -> int:
    selected, tested = (re.search(rf"{word}: (\d+)", report) for word in ("Selected", "Tested"))
    assert selected and tested and selected.group(1).split("/")[0] == tested.group(1), report
    return int(tested.group(1))


@pytest.mark.fuzz
def test_every_operation_answers_as_its_document_says(pg_environ: dict[str, str]) -> None:
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "true"}, workers=1)
    try:
        # Every /v1 operation is the director's (the policy table); /metrics a scope's.
        api = fuzz(server.base, tokens.staff("municipal_director"), "--exclude-path", METRICS)
        metrics = fuzz(server.base, tokens.system("metrics"), "--include-path", METRICS)
    finally:
        log = server.stop()

    # Every operation documented (a test sees to that) was fuzzed.
    assert operations_tested(api) + operations_tested(metrics) == len(ANSWERS)
    # Flask's line for an exception no handler took (a background worker may log a retried
    # race with the request that settled the same view first: not a request's error).
    assert "Exception on " not in log
