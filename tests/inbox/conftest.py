"""An application of Kalamata (one selection) and helpers to read the e-mails of a transition."""

from decimal import Decimal

import pytest

from grants import services
from grants.models import Channel
from projects import services as project_services


@pytest.fixture
def app(programme, kalamata, catalogue, kalamata_user):
    application, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    project_services.selection_add(
        application=application, project=catalogue[0], amount=Decimal("123456.78"), channel=Channel.CODE
    )
    application.refresh_from_db()
    return application
