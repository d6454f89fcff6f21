"""Logs: one JSON object per line (readable lines on a terminal) for the app, gunicorn's error
log and its access log, each with its time, level, logger and the request's id.

Everything logs through the standard library; structlog's formatter renders it. Log lines
name ids, types, routes and rule IDs — never event contents or paths with pupil ids in
them: the access log shows the route (``/v1/pupils/<uuid:pupil_id>/absence``).
"""

from __future__ import annotations

import logging
import logging.config
import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, NoReturn

import structlog
from structlog.typing import Processor

from services.config.settings import ConfigError, Settings

ROUTE_ENVIRON = "skolefravaer.route"  # set by the app, read back for the access log

log = logging.getLogger(__name__)


def _access_fields(logger: Any, method: str,
                   event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """gunicorn's access lines carry its atoms as the record's arguments: keep the ones we
    want as fields, and leave out the path, the query and the client's address. (Other
    records' arguments are in their message already.)"""
    atoms = event.pop("positional_args", None)
    if event["_record"].name != "gunicorn.access" or not isinstance(atoms, Mapping):
        return event
    event.update(event="request", method=atoms["m"], route=atoms[f"{{{ROUTE_ENVIRON}}}e"],
                 status=int(atoms["s"]), duration_ms=round(int(atoms["D"]) / 1000, 3),
                 request_id=atoms["{x-request-id}o"])
    return event


SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _formatter(as_json: bool) -> logging.Formatter:
    rendering: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if as_json else [structlog.dev.ConsoleRenderer()])
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder(), _access_fields],
        pass_foreign_args=True,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering])


def dict_config(level: str = "INFO", log_format: str = "auto") -> dict[str, Any]:
    """The logging configuration, for ``logging.config.dictConfig`` and gunicorn's
    ``logconfig_dict``: everything to stderr, gunicorn's loggers included."""
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": _formatter, "as_json": as_json}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": level, "handlers": [], "propagate": True}
                    for name in ("gunicorn.error", "gunicorn.access")},
    }


def configure(settings: Settings) -> None:
    """Log as `dict_config` says, unless the host (gunicorn's master, pytest) already set up
    the standard library's logging; then say what start-up should warn about."""
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True)
    if not logging.root.handlers:
        logging.config.dictConfig(dict_config(settings.log_level, settings.log_format))
    logging.captureWarnings(True)  # warnings become log lines, not bare stderr text
    for notice in settings.notices():
        log.warning(notice)


def refuse_to_start(error: ConfigError) -> NoReturn:
    """Log each problem of the settings and exit with EX_CONFIG (78): a supervisor can tell
    "fix the configuration" from a crash worth restarting."""
    if not logging.root.handlers:
        logging.config.dictConfig(dict_config())
    for variable, problem in error.problems:
        log.critical("configuration error: %s: %s", variable, problem,
                     extra={"variable": variable, "problem": problem})
    sys.exit(os.EX_CONFIG)
