import os

import pytest

from grants.models import Channel
from grants.services import application_get_or_create
from grants.workflow import transition
from projects.services import selection_add

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM refuses to run inside a
# loop unless told it is safe. The live server runs in its own thread, so it is.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def english(client, settings):
    # Assertions read English text: pin the language so that the Greek catalogues, once compiled,
    # do not change what the tests see. Greek-by-default is asserted where it matters, without it.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def make_application(programme):
    def make(municipality, user, n=0, *, submit=False):
        application, _ = application_get_or_create(programme=programme, municipality=municipality, actor=user)
        from projects.models import CatalogueProject

        for project in CatalogueProject.objects.order_by("code")[:n]:
            selection_add(
                application=application,
                project=project,
                amount="10000.00",
                justification=f"Αιτιολόγηση για {project.code}",
                actor=user,
                channel=Channel.PORTAL,
            )
        if submit:
            transition(application, "submit", actor=user, channel=Channel.PORTAL)
        application.refresh_from_db()
        return application

    return make
