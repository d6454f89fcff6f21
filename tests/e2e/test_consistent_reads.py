"""Consistent reads: whoever posts and then reads, at once and without ``min_position``,
finds what they posted — on the embedded default as the README's "Try it" runs it, and under
gunicorn on PostgreSQL where no process follows the log in the background at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskClient

from services.bootstrap import Service
from tests.conftest import ROOT
from tests.support import http
from tests.support.events import absent, enrolled, new_pupil
from tests.support.http import Gunicorn, call

EXAMPLE = json.loads((ROOT / "docs/examples/batch.json").read_text())
EXAMPLE_PUPIL = EXAMPLE["events"][0]["data"]["pupil_id"]


def skolefravaer(*arguments: str) -> str:
    """`.venv/bin/skolefravaer …` as the README runs it; its output."""
    return subprocess.run([sys.executable, "-m", "services.cli", *arguments], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()


def test_the_readme_try_it_posts_and_reads_the_tally_at_once(tmp_path: Path) -> None:
    """`bin/run`: SQLite, the development issuer, gunicorn as configured; then the two curls."""
    issuer = str(tmp_path / "dev-issuer")
    server = Gunicorn({"SQLITE_DBNAME": str(tmp_path / "skolefravaer.sqlite"),
                       "AUTH_ISSUERS": skolefravaer("dev-issuer", "--dir", issuer)},
                      workers=1)
    platform = skolefravaer("token", "--dir", issuer, "--tenant", "3101",
                            "--scope", "events.write")
    teacher = skolefravaer("token", "--dir", issuer, "--tenant", "3101", "--role",
                           "contact_teacher", "--school", "halden-ungdomsskole",
                           "--class", "9B", "--id", "teacher-17")
    try:
        posted, _ = call("POST", f"{server.base}/v1/events", EXAMPLE, token=platform)
        status, tally = call("GET", f"{server.base}/v1/pupils/{EXAMPLE_PUPIL}/absence"
                                    "?school_year=2026-2027", token=teacher)
    finally:
        server.stop()

    assert (posted, status) == (200, 200), tally
    assert tally["days"] == {"documented": 2, "undocumented": 1, "total": 3}
    assert tally["lessons"] == {"documented": 0, "undocumented": 2, "total": 2}
    assert (tally["late_arrivals"], tally["left_school"]) == (1, 0)


def test_with_no_follower_running_anywhere_every_read_finds_what_was_just_posted(
        pg_environ: dict[str, str]) -> None:
    """Two workers, neither following the log: each read brings the views forward itself,
    whichever worker took the post."""
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                      workers=2)
    answers = []
    try:
        for _ in range(10):
            pupil = new_pupil()
            call("POST", f"{server.base}/v1/events",
                 {"events": [enrolled(pupil), absent(pupil, "2026-09-01")]})
            answers.append(call("GET", f"{server.base}/v1/pupils/{pupil}/absence"))
    finally:
        log = server.stop()

    assert [(status, tally["days"]["total"]) for status, tally in answers] == [(200, 1)] * 10
    assert "Traceback" not in log


def test_a_read_looks_past_the_reads_recorded_before_it_and_waits_for_no_poll(
        sqlite_service: Service) -> None:
    """History and dossier reads append a PRIV-3 record to the log after they answer: the
    next read sees that only records of reads lie beyond the views and answers at once, and
    a write after them is still brought in."""
    client = http.client(sqlite_service)
    pupil = new_pupil()
    client.post("/v1/events", json={"events": [enrolled(pupil)]})
    assert client.get(f"/v1/pupils/{pupil}/history").status_code == 200
    enrolment = sqlite_service.pupil_views.sink.position()
    assert sqlite_service.app.recorder.max_notification_id() > enrolment  # the read's record

    past_the_record = client.get(f"/v1/pupils/{pupil}/absence")
    client.post("/v1/events", json={"events": [absent(pupil, "2026-09-01")]})
    after_a_write = client.get(f"/v1/pupils/{pupil}/absence")

    assert past_the_record.status_code == 200
    assert past_the_record.get_json()["position"] == enrolment  # nothing delivered for it
    assert after_a_write.get_json()["days"]["total"] == 1


def test_the_views_apply_nothing_for_a_record_of_a_read(sqlite_service: Service) -> None:
    """What lets a read look past records of reads: delivering them changes no view row."""
    client = http.client(sqlite_service)
    pupil = new_pupil()
    client.post("/v1/events", json={"events": [enrolled(pupil), absent(pupil, "2026-09-01")]})
    client.get(f"/v1/pupils/{pupil}/history")  # brings the views to the post, then records
    before = view_rows(sqlite_service)

    assert sqlite_service.pupil_views.catch_up() >= 1  # the record of the read

    assert view_rows(sqlite_service) == before


def view_rows(service: Service) -> dict[str, list[tuple[object, ...]]]:
    with service.views.transaction() as tx:
        tables = [name for (name,) in tx.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if name != "projection_position"]
        return {table: sorted(tx.execute(f"SELECT * FROM {table}"), key=repr)
                for table in tables}


def test_min_position_asks_for_less_and_past_the_log_is_a_409(
        sqlite_service: Service) -> None:
    client: FlaskClient = http.client(sqlite_service)
    pupil = new_pupil()
    client.post("/v1/events", json={"events": [enrolled(pupil)]})
    first = sqlite_service.app.recorder.max_notification_id()
    client.post("/v1/events", json={"events": [absent(pupil, "2026-09-01")]})

    earlier = client.get(f"/v1/pupils/{pupil}/absence?min_position={first}")
    head = sqlite_service.app.recorder.max_notification_id() or 0  # decisions, reads too
    beyond = client.get(f"/v1/pupils/{pupil}/absence?min_position={head + 100}")

    assert earlier.status_code == 200
    assert earlier.get_json()["position"] >= first
    assert beyond.status_code == 409  # a position the log does not hold (yet)
    assert beyond.get_json()["errors"][0]["field"] == "min_position"
