"""Liveness, readiness and metrics: for the platform, outside the versioned API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from domain.disposal import DataDisposed
from projections.follower import Unavailable, Worker
from services.bootstrap import Service
from services.http import metrics
from services.http.context import service

blp = Blueprint("health", __name__)


class NotReady(Exception):
    """A probe's answer that says why, for the readiness document."""


@blp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers."""
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz() -> Response:
    """Ready: the event store (and what it holds can be read), the views, each worker and
    (when configured) the broker answer."""
    checks = service_checks(service())
    ready = all(check["ok"] for check in checks.values())
    response = jsonify({"ready": ready, "checks": checks})
    response.status_code = 200 if ready else 503
    return response


@blp.get("/metrics")
def get_metrics() -> Response:
    """Prometheus: events by outcome, requests by route, the log's head, each worker's lag."""
    svc = service()
    text = metrics.exposition(lambda: svc.app.recorder.max_notification_id() or 0,
                              svc.workers)
    return Response(text, content_type=metrics.CONTENT_TYPE)


def newest_event_readable(svc: Service) -> dict[str, Any]:
    """Decode the newest stored event: with another CIPHER_KEY than it was stored with (or
    none, over an encrypted log) nothing stored can be read, and only this says why."""
    head = svc.app.recorder.max_notification_id() or 0
    newest = svc.app.recorder.select_notifications(start=head, limit=1) if head else []
    for stored in newest:
        try:
            svc.app.mapper.to_domain_event(stored)
        except DataDisposed:  # PRIV-4: a pupil's key destroyed on purpose, the rest reads
            pass
        except Exception as error:
            raise NotReady(f"the newest stored event (position {head}) cannot be decrypted "
                           "or decoded: are CIPHER_TOPIC and CIPHER_KEY the ones it was "
                           "stored with?") from error
    return {"position": head}


def service_checks(svc: Service) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}

    def check(name: str, probe: Callable[[], Any]) -> None:
        try:
            checks[name] = {"ok": True, **(probe() or {})}
        except (NotReady, Unavailable) as error:  # they say why
            checks[name] = {"ok": False, "error": str(error)}
        except Exception as error:  # a probe failing is the answer, not an error
            checks[name] = {"ok": False, "error": type(error).__name__}

    check("event_store", lambda: {"head": svc.app.recorder.max_notification_id() or 0})
    check("newest_event", lambda: newest_event_readable(svc))
    check("views", svc.views.ping)
    for worker in svc.workers:
        check(f"worker:{worker.name}", lambda w=worker: progressing(svc, w))  # type: ignore[misc]
    if svc.relays:
        check("broker", svc.relays[-1].ping)  # type: ignore[attr-defined]
    return checks


def progressing(svc: Service, worker: Worker) -> dict[str, Any]:
    """Not ready when the worker — in this process or another — has had work waiting and
    not moved for ``SKOLEFRAVAER_WORKER_STALL_SECONDS`` (plus a round, for the clock)."""
    lag = worker.lag()
    stalled = worker.stall.seconds(worker.reached(), lag)
    allowed = svc.settings.worker_stall_seconds + (
        svc.settings.clock_interval if worker in svc.clocks else 0)
    if stalled > allowed:
        raise NotReady(f"no progress for {stalled:.0f}s with {lag} waiting"
                       + (f" (last error: {worker.last_error})" if worker.last_error else ""))
    return {"lag": lag, "last_error": worker.last_error, "stalled_seconds": round(stalled, 1)}
