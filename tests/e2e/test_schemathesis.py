"""bin/schemathesis against the service as deployed (gunicorn, PostgreSQL): schemathesis
generates requests for every operation of /openapi.json, valid and invalid, and none may
answer a server error."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import ROOT
from tests.support import tokens
from tests.support.http import Gunicorn


@pytest.mark.fuzz
def test_no_generated_request_to_any_operation_gets_a_server_error(
        pg_environ: dict[str, str]) -> None:
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "true"}, workers=1)
    try:
        run = subprocess.run([str(ROOT / "bin" / "schemathesis"), server.base], cwd=ROOT,
                             env={**os.environ, "NO_COLOR": "1",
                                  # every operation is the director's (the policy table)
                                  "SKOLEFRAVAER_TOKEN": tokens.staff("municipal_director")},
                             capture_output=True, text=True, timeout=300, check=False)
    finally:
        log = server.stop()

    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    selected, tested = (re.search(rf"{word}: (\d+)", report) for word in ("Selected", "Tested"))
    assert selected and tested and selected.group(1).split("/")[0] == tested.group(1), report
    assert int(tested.group(1)) >= 17
    # Flask's line for an exception no handler took (a background worker may log a retried
    # race with the request that settled the same view first: not a request's error).
    assert "Exception on " not in log
