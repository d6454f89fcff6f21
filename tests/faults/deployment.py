"""The service as it is deployed, in separate processes the fault tests can kill: gunicorn
with two workers (deploy/gunicorn.conf.py), ``skolefravaer worker --no-relay``
(projections, audit log, deadline clock) and ``skolefravaer worker --only-relay``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.support.http import Gunicorn


class Command:
    """A ``skolefravaer`` command; its log kept across restarts."""

    def __init__(self, environ: dict[str, str], log: Path, *args: str) -> None:
        self.environ, self.log, self.args = environ, log, args
        self.lock = threading.Lock()  # the test's kills and the supervisor's restarts
        self.wanted = True
        self.unexpected_exits = 0
        self.process = self.start()

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", *self.args], cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **self.environ})
        return self.process

    def kill_and_restart(self) -> None:
        """kill -9, and started again after a restart policy's pause."""
        with self.lock:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            time.sleep(0.3)
            self.start()

    def restart_if_exited(self) -> None:
        """What a restart policy does — but the process should never have exited."""
        with self.lock:
            if self.wanted and self.process.poll() is not None:
                self.unexpected_exits += 1
                self.start()

    def stop(self) -> None:
        with self.lock:
            self.wanted = False
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Deployment:
    def __init__(self, environ: dict[str, str], logs: Path) -> None:
        self.logs = logs
        self.api = Gunicorn({**environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                            workers=2)
        self.projector = Command(environ, logs / "projector.log", "worker", "--no-relay")
        self.relay = Command(environ, logs / "relay.log", "worker", "--only-relay")
        self.api_log = ""
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            for command in (self.projector, self.relay):
                command.restart_if_exited()

    @property
    def unexpected_exits(self) -> int:
        return self.projector.unexpected_exits + self.relay.unexpected_exits

    def api_workers(self) -> list[int]:
        """The gunicorn master's children: its workers."""
        master = self.api.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone while we looked
            if int(fields[1]) == master:
                children.append(int(stat.parent.name))
        return children

    def kill_api_workers(self, posting: threading.Event) -> None:
        """kill -9 every gunicorn worker while a batch is being stored (the master forks
        new ones)."""
        posting.clear()
        assert posting.wait(timeout=10)
        time.sleep(0.01)  # the batch has reached a worker
        for pid in self.api_workers():
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every process (again: nothing)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._supervisor.join()
        for command in (self.projector, self.relay):
            command.stop()
        self.api_log = self.api.stop()

    def log_text(self) -> str:
        return self.api_log + "".join(log.read_text(errors="replace")
                                      for log in sorted(self.logs.glob("*.log")))
