"""The service under gunicorn, as deployed: several workers, several clients at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import ROOT
from tests.support.events import absent, enrolled, new_pupil, school_days
from tests.support.http import Gunicorn, call

EXAMPLE = json.loads((ROOT / "docs/examples/batch.json").read_text())


def test_concurrent_clients_on_two_workers_all_land_on_postgres(
        pg_environ: dict[str, str]) -> None:
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                      workers=2)
    worker = subprocess.Popen([sys.executable, "-m", "services.cli", "worker", "--no-relay"],
                              cwd=ROOT, env={**os.environ, **pg_environ,
                                             "SKOLEFRAVAER_POLL_INTERVAL": "0.05"})
    try:
        pupils = [new_pupil() for _ in range(4)]
        status, answer = call("POST", f"{server.base}/v1/events",
                              {"events": [enrolled(p) for p in pupils]})
        assert (status, answer["accepted"]) == (200, 4)
        # Eight clients, each posting five batches that touch every pupil, each batch
        # posted twice (a retry after a lost answer).
        days = school_days(40)
        batches = [[absent(p, days[c * 5 + b]) for p in pupils]
                   for c in range(8) for b in range(5)]
        answers: list[dict[str, int]] = []
        errors: list[str] = []

        def client(mine: list[list[dict[str, object]]]) -> None:
            for batch in mine:
                for _ in range(2):
                    code, body = call("POST", f"{server.base}/v1/events", {"events": batch})
                    if code != 200:
                        errors.append(f"{code} {body}")
                    else:
                        answers.append(body)

        threads = [threading.Thread(target=client, args=(batches[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        accepted = sum(a["accepted"] for a in answers)
        duplicates = sum(a["duplicate"] for a in answers)
        assert accepted == duplicates == 8 * 5 * len(pupils)
        head = max(r["position"] for a in answers for r in a["results"] if "position" in r)
        for pupil in pupils:
            status, tally = call("GET", f"{server.base}/v1/pupils/{pupil}/absence"
                                        f"?min_position={head}")
            assert status == 200
            assert tally["days"]["total"] == 40
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log = server.stop()
    assert "Traceback" not in log


def test_the_run_command_serves_the_readme_example_on_sqlite(tmp_path: Path) -> None:
    server = Gunicorn({"SQLITE_DBNAME": str(tmp_path / "store.sqlite")}, workers=1)
    try:
        status, answer = call("POST", f"{server.base}/v1/events", EXAMPLE)
        head = max(r["position"] for r in answer["results"])
        pupil = EXAMPLE["events"][0]["data"]["pupil_id"]
        status, tally = call("GET", f"{server.base}/v1/pupils/{pupil}/absence"
                                    f"?school_year=2026-2027&min_position={head}")
        ready_status, ready = call("GET", f"{server.base}/readyz")
    finally:
        log = server.stop()

    assert (status, tally["days"], tally["lessons"]["total"]) == (
        200, {"documented": 2, "undocumented": 1, "total": 3}, 2)
    assert ready_status == 200 and ready["ready"] is True
    # No personal data or event contents in the server's log lines.
    assert not re.search(r"guardian-1|illness|teacher-17", log)
