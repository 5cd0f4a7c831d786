"""The officers' and auditors' daily screens in a real browser at 1366x768 and 1920x1080 (issue 16):
no sideways scroll on the lists and reports at either size, axe-core with no serious or critical
violation on the application list and page, the audit list, the audit event, every report page and
the dashboard, and (with SCREENSHOTS=1 in the environment, see tests/portal/test_browser.py) a
full-page screenshot of every staff page at both sizes into artifacts/screenshots/after/
(git-ignored, the test's artefacts). Same playwright + axe pattern as tests/portal/test_browser.py.
Each page is loaded once, at 1366x768, then the window is widened to 1920x1080 and laid out again by
its CSS, without a second round of logins and page loads (what a script sized on load, Select2's
boxes, keeps the width it had at 1366, which the wider window only makes easier to fit). Then, on the
same set-up, the approver includes through the application page's form."""

import datetime
import json
import os
from pathlib import Path

import pytest

from grants import services
from grants.models import Application, AuditEvent, Channel
from grants.reports.definitions import REPORTS
from grants.workflow import transition
from projects import services as project_services
from tests.conftest import CHROMIUM, PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "after"
SIZES = [(1366, 768), (1920, 1080)]

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is missing: browser tests need Debian's chromium", allow_module_level=True)

from tests.portal.test_browser import axe_violations, screenshot, settle  # noqa: E402  (needs playwright)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The page's sideways scroll, or that of any scrollable box in it (the admin's result list is one).
OVERFLOW = """() => [...document.querySelectorAll('*')].reduce((m, e) => {
  const o = getComputedStyle(e).overflowX;
  return (o === 'auto' || o === 'scroll') ? Math.max(m, e.scrollWidth - e.clientWidth) : m;
}, document.documentElement.scrollWidth - document.documentElement.clientWidth)"""


@pytest.fixture
def day(programme, kalamata, pyli, catalogue, officer, approver):
    """An included application with a history, one waiting for the approver, one being drafted."""
    included = services.application_get_or_create(programme=programme, municipality=kalamata, actor=officer)[
        0
    ]
    for project, amount in zip(catalogue[:3], ("450000", "320000,50", "98000"), strict=True):
        project_services.selection_add(application=included, project=project, amount=amount, actor=officer)
    for action in ("submit", "start_review", "propose_inclusion"):
        transition(included, action, actor=officer, channel=Channel.ADMIN)
    transition(
        included,
        "include",
        actor=approver,
        channel=Channel.ADMIN,
        inclusion_date=datetime.date(2024, 3, 7),
        decision_ada="ΨΛ9Ξ46ΜΤΛΡ-ΑΒΓ",
        mis_code="6001234",
    )
    waiting = services.application_get_or_create(programme=programme, municipality=pyli, actor=officer)[0]
    project_services.selection_add(application=waiting, project=catalogue[4], amount="180000", actor=officer)
    for action in ("submit", "start_review", "propose_inclusion"):
        transition(waiting, action, actor=officer, channel=Channel.ADMIN)
    return {"included": included, "waiting": waiting}


def _context(browser, live_server, size, username):
    width, height = size
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="el-GR"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url("**/admin/")
    return context, page


def _axe(page, name):
    settle(page)  # scripts that run on a timer after the load (Select2's set-up)
    return axe_violations(page, name)


def test_staff_screens_at_laptop_and_desktop_sizes_then_the_workflow_form(
    chromium, live_server, day, officer, approver, auditor
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    event = AuditEvent.objects.filter(action="workflow.include").first()
    staff_pages = {
        approver.username: [
            # (name, url, must not scroll sideways, axe)
            ("admin-index", "/admin/", True, False),
            ("applications", "/admin/grants/application/", True, True),
            ("application-included", f"/admin/grants/application/{day['included'].pk}/change/", True, True),
            ("application-to-include", f"/admin/grants/application/{day['waiting'].pk}/change/", True, True),
            (
                "include-form",
                f"/admin/grants/application/{day['waiting'].pk}/transition/include/",
                True,
                False,
            ),
            ("audit-list", "/admin/grants/auditevent/", True, True),
            ("audit-event", f"/admin/grants/auditevent/{event.pk}/change/", True, True),
            ("municipalities", "/admin/grants/municipality/", True, False),
        ],
        officer.username: [("import", "/admin/grants/import-inclusions/", True, False)],
        auditor.username: [
            ("dashboard", "/reports/", True, True),
            *[(f"report-{name}", f"/reports/{name}/", True, True) for name in REPORTS],
        ],
    }
    overflowing, violations = [], []
    for username, pages in staff_pages.items():
        context, page = _context(chromium, live_server, SIZES[0], username)
        for name, url, no_scroll, axe in pages:
            response = page.goto(url)
            assert response.status == 200, (url, response.status)
            for size in SIZES:
                width, height = size
                if size != SIZES[0]:
                    page.set_viewport_size({"width": width, "height": height})
                screenshot(page, SHOTS / f"{width}x{height}-{name}.png", full_page=True)
                if no_scroll and (over := page.evaluate(OVERFLOW)) > 0:
                    overflowing.append((size, name, over))
                if axe and size == SIZES[0]:
                    violations += _axe(page, name)
            page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        context.close()
    assert not overflowing, f"pages that scroll sideways: {overflowing}"
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
    assert Application.objects.count() == 2  # the pages only read
    assert Application.objects.get(pk=day["waiting"].pk).inclusion_date is None

    # Then, on the same `day` (its set-up and the transactional test's flush cost more than the step),
    # the workflow forms work in the browser: the approver includes from the application page, a
    # visible form, the date from the picker.
    context, page = _context(chromium, live_server, SIZES[0], approver.username)
    page.goto(f"/admin/grants/application/{day['waiting'].pk}/change/")
    form = page.locator("#sc-action-include")
    sync_api.expect(form).to_be_visible()  # not folded behind a disclosure triangle
    sync_api.expect(page.locator("#sc-unavailable-submit")).to_be_hidden()  # the reasons are folded
    form.locator("input[type=date]").first.fill("2024-05-02")
    form.locator("input[name=include-decision_ada]").fill("ΨΛ9Ξ46ΜΤΛΡ-ΑΒΔ")
    form.get_by_role("button").click()
    sync_api.expect(page.locator(".messagelist")).to_contain_text("Ενταγμένη")
    context.close()
    day["waiting"].refresh_from_db()
    assert day["waiting"].inclusion_date == datetime.date(2024, 5, 2)
