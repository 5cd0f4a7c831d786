"""Optimistic concurrency over HTTP: a client says which version it read (If-Match header or a
"version" field); grants.version_check checks it under the row lock, and a write against a newer version
is a 409 (grants.api.exceptions)."""

import re

from django.utils.translation import gettext as _
from rest_framework import exceptions

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


def etag(version: int) -> str:
    return f'"{version}"'
