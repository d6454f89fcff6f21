"""HTTP clients that sign in by default, and server processes for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from services.bootstrap import Service
from services.http.app import create_app
from tests.conftest import ROOT, free_port, wait_for_port
from tests.support import tokens


class SignedInClient(FlaskClient):
    """Flask's test client, sending the default test token (`tokens.default_for`) unless
    the request names its own ``Authorization`` (an empty one sends none)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            headers = Headers(kwargs.get("headers"))
            if "Authorization" not in headers:
                token = tokens.default_for(kwargs.get("method", "GET"), args[0])
                headers["Authorization"] = f"Bearer {token}"
            elif not headers["Authorization"]:
                del headers["Authorization"]
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def client(service: Service, **app_options: Any) -> SignedInClient:
    """A signed-in test client of the HTTP API over ``service`` (``app_options`` go to
    `create_app`)."""
    app = create_app(lambda: service, **app_options)
    app.test_client_class = SignedInClient
    signed_in = app.test_client()
    assert isinstance(signed_in, SignedInClient)
    return signed_in


def call(method: str, url: str, body: Any = None, timeout: float = 60,
         token: str | None = None) -> tuple[int, Any]:
    """``method`` on ``url`` with the default test token (or ``token``; "" sends none)."""
    data = json.dumps(body).encode() if body is not None else None
    if token is None:
        token = tokens.default_for(method, urllib.parse.urlsplit(url).path)
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"}
                                               if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def text(url: str, timeout: float = 30) -> str:
    """A GET's body as text (metrics, say), with the default test token."""
    token = tokens.default_for("GET", urllib.parse.urlsplit(url).path)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
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
            env={**os.environ, "LOG_LEVEL": "WARNING", **tokens.ENVIRON, **environ,
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
