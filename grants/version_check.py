"""Optimistic concurrency on applications, for every channel: a writer says which version of the
application it showed or read, and the write is refused if the application has changed since — checked
under the row lock the services and the workflow take, so nothing can slip in between the check and the
change. The API maps the refusal to 409 (grants.api); the portal to a page that asks for a new review."""

import contextlib

from django.db import transaction

from grants.models import Application


class StaleVersion(Exception):
    """The application is no longer at the version the writer saw."""

    def __init__(self, *, expected: int, current: int):
        super().__init__(f"application at version {current}, not {expected}")
        self.expected, self.current = expected, current


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
