"""Prometheus metrics in the text exposition format, without another dependency.

Counters are per process: under gunicorn each worker counts its own requests, and a
scrape sees the worker that answered it. Gauges (the log's head, each worker's lag) are
read from the store and are the same whichever process answers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

_lock = threading.Lock()
_events: Counter[str] = Counter()
_batches: Counter[str] = Counter()


def count_outcomes(statuses: list[str]) -> None:
    with _lock:
        _events.update(statuses)
        _batches["stored"] += 1


def count_unavailable() -> None:
    with _lock:
        _batches["unavailable"] += 1


def exposition(gauges: dict[str, Callable[[], float]],
               labelled: dict[str, dict[str, Callable[[], float]]]) -> str:
    lines = ["# HELP skolefravaer_events_total Posted events by outcome (this process).",
             "# TYPE skolefravaer_events_total counter"]
    with _lock:
        for status in ("accepted", "duplicate", "rejected"):
            lines.append(f'skolefravaer_events_total{{status="{status}"}} {_events[status]}')
        lines += ["# HELP skolefravaer_batches_total Posted batches (this process).",
                  "# TYPE skolefravaer_batches_total counter"]
        for outcome in ("stored", "unavailable"):
            lines.append(f'skolefravaer_batches_total{{outcome="{outcome}"}} '
                         f"{_batches[outcome]}")
    for name, read in gauges.items():
        lines += [f"# TYPE {name} gauge", f"{name} {_value(read)}"]
    for name, series in labelled.items():
        lines.append(f"# TYPE {name} gauge")
        for label, read in series.items():
            lines.append(f'{name}{{worker="{label}"}} {_value(read)}')
    return "\n".join(lines) + "\n"


def _value(read: Callable[[], float]) -> str:
    try:
        return str(float(read()))
    except Exception:  # a gauge that cannot be read now is reported as missing
        return "NaN"
