"""What an outage of a store looks like from here (`projections.outages`, where the workers
need it too), and what a client is told to do about it."""

from __future__ import annotations

from projections.outages import OUTAGES

__all__ = ["OUTAGES", "RETRY_AFTER_SECONDS"]

RETRY_AFTER_SECONDS = 2
