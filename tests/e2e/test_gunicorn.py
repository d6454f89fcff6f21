"""The service under gunicorn, as deployed: several workers, several clients at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.support import tokens
from tests.support.events import absent, enrolled, new_pupil, notice, school_days
from tests.support.http import Gunicorn, call, text

EXAMPLE = json.loads((ROOT / "docs/examples/batch.json").read_text())


def until_answered(method: str, url: str, body: object = None) -> tuple[int, Any]:
    """Call as an integration should: a 503 (the table lock busy past
    POSTGRES_LOCK_TIMEOUT, or views not caught up within the read's 5 s; nothing done) is
    asked again after a pause, a few times."""
    for _ in range(20):
        code, answer = call(method, url, body)
        if code != 503:
            return code, answer
        time.sleep(0.5)
    return code, answer


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
                    code, body = until_answered("POST", f"{server.base}/v1/events",
                                                {"events": batch})
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
            status, tally = until_answered("GET", f"{server.base}/v1/pupils/{pupil}/absence"
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


def accepted_so_far(metrics: str) -> float:
    return next(float(line.split()[-1]) for line in metrics.splitlines()
                if line.startswith('skolefravaer_events_total{status="accepted"}'))


def test_counters_are_the_services_whichever_worker_answers_the_scrape(
        pg_environ: dict[str, str]) -> None:
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                      workers=2)
    seen: list[float] = []
    try:
        for batch in range(100):
            pupil = new_pupil()  # one pupil per batch: the batches never wait on each other
            status, _ = call("POST", f"{server.base}/v1/events",
                             {"events": [enrolled(pupil), absent(pupil, "2026-09-01")]})
            assert status == 200
            if batch % 5 == 4:
                seen.append(accepted_so_far(text(f"{server.base}/metrics")))
    finally:
        server.stop()

    assert len(seen) == 20
    assert seen == sorted(seen)  # never decreases, whichever worker answered
    assert seen[-1] == 200


def test_every_line_the_server_writes_is_json_without_personal_data(tmp_path: Path) -> None:
    server = Gunicorn({"SQLITE_DBNAME": str(tmp_path / "store.sqlite"), "LOG_LEVEL": "INFO"},
                      workers=1)
    pupil = EXAMPLE["events"][0]["data"]["pupil_id"]
    unknown_guardian = notice(pupil, "2026-09-10")
    unknown_guardian["data"]["guardian_id"] = "guardian-9"  # not the pupil's: rejected
    try:
        with urllib.request.urlopen(urllib.request.Request(
                f"{server.base}/v1/events", data=json.dumps(EXAMPLE).encode(), method="POST",
                headers={"Content-Type": "application/json", "X-Request-Id": "req-from-proxy-1",
                         **tokens.bearer(tokens.system())})) as answer:
            echoed = answer.headers["X-Request-Id"]
            head = max(r["position"] for r in json.load(answer)["results"])
        _, rejected = call("POST", f"{server.base}/v1/events", {"events": [unknown_guardian]})
        call("GET", f"{server.base}/v1/pupils/{pupil}/absence?min_position={head}")
        call("GET", f"{server.base}/no/such/path")
    finally:
        stderr = server.stop()

    lines = [json.loads(line) for line in (server.stdout + stderr).splitlines()]
    assert (echoed, rejected["rejected"]) == ("req-from-proxy-1", 1)
    assert all({"timestamp", "level", "event"} <= line.keys() for line in lines)
    requests = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/v1/events", 200), ("POST", "/v1/events", 200),
        ("GET", "/v1/pupils/<uuid:pupil_id>/absence", 200), ("GET", "unmatched", 404)]
    assert requests[0]["request_id"] == "req-from-proxy-1"
    assert all(r["duration_ms"] >= 0 for r in requests)
    rejection = next(line for line in lines if line["logger"] == "skolefravaer.rejections")
    assert rejection["request_id"] == requests[1]["request_id"]
    everything = stderr + server.stdout
    assert not re.search(rf"guardian-[19]|illness|teacher-17|{pupil}", everything)
