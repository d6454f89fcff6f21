"""RFC 9457 problem documents for every error the HTTP API answers.

Endpoints raise `ProblemError`; one handler turns it (and every werkzeug or flask-smorest
HTTP error) into an ``application/problem+json`` response.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from services.intake.loading import field_errors
from services.store.outages import OUTAGES, RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://skolefravaer.example/problems/"


class ProblemError(Exception):
    """An answer that is a problem document: raise it from an endpoint."""

    def __init__(self, status: int, title: str, detail: str, *, kind: str,
                 errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.kind = status, title, detail, kind
        self.errors = errors
        self.headers = headers or {}


def not_found(detail: str, kind: str) -> ProblemError:
    return ProblemError(404, "Not Found", detail, kind=kind)


def unavailable(detail: str, kind: str, retry_after: int) -> ProblemError:
    """503: nothing was done; the client may try again after ``retry_after`` seconds."""
    return ProblemError(503, "Service Unavailable", detail, kind=kind,
                        headers={"Retry-After": str(retry_after)})


def invalid(detail: str, *, field: str, code: str, field_detail: str) -> ProblemError:
    """400: a request parameter is well-formed but not acceptable."""
    return ProblemError(400, "Bad Request", detail, kind="invalid-request",
                        errors=[{"field": field, "code": code, "detail": field_detail}])


def beyond(detail: str, *, field: str, code: str, field_detail: str) -> ProblemError:
    """409: a parameter asks for more of the log than it holds (yet): well-formed, and
    perhaps right once the log has grown."""
    return ProblemError(409, "Conflict", detail, kind="beyond-log",
                        errors=[{"field": field, "code": code, "detail": field_detail}])


def uri_too_long(limit: int) -> ProblemError:
    """414: a URL no operation needs; nothing was done."""
    return ProblemError(414, "URI Too Long", f"the URL is longer than {limit:,} characters",
                        kind="uri-too-long")


def too_large(limit: int) -> ProblemError:
    """413: the body is larger than the service takes; nothing of it was read or kept."""
    return ProblemError(413, "Content Too Large",
                        f"the body is larger than {limit:,} bytes; post fewer events per batch",
                        kind="body-too-large")


def unsupported_media_type() -> ProblemError:
    """415: a body the service cannot read; nothing was done."""
    return ProblemError(415, "Unsupported Media Type", "the body must be application/json",
                        kind="unsupported-media-type")


def problem(status: int, title: str, detail: str, *, kind: str,
            errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status,
                            "detail": detail, "instance": request.path}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status,
                        mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _from_problem_error(error: ProblemError) -> Response:
    return problem(error.status, error.title, error.detail, kind=error.kind,
                   errors=error.errors, headers=error.headers)


def _from_http_exception(error: HTTPException) -> Response:
    """Werkzeug's and flask-smorest's errors; invalid arguments name their fields."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = (data.get("messages") or {}).get("json") if isinstance(data, dict) else None
    if messages is None and isinstance(data, dict):
        messages = (data.get("messages") or {}).get("query")
    errors = [{"field": path, "code": "invalid_field", "detail": text}
              for path, text in field_errors(messages)] if messages else None
    kind = "invalid-request" if status in (400, 422) else f"http-{status}"
    detail = ("; ".join(f"{e['field']}: {e['detail']}" for e in errors) if errors
              else error.description or error.name)
    # The error's own headers (a 405's Allow, RFC 9110), not its HTML content type.
    headers = {name: value for name, value in error.get_headers()
               if name.lower() != "content-type"}
    return problem(status, error.name, detail, kind=kind, errors=errors, headers=headers)


def _from_too_large(error: RequestEntityTooLarge) -> Response:
    """A chunked body found too large as it was read (a declared length is refused before)."""
    return _from_problem_error(too_large(request.max_content_length or 0))


def _from_outage(error: Exception) -> Response:
    """A store that cannot answer now: 503 and when to retry, never a 500."""
    log.warning("store unavailable: %s", type(error).__name__)
    return _from_problem_error(unavailable(
        "a store the answer needs is unavailable; try again (an event that was stored "
        "after all is then answered as a duplicate, with its position)",
        "store-unavailable", retry_after=RETRY_AFTER_SECONDS))


def install(app: Flask) -> None:
    """Answer every HTTP error as a problem document, and every store outage as a 503."""
    app.register_error_handler(ProblemError, _from_problem_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(RequestEntityTooLarge, _from_too_large)
    for outage in OUTAGES:
        app.register_error_handler(outage, _from_outage)
