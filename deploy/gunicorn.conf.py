"""gunicorn settings, from the service's own checked settings (services/config): a bad value
stops the master before any worker starts, with a log line naming the variable.

The application is built lazily in each worker, after the fork: eventsourcing's PostgreSQL
pool holds threads that do not survive ``fork()``.
"""

from services.config import ConfigError, Settings, logs

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
loglevel = _settings.log_level.lower()
# Error and access log as the app logs (JSON lines on stderr); with a logging
# configuration given, gunicorn writes its access log without `accesslog` being set.
logconfig_dict = logs.dict_config(_settings.log_level, _settings.log_format)
access_log_format = "%(m)s %(s)s"  # the fields come from services.config.logs

