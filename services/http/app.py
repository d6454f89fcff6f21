"""The Flask application: the API of API.md, assembled from one Blueprint per resource."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from flask_smorest import Api

from services.bootstrap import Service
from services.http import health, observe, problems
from services.http.context import SERVICE, access
from services.http.context.policy import BEARER, BEARER_SCHEME, PolicyInOpenAPI
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
from services.intake.contract import EnvelopeSchema

RESOURCES = (events, audit, pupils, history, dossier, tasks, schools, templates, leave)


def create_app(service_factory: Callable[[], Service]) -> Flask:
    """The Flask app; ``service_factory`` is called once, on the first request.

    Lazy construction keeps every database pool out of the gunicorn master: each worker
    builds its own after the fork.
    """
    app = Flask("skolefravaer")
    app.config.update(
        API_TITLE="Skolefravær", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
    )
    api = Api(app, spec_kwargs={"extra_plugins": [PolicyInOpenAPI()]})
    api.spec.components.schema("Event", schema=EnvelopeSchema)
    api.spec.components.security_scheme(BEARER, BEARER_SCHEME)
    problems.install(app)
    observe.install(app)
    access.install(app)  # after observe: a refused request has its id and is measured
    app.extensions[SERVICE] = _once(service_factory)
    for resource in RESOURCES:
        api.register_blueprint(resource.blp)
    app.register_blueprint(health.blp)
    return app


def _once(factory: Callable[[], Service]) -> Callable[[], Service]:
    """``factory``'s service, built by the first caller; every later caller gets it too."""
    lock = threading.Lock()
    built: list[Service] = []

    def service() -> Service:
        if not built:
            with lock:
                if not built:
                    built.append(factory())
        return built[0]

    return service
