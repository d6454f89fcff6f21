"""Every request observed: an id, its route, its duration — for the logs and the metrics.

The id is the caller's ``X-Request-Id`` when it is well-formed (a proxy's, say), otherwise a
new one; it is echoed in the response and is on every log line of the request. The route
is the URL rule (``/v1/pupils/<uuid:pupil_id>/absence``), never the path: no pupil ids in
metric labels or the access log.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from flask import Flask, Response, g, request

from services.config.logs import ROUTE_ENVIRON
from services.http import metrics

HEADER = "X-Request-Id"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,128}")


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_end)


def _begin() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex
    g.started = time.perf_counter()
    # gunicorn's threads serve one request after another: forget the last one's id.
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _end(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    request.environ[ROUTE_ENVIRON] = route
    response.headers[HEADER] = g.request_id
    metrics.observe_request(request.method, route, response.status_code,
                            time.perf_counter() - g.started)
    return response
