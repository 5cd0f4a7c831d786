"""The portal in a real browser: Debian's Chromium driven by playwright against the live server.
Each step runs axe-core on the page and, with SCREENSHOTS=1 in the environment, saves a screenshot
into tests/screenshots/ (git-ignored).
At the end, the one script of the admin's application page: the running total against the cap, and
Swagger UI. Every page runs under the site's Content-Security-Policy, and any violation the browser
reports (a blocked inline script or style, a foreign source) fails the test."""

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from grants.models import Application, ApplicationStatus, Channel
from grants.workflow import transition
from tests.conftest import CHROMIUM, PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SOURCE = AXE.read_text()
SHOTS = Path(__file__).resolve().parents[1] / "screenshots" / "portal"
# Screenshots are for people looking at the pages; no test reads them. A full-page PNG of a list page
# cost Chromium ~0.35 s of CPU (0.06 s for the window alone, 0.2 s as JPEG), and the browser tests took
# ~125 of them, ~45 s of CPU on a 2-core machine. Taken when asked for: `SCREENSHOTS=1 make test`.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "0") not in ("", "0")

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) for browser tests",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Runs before any script of every page (playwright injects it, so the policy does not apply to it):
# the browser's own report of each violation is handed to the test. The page counts the reports on
# their way, so that a check can wait until each has arrived rather than for a fixed time.
CSP_LISTENER = """
window.__cspPending = 0;
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspPending++;
  window.cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${location.pathname}`
    + (e.sample ? `: ${e.sample}` : "")).finally(() => window.__cspPending--);
});
"""

# The violation event is dispatched asynchronously, in a task of its own after the one that caused it:
# a few turns of the page's event loop let those already queued fire, then each report is awaited
# until the test holds it (the binding's promise settles once the test's callback has run).
CSP_SETTLED = """async () => {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  while (window.__cspPending) await new Promise((resolve) => setTimeout(resolve, 1));
}"""

# Only the violations are asked for: axe-core then leaves out the details of every passing and
# inapplicable node, which took most of its time on the long pages (9-12 s against 2 s for the same
# violations on a page of 600 tables and links); the violations it reports are the same.
AXE_RUN = """async () => await axe.run(document, {
  runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
  resultTypes: ['violations'],
})"""


def axe_violations(page, name):
    """axe-core on the page as it stands: its serious and critical violations (none is the goal).
    Evaluated, not added as a <script> tag, since the page's policy refuses inline scripts; once per
    document (an htmx swap keeps the document, and axe with it)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(AXE_RUN)
    return [
        {"page": name, "id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def settle(page):
    """Let the page's pending work run: timers set on load (jQuery's ready handlers run on one), the
    policy's violation reports."""
    page.evaluate(CSP_SETTLED)


def screenshot(page, path, **options):
    """page.screenshot into `path` when screenshots are asked for (SCREENSHOTS=1)."""
    if SCREENSHOTS:
        page.screenshot(path=str(path), **options)


def assert_no_csp_violations(page):
    settle(page)
    assert not page.csp_violations, f"Content-Security-Policy violations: {page.csp_violations}"


def open_page(chromium, live_server, *, width=1200, height=900):
    """A page in a fresh context (no cookies, storage or cache from another test) of the shared
    Chromium, Greek by the browser's language, with the policy listener."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="el-GR"
    )
    violations = []
    context.expose_function("cspViolation", lambda text: violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.csp_violations = violations
    # Chromium also says it in the console ("Refused to …"), which catches what no event reports.
    page.on(
        "console",
        lambda m: m.type == "error" and "Content Security Policy" in m.text and violations.append(m.text),
    )
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(chromium, live_server):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    page = open_page(chromium, live_server)
    yield page
    try:
        assert_no_csp_violations(page)
    finally:
        page.context.close()


class Steps:
    def __init__(self, page):
        self.page, self.n = page, 0

    def check(self, name):
        """Screenshot (SCREENSHOTS=1), then axe-core: no serious or critical violation on the page as it
        stands."""
        self.n += 1
        screenshot(self.page, SHOTS / f"{self.n:02d}-{name}.png", full_page=True)
        assert_no_csp_violations(self.page)
        bad = axe_violations(self.page, name)
        assert not bad, f"{name}: {json.dumps(bad, ensure_ascii=False)}"


def test_municipality_chooses_submits_is_returned_and_resubmits(
    page, live_server, kalamata_user, officer, programme, catalogue
):
    steps = Steps(page)
    expect = sync_api.expect

    # Anonymous → login, in Greek by default; then the switch to English.
    page.goto("/portal/")
    assert "/accounts/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "el"
    steps.check("login-el")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.fill("#id_username", "kalamata")
    page.fill("#id_password", "pw-secret-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")
    expect(page.locator(".cap-figure")).to_have_text("1.950.000,00 €")
    steps.check("home-no-application")

    # Keyboard: on a freshly loaded page (the login page autofocuses its first field, so not there) the
    # first Tab reaches the skip link, which moves focus to the main content.
    page.goto("/portal/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    page.get_by_role("button", name="Start the application").click()
    expect(page.get_by_role("heading", name="Catalogue of projects")).to_be_visible()
    steps.check("application-empty")

    # Search as you type (htmx), case- and accent-insensitive.
    page.fill("#id_q", "εργο 11")
    expect(page.locator("#catalogue")).to_contain_text("1 project found")
    expect(page.locator("#catalogue")).to_contain_text("T11")
    steps.check("catalogue-search")
    page.fill("#id_q", "")
    expect(page.locator("#catalogue")).to_contain_text("12 projects found")

    # Over the cap: refused, the excess said in words and tied to the field.
    page.get_by_role("link", name="Add T01 Project 1").click()
    page.fill("#id_amount", "2.000.000,00")
    expect(page.locator("#cap-bar")).to_contain_text("Over the cap by 50.000,00 €")  # live preview
    page.fill("#id_justification", "Έξυπνος φωτισμός στο κέντρο")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_amount_error")).to_contain_text("by 50.000,00 €")
    assert page.get_attribute("#id_amount", "aria-describedby") == "id_amount_helptext id_amount_error"
    steps.check("over-cap-refused")

    page.fill("#id_amount", "150.000,00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#cap-bar")).to_contain_text("Remaining: 1.800.000,00 €")
    page.get_by_role("link", name="Add T02 Project 2").click()
    page.fill("#id_amount", "60000")
    page.fill("#id_justification", "Ψηφιακή πλατφόρμα διαβούλευσης")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#selections tfoot")).to_contain_text("210.000,00 €")
    steps.check("two-projects")

    page.get_by_role("link", name="Remove T02").click()
    steps.check("remove-confirm")
    page.go_back()

    page.get_by_role("link", name="Review and submit").click()
    steps.check("submit-confirm")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt of submission")
    application = Application.objects.get(municipality__elstat_code="4401")
    expect(page.locator("main")).to_contain_text(application.tracking_number)
    expect(page.locator("main")).to_contain_text(application.submission_hash)
    steps.check("receipt")

    pdf = page.request.get(
        page.get_by_role("link", name="Download the submitted application (PDF)").get_attribute("href")
    )
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    (SHOTS / "submitted.pdf").write_bytes(pdf.body())
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in text and "Έργο 1" in text and "Ψηφιακή πλατφόρμα διαβούλευσης" in text

    page.goto(f"/portal/applications/{application.pk}/")
    expect(page.locator("main")).to_contain_text("This application is read-only")
    expect(page.get_by_role("link", name="Change T01")).to_have_count(0)
    expect(page.get_by_role("heading", name="Catalogue of projects")).to_have_count(0)
    steps.check("read-only")
    page.goto(f"/portal/applications/{application.pk}/withdraw/")
    steps.check("withdraw-confirm")

    # The officer returns it (through the workflow's entry point, as the admin does).
    transition(application, "return", actor=officer, note="Μειώστε το ποσό του T01.", channel=Channel.ADMIN)
    page.goto("/portal/")
    expect(page.locator("main")).to_contain_text("Μειώστε το ποσό του T01.")
    expect(page.locator("main")).to_contain_text("Returned for corrections")
    steps.check("home-returned")

    # The card's button (the to-dos above it may link to the same page).
    page.locator("a.button", has_text="Open the application").click()
    page.get_by_role("link", name="Change T01").click()
    page.fill("#id_amount", "140000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#selections tfoot")).to_contain_text("200.000,00 €")
    page.get_by_role("link", name="Review and submit").click()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Receipt of submission")
    steps.check("resubmitted")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.budget == 200000

    page.goto("/portal/")
    expect(page.locator(".timeline")).to_contain_text("its amount went from 150.000,00 € to 140.000,00 €")
    steps.check("home-history")
    page.goto("/portal/accessibility/")
    steps.check("accessibility")


# -- the admin's cap summary, which the application page recomputes as amounts are typed -----------


def admin_open(page, user, path):
    page.goto(f"/admin/login/?next={path}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"**{path}")
    page.wait_for_load_state("load")


def test_admin_cap_summary_of_a_read_only_application_keeps_the_real_total(
    page, kalamata, kalamata_user, officer, catalogue, make_application
):
    application = make_application(kalamata, kalamata_user, 2, submit=True)
    transition(application, "start_review", actor=officer, channel=Channel.ADMIN)
    admin_open(page, officer, f"/admin/grants/application/{application.pk}/change/")
    expect = sync_api.expect
    # Nothing on the page can change the total, so the figures the server rendered stand.
    expect(page.locator("input.sc-selection-amount")).to_have_count(0)
    expect(page.locator("#sc-running-total")).to_have_text("20.000,00 €")
    expect(page.locator("#sc-remaining")).to_have_text("1.930.000,00 €")
    screenshot(page, SHOTS / "admin-under-review.png", full_page=True)
    assert_no_csp_violations(page)


# -- the second factor's pages (grants.mfa), at 1366×768 in Greek and English ----------------------


def test_staff_enrol_then_verify_with_a_recovery_code(page, live_server, officer, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.MFA_REQUIRED = True
    steps = Steps(page)
    expect = sync_api.expect
    page.set_viewport_size({"width": 1366, "height": 768})
    form_button = page.locator("main form button[type=submit]")

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/accounts/mfa/setup/?next=%2Fadmin%2F")
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.locator("svg.qr-code")).to_be_visible()
    steps.check("mfa-setup-el")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    good = str(totp(device.bin_key)).zfill(6)
    page.fill("#id_code", "000000" if good != "000000" else "111111")
    form_button.click()
    expect(page.locator("#id_code_error")).to_contain_text("not valid")
    assert "id_code_error" in page.get_attribute("#id_code", "aria-describedby")
    steps.check("mfa-setup-wrong-code")

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    page.fill("#id_code", good)
    form_button.click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    codes = page.locator(".recovery-codes li").all_inner_texts()
    steps.check("mfa-recovery-codes-shown")
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url("**/admin/")

    page.locator("#logout-form button").click()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/accounts/mfa/verify/?next=%2Fadmin%2F")
    steps.check("mfa-verify")
    page.fill("#id_code", "abcd-efgh")
    form_button.click()
    expect(page.locator("#id_code_error")).to_be_visible()
    steps.check("mfa-verify-wrong-code")
    # The wrong code throttles the devices for a second; the test must not race that clock.
    from django_otp.plugins.otp_static.models import StaticDevice

    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=officer).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
    page.fill("#id_code", codes[0])
    form_button.click()
    page.wait_for_url("**/admin/")
    expect(page.locator(".messagelist")).to_contain_text("You used a recovery code: 9 are left")

    page.goto("/accounts/mfa/recovery-codes/")
    expect(page.locator("main")).to_contain_text("You have 9 unused recovery codes.")
    steps.check("mfa-recovery-codes-status")
    page.get_by_role("button", name="Ελληνικά").click()
    expect(page.locator("html")).to_have_attribute("lang", "el")
    steps.check("mfa-recovery-codes-status-el")
    assert_no_csp_violations(page)


# -- the other kinds of page, under the same Content-Security-Policy --------------------------------


def test_swagger_ui_and_staff_pages_run_under_the_policy(
    page, kalamata, kalamata_user, officer, auditor, catalogue, make_application
):
    # Swagger UI, to a visitor not signed in: its operations rendered by its own scripts.
    page.goto("/api/v1/docs/")
    operations = page.locator(".opblock")
    # Swagger UI fetches and renders the whole schema with its own scripts: on two cores shared with
    # the other workers' Chromium and the simulation it showed «loading» past expect's 5 s (twice, load 11).
    sync_api.expect(operations.first).to_be_visible(timeout=20_000)
    assert operations.count() > 10
    screenshot(page, SHOTS / "api-docs.png")
    assert_no_csp_violations(page)

    expect = sync_api.expect
    application = make_application(kalamata, kalamata_user, 2, submit=True)
    admin_open(page, auditor, "/admin/grants/application/")
    expect(page.locator("#result_list")).to_contain_text("ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ")
    page.goto(f"/admin/grants/application/{application.pk}/change/")
    expect(page.locator("#sc-running-total")).to_have_text("20.000,00 €")
    page.goto(f"/admin/grants/municipality/{kalamata.pk}/change/")
    expect(page.locator("table.cap-derivation")).to_be_visible()
    page.goto("/reports/")
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, SHOTS / "reports-dashboard.png", full_page=True)
    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_csp_violations(page)


def test_every_admin_page_runs_under_the_policy(
    page, kalamata, kalamata_user, programme, catalogue, make_application, django_user_model
):
    """Django's admin and ours, page by page as a superuser sees them: each list, add form and
    change form, with their widgets (calendars, autocompletes, inlines) and scripts."""
    from django.contrib import admin

    make_application(kalamata, kalamata_user, 2)
    root = django_user_model.objects.create_superuser("root", "root@example.gr", PASSWORD)
    admin_open(page, root, "/admin/")
    paths = ["/admin/grants/import-inclusions/", "/admin/password_change/"]
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        paths += [base, base + "add/"]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(f"{base}{first.pk}/change/")
    for path in paths:
        response = page.goto(path)
        assert response.status in (200, 403), (path, response.status)  # 403: a read-only model's add
        assert_no_csp_violations(page)
    assert len(paths) > 30
    # A calendar and an autocomplete opened, as an officer would.
    page.goto(f"/admin/grants/programme/{programme.pk}/change/")
    calendar = page.locator(".datetimeshortcuts a[id^=calendarlink]").first
    if calendar.count():
        calendar.click()
        sync_api.expect(page.locator(".calendarbox").first).to_be_visible()
    assert_no_csp_violations(page)


def test_admin_draft_application_and_audit_trail_fit_1366_and_amounts_follow_the_greek_way(
    page, kalamata, kalamata_user, officer, programme, catalogue, make_application
):
    """Two of the officer's pages at 1366×768 in one session (the sign-in and the transactional test's
    set-up and flush cost more than either page): the draft application and the audit trail."""
    # The project's drop-down is as wide as the catalogue's longest title (SC31's runs to ~1,000 px):
    # the page scrolled sideways at 1366×768, the amount and delete columns out of sight.
    from grants import audit
    from projects.models import CatalogueProject

    catalogue[0].title_el = (
        "Ολοκληρωμένη υποδομή προστασίας από κυβερνοεπιθέσεις (Network Firewall, Endpoint security κλπ.) "
        "και παροχή συστήματος τηλε-εργασίας (VPN) για τις υπηρεσίες του δήμου"
    )
    CatalogueProject.objects.filter(pk=catalogue[0].pk).update(title_el=catalogue[0].title_el)
    application = make_application(kalamata, kalamata_user, 1)
    page.set_viewport_size({"width": 1366, "height": 768})
    admin_open(page, officer, f"/admin/grants/application/{application.pk}/change/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # The same editable page's running total, as amounts are typed (one page and one set-up for both).
    expect = sync_api.expect
    expect(page.locator("#sc-running-total")).to_have_text("10.000,00 €")
    page.fill("#id_selections-0-amount", "25.400,00")
    expect(page.locator("#sc-running-total")).to_have_text("25.400,00 €")
    expect(page.locator("#sc-remaining")).to_have_text("1.924.600,00 €")
    page.check("#id_selections-0-DELETE")
    expect(page.locator("#sc-running-total")).to_have_text("0,00 €")
    screenshot(page, SHOTS / "admin-draft-typed.png", full_page=True)

    # An event's JSON carries hashes and lists with no space to break at (an import's SHA-256s, the
    # reference data's keys): the «after» column pushed the page ~600 px past a 1366-pixel screen.
    audit.record(
        action="programme.update",
        channel=Channel.ADMIN,
        actor=officer,
        obj=programme,
        after={"keys": ",".join(f"{n:04d}" for n in range(300)), "content_hash": "a" * 64},
    )
    page.goto("/reports/audit-trail/")
    expect(page.locator("main, #content").first).to_contain_text("0299")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
