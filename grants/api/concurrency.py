"""Optimistic concurrency on applications: a client says which version it read (If-Match header or a
"version" field) and a write against a newer version is refused with 409, checked under the same row
lock the services take, so no write can slip in between the check and the change."""

import contextlib
import re

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions

from grants.models import Application

from .exceptions import StaleVersion

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


def expected_version(request, body_version=None) -> int | None:
    """The version the client claims to have read, or None when it did not say."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return body_version
    match = _ETAG.match(header)
    if not match:
        raise exceptions.ValidationError({"If-Match": [_('Send the application\'s version, e.g. "3".')]})
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise exceptions.ValidationError({"version": [_("The If-Match header and the version differ.")]})
    return version


@contextlib.contextmanager
def application_at_version(application, expected: int | None):
    """A transaction in which the application row is locked and, if asked, at the expected version."""
    with transaction.atomic():
        current = (
            Application.objects.select_for_update().values_list("version", flat=True).get(pk=application.pk)
        )
        if expected is not None and current != expected:
            raise StaleVersion(expected=expected, current=current)
        yield


def etag(version: int) -> str:
    return f'"{version}"'
