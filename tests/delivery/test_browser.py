"""The decision side's pages in Chromium at 1366×768, in Greek and English: axe-core finds no serious
or critical violation, nothing scrolls sideways, the Content-Security-Policy holds; a clerk requests an
amendment through the form, an officer and another approver decide it in the admin."""

import os

import pytest

from grants.delivery import amendments as svc
from grants.delivery import indicators
from tests.conftest import PASSWORD
from tests.portal import test_browser as browser

# Playwright's sync API runs an asyncio loop in the test thread (see tests/portal/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The portal's browser set-up (Chromium, the CSP listener, axe-core), shared.
page = browser.page
Steps, admin_open, assert_no_csp_violations, sync_api = (
    browser.Steps,
    browser.admin_open,
    browser.assert_no_csp_violations,
    browser.sync_api,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, page.url


def portal_login(page, user):
    page.goto("/accounts/login/?next=/portal/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url("**/portal/")


@pytest.fixture
def operation(programme, kalamata, catalogue, kalamata_user, officer, approver):
    from grants.services import application_get_or_create
    from projects.services import selection_add

    from .conftest import include

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    for project in catalogue[:3]:
        selection_add(application=app, project=project, amount="100000", actor=kalamata_user)
    app = include(app, municipality_user=kalamata_user, officer=officer, approver=approver)
    indicators.indicator_target_set(application=app, code="RCR11", target=5000, actor=officer)
    return app


def test_the_municipality_pages_in_greek_and_english(page, operation, kalamata_user, officer, approver):
    expect = sync_api.expect
    steps = Steps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    portal_login(page, kalamata_user)
    pages = [
        f"/portal/applications/{operation.pk}/operation/",
        f"/portal/applications/{operation.pk}/progress/",
        f"/portal/applications/{operation.pk}/indicators/report/",
        f"/portal/applications/{operation.pk}/amendments/new/",
    ]
    for language in ("el", "en"):
        if language == "en":
            page.get_by_role("button", name="English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
        for n, path in enumerate(pages):
            page.goto(path)
            fits(page)
            steps.check(f"delivery-{language}-{n}")
    # The clerk asks for a longer end date; the form's refusal names its field, then it goes through.
    page.fill("#id_justification", "")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#error-summary")).to_be_visible()
    steps.check("delivery-amendment-error")
    page.fill("#id_justification", "Καθυστέρηση του διαγωνισμού")
    page.fill("#id_end_date", "2027-06-30")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#amendments")).to_contain_text("Καθυστέρηση του διαγωνισμού")
    steps.check("delivery-amendment-requested")
    # Officer proposes, another approver approves, in the admin; the portal then shows version 2.
    amendment = operation.amendments.get()
    svc.amendment_transition(amendment, "propose", actor=officer)
    page.context.clear_cookies()
    admin_open(page, approver, f"/admin/grants/amendment/{amendment.pk}/change/")
    fits(page)
    page.locator("#sc-action-approve summary").click()
    page.fill("#id_approve-decision_ada", "ΨΓΡ1465ΧΞ7-9ΑΒ")
    page.fill("#id_approve-decision_date", "20/05/2025")
    page.locator("input[name=sc-do-approve]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    page.goto(f"/admin/grants/application/{operation.pk}/change/")
    expect(page.locator("#sc-decision-versions")).to_contain_text("ΨΓΡ1465ΧΞ7-9ΑΒ")
    fits(page)
    assert_no_csp_violations(page)
