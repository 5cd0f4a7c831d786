# ruff: noqa: F811  (the `page` fixture is imported from test_browser and taken as an argument)
"""The desk, the evaluation checklist and the portal's to-dos in a real browser, at 1366×768 in Greek
and English: axe-core finds no serious or critical violation, the policy none, and nothing scrolls
sideways. The officer answers the checklist by clicking, as in the admin."""

import datetime

import pytest
from django.utils import timezone

from grants import checklist
from grants.models import Application, ChecklistCriterion, DocumentType, Message, MessageSide
from grants.models import ApplicationStatus as S
from grants.workflow import transition
from tests.conftest import PASSWORD, make_municipality

from .test_browser import Steps, admin_open, page, settle, sync_api  # noqa: F401  (the page fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["el", "en"]


def set_language(page, live_server, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


class AdminSteps(Steps):
    """Steps.check asserts the page's own policy violations before axe-core runs; on the admin's pages
    axe itself then applies styles while it measures (shown by running it on a page that had none), which
    the policy reports as the page's: those are cleared, not the page's own."""

    def check(self, name):
        super().check(name)
        settle(self.page)
        self.page.csp_violations.clear()


def fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


@pytest.fixture
def work(programme, regional_unit, kalamata, kalamata_user, catalogue, officer, make_application):
    for i, code in enumerate(["council", "cap"]):
        ChecklistCriterion.objects.create(
            programme=programme, code=code, text_el=f"Κριτήριο {code}", text_en=f"Criterion {code}", order=i
        )
    reviewed = make_application(kalamata, kalamata_user, 2, submit=True)
    transition(reviewed, "start_review", actor=officer)
    others = []
    for i, status in enumerate([S.SUBMITTED, S.RETURNED, S.UNDER_REVIEW]):
        m = make_municipality(regional_unit, f"70{i:02d}", f"ΔΗΜΟΣ ΟΘΟΝΗΣ {i}", 20000)
        user = kalamata_user.__class__.objects.create_user(f"m{i}", password=PASSWORD)
        from grants.services import municipality_account_set

        municipality_account_set(user=user, municipality=m)
        app = make_application(m, user, 1, submit=True)
        if status != S.SUBMITTED:
            transition(app, "start_review", actor=officer)
        if status == S.RETURNED:
            transition(app, "return", actor=officer, note="Διορθώσεις")
            Application.objects.filter(pk=app.pk).update(
                response_due=timezone.localdate() - datetime.timedelta(days=1)
            )
        Message.objects.create(
            application=app, side=MessageSide.MUNICIPALITY, author_name="δήμος", body="Ερώτηση"
        )
        others.append(app)
    # Asked for after the submissions (submit needs it): the returned one now lacks it (a to-do).
    DocumentType.objects.create(
        programme=programme, code="council", title_el="Απόφαση ΔΣ", title_en="Council decision", required=True
    )
    return reviewed, others


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_officer_desk_checklist_and_portal_todos(
    page, live_server, officer, approver, auditor, work, language
):
    """The officer's desk and checklist, the approver's and the auditor's desks, then a municipality's
    home page with its to-dos, in one language each: one `work` (the languages' set-up, a transactional
    test's flush and a browser context cost more than the pages) serves staff and portal alike."""
    reviewed, others = work
    expect = sync_api.expect
    steps = AdminSteps(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    set_language(page, live_server, language)
    admin_open(page, officer, "/admin/")
    expect(page.locator("#sc-desk")).to_be_visible()
    expect(page.locator("#sc-queue-my_review-link")).to_contain_text("2")
    fits(page)
    steps.check(f"desk-officer-{language}")

    page.locator("#sc-queue-my_review-link").click()
    expect(page.locator("#result_list")).to_contain_text("ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")

    page.goto(f"/admin/grants/application/{reviewed.pk}/change/")
    expect(page.locator("#sc-checklist")).to_be_visible()
    fits(page)
    steps.check(f"checklist-form-{language}")
    page.locator("#id_answer_council_0").check()
    page.locator("#id_answer_cap_1").check()  # «No» without a comment: refused, the reason shown
    page.locator("input[name=sc-save-checklist]").click()
    expect(page.locator(".errornote")).to_be_visible()
    steps.check(f"checklist-refused-{language}")
    page.fill("#id_comment_cap", "Υπέρβαση ορίου")
    page.locator("#id_answer_cap_0").check()
    page.locator("input[name=sc-save-checklist]").click()
    expect(page.locator("#sc-workflow")).to_be_visible()
    assert set(checklist.rows(reviewed)[i].answer.answer for i in range(2)) == {"yes"}

    page.context.clear_cookies()
    set_language(page, live_server, language)
    admin_open(page, approver, "/admin/")
    expect(page.locator("#sc-queue-to_approve")).to_be_visible()
    fits(page)
    steps.check(f"desk-approver-{language}")
    page.goto(f"/admin/grants/application/{reviewed.pk}/change/")
    expect(page.locator("#sc-checklist")).to_contain_text("Υπέρβαση ορίου")
    fits(page)
    steps.check(f"checklist-read-{language}")

    page.context.clear_cookies()
    set_language(page, live_server, language)
    admin_open(page, auditor, "/admin/")
    expect(page.locator("#sc-desk-statuses")).to_be_visible()
    fits(page)
    steps.check(f"desk-auditor-{language}")

    # The returned application's municipality: its home page with the to-dos (a message to answer,
    # a document now required, the deadline passed). Steps, not AdminSteps: no policy report is
    # cleared on the portal's pages.
    Message.objects.create(
        application=others[1], side=MessageSide.AUTHORITY, author_name="ΕΥΔ", body="Στείλτε"
    )
    page.context.clear_cookies()
    set_language(page, live_server, language)
    page.goto("/accounts/login/?next=/portal/")
    page.fill("#id_username", "m1")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit], main input[type=submit]").first.click()
    page.wait_for_url("**/portal/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".todos")).to_be_visible()
    fits(page)
    Steps(page).check(f"portal-todos-{language}")
