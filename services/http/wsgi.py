"""WSGI entry point: ``gunicorn -c deploy/gunicorn.conf.py services.http.wsgi:app``.

The settings are read and checked on import, before the first request; the service is
built on the first request, in each worker after gunicorn forked.
"""

from __future__ import annotations

import logging

from services.bootstrap import Service, build
from services.config import ConfigError, Settings, logs
from services.http.app import create_app

try:
    SETTINGS = Settings.from_environ()
except ConfigError as error:
    logs.refuse_to_start(error)
logs.configure(SETTINGS)
if not SETTINGS.auth_issuers:
    logging.getLogger(__name__).warning("AUTH_ISSUERS is empty: every /v1 call is refused "
                                        "(401)")


def _service() -> Service:
    service = build(SETTINGS)
    if service.settings.run_workers_in_process:
        service.start_workers()
    return service


app = create_app(_service, max_body_bytes=SETTINGS.max_body_bytes)
