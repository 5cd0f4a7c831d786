"""Schemathesis against the live schema (/api/v1/schema/), in process through the WSGI app, once per
role: no 5xx, and every answer (status, content type, body) conforms to the schema. Bounded in
examples and time so it stays a CI test: GETs everywhere, POSTs on the write paths that matter."""

import time

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application as wsgi_app

from .conftest import ROLES, client_for

# Property-based, about 5 s per role once the schema is parsed: `slow` (make test-fast leaves it out;
# CI runs it).
pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance]
EXAMPLES = 4
BUDGET_SECONDS = 90  # per role; the whole file stays within a few minutes
POSTED = {
    "/api/v1/applications/",
    "/api/v1/applications/{application_pk}/selections/",
    "/api/v1/applications/{application_pk}/transitions/",
    "/api/v1/auth/token/",
}


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if method == "GET" or (method == "POST" and operation.path in POSTED):
            yield operation


@pytest.fixture
def keep_test_connection():
    # A WSGI request ends by closing "old" connections; the test's transaction lives on that
    # connection, so keep it open as django.test.Client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schemas():
    """The schema is fetched anonymously, so it is the same for every role: fetched and parsed once
    for the module, in the first role's test, which has the database. The parsed schema keeps what it
    resolved and compiled: a role's run took 17-24 s with a schema of its own, 4-7 s with the shared one."""
    return {}


def _auth_headers(user):
    if user is None:
        return {}
    return {"Authorization": client_for(user)._credentials["HTTP_AUTHORIZATION"]}


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_schema(role, users, application_a, keep_test_connection, schemas):
    if "api" not in schemas:
        schemas["api"] = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    schema = schemas["api"]
    headers = _auth_headers(users[role])
    deadline = time.monotonic() + BUDGET_SECONDS
    tested = 0
    for operation in _operations(schema):
        if time.monotonic() > deadline:
            break
        fixed = {"application_pk": application_a.pk} if "{application_pk}" in operation.path else None

        # Hypothesis runs its examples inside this test's transaction: writes are rolled back at the end.
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(path_parameters=fixed))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()
        tested += 1

        if operation.method.upper() == "POST":
            # Invalid bodies and parameters: refused with a documented 4xx, never a 5xx.
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed))
            def check_invalid(case):
                response = case.call(headers=headers)
                case.validate_response(response, checks=NEGATIVE_CHECKS, headers=headers)

            check_invalid()
    assert tested >= 15, f"only {tested} operations ran within the time budget"
