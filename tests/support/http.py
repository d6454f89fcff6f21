"""A plain HTTP client and server processes for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from typing import Any

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


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py, as production and bin/run start it."""

    def __init__(self, environ: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
             "services.http.wsgi:app"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, **environ, "BIND": f"127.0.0.1:{self.port}",
                 "WEB_CONCURRENCY": str(workers), "LOG_LEVEL": "WARNING"})
        wait_for_port(self.port, timeout=30)

    def stop(self) -> str:
        self.process.terminate()
        _, stderr = self.process.communicate(timeout=30)
        return stderr.decode(errors="replace")
