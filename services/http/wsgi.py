"""WSGI entry point: ``gunicorn -c deploy/gunicorn.conf.py services.http.wsgi:app``."""

from __future__ import annotations

import logging
import os

from services.bootstrap import Service, build
from services.config import Settings
from services.http.app import create_app

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                    format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _service() -> Service:
    service = build(Settings.from_environ())
    if service.settings.run_workers_in_process:
        service.start_workers()
    return service


app = create_app(_service)
