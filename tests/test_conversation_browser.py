"""The whole review conversation in Chromium at 1366×768, as its three people live it: the municipality's
clerk attaches documents in the portal and is refused the submission (the missing types named) until the
required ones are there; an officer takes the review in the admin and asks a question in the thread; the
clerk answers; the officer fills the checklist and proposes; an approver, another person, includes; and
each side sees its notifications (the badge and the list). axe-core runs on every page visited."""

import os
from decimal import Decimal

import pytest
from django.conf import settings

from grants.models import Application, ChecklistAnswer, ChecklistCriterion, Notification
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from projects.services import selection_add
from tests import files
from tests.conftest import PASSWORD
from tests.portal.test_browser import Steps, page, settle, sync_api  # noqa: F401  (fixture)

# Playwright's sync API runs an asyncio loop in the test thread (as in tests/portal/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = sync_api.expect


def fits(page):  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def sign_in(page, user, path, *, admin=False):  # noqa: F811
    """A fresh session for `user` (the previous person signed out), in English, landing on `path`."""
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": "en",
                "url": "/".join(page.url.split("/")[:3]) + "/",
            }
        ]
    )
    page.goto(f"/admin/login/?next={path}" if admin else path)
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(f"**{path}")
    page.wait_for_load_state("load")


def attach(page, kind_label, name, content):  # noqa: F811
    page.get_by_label("Document type").select_option(label=kind_label)
    page.get_by_label("File").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": content}
    )
    page.get_by_role("button", name="Attach").click()
    page.wait_for_load_state("load")


def test_the_whole_conversation(
    page,  # noqa: F811
    live_server,
    programme,
    kalamata,
    catalogue,
    kalamata_user,
    officer,
    approver,
    document_types,
    private_root,
):
    ChecklistCriterion.objects.create(
        programme=programme, code="eligible", text_el="Επιλέξιμος δικαιούχος", text_en="Eligible beneficiary"
    )
    ChecklistCriterion.objects.create(
        programme=programme,
        code="council",
        text_el="Επισυνάπτεται η απόφαση",
        text_en="Council decision attached",
        order=2,
    )
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=app, project=catalogue[0], amount=Decimal("150000.00"), actor=kalamata_user)
    steps = Steps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/accounts/login/")

    # The clerk: the home page says what is missing and links to the documents page.
    sign_in(page, kalamata_user, "/portal/")
    todos = page.locator(".todos")
    expect(todos).to_contain_text("Municipal council decision")
    steps.check("home-todos")
    todos.get_by_role("link", name="Attach documents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    steps.check("documents-empty")
    fits(page)

    # A text file named .pdf is refused, by its content.
    attach(page, "Municipal council decision", "decision.pdf", b"just some text, not a PDF\n")
    expect(page.locator(".error-summary, [role=alert]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("PDF")
    assert not app.documents.exists()
    steps.check("documents-refused")

    attach(page, "Municipal council decision", "απόφαση.pdf", files.PDF)
    expect(page.locator("#documents")).to_contain_text("απόφαση.pdf")
    expect(page.locator("#missing-documents")).to_contain_text("Technical sheet of the operation")
    steps.check("documents-one")

    # Submit refused: the missing type is named, and no submit button is offered.
    page.goto(f"/portal/applications/{app.pk}/submit/")
    expect(page.locator("main .notice--warning")).to_contain_text("cannot be submitted")
    expect(page.locator("main .notice--warning")).to_contain_text("Technical sheet of the operation")
    expect(page.get_by_role("button", name="Submit the application")).to_have_count(0)
    app.refresh_from_db()
    assert app.status == S.DRAFT
    steps.check("submit-refused")

    page.goto(f"/portal/applications/{app.pk}/documents/")
    attach(page, "Technical sheet of the operation", "τεχνικό-δελτίο.pdf", files.PDF)
    expect(page.locator("#missing-documents")).to_have_count(0)
    page.goto(f"/portal/applications/{app.pk}/submit/")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt of submission")
    app.refresh_from_db()
    assert app.status == S.SUBMITTED
    steps.check("receipt")

    # The officer: the desk shows it submitted; takes the review; asks in the thread.
    sign_in(page, officer, "/admin/", admin=True)
    expect(page.locator("#sc-desk")).to_contain_text(kalamata.name)
    steps.check("desk-officer")
    fits(page)
    page.goto(f"/admin/grants/application/{app.pk}/transition/start_review/")
    page.locator("input[type=submit].default").click()
    page.wait_for_load_state("load")
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW and app.reviewer == officer
    page.goto(f"/admin/grants/application/{app.pk}/messages/")
    steps.check("thread-empty")
    page.locator("textarea[name=body]").fill("Η απόφαση φέρει υπογραφή; Στείλτε το πρακτικό.")
    page.locator("input[type=submit].default").click()
    page.wait_for_load_state("load")
    expect(page.locator("main, #content").first).to_contain_text("Στείλτε το πρακτικό")
    steps.check("thread-question")
    fits(page)

    # The clerk: the badge and the inbox tell of the message; the to-do links to the thread; answers.
    sign_in(page, kalamata_user, "/portal/")
    expect(page.locator(".site-header .badge")).to_be_visible()
    page.locator(".todos").get_by_role("link", name="Read and answer the messages").click()
    expect(page.locator("main")).to_contain_text("Στείλτε το πρακτικό")
    steps.check("portal-thread-question")
    fits(page)
    page.get_by_label("Your message").fill("Ναι, υπογεγραμμένη. Επισυνάπτεται το πρακτικό.")
    page.get_by_label("Attachment").set_input_files(
        {"name": "πρακτικό.pdf", "mimeType": "application/pdf", "buffer": files.PDF}
    )
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Επισυνάπτεται το πρακτικό")
    expect(page.locator("main")).to_contain_text("πρακτικό.pdf")
    steps.check("portal-thread-answered")
    page.goto("/portal/inbox/")
    expect(page.locator("main")).to_contain_text("message")
    steps.check("portal-inbox")

    # The officer: the admin's badge; the desk's recent message leads to the thread; the checklist;
    # the proposal.
    sign_in(page, officer, "/admin/", admin=True)
    expect(page.locator("#user-tools .badge")).to_be_visible()
    page.locator("#sc-desk-messages").get_by_role("link", name=kalamata.name).click()
    page.wait_for_url(f"**/admin/grants/application/{app.pk}/messages/")
    expect(page.locator("#content")).to_contain_text("Επισυνάπτεται το πρακτικό")
    page.goto("/admin/inbox/")
    steps.check("admin-inbox-officer")

    page.goto(f"/admin/grants/application/{app.pk}/checklist/")
    steps.check("checklist-empty")
    fits(page)
    for code in ("eligible", "council"):
        page.locator(f"#sc-checklist tr:has(#sc-criterion-{code}) input[value=yes]").check()
    page.locator("input[name=sc-save-checklist]").click()
    page.wait_for_load_state("load")
    assert set(ChecklistAnswer.objects.filter(application=app).values_list("answer", flat=True)) == {"yes"}
    page.goto(f"/admin/grants/application/{app.pk}/transition/propose_inclusion/")
    steps.check("propose")
    page.locator("input[type=submit].default").click()
    page.wait_for_load_state("load")
    app.refresh_from_db()
    assert app.status == S.TO_BE_INCLUDED and app.proposed_by == officer

    # The approver: told of the proposal, sees the frozen checklist, includes.
    sign_in(page, approver, "/admin/", admin=True)
    expect(page.locator("#user-tools .badge")).to_be_visible()
    expect(page.locator("#sc-desk")).to_contain_text(kalamata.name)
    steps.check("desk-approver")
    page.goto("/admin/inbox/")
    expect(page.locator("#content")).to_contain_text("was proposed for inclusion")
    steps.check("admin-inbox-approver")
    page.goto(f"/admin/grants/application/{app.pk}/change/")
    expect(page.locator("#sc-checklist")).to_contain_text("Eligible beneficiary")
    expect(page.locator("#sc-checklist input[type=radio]")).to_have_count(0)
    steps.check("application-approver")
    # The page loaded and ran clean (Steps.check asserted it before running axe); on this long page
    # axe-core itself inserts a <style> while it measures, which the policy refuses: that one is the
    # tool's, not the page's (each report awaited, so that none arrives after the clearing).
    settle(page)
    del page.csp_violations[:]
    page.goto(f"/admin/grants/application/{app.pk}/transition/include/")
    # A date picker (an HTML date input) takes the ISO form.
    page.locator("input[name$=inclusion_date]").fill("2026-11-27")
    page.locator("input[name$=decision_ada]").fill("ΕΨΚ446ΜΤΛ6-ΡΞΥ")
    page.locator("input[type=submit].default").click()
    page.wait_for_load_state("load")
    app.refresh_from_db()
    assert app.status == S.INCLUDED

    # The clerk: the inclusion, in the badge and the list, in Greek too.
    sign_in(page, kalamata_user, "/portal/inbox/")
    expect(page.locator(".site-header .badge")).to_be_visible()
    expect(page.locator("main")).to_contain_text("included")
    steps.check("portal-inbox-included")
    page.get_by_role("button", name="Ελληνικά").click()
    page.wait_for_load_state("load")
    steps.check("portal-inbox-included-el")
    fits(page)
    kinds = set(Notification.objects.filter(recipient=kalamata_user).values_list("kind", flat=True))
    assert {"message", "included"} <= kinds, kinds
    assert Notification.objects.filter(recipient=approver, kind="proposed").exists()
    assert Application.objects.get(pk=app.pk).status == S.INCLUDED
