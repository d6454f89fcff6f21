"""What every endpoint needs from the request: the service, consistent reads (`consistency`),
and (in `access`) the signed-in caller and what the policy table (`policy`) grants them."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from flask import Flask, current_app

from services.bootstrap import Service
from services.http.context.consistency import CatchUp, ViewsBehind
from services.http.problems import beyond, not_found, unavailable

SERVICE = "skolefravaer.service"
CATCH_UP = "skolefravaer.catch-up"
CONSISTENT = "skolefravaer_consistent_read"  # marks an endpoint that reads consistently
READ_YOUR_WRITES_TIMEOUT = 5.0

CATCH_UP_BATCH = 1000  # events a read delivers per transaction, as the follower does

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def service() -> Service:
    """The running service (built on first use, after gunicorn forked)."""
    factory: Callable[[], Service] = current_app.extensions[SERVICE]
    return factory()


def consistent(view: Callable[P, R]) -> Callable[P, R]:
    """A consistent read: before the view runs, the pupil views reach the log's head as it
    is now (or the query's lower ``min_position``, for a caller who wants less); a 503
    problem with Retry-After when they do not within the timeout."""

    @functools.wraps(view)
    def wait_then_read(*args: P.args, **kwargs: P.kwargs) -> R:
        query: dict[str, Any] = args[0]  # type: ignore[assignment]
        wanted = _wanted(query.get("min_position"))
        try:
            current_app.extensions[CATCH_UP]().reach(wanted, READ_YOUR_WRITES_TIMEOUT)
        except ViewsBehind:
            raise unavailable(f"the views have not yet reached position {wanted}",
                              "view-behind", retry_after=1) from None
        return view(*args, **kwargs)

    setattr(wait_then_read, CONSISTENT, True)  # the OpenAPI document lists its 409
    return wait_then_read


def _wanted(min_position: int | None) -> int:
    """The position the views must reach: the log's head, or ``min_position`` when lower.
    One past the head is not a view that is behind (waiting for it would hold a thread for
    the whole timeout) but a position the log does not hold: a 409."""
    head = service().app.recorder.max_notification_id() or 0
    if min_position is None:
        return head
    if min_position > head:
        raise beyond(f"no event is stored at position {min_position}: the log ends at "
                     f"{head}", field="min_position", code="beyond_log",
                     field_detail=f"past the log's end ({head})")
    return min_position


def once(factory: Callable[[], T]) -> Callable[[], T]:
    """``factory``'s product, built by the first caller (after gunicorn forked: database
    pools hold threads); every later caller gets it too."""
    lock = threading.Lock()
    built: list[T] = []

    def get() -> T:
        if not built:
            with lock:
                if not built:
                    built.append(factory())
        return built[0]

    return get


def install(app: Flask, service_factory: Callable[[], Service]) -> None:
    """The service and the consistent reads' `CatchUp`, each built on first use."""
    app.extensions[SERVICE] = once(service_factory)
    app.extensions[CATCH_UP] = once(lambda: CatchUp(service().app, service().views,
                                                    batch_size=CATCH_UP_BATCH))


def enrolled_years(pupil_id: UUID, tenant: str) -> dict[str, tuple[str, int]]:
    """The pupil's school years (school, grade), or a 404 problem."""
    years: dict[str, tuple[str, int]] = service().absence.years(pupil_id, tenant)
    if not years:
        raise not_found("no enrolled pupil has this pupil_id", "unknown-pupil")
    return years


def known_tenant(pupil_id: UUID, tenant: str) -> str:
    """``tenant`` when the log knows anything about the pupil there, or a 404 problem."""
    found = service().history.tenant_of(pupil_id, tenant)
    if found is None:
        raise not_found("no event is about this pupil_id", "unknown-pupil")
    return found
