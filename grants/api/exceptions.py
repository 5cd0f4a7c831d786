"""Domain errors mapped to HTTP once, here (HackSoft style), so views only call services.

- A refusal about an input field (a dict of messages) is a 400 with every field error.
- A refusal about the state of things (the workflow, an application that is no longer editable)
  is a 409 with the reason.
- A stale version (optimistic concurrency) is a 409 with the current version.
- The database unreachable is a 503, any other failure a 500: JSON with the request id, here for the
  API's views and through `server_error` (config.urls's handler500) for /api/ paths that failed
  outside them (a middleware, the URL resolver).
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from grants import version_check
from grants.checklist import ChecklistClosed
from grants.delivery.indicators import IndicatorError
from grants.delivery.money_common import DeliveryError
from grants.delivery.progress import ProgressError
from grants.documents import DocumentError
from grants.request_log import current_request_id
from grants.workflow import TransitionError
from projects.services import SelectionError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class StaleVersion(Conflict):
    default_detail = _("The application changed since you read it; reload and try again.")
    default_code = "stale_version"

    def __init__(self, *, expected, current):
        super().__init__(
            _("The application is at version %(current)s, not %(expected)s; reload and try again.")
            % {"current": current, "expected": expected}
        )
        self.current = current


def _field_errors(exc: DjangoValidationError) -> exceptions.ValidationError:
    errors = as_serializer_error(exc)
    if NON_FIELD_ERRORS in errors:
        errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
    return exceptions.ValidationError(errors)


def _reason(exc: DjangoValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def to_api_exception(exc):
    """The domain error as the DRF exception that says the same thing, or `exc` unchanged."""
    if isinstance(exc, version_check.StaleVersion):
        return StaleVersion(expected=exc.expected, current=exc.current)
    if isinstance(exc, ChecklistClosed):
        return Conflict(_reason(exc), code="checklist_closed")
    if isinstance(
        exc, (TransitionError, SelectionError, DocumentError, ProgressError, IndicatorError, DeliveryError)
    ):
        if hasattr(exc, "error_dict"):
            return _field_errors(exc)
        return Conflict(_reason(exc), code="transition_refused" if isinstance(exc, TransitionError) else None)
    if isinstance(exc, DjangoValidationError):
        return _field_errors(exc)
    if isinstance(exc, IntegrityError):
        # A constraint refused a write that passed validation: a concurrent writer won the race.
        return Conflict(_("The change conflicts with existing data; reload and try again."))
    if isinstance(exc, DataError):
        return exceptions.ValidationError({"non_field_errors": [_("A value is out of range.")]})
    if isinstance(exc, Http404):
        # get_object_or_404's message is English and names the model («No Application matches the
        # given query.»): the answer is the same «not found» in the request's language on every path.
        return exceptions.NotFound()
    return exc


logger = logging.getLogger("grants.api")

UNAVAILABLE = (OperationalError, InterfaceError)


def is_unavailable(exc) -> bool:
    """The database could not be reached (down, restarting, connections exhausted)."""
    return isinstance(exc, UNAVAILABLE)


def failure_response(*, unavailable: bool) -> JsonResponse:
    """The API's answer to a failure of ours: no detail of the cause, the id to quote instead."""
    if unavailable:
        status_code, code = status.HTTP_503_SERVICE_UNAVAILABLE, "service_unavailable"
        detail = _("The service is temporarily unavailable; try again in a moment.")
    else:
        status_code, code = status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error"
        detail = _("Something went wrong on our side; quote the request id if you report it.")
    response = JsonResponse(
        {"detail": str(detail), "code": code, "request_id": current_request_id()}, status=status_code
    )
    if unavailable:
        response["Retry-After"] = "30"
    return response


def exception_handler(exc, context):
    if is_unavailable(exc):
        # Answered here, so Django would not log it: the traceback goes to the log under the request id.
        logger.error("Database unavailable", exc_info=exc)
        return failure_response(unavailable=True)
    exc = to_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, StaleVersion):
        response.data["version"] = exc.current
    if response is not None and isinstance(exc, exceptions.APIException) and "detail" in response.data:
        response.data.setdefault("code", exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
    return response
