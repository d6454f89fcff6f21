"""What every endpoint needs from the request: the service, consistent reads, and (in
`access`) the signed-in caller and what the policy table (`policy`) grants them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from flask import current_app

from projections.follower import wait_until
from services.bootstrap import Service
from services.http.problems import not_found, unavailable

SERVICE = "skolefravaer.service"
READ_YOUR_WRITES_TIMEOUT = 5.0

P = ParamSpec("P")
R = TypeVar("R")


def service() -> Service:
    """The running service (built on first use, after gunicorn forked)."""
    factory: Callable[[], Service] = current_app.extensions[SERVICE]
    return factory()


def consistent(view: Callable[P, R]) -> Callable[P, R]:
    """Read your writes: before the view runs, wait until the views have reached the query's
    ``min_position`` (503 problem when they do not within the timeout)."""

    @functools.wraps(view)
    def wait_then_read(*args: P.args, **kwargs: P.kwargs) -> R:
        query: dict[str, Any] = args[0]  # type: ignore[assignment]
        wanted = query.get("min_position")
        views = service().pupil_views
        if wanted is not None and not wait_until(lambda: views.sink.position() >= wanted,
                                                 READ_YOUR_WRITES_TIMEOUT):
            raise unavailable(f"the views have not yet reached position {wanted}",
                              "view-behind", retry_after=1)
        return view(*args, **kwargs)

    return wait_then_read


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
