"""A plain HTTP client and server processes for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from typing import IO, Any

from tests.conftest import ROOT, free_port, wait_for_port


def call(method: str, url: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def text(url: str, timeout: float = 30) -> str:
    """A GET's body as text (metrics, say)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode())


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py, as production and bin/run start it.

    Its output goes to files, not pipes: a busy server would fill a pipe nobody reads
    until `stop` and block on its next log line."""

    def __init__(self, environ: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Open until `stop` reads and closes them.
        self._stdout = tempfile.TemporaryFile()  # noqa: SIM115
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "services.http.wsgi:app"],
            cwd=ROOT, stdout=self._stdout, stderr=self._stderr,
            env={**os.environ, "LOG_LEVEL": "WARNING", **environ,
                 "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)})
        wait_for_port(self.port, timeout=30)
        self.stdout = ""

    def stop(self) -> str:
        """Stop the server; answer what it wrote to stderr (stdout is kept in ``stdout``)."""
        self.process.terminate()
        self.process.wait(timeout=30)
        self.stdout, stderr = (_read(output) for output in (self._stdout, self._stderr))
        return stderr


def _read(output: IO[bytes]) -> str:
    with output:
        output.seek(0)
        return output.read().decode(errors="replace")
