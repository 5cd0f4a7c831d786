"""A call's dates: not open yet and closed are told apart, with the date, by the workflow, the services
and the portal; and a call cannot close before it opens, whoever writes it."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone, translation

from grants import services, workflow
from grants.models import ApplicationStatus as S
from grants.models import AuditEvent, Programme
from projects.services import selection_add

TODAY = timezone.localdate()
LATER = TODAY + datetime.timedelta(days=30)
EARLIER = TODAY - datetime.timedelta(days=30)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _dmy(day):
    return day.strftime("%d/%m/%Y")


def test_not_open_yet_and_closed_are_two_reasons(programme):
    assert programme.closed_reason() == "" and programme.is_open()
    programme.opens_on = LATER
    assert not programme.is_open()
    assert programme.closed_reason() == f"The call is not open yet: it opens on {_dmy(LATER)}."
    programme.opens_on, programme.closes_on = None, EARLIER
    assert not programme.is_open()
    assert programme.closed_reason() == f"The call is closed: it closed on {_dmy(EARLIER)}."
    # The last day is still open.
    assert programme.is_open(on=EARLIER)


@pytest.mark.parametrize(
    "field,day,said",
    [("opens_on", LATER, "not open yet: it opens on"), ("closes_on", EARLIER, "closed: it closed on")],
)
def test_submit_and_start_say_which(
    field, day, said, programme, kalamata, pyli, catalogue, kalamata_user, pyli_user, officer
):
    app, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=app, project=catalogue[0], amount="100000", actor=kalamata_user)
    services.programme_update(programme=programme, **{field: day})

    option = {o.name: o for o in workflow.available_actions(app, kalamata_user)}["submit"]
    assert not option.allowed and f"{said} {_dmy(day)}" in option.reason
    assert "Only an officer may submit" in option.reason
    with pytest.raises(workflow.TransitionError, match=said):
        workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "submit", actor=officer)
    assert app.status == S.SUBMITTED

    with pytest.raises(ValidationError, match=f"{said} {_dmy(day)}"):
        services.application_get_or_create(programme=programme, municipality=pyli, actor=pyli_user)


def test_the_portal_says_when_the_call_opens_and_offers_no_start(client, programme, kalamata, kalamata_user):
    services.programme_update(programme=programme, opens_on=LATER)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(kalamata_user)
    home = client.get(reverse("portal:home")).content.decode()
    assert f"The call is not open yet: it opens on {_dmy(LATER)}." in home
    assert reverse("portal:start", args=[programme.pk]) not in home
    # A start posted anyway (an old page) is refused with the same words, not an error page.
    response = client.post(reverse("portal:start", args=[programme.pk]), follow=True)
    assert response.status_code == 200
    assert f"it opens on {_dmy(LATER)}" in response.content.decode()
    assert not programme.applications.exists()


# -- a call cannot close before it opens ---------------------------------------------------------

OPENS, CLOSES = datetime.date(2026, 12, 1), datetime.date(2026, 6, 1)


def test_clean_refuses_reversed_dates_on_the_closing_date(programme):
    programme.opens_on, programme.closes_on = OPENS, CLOSES
    with pytest.raises(ValidationError) as refused:
        programme.full_clean()
    assert refused.value.message_dict == {
        "closes_on": ["The call cannot close before it opens (on 01/12/2026)."]
    }
    programme.closes_on = OPENS  # opening and closing on the same day is a one-day call
    programme.full_clean()


def test_the_audited_service_refuses_reversed_dates(programme):
    with pytest.raises(ValidationError, match="cannot close before it opens"):
        services.programme_update(programme=programme, opens_on=OPENS, closes_on=CLOSES)
    services.programme_update(programme=programme, opens_on=OPENS)
    with pytest.raises(ValidationError, match="cannot close before it opens"):
        services.programme_update(programme=programme, closes_on=CLOSES)
    programme.refresh_from_db()
    assert (programme.opens_on, programme.closes_on) == (OPENS, None)
    assert AuditEvent.objects.filter(action="programme.update").count() == 1


def test_the_database_refuses_reversed_dates(programme):
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(opens_on=OPENS, closes_on=CLOSES)


def test_the_admin_form_refuses_reversed_dates(client, programme, superuser):
    client.force_login(superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {k: v for k, v in model_to_dict(programme).items() if v is not None and k != "id"}
    data.update(opens_on="2026-12-01", closes_on="2026-06-01")
    response = client.post(reverse("admin:grants_programme_change", args=[programme.pk]), data)
    assert response.status_code == 200
    assert "The call cannot close before it opens (on 01/12/2026)." in response.content.decode()
    programme.refresh_from_db()
    assert programme.closes_on is None
