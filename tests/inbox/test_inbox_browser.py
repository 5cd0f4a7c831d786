"""The inbox pages in Chromium at 1366×768, in Greek and English: axe-core finds no serious or
critical violation, the Content-Security-Policy holds, and nothing scrolls sideways."""

import os

import pytest

from grants import workflow
from grants.models import Notification
from tests.conftest import PASSWORD
from tests.portal.test_browser import Steps, admin_open, page, sync_api  # noqa: F401  (fixture)

# Playwright's sync API runs an asyncio loop in the test thread (as in tests/portal/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page):  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_municipality_inbox_and_preferences(page, live_server, app, officer, kalamata_user):  # noqa: F811
    workflow.transition(app, "submit", actor=officer)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "return", actor=officer, note="Λείπει η απόφαση")
    steps = Steps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/portal/inbox/")
    page.fill("#id_username", "kalamata")
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/portal/inbox/")
    sync_api.expect(page.locator(".site-header .badge")).to_contain_text("3")
    assert "επιστράφηκε για διορθώσεις" in page.content()
    steps.check("inbox-el")
    fits(page)
    row = Notification.objects.filter(recipient=kalamata_user).latest("id")
    page.goto(f"/portal/inbox/{row.pk}/")
    steps.check("notification-el")
    page.goto("/portal/inbox/")
    page.get_by_role("button", name="Σήμανση όλων ως αναγνωσμένων").click()
    page.wait_for_load_state("load")
    assert page.locator(".site-header .badge").count() == 0
    assert not Notification.objects.filter(recipient=kalamata_user, read_at__isnull=True).exists()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert "was returned for corrections" in page.content()
    steps.check("inbox-en")
    page.get_by_role("link", name="E-mail preferences").click()
    page.wait_for_load_state("load")
    steps.check("preferences-en")
    fits(page)
    page.get_by_label("Status changed").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    assert "status" in kalamata_user.preferences.__class__.objects.get(user=kalamata_user).email_off


def test_staff_inbox_and_preferences(page, live_server, app, officer, approver, kalamata_user):  # noqa: F811
    workflow.transition(app, "submit", actor=kalamata_user)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)
    steps = Steps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    admin_open(page, approver, "/admin/inbox/")
    sync_api.expect(page.locator("#user-tools .badge")).to_contain_text("1")
    steps.check("admin-inbox-el")
    fits(page)
    page.goto("/admin/preferences/")
    steps.check("admin-preferences-el")
    fits(page)
