"""The decision side in the admin: the application page's panel, the amendment's buttons per role,
four eyes, an officer's request, the targets; every role on every new admin URL."""

import pytest
from django.conf import settings
from django.urls import reverse

from grants.delivery import amendments as svc
from grants.models import Amendment, AmendmentState, Application, IndicatorTarget

APPROVAL = {
    "approve-decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ",
    "approve-decision_date": "20/05/2025",
    "approve-note": "",
}


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def amendment(included, kalamata_user):
    return svc.amendment_request(
        application=included, actor=kalamata_user, justification="Λόγος", budget="310000"
    )


def action_url(amendment, action):
    return reverse("admin:grants_amendment_action", args=[amendment.pk, action])


def test_the_application_page_shows_versions_and_both_budgets(client, included, officer, amendment, approver):
    svc.amendment_transition(amendment, "propose", actor=officer)
    svc.amendment_transition(
        amendment, "approve", actor=approver, decision_ada="ΨΓΡ1465ΧΞ7-9ΑΒ", decision_date="2025-05-20"
    )
    page = login(client, officer).get(reverse("admin:grants_application_change", args=[included.pk]))
    html = page.content.decode()
    assert 'id="sc-inclusion-budget">300.000,00 €' in html
    assert 'id="sc-current-budget">310.000,00 €' in html
    assert "ΨΓΡ1465ΧΞ7-9ΑΒ" in html and "ΕΨΚ446ΜΤΛ6-ΡΞΥ" in html
    assert 'id="sc-request-amendment"' in html
    assert "Amendment approved" in html and "Decision amended" in html  # the history names them


def test_only_officers_see_the_request_button(client, included, auditor, approver):
    for user in (auditor, approver):
        client.logout()
        html = (
            login(client, user)
            .get(reverse("admin:grants_application_change", args=[included.pk]))
            .content.decode()
        )
        assert 'id="sc-decision-panel"' in html and 'id="sc-request-amendment"' not in html


def test_the_amendment_page_offers_what_each_role_may_take(client, amendment, officer, approver, auditor):
    url = reverse("admin:grants_amendment_change", args=[amendment.pk])
    allowed = {}
    for name, user in (("officer", officer), ("approver", approver), ("auditor", auditor)):
        client.logout()
        panel = login(client, user).get(url).context["amendment_panel"]
        allowed[name] = {i["option"].name for i in panel if i["option"].allowed}
    assert allowed == {"officer": {"propose", "refuse"}, "approver": {"refuse"}, "auditor": set()}


def test_propose_then_approve_in_the_admin_with_four_eyes(client, amendment, officer_approver, approver):
    login(client, officer_approver).post(action_url(amendment, "propose"), {"propose-note": ""})
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.PROPOSED
    response = client.post(action_url(amendment, "approve"), APPROVAL)
    assert response.status_code == 200 and "Four eyes" in response.content.decode()
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.PROPOSED
    client.logout()
    response = login(client, approver).post(action_url(amendment, "approve"), APPROVAL)
    assert response.status_code == 302
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.APPROVED
    assert Application.objects.get(pk=amendment.application_id).budget == 310000


def test_the_auditor_changes_nothing(client, amendment, auditor):
    response = login(client, auditor).post(action_url(amendment, "propose"), {"propose-note": ""})
    assert response.status_code == 200
    assert Amendment.objects.get(pk=amendment.pk).state == AmendmentState.REQUESTED


def test_an_officer_requests_an_amendment_with_a_new_list(client, included, officer):
    url = reverse("admin:grants_amendment_request", args=[included.pk])
    response = login(client, officer).post(
        url,
        {
            "justification": "Αλλαγή",
            "budget": "",
            "selections": "T01 120.000,00\nT04 50.000,00",
            "end_date": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    amendment = Amendment.objects.get()
    assert amendment.selections == [
        {"project": "T01", "amount": "120000.00"},
        {"project": "T04", "amount": "50000.00"},
    ]
    # A bad row is said on the form, naming it, and nothing is written.
    amendment.delete()
    response = client.post(url, {"justification": "x", "selections": "T01 abc"})
    assert response.status_code == 200 and "Row 1" in response.content.decode()
    assert not Amendment.objects.exists()


def test_an_officer_sets_the_targets(client, included, officer):
    url = reverse("admin:grants_amendment_targets", args=[included.pk])
    assert login(client, officer).post(url, {"RCO14": "1", "RCR11": "5000"}).status_code == 302
    assert dict(IndicatorTarget.objects.values_list("code", "target")) == {"RCO14": 1, "RCR11": 5000}


@pytest.mark.parametrize("name", ["grants_amendment_request", "grants_amendment_targets"])
@pytest.mark.parametrize(
    ("who", "code"),
    [("officer", 200), ("approver", 403), ("auditor", 403), ("kalamata_user", 302), (None, 302)],
)
def test_every_role_on_the_officer_pages(client, included, name, who, code, request):
    if who:
        login(client, request.getfixturevalue(who))
    assert client.get(reverse(f"admin:{name}", args=[included.pk])).status_code == code


@pytest.mark.parametrize(
    ("who", "code"),
    [("officer", 200), ("approver", 200), ("auditor", 200), ("kalamata_user", 302), (None, 302)],
)
def test_every_role_on_the_amendment_pages(client, amendment, who, code, request):
    if who:
        login(client, request.getfixturevalue(who))
    assert client.get(reverse("admin:grants_amendment_changelist")).status_code == code
    assert client.get(reverse("admin:grants_amendment_change", args=[amendment.pk])).status_code == code
