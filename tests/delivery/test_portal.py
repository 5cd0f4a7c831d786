"""The municipality's pages after inclusion: what they show, what they write, what they refuse."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.delivery import amendments as svc
from grants.delivery import indicators
from grants.models import Amendment, IndicatorValue, ProjectProgress


@pytest.fixture
def clerk(client, kalamata_user):
    client.force_login(kalamata_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_operation_page_shows_both_budgets_and_every_version(
    clerk, included, officer, approver, kalamata_user
):
    amendment = svc.amendment_request(
        application=included, actor=kalamata_user, justification="Λόγος", budget="320000"
    )
    svc.amendment_transition(amendment, "propose", actor=officer)
    svc.amendment_transition(
        amendment, "approve", actor=approver, decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ", decision_date="2025-05-20"
    )
    html = clerk.get(reverse("portal:operation", args=[included.pk])).content.decode()
    assert 'id="inclusion-budget">300.000,00 €' in html
    assert 'id="current-budget">320.000,00 €' in html
    assert "ΕΨΚ446ΜΤΛ6-ΡΞΥ" in html and "ΨΓΡ1465ΧΞ7-9ΑΒ" in html
    assert 'id="request-amendment"' in html
    assert (
        'id="operation-link"' in clerk.get(reverse("portal:application", args=[included.pk])).content.decode()
    )


def test_a_clerk_requests_an_amendment(clerk, included):
    url = reverse("portal:amendment_new", args=[included.pk])
    form = clerk.get(url)
    assert "T01 100,000.00" in form.content.decode()  # the current list, as the page's language types it
    response = clerk.post(
        url,
        {
            "justification": "Νέο έργο",
            "selections": "T01 100000.00\nT02 100000.00\nT04 50000.00",
            "budget": "",
            "end_date": "",
        },
    )
    assert response.status_code == 302
    amendment = Amendment.objects.get()
    assert [r["project"] for r in amendment.selections] == ["T01", "T02", "T04"]
    assert amendment.requested_by.username == "kalamata"
    html = clerk.get(reverse("portal:operation", args=[included.pk])).content.decode()
    assert "Νέο έργο" in html and 'id="request-amendment"' not in html


def test_an_unchanged_list_is_not_an_amendment_of_the_projects(clerk, included):
    url = reverse("portal:amendment_new", args=[included.pk])
    current = "T01 100,000.00\nT02 100,000.00\nT03 100,000.00"
    response = clerk.post(url, {"justification": "Παράταση", "selections": current, "end_date": "2027-06-30"})
    assert response.status_code == 302
    amendment = Amendment.objects.get()
    assert amendment.selections is None and amendment.end_date == datetime.date(2027, 6, 30)


def test_refusals_are_said_on_the_form(clerk, included):
    url = reverse("portal:amendment_new", args=[included.pk])
    response = clerk.post(url, {"justification": "x", "selections": "T01 9999999"})
    assert response.status_code == 400
    assert "exceeds the cap" in response.content.decode()
    assert not Amendment.objects.exists()


def test_progress_is_recorded_from_the_portal(clerk, included):
    url = reverse("portal:progress_set", args=[included.pk])
    assert clerk.get(url).status_code == 200
    response = clerk.post(
        url, {"project": "T02", "T02-project": "T02", "T02-stage": "procurement", "T02-date": "2025-01-15"}
    )
    assert response.status_code == 302
    assert ProjectProgress.objects.get().procurement_on == datetime.date(2025, 1, 15)
    response = clerk.post(
        url, {"project": "T02", "T02-project": "T02", "T02-stage": "contracted"}, follow=True
    )
    assert "Give the date the stage was reached." in response.content.decode()


def test_an_indicator_value_is_reported(clerk, included):
    url = reverse("portal:indicator_report", args=[included.pk])
    response = clerk.post(
        url, {"code": "RCR11", "achieved": "150", "measured_on": "2025-03-01", "evidence": "Στατιστικά"}
    )
    assert response.status_code == 302
    assert IndicatorValue.objects.get().achieved == 150
    response = clerk.post(
        url, {"code": "RCR11", "achieved": "150", "measured_on": "2025-03-01", "evidence": " "}
    )
    assert response.status_code == 400


def test_a_draft_has_no_operation_yet(clerk, programme, kalamata):
    from grants.services import application_get_or_create

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    html = clerk.get(reverse("portal:operation", args=[app.pk])).content.decode()
    assert "has not been included yet" in html
    response = clerk.post(
        reverse("portal:amendment_new", args=[app.pk]), {"justification": "x", "budget": "1"}
    )
    assert not Amendment.objects.exists() and response.status_code == 200


@pytest.mark.parametrize("who", ["officer", "approver", "auditor"])
def test_staff_are_sent_to_the_admin(client, included, who, request):
    client.force_login(request.getfixturevalue(who))
    for name in ("operation", "amendment_new", "progress_set", "indicator_report"):
        response = client.get(reverse(f"portal:{name}", args=[included.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_the_operation_page_queries_do_not_grow(clerk, included, officer, approver, kalamata_user):
    url = reverse("portal:operation", args=[included.pk])
    clerk.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert clerk.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for budget in ("310000", "320000"):
        a = svc.amendment_request(application=included, actor=kalamata_user, justification="x", budget=budget)
        svc.amendment_transition(a, "propose", actor=officer)
        svc.amendment_transition(
            a, "approve", actor=approver, decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ", decision_date="2025-05-20"
        )
    indicators.indicator_report(
        application=included,
        code="RCO14",
        achieved=1,
        measured_on=datetime.date(2025, 1, 1),
        evidence="x",
        actor=kalamata_user,
    )
    assert count() == before
