"""The OpenAPI document, as true as the service: each operation's id, its answers (the 200's
schema and media types, and every error it can give as an RFC 9457 problem under
``application/problem+json``, with the headers it carries), and browsable documentation
served from assets installed with the service (no CDN: a municipality's network may be
closed)."""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

import flask_smorest
import swagger_ui_bundle
from apispec import APISpec, BasePlugin
from flask import Blueprint, Flask, Response, send_from_directory
from marshmallow import Schema, fields

from services.http.context import CONSISTENT
from services.http.context.policy import BEARER, BEARER_SCHEME, POLICY, PolicyInOpenAPI
from services.http.contract import answers, events
from services.http.contract.answers import FieldProblem
from services.http.contract.operations import ANSWERS, Answered
from services.http.problems import PROBLEM_BASE

HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "RFC 6750: Bearer, and why the token failed",
                               "required": True, "schema": {"type": "string"}}},
    403: {"WWW-Authenticate": {"description": "RFC 6750: insufficient_scope",
                               "required": True, "schema": {"type": "string"}}},
    405: {"Allow": {"description": "the methods the path takes", "required": True,
                    "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "seconds to wait before trying again; nothing was "
                                         "done", "required": True,
                          "schema": {"type": "integer", "minimum": 0}}},
}
WHEN: dict[int, tuple[str, str, str]] = {
    # status: (when, the problem type's last part, its detail in an example)
    400: ("A parameter or the body is not what the operation takes: ``errors`` names each "
          "field (``field``, ``code``, ``detail``). Nothing was done.", "invalid-request",
          "school_year: must look like '2026-2027'"),
    401: ("No bearer token, or one that is not valid (expired, of an issuer not trusted, "
          "…).", "unauthorized", "a bearer access token is required"),
    403: ("The caller's role or scopes do not allow the operation (the policy table).",
          "forbidden", "the caller's role or scopes do not allow this"),
    404: ("Nothing of this id in the caller's reach: a pupil, school or application of "
          "another school or municipality is answered the same way.", "unknown-pupil",
          "no enrolled pupil has this pupil_id"),
    405: ("The path does not take this method; ``Allow`` lists those it takes.", "http-405",
          "The method is not allowed for the requested URL."),
    409: ("A parameter asks for more of the log than it holds: ``min_position`` past its "
          "end, ``old_size`` past the latest checkpoint.", "beyond-log",
          "no event is stored at position 1000: the log ends at 22"),
    413: ("The body is larger than SKOLEFRAVAER_MAX_BODY_BYTES; nothing of it was kept.",
          "body-too-large", "the body is larger than 4,194,304 bytes; post fewer events "
                            "per batch"),
    414: ("The URL is longer than 4,096 characters. (A request line over 8,190 bytes gets the "
          "HTTP server's own page, text/html, before the service sees it.)", "uri-too-long",
          "the URL is longer than 4,096 characters"),
    415: ("The body is not JSON (``Content-Type: application/json``); nothing was done.",
          "unsupported-media-type", "the body must be application/json"),
    503: ("A store (or the token issuer's keys) cannot answer now, or the views did not "
          "reach the log's head in time: nothing was done; try again after ``Retry-After`` "
          "seconds.", "store-unavailable", "a store the answer needs is unavailable; try "
                                           "again"),
}


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={
        "description": "a URI naming the kind of problem", "format": "uri"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "the request's path"})
    errors = fields.List(fields.Nested(FieldProblem), metadata={
        "description": "each field or parameter at fault"})


class DocumentedApi(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api whose error responses are problem documents, and with no
    catch-all ``default`` response: each operation lists the statuses it gives."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:  # 405 is no operation's: a path's, listed for its Allow
                self.spec.components.response(status.name, problem_response(status),
                                              lazy=status != 405)


def problem_response(status: http.HTTPStatus) -> dict[str, Any]:
    when, kind, detail = WHEN.get(status, (status.phrase, f"http-{int(status)}", status.phrase))
    title = "Content Too Large" if status == 413 else status.phrase  # RFC 9110's name
    example = {"type": PROBLEM_BASE + kind, "title": title, "status": int(status),
               "detail": detail, "instance": f"/v1/pupils/{answers.PUPIL}/absence"}
    return {"description": when, "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}, "example": example},
        **({"text/html": {"schema": {"type": "string"}}} if status == 414 else {})},
        **({"headers": HEADERS[status]} if status in HEADERS else {})}


class OperationsInOpenAPI(BasePlugin):
    """Each operation's id (its function's name), its answer (`ANSWERS`) and the errors it
    can give: a request may be refused before any endpoint runs (400: a NUL in the URL, or a
    parameter, 414: a URL too long);
    every /v1 operation checks the token and the policy (401, 403) and needs a store
    (503); one with a path parameter may find nothing (404); a consistent read may be asked
    for a position the log does not hold (409); one with a body may be sent too much or
    something other than JSON (413, 415)."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        answered = ANSWERS.get(rule.endpoint)  # None: a test names the endpoint missing
        errors = {400, 414, *(answered.errors if answered else ())}
        if rule.endpoint in POLICY:
            errors |= {401, 403, 503}
        if rule.arguments:
            errors.add(404)
        if getattr(self.app.view_functions[rule.endpoint], CONSISTENT, False):
            errors.add(409)
        for operation in operations.values():
            operation["operationId"] = rule.endpoint.rsplit(".", 1)[-1]
            responses = operation.setdefault("responses", {})
            if answered is not None:
                responses.update({str(status): self._answer(answered)
                                  for status in answered.statuses})
            body = {413, 415} if "requestBody" in operation else set()
            for status in sorted(errors | body):
                responses.setdefault(str(status), http.HTTPStatus(status).name)

    def _answer(self, answered: Answered) -> dict[str, Any]:
        schema = answered.schema
        if not isinstance(schema, Mapping):
            name = schema.__name__
            if name not in self.spec.components.schemas:
                self.spec.components.schema(name, schema=schema)
            schema = {"$ref": f"#/components/schemas/{name}"}
        return {"description": answered.description, "content": {
            answered.media_type: {"schema": schema, "example": answered.example},
            **answered.more}, **({"headers": answered.headers} if answered.headers else {})}


def document_platform(api: flask_smorest.Api, app: Flask) -> None:
    """The platform's endpoints (services.http.health, outside the versioned API)."""
    for endpoint in ("health.healthz", "health.readyz", "health.get_metrics"):
        rule = next(app.url_map.iter_rules(endpoint))
        view = app.view_functions[endpoint]
        api.spec.path(rule=rule, parameters=[], operations={"get": {
            "summary": (view.__doc__ or "").split("\n")[0], "tags": ["platform"]}})


DESCRIPTION = """\
Follow-up of serious school absence: the integration platform posts events (EVENTS.md);
staff, auditors and the municipal director read figures, cases, histories and the case
presentation; anyone may check the tamper-evident audit log.

**Signing in.** Every /v1 operation takes a bearer token (OAuth 2.0, RFC 9068) of a trusted
issuer; each operation lists the roles and scopes the policy table grants it (``x-roles``,
``x-scopes``), and a pupil or school outside the caller's reach is answered 404.

**Consistent reads.** A read answers from views that have reached the event log's head as it
was when the read arrived: what was posted before is in the answer. ``min_position`` asks for
less (a position the views must have reached); past the log's end it is a 409.

**Errors** are RFC 9457 problem documents (``application/problem+json``) naming each field
at fault and, where one applies, the rule of RULES.md. A method a path does not take is a 405
with ``Allow``; a body over the limit a 413, whatever the operation; an outage a 503 with
``Retry-After``, never a 500. No string may hold NUL (U+0000) or a lone surrogate, no date
lie outside 1900–2199: a parameter that does is a 400, an event's field a ``rejected``
outcome.
"""


def api_for(app: Flask) -> flask_smorest.Api:
    """The app's Api: this document's plugins, the problem schema, the events' union and
    bearer sign-in; browsable at /docs/. Build the Blueprints' documentation with it, then
    `complete` it."""
    _install_docs(app)
    app.config.update(API_TITLE="Skolefravær", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
                      OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
                      API_SPEC_OPTIONS={"info": {"description": DESCRIPTION}})
    api = DocumentedApi(app, spec_kwargs={
        "extra_plugins": [PolicyInOpenAPI(), OperationsInOpenAPI(app)]})
    api.spec.components.schema("Problem", schema=ProblemSchema)
    api.spec.components.security_scheme(BEARER, BEARER_SCHEME)
    events.register(api.spec)
    return api


def complete(api: flask_smorest.Api, app: Flask) -> None:
    """Once every Blueprint is registered: the platform's endpoints and the batch's items."""
    document_platform(api, app)
    events.document_batch(api.spec)


def _install_docs(app: Flask) -> None:
    """Swagger UI at /docs/, its scripts and styles from the swagger-ui-bundle package."""
    assets = Blueprint("api-docs-assets", __name__, url_prefix="/docs/assets")

    @assets.get("/<path:filename>")
    def asset(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename,
                                   max_age=86400)

    app.register_blueprint(assets)
    app.config.update(OPENAPI_SWAGGER_UI_PATH="docs/", OPENAPI_SWAGGER_UI_URL="assets/",
                      OPENAPI_SWAGGER_UI_CONFIG={"deepLinking": True,
                                                 "defaultModelsExpandDepth": 0})
