"""One JSON line per request on stdout, and the request id that ties a user's report to the logs.

The id comes from a trusted proxy's `X-Request-ID` (nginx's `$request_id`, see deploy/) when it is a
sane token, else it is generated here; it is returned in `X-Request-ID`, shown on the 500 page, given
in the API's 500/503 answers and added to every log line written while the request runs.
"""

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.utils.functional import empty

logger = logging.getLogger("grants.requests")

HEADER = "X-Request-ID"
# nginx's $request_id is 32 hex digits; anything outside this shape could smuggle text into the logs
# or the error page, and is replaced.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
NO_REQUEST = "-"
_current = contextvars.ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request being served in this thread or task, or "-" outside one."""
    return _current.get()


def _incoming_id(request) -> str:
    # Without a proxy in front (NUM_PROXIES=0) the header comes from the client, who could reuse
    # another request's id to muddle the trail: only a proxy that overwrites it is believed.
    if settings.NUM_PROXIES:
        offered = request.headers.get(HEADER, "")
        if SANE_ID.fullmatch(offered):
            return offered
    return uuid.uuid4().hex


def _user_id(request):
    # From the request's own attribute, never through it: reading a user that nobody loaded would
    # query the session and the user tables for the log's sake (and fail when the database is down).
    user = request.__dict__.get("user")
    if user is None:
        return None
    user = getattr(user, "_wrapped", user)  # AuthenticationMiddleware's lazy user
    if user is empty:
        return None
    return getattr(user, "pk", None)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _incoming_id(request)
        request.request_id = request_id
        token = _current.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[HEADER] = request_id
            return response
        finally:
            # Until the response is handed over: a streamed export's body is not included.
            logger.info(
                "request",
                extra={
                    "fields": {
                        "user_id": _user_id(request),
                        "method": request.method,
                        "path": request.path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    }
                },
            )
            _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id, for the plain and the JSON formats alike."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: the request line's fields, or level, logger and message."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        fields = getattr(record, "fields", None)
        if fields is not None:
            line.update(fields)
        else:
            line.update(level=record.levelname, logger=record.name, message=record.getMessage())
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a line is written (not when logging was configured), so
    a test's captured output or a reopened stdout receives it."""

    def __init__(self):
        super().__init__(sys.stdout)

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass
