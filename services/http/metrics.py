"""Prometheus metrics, with prometheus_client.

Counters and histograms are the service's, not one process's: under gunicorn every worker
writes its own to ``PROMETHEUS_MULTIPROC_DIR`` (deploy/gunicorn.conf.py) and a scrape,
whichever worker answers it, adds them all up. Gauges about the log — its head, each
worker's lag — are read from the store when scraped, and so are the same in every process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from projections.follower import Worker
from services.intake.ingestion import Outcome

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

EVENTS = Counter("skolefravaer_events", "Posted events by outcome.", ["status"])
BATCHES = Counter("skolefravaer_batches", "Posted batches: stored, or refused because the "
                  "event store was unavailable.", ["outcome"])
REJECTIONS = Counter("skolefravaer_rejections", "Rejected events by the rule and code of "
                     "their first problem.", ["rule", "code"])
REQUESTS = Histogram("skolefravaer_http_request_duration_seconds",
                     "Time to answer a request, by route (the URL rule) and status.",
                     ["method", "route", "status"])

for _status in ("accepted", "duplicate", "rejected"):
    EVENTS.labels(_status)  # present, at 0, from the start
for _outcome in ("stored", "unavailable"):
    BATCHES.labels(_outcome)


def count_outcomes(outcomes: Sequence[Outcome]) -> None:
    BATCHES.labels("stored").inc()
    for outcome in outcomes:
        EVENTS.labels(outcome.status).inc()
        if outcome.problems:
            first = outcome.problems[0]
            REJECTIONS.labels(first.rule or "none", first.code).inc()


def count_unavailable() -> None:
    BATCHES.labels("unavailable").inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).observe(seconds)


class _LogGauges(Collector):
    """Read at scrape time: the same answer from every process."""

    def __init__(self, head: Callable[[], float], workers: Sequence[Worker]) -> None:
        self.head = head
        self.workers = workers

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("skolefravaer_log_head", "Position of the newest stored event.",
                                value=_read(self.head))
        lag = GaugeMetricFamily("skolefravaer_worker_lag",
                                "Events (tasks, for the clock) a worker has yet to handle.",
                                labels=["worker"])
        for worker in self.workers:
            lag.add_metric([worker.name], _read(worker.lag))
        yield lag


def exposition(head: Callable[[], float], workers: Sequence[Worker]) -> bytes:
    """The text format: this service's counters and histograms, then the log's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]  # untyped upstream
    else:
        counted = REGISTRY
    gauges = CollectorRegistry()
    gauges.register(_LogGauges(head, workers))
    return generate_latest(counted) + generate_latest(gauges)


def _read(read: Callable[[], float]) -> float:
    try:
        return float(read())
    except Exception:  # a gauge that cannot be read now is reported as missing
        return float("nan")
