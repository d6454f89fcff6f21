"""The ``skolefravaer`` command as an operator runs it: plain help, its version, progress
only on a terminal, a question before a rebuild, and a status that builds nothing."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from importlib.metadata import version
from pathlib import Path

import pytest

from services import cli
from services.bootstrap import Service, build
from services.cli import status
from services.config import Settings
from tests.conftest import ROOT
from tests.support.events import absent, enrolled, new_pupil, school_days
from tests.support.store import stored

EXAMPLE = json.loads((ROOT / "docs/examples/batch.json").read_text())
COMMAND = str(Path(sys.executable).with_name("skolefravaer"))


def run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command with stdin, stdout and stderr not terminals (a script, CI)."""
    return subprocess.run([COMMAND, *args], cwd=ROOT, env={**os.environ, **environ},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def run_on_terminal(args: list[str], environ: dict[str, str], typed: bytes = b""
                    ) -> tuple[int, str]:
    """The command on a pseudo-terminal, as an operator at a shell runs it."""
    terminal, its_end = pty.openpty()
    fcntl.ioctl(its_end, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen([COMMAND, *args], cwd=ROOT, env={**os.environ, **environ},
                               stdin=its_end, stdout=its_end, stderr=its_end)
    os.close(its_end)
    os.write(terminal, typed)
    seen = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(terminal)
    return process.wait(timeout=60), seen.decode(errors="replace")


@pytest.fixture
def example_store(tmp_path: Path) -> tuple[dict[str, str], int]:
    """A store holding the example batch: each event, its receipt, and what the service
    decided on them; and how many stored events that is."""
    environ = {"SQLITE_DBNAME": str(tmp_path / "store.sqlite")}
    service = build(Settings.from_environ(environ))
    service.ingestor.ingest(EXAMPLE["events"])
    held = stored(service.app)
    assert (held.posted, held.receipts) == (len(EXAMPLE["events"]), len(EXAMPLE["events"]))
    assert service.app.recorder.max_notification_id() == held.rows
    service.close()
    return environ, held.rows


@pytest.fixture
def sqlite_environ(example_store: tuple[dict[str, str], int]) -> dict[str, str]:
    return example_store[0]


@pytest.fixture
def stored_count(example_store: tuple[dict[str, str], int]) -> int:
    return example_store[1]


def test_help_is_plain_text_and_the_version_comes_from_the_package(
        capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--help"], ["rebuild", "--help"], ["--version"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(args)
        assert stopped.value.code == 0
    out = capsys.readouterr().out

    assert "``" not in out and ":class:" not in out
    assert "rebuild" in out and "--yes" in out
    assert f"skolefravaer {version('skolefravaer')}" in out


def test_verify_shows_a_progress_bar_on_a_terminal_and_none_elsewhere(
        sqlite_environ: dict[str, str], stored_count: int) -> None:
    code, seen = run_on_terminal(["verify"], sqlite_environ)
    elsewhere = run(["verify"], sqlite_environ)

    assert code == 0 and "\r" in seen and "100%" in seen
    assert f"intact: {stored_count} stored events checked" in seen
    assert elsewhere.returncode == 0
    assert elsewhere.stdout.startswith(f"intact: {stored_count} stored events checked")
    assert "\r" not in elsewhere.stderr


def test_rebuild_without_a_terminal_refuses_unless_told_yes(
        sqlite_environ: dict[str, str], stored_count: int) -> None:
    refused = run(["rebuild"], sqlite_environ)
    rebuilt = run(["rebuild", "--yes"], sqlite_environ)

    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    assert "rebuilt" not in refused.stdout
    assert rebuilt.returncode == 0
    assert rebuilt.stdout == f"pupil-views rebuilt from {stored_count} events\n"
    assert "\r" not in rebuilt.stderr


def test_rebuild_on_a_terminal_asks_first_and_shows_progress(
        sqlite_environ: dict[str, str], stored_count: int) -> None:
    declined, seen_declined = run_on_terminal(["rebuild"], sqlite_environ, typed=b"n\n")
    code, seen = run_on_terminal(["rebuild"], sqlite_environ, typed=b"y\n")

    assert declined == 1 and "[y/N]" in seen_declined and "not rebuilt" in seen_declined
    assert code == 0 and "[y/N]" in seen and "100%" in seen
    assert f"pupil-views rebuilt from {stored_count} events" in seen


@pytest.fixture
def behind(pg_environ: dict[str, str]) -> tuple[Service, dict[str, str]]:
    """A service with Kafka configured (never reached) whose workers have not kept up:
    the pupil views once, the audit log and the relays never."""
    environ = {**pg_environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    service = build(Settings.from_environ(environ))
    pupil = new_pupil()
    service.ingestor.ingest([enrolled(pupil), *(absent(pupil, d) for d in school_days(3))])
    service.pupil_views.catch_up()
    service.ingestor.ingest([absent(pupil, d) for d in school_days(6)[3:]])
    return service, environ


def test_status_reads_the_lags_the_workers_report_without_building_the_service(
        behind: tuple[Service, dict[str, str]]) -> None:
    service, environ = behind
    try:
        reported = {worker.name: worker.lag() for worker in service.workers}
        read = status.worker_lags(Settings.from_environ(environ))
        held = stored(service.app)
    finally:
        service.close()
    built_nothing = subprocess.run(
        [sys.executable, "-c", "import sys; from services import cli; code = cli.main("
         "['status', '--max-lag', '1']); print(sorted(m for m in sys.modules if m.startswith("
         "('eventsourcing', 'flask', 'services.bootstrap', 'domain')))); sys.exit(code)"],
        cwd=ROOT, env={**os.environ, **environ}, capture_output=True, text=True, timeout=60)

    assert read == reported
    assert list(read) == ["pupil-views", "audit-log", "relay:absence.events.v1",
                          "relay:outbox", "clock:overdue"]
    # Nothing audited yet; the views have the first batch (events, receipts, decisions).
    assert read["audit-log"] == held.rows and 0 < read["pupil-views"] < held.rows
    assert built_nothing.returncode == 1  # lags past --max-lag 1
    assert built_nothing.stdout.splitlines()[:2] == [f"pupil-views: lag {read['pupil-views']}",
                                                     f"audit-log: lag {held.rows}"]
    assert built_nothing.stdout.splitlines()[-1] == "[]"


def test_status_is_unhealthy_when_the_store_does_not_answer() -> None:
    answered = run(["status"], {"PERSISTENCE_MODULE": "eventsourcing.postgres",
                                "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "1"})

    assert answered.returncode == 1
    assert answered.stderr.splitlines()[-1].startswith("unhealthy: ")
    assert answered.stdout == ""
