"""One flask-smorest Blueprint per resource of API.md; each endpoint a few lines."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from services.http.problems import invalid, unsupported_media_type


class _Parser(FlaskParser):
    """webargs' parser, reading a JSON body through ``request.get_json`` (the app's guarded
    JSON: depth, NUL, surrogates, numbers) rather than a JSON parser of its own; every
    invalid argument is a 400, a body that is not JSON a 415."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_querystring(self, req: flask.Request, schema: Any) -> Any:
        """The query's parameters; one given more than once is a 400 (each takes one
        value: which of them would be a guess)."""
        repeated = sorted({name for name in req.args if len(req.args.getlist(name)) > 1})
        if repeated:
            raise invalid(f"{repeated[0]} is given more than once", field=repeated[0],
                          code="repeated", field_detail="given more than once")
        return super().load_querystring(req, schema)

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.content_length or req.headers.get("Transfer-Encoding"):
                raise unsupported_media_type()
            return core.missing  # no body at all: the fields it lacks are named (400)
        return req.get_json(cache=True)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The resources' Blueprint: flask-smorest's, with the guarded parser."""

    ARGUMENTS_PARSER = _Parser()
