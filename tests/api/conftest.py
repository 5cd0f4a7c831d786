"""A small API world: municipality A (Kalamata) with a draft application and one selection,
municipality B (Pyli) with none, and one token-authenticated client per role."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grants import services
from grants.models import Channel
from projects import services as project_services

ROLES = ("anonymous", "municipality_a", "municipality_b", "officer", "approver", "auditor")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def application_a(programme, kalamata, catalogue):
    return make_application_a(programme, kalamata, catalogue)


def make_application_a(programme, kalamata, catalogue):
    application, _ = services.application_get_or_create(
        programme=programme, municipality=kalamata, channel=Channel.CODE
    )
    project_services.selection_add(
        application=application, project=catalogue[0], amount=Decimal("10000.00"), channel=Channel.CODE
    )
    application.refresh_from_db()
    return application


@pytest.fixture
def users(kalamata_user, pyli_user, officer, approver, auditor):
    return {
        "anonymous": None,
        "municipality_a": kalamata_user,
        "municipality_b": pyli_user,
        "officer": officer,
        "approver": approver,
        "auditor": auditor,
    }


def make_role_users(kalamata, pyli):
    """The accounts of every role, with their API tokens, for a module's world built once (module_db):
    the same people the `users` fixture gives a single test."""
    from tests.conftest import make_municipality_user, make_staff

    users = {
        "anonymous": None,
        "municipality_a": make_municipality_user("kalamata", kalamata),
        "municipality_b": make_municipality_user("pyli", pyli),
        **{role: make_staff(role) for role in ("officer", "approver", "auditor")},
    }
    for user in users.values():
        if user is not None:
            Token.objects.create(user=user)
    return users


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def clients(users):
    return {role: client_for(user) for role, user in users.items()}


@pytest.fixture
def export_a(kalamata_user, application_a, private_root):
    return make_export_a(kalamata_user)


def make_export_a(kalamata_user):
    """Municipality A's finished export (tasks run in the process without a broker)."""
    from grants.exports import services
    from grants.models import Channel, ExportJob

    job = services.export_job_create(
        owner=kalamata_user, report="operations", fmt="csv", filters={}, channel=Channel.API
    )
    services.export_job_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


@pytest.fixture
def conversation_a(application_a, kalamata_user, document_types, private_root):
    """Municipality A's documents and thread: one document, one message with an attachment."""
    return make_conversation_a(application_a, kalamata_user, document_types)


def make_conversation_a(application_a, kalamata_user, document_types):
    from grants import conversation, documents
    from tests import files

    document = documents.document_upload(
        application=application_a,
        document_type=document_types["council-decision"],
        file=files.upload(),
        actor=kalamata_user,
    )
    # Every required document, so that A may still submit (the matrix's transitions).
    documents.document_upload(
        application=application_a,
        document_type=document_types["technical-sheet"],
        file=files.upload("τδπ.pdf"),
        actor=kalamata_user,
    )
    message = conversation.post_message(
        application=application_a, author=kalamata_user, body="Ερώτηση;", attachments=[files.upload("β.pdf")]
    )
    application_a.refresh_from_db()
    return {"document": document, "message": message, "attachment": message.attachments.get()}
