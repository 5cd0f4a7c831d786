"""gunicorn's settings, for `make serve` (bin/serve) and deploy/smartcities-web.service alike:
`gunicorn -c config/gunicorn.py`. Everything an operator tunes comes from the environment.
"""

import multiprocessing
import os
import sys

# gunicorn serves production only (the demo is `make demo`, on runserver): with DEBUG a visitor would
# see tracebacks, settings and every URL pattern. Refused here, so that the systemd unit (whose
# ExecStartPre check passes with DEBUG on) does not start either.
if os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
    sys.exit(
        "smartcities-web: refusing to start with DEBUG on (it shows tracebacks and settings to anyone). "
        "Remove DEBUG from the environment (/etc/smartcities/env); `make demo` is the development server."
    )

wsgi_app = "config.wsgi:application"
proc_name = "smartcities-web"

# Behind nginx on the same host by default; GUNICORN_BIND=10.0.0.5:8000 for a web host that a proxy
# elsewhere reaches over the private network.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# Processes, not threads, by default: the work is mostly Python (rendering, serializing), held by the
# GIL. GUNICORN_THREADS > 1 switches to the threaded worker (each thread keeps its own connection).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# An XLSX or PDF export under the job threshold can take tens of seconds; beyond that a job does it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# A worker is replaced now and then, so a slow leak in any library never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# The application writes one JSON line per request (grants.request_log): no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The heartbeat file in memory, not on a disk that may stall under load.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# The application is imported once, before the workers fork: they start warm and share its memory.
# Nothing connects at import (Django opens connections per request), so nothing is shared by mistake.
# A new release needs a restart (systemctl restart), which docs/deploy.md does anyway.
preload_app = True


def pre_fork(server, worker):
    # Should anything have opened a database connection while the master imported the application,
    # the master closes it before forking (a child closing it would end it for all): workers must not
    # share one socket, so each starts with none and opens its own.
    from django.db import connections

    connections.close_all()


# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which two
# instances on one host would fight over; systemd manages the process, so it is off unless asked for.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
