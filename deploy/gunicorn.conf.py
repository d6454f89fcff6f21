"""gunicorn settings. The application is built lazily in each worker, after the fork:
eventsourcing's PostgreSQL pool holds threads that do not survive ``fork()``."""

import os

_postgres = os.environ.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"

bind = os.environ.get("BIND", "127.0.0.1:8080")
# SQLite has one writer; extra processes would only queue on its lock.
workers = int(os.environ.get("WEB_CONCURRENCY", "2" if _postgres else "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 20
preload_app = False
# gunicorn 25.1+ opens a control socket at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): instances on one host would contend for it, and the image's user
# has no home. Nothing here uses gunicornc. Older releases ignore the unknown setting.
control_socket_disable = True
accesslog = "-"
# The access log names paths only; pupil ids in paths are pseudonyms, never names.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
