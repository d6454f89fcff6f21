"""RFC 9457 problem documents for every error the HTTP API answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from services.contract import field_errors

PROBLEM_BASE = "https://skolefravaer.example/problems/"


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


def install(app: Flask) -> None:
    """Answer every HTTP error (flask-smorest's and werkzeug's) as a problem document."""

    def handle(error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = (data.get("messages") or {}).get("json") if isinstance(data, dict) else None
        if messages is None and isinstance(data, dict):
            messages = (data.get("messages") or {}).get("query")
        errors = [{"field": path, "code": "invalid_field", "detail": text}
                  for path, text in field_errors(messages)] if messages else None
        kind = "invalid-request" if status in (400, 422) else f"http-{status}"
        return problem(status, error.name, _detail(error, errors), kind=kind, errors=errors)

    def _detail(error: HTTPException, errors: list[dict[str, Any]] | None) -> str:
        if errors:
            return "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        return error.description or error.name

    app.register_error_handler(HTTPException, handle)
