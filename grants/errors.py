"""The page (or, under /api/, the JSON) answered when a request failed with an unhandled error.

Django logs the error before calling this (config.urls's handler500); the answer tells the user
nothing of the cause, only the request id to quote. An unreachable database is a 503 ("try again"),
anything else a 500.
"""

import sys

from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from rest_framework.exceptions import NotFound

from grants.api.exceptions import failure_response, is_unavailable
from grants.request_log import current_request_id


def server_error(request):
    # Called while Django handles the exception, so it is still the current one.
    unavailable = is_unavailable(sys.exc_info()[1])
    if request.path.startswith("/api/"):
        return failure_response(unavailable=unavailable)
    # A plain template with a plain context: nothing here may need the database or a middleware.
    body = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponse(body, status=503 if unavailable else 500)


def not_found(request, exception):
    """An address under /api/ that matches no endpoint answers JSON like the API's own 404s; a
    script reading the API should never have to parse an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(NotFound.default_detail), "code": NotFound.default_code}, status=404
        )
    return defaults.page_not_found(request, exception)
