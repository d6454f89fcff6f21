"""The Flask application: the API of API.md, assembled from one Blueprint per resource."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from services.bootstrap import Service
from services.config.settings import MAX_BODY_BYTES
from services.http import context, health, observe, problems
from services.http.context import access
from services.http.contract import document
from services.http.resources import (
    audit,
    dossier,
    events,
    history,
    leave,
    pupils,
    schools,
    tasks,
    templates,
)
from services.intake.loading import InvalidData, parse_json

MAX_URL = 4096
"""Characters of a request's URL (path and query, as sent): no operation needs more."""

RESOURCES = (events, audit, pupils, history, dossier, tasks, schools, templates, leave)


def create_app(service_factory: Callable[[], Service], *,
               max_body_bytes: int = MAX_BODY_BYTES) -> Flask:
    """The Flask app; ``service_factory`` is called once, on the first request.

    Lazy construction keeps every database pool out of the gunicorn master: each worker
    builds its own after the fork.
    """
    app = Flask("skolefravaer")
    app.json = RequestJSON(app)
    app.config.update(MAX_CONTENT_LENGTH=max_body_bytes)
    api = document.api_for(app)
    problems.install(app)
    observe.install(app)
    app.before_request(_refuse_what_no_endpoint_takes)
    access.install(app)  # after observe: a refused request has its id and is measured
    context.install(app, service_factory)
    for resource in RESOURCES:
        api.register_blueprint(resource.blp)
    app.register_blueprint(health.blp)
    document.complete(api, app)
    return app


class RequestJSON(DefaultJSONProvider):
    """Flask's JSON, parsing request bodies (``request.get_json``, which the Blueprints'
    parser asks) through `parse_json`'s checks: a 400 problem names where a body fails them."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return parse_json(s)
        except InvalidData as error:
            [(field, text)] = error.errors
            raise problems.invalid(f"the body is not JSON this service takes: {text}",
                                   field=field, code="invalid_json", field_detail=text) from None


def _refuse_what_no_endpoint_takes() -> None:
    """Before any endpoint runs: a URL longer than MAX_URL is a 414, a body larger than the
    limit a 413, a NUL in the path or the query a 400 (PostgreSQL text cannot hold one)."""
    target = request.environ.get("RAW_URI") or request.full_path
    if len(target) > MAX_URL:
        raise problems.uri_too_long(MAX_URL)
    _bound_body(request.max_content_length or 0)
    if "\x00" in request.path or any("\x00" in key + value
                                     for key, value in request.args.items(multi=True)):
        raise problems.invalid("a NUL character in the URL", field="$", code="invalid_url",
                               field_detail="the path or the query holds a NUL character")


def _bound_body(limit: int) -> None:
    """A declared length over ``limit`` is refused before a byte of the body is read. A
    chunked body declares none: it is read up to one byte past ``limit`` — werkzeug would
    stop at the limit and hand on the truncated body as if it were whole."""
    declared = request.content_length
    if declared is not None:
        if declared > limit:
            raise problems.too_large(limit)
        return
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        body = request.environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise problems.too_large(limit)
        request.environ.update({"wsgi.input": io.BytesIO(body),
                                "CONTENT_LENGTH": str(len(body))})
