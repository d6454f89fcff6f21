"""One flask-smorest Blueprint per resource of API.md; each endpoint a few lines."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from services.http.problems import unsupported_media_type


class _Parser(FlaskParser):
    """webargs' parser, reading a JSON body through ``request.get_json`` (the app's guarded
    JSON: depth, NUL, surrogates, numbers) rather than a JSON parser of its own; every
    invalid argument is a 400, a body that is not JSON a 415."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.content_length or req.headers.get("Transfer-Encoding"):
                raise unsupported_media_type()
            return core.missing  # no body at all: the fields it lacks are named (400)
        return req.get_json(cache=True)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The resources' Blueprint: flask-smorest's, with the guarded parser."""

    ARGUMENTS_PARSER = _Parser()
