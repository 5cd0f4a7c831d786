"""The money chain in a real browser (issue 14): the clerk enters a contract and declares an invoice in
the portal, an officer verifies it and prepares a payment in the admin, an approver authorises it, and
the portal shows it paid. Every new portal page passes axe-core at 1366×768, in Greek and English."""

import pytest

from grants.models import DeclarationState, ExpenditureDeclaration, Payment, PaymentState
from tests.conftest import PASSWORD
from tests.delivery.conftest import included_a  # noqa: F401 (fixture)
from tests.portal import test_browser as tb

sync_api = tb.sync_api
page = tb.page  # the fixture: Chromium with the CSP listener
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, path):
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={path}")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", PASSWORD)
    page.locator("main [type=submit]").click()
    page.wait_for_url(f"**{path}")


def submit(page):
    page.locator("#main form [type=submit], #content form [type=submit]").first.click()


def test_clerk_contract_declaration_verified_paid(page, request, kalamata_user, officer, approver):
    application = request.getfixturevalue("included_a")
    expect = sync_api.expect
    page.set_viewport_size({"width": 1366, "height": 768})
    steps = tb.Steps(page)
    money = f"/portal/applications/{application.pk}/money/"

    # The clerk finds the money chain from the home page (Greek by default).
    sign_in(page, kalamata_user, "/portal/")
    page.get_by_role("link", name="Συμβάσεις, δαπάνες και πληρωμές").click()
    page.wait_for_url(f"**{money}")
    steps.check("money-empty-el")

    # A contract: a wrong ΑΦΜ is refused with the reason at the field, then accepted.
    page.get_by_role("link", name="Καταχώριση σύμβασης").click()
    steps.check("contract-form-el")
    page.select_option("#id_project", "T01")
    page.fill("#id_contractor_name", "ΨΗΦΙΑΚΕΣ ΛΥΣΕΙΣ Α.Ε.")
    page.fill("#id_contractor_afm", "094014202")
    page.fill("#id_amount", "25.000,00")
    page.fill("#id_signed_on", "01/09/2025")
    page.fill("#id_adam", "25symv000000123")
    page.select_option("#id_procedure", "open")
    submit(page)
    expect(page.locator("#id_contractor_afm_error")).to_contain_text("ψηφίο ελέγχου")
    steps.check("contract-refused-el")
    page.fill("#id_contractor_afm", "094014201")
    submit(page)
    page.wait_for_url(f"**{money}")
    expect(page.locator("#contracts")).to_contain_text("25SYMV000000123")

    # An invoice against it, in English this time.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Declare an invoice").click()
    steps.check("declaration-form-en")
    page.fill("#id_invoice_number", "ΤΠΥ-118")
    page.fill("#id_invoice_date", "15/10/2025")
    page.fill("#id_amount", "10.000,00")
    submit(page)
    page.wait_for_url(f"**{money}")
    expect(page.locator(".declaration-status")).to_have_text("Declared")
    steps.check("money-declared-en")
    declaration = ExpenditureDeclaration.objects.get(invoice_number="ΤΠΥ-118")

    # The officer verifies it in the admin and prepares a payment.
    sign_in(page, officer, f"/admin/grants/expendituredeclaration/{declaration.pk}/change/")
    page.locator(".sc-money-actions a.button").first.click()
    page.fill("#id_accepted_amount", "10.000,00")
    submit(page)
    page.wait_for_url(f"**/expendituredeclaration/{declaration.pk}/change/")
    assert ExpenditureDeclaration.objects.get(pk=declaration.pk).state == DeclarationState.VERIFIED
    page.goto("/admin/grants/payment/prepare/")
    # The operation is typed and chosen from the admin's autocomplete (every included operation
    # would be 20,000 options at EU scale).
    page.locator("#id_application + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("ΚΑΛΑΜΑΤ")
    page.locator(".select2-results__option", has_text="ΚΑΛΑΜΑΤ").first.click()
    expect(page.locator("#id_application")).to_have_value(str(application.pk))
    page.fill("#id_amount", "10.000,00")
    page.fill("#id_reference", "ΤΧΣ-2025-77")
    submit(page)
    payment = Payment.objects.get(reference="ΤΧΣ-2025-77")
    page.wait_for_url(f"**/payment/{payment.pk}/change/")

    # Another person, the approver, authorises it.
    sign_in(page, approver, f"/admin/grants/payment/{payment.pk}/change/")
    page.locator(".sc-money-actions a.button").first.click()
    page.fill("#id_paid_on", "20/11/2025")
    submit(page)
    page.wait_for_url(f"**/payment/{payment.pk}/change/")
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.AUTHORISED

    # The clerk sees it paid.
    sign_in(page, kalamata_user, money)
    expect(page.locator(".payment-status")).to_have_text("Καταβλήθηκε")
    expect(page.locator("#total-paid")).to_have_text("10.000,00 €")
    steps.check("money-paid-el")
    page.get_by_role("button", name="English").click()
    expect(page.locator(".payment-status")).to_have_text("Paid")
    steps.check("money-paid-en")


def test_absorption_pages_fit_and_pass_axe(page, request, kalamata_user, officer, auditor):
    """The dashboard's absorption chart with its table, and the report, for an auditor at 1366×768."""
    from tests.delivery.conftest import make_contract, make_declaration

    application = request.getfixturevalue("included_a")
    contract = make_contract(application, kalamata_user)
    make_declaration(contract, kalamata_user, "1000.00")
    page.set_viewport_size({"width": 1366, "height": 768})
    steps = tb.Steps(page)
    sign_in(page, auditor, "/reports/")
    sync_api.expect(page.locator(".absorption-table")).to_contain_text("30.000,00 €")
    steps.check("dashboard-absorption")
    for group in ("operation", "region"):
        page.goto(f"/reports/absorption/?group={group}")
        sync_api.expect(page.locator("main, #content, body").first).to_contain_text("30.000,00 €")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, group
        steps.check(f"absorption-{group}")
