"""Two municipalities with an application each, so that a job's rows show whose scope it ran in."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants import services
from grants.models import Channel
from projects import services as project_services


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_applications(programme, kalamata, pyli, catalogue, officer):
    apps = []
    for municipality, amount in ((kalamata, "10000.00"), (pyli, "20000.00")):
        app, _ = services.application_get_or_create(
            programme=programme, municipality=municipality, channel=Channel.CODE
        )
        project_services.selection_add(
            application=app, project=catalogue[0], amount=Decimal(amount), actor=officer
        )
        apps.append(app)
    return apps


@pytest.fixture
def nobody(db):
    """Signed in, with no role at all."""
    return User.objects.create_user("nobody", "nobody@example.gr", "pw-secret-123")


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def celery_retries_in_process(monkeypatch):
    """Without a broker a task runs in the process and, by the settings, re-raises what it raised,
    a retry included; this lets Celery run its own retry loop in the process instead (a worker
    would wait between the attempts)."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
