"""gunicorn settings, from the service's own checked settings (services/config): a bad value
stops the master before any worker starts, with a log line naming the variable.

The application is built lazily in each worker, after the fork: eventsourcing's PostgreSQL
pool holds threads that do not survive ``fork()``.

Metrics are the service's, not one worker's: the master makes a directory of its own for
prometheus_client's multiprocess mode before the workers start, each worker writes its
counters there, a scrape answered by any worker adds them all up, and the files of a worker
that exited are marked dead (its counts stay, its live gauges go).
"""

import os
import shutil
import tempfile

from services.config import ConfigError, Settings, logs

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"

try:
    _settings = Settings.from_environ()
except ConfigError as error:
    logs.refuse_to_start(error)

bind = _settings.bind
workers = _settings.web_concurrency
threads = _settings.gunicorn_threads
timeout = 60
graceful_timeout = 20
preload_app = False
# gunicorn 25.1+ opens a control socket at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): instances on one host would contend for it, and the image's user
# has no home. Nothing here uses gunicornc. Older releases ignore the unknown setting.
control_socket_disable = True
loglevel = _settings.log_level.lower()
# Error and access log as the app logs (JSON lines on stderr); with a logging
# configuration given, gunicorn writes its access log without `accesslog` being set.
logconfig_dict = logs.dict_config(_settings.log_level, _settings.log_format)
access_log_format = "%(m)s %(s)s"  # the fields come from services.config.logs
# The longest request line gunicorn takes (its maximum; default 4094): the app refuses a
# URL over services.http.app.MAX_URL itself, with a problem document (414), so that only a
# line longer than this gets gunicorn's own HTML page.
limit_request_line = 8190


def on_starting(server):
    os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="skolefravaer-metrics-")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(os.environ.pop(METRICS_DIR), ignore_errors=True)
