"""The money chain's pages: the portal (the municipality's) and the admin (the officers', approvers'
and auditors'), for every role on every new URL, and the forms through the real services."""

import pytest
from django.urls import reverse

from grants.models import Contract, DeclarationState, ExpenditureDeclaration, Payment, PaymentState


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def test_every_money_url_is_tested():
    from tests.portal.test_views import MONEY

    assert {name for name in MONEY} == {"money", "contract_new", "declaration_new"}
    world = {"application": type("A", (), {"pk": 1})}
    assert len(portal_urls(world)) == len(MONEY)


def portal_urls(world):
    pk = world["application"].pk
    return [
        reverse("portal:money", args=[pk]),
        reverse("portal:contract_new", args=[pk]),
        reverse("portal:declaration_new", args=[pk]),
    ]


ROLE_NAMES = ["anonymous", "kalamata_user", "pyli_user", "officer", "approver", "auditor"]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_portal_pages_by_role(client, request, money_a, role):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    login(client, user)
    for url in portal_urls(money_a):
        response = client.get(url)
        expected = {
            "anonymous": 302,
            "kalamata_user": 200,
            "pyli_user": 404,
            "officer": 302,
            "approver": 302,
            "auditor": 302,
        }[role]
        assert response.status_code == expected, (url, role)
        if role == "anonymous":
            assert "/login" in response["Location"] or "login" in response["Location"]
        elif expected == 302:
            assert response["Location"].startswith("/admin")


def test_portal_money_page_of_a_draft_is_404(client, kalamata_user, programme, kalamata):
    from grants import services

    application, _ = services.application_get_or_create(programme=programme, municipality=kalamata)
    login(client, kalamata_user)
    assert client.get(reverse("portal:money", args=[application.pk])).status_code == 404


def test_portal_shows_totals_and_states(client, kalamata_user, money_a):
    login(client, kalamata_user)
    page = client.get(reverse("portal:money", args=[money_a["application"].pk])).content.decode()
    for text in (
        "30.000,00",
        "15.000,00",
        "9.000,00",
        "4.000,00",
        money_a["contract"].adam,
        "Μη επιλέξιμος ΦΠΑ",
    ):
        assert text in page, text


def test_portal_contract_and_declaration_forms(client, kalamata_user, money_a):
    app = money_a["application"]
    login(client, kalamata_user)
    url = reverse("portal:contract_new", args=[app.pk])
    data = {
        "project": "T02",
        "contractor_name": "ΤΕΧΝΙΚΗ Α.Ε.",
        "contractor_afm": "094014202",
        "amount": "12.500,00",
        "signed_on": "01/10/2025",
        "adam": "25SYMV000000901",
        "procedure": "open",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert Contract.objects.count() == 1
    response = client.post(url, {**data, "contractor_afm": "094014201"})
    assert response.status_code == 302
    contract = Contract.objects.get(adam="25SYMV000000901")
    assert contract.amount == 12500
    url = reverse("portal:declaration_new", args=[app.pk])
    invoice = {
        "contract": contract.pk,
        "invoice_number": "ΤΔΑ-77",
        "invoice_date": "02/10/2025",
        "amount": "12.500,01",
    }
    response = client.post(url, invoice)
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    response = client.post(url, {**invoice, "amount": "12.500,00"})
    assert response.status_code == 302
    assert ExpenditureDeclaration.objects.get(invoice_number="ΤΔΑ-77").state == DeclarationState.SUBMITTED


# --- admin -------------------------------------------------------------------------------------


def admin_urls(world):
    return [
        reverse("admin:grants_contract_changelist"),
        reverse("admin:grants_contract_change", args=[world["contract"].pk]),
        reverse("admin:grants_expendituredeclaration_changelist"),
        reverse("admin:grants_expendituredeclaration_change", args=[world["pending"].pk]),
        reverse("admin:grants_payment_changelist"),
        reverse("admin:grants_payment_change", args=[world["prepared"].pk]),
    ]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_admin_pages_by_role(client, request, money_a, role):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    login(client, user)
    for url in admin_urls(money_a):
        response = client.get(url)
        if role in ("officer", "approver", "auditor"):
            assert response.status_code == 200, (url, role)
        else:
            assert response.status_code == 302 and "login" in response["Location"], (url, role)
    prepare = client.get(reverse("admin:grants_payment_prepare"))
    assert prepare.status_code == {"officer": 200, "approver": 403, "auditor": 403}.get(role, 302)


def test_officer_verifies_in_the_admin_and_auditor_cannot(client, money_a, officer, auditor):
    pending = money_a["pending"]
    url = reverse("admin:grants_expendituredeclaration_act", args=[pending.pk, "verify"])
    login(client, auditor)
    page = client.get(url)
    assert page.status_code == 200 and "sc-reason" in page.content.decode()
    client.post(url, {"accepted_amount": "5.000,00", "note": ""})
    assert ExpenditureDeclaration.objects.get(pk=pending.pk).state == DeclarationState.SUBMITTED
    client.logout()
    login(client, officer)
    response = client.post(url, {"accepted_amount": "4.000,00", "note": ""})
    assert response.status_code == 200  # a cut without a note: the form says why
    assert ExpenditureDeclaration.objects.get(pk=pending.pk).state == DeclarationState.SUBMITTED
    response = client.post(url, {"accepted_amount": "5.000,00", "note": ""})
    assert response.status_code == 302
    assert ExpenditureDeclaration.objects.get(pk=pending.pk).state == DeclarationState.VERIFIED


def test_payment_prepared_and_authorised_in_the_admin(client, money_a, officer, approver):
    login(client, officer)
    response = client.post(
        reverse("admin:grants_payment_prepare"),
        {"application": money_a["application"].pk, "amount": "3.000,01", "reference": "ΑΔΜ-1", "note": ""},
    )
    assert response.status_code == 200 and not Payment.objects.filter(reference="ΑΔΜ-1").exists()
    response = client.post(
        reverse("admin:grants_payment_prepare"),
        {"application": money_a["application"].pk, "amount": "3.000,00", "reference": "ΑΔΜ-1", "note": ""},
    )
    assert response.status_code == 302
    payment = Payment.objects.get(reference="ΑΔΜ-1")
    url = reverse("admin:grants_payment_act", args=[payment.pk, "authorise"])
    client.post(url, {"paid_on": "20/12/2025", "note": ""})  # the preparer is no approver
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.PREPARED
    client.logout()
    login(client, approver)
    assert client.post(url, {"paid_on": "20/12/2025", "note": ""}).status_code == 302
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.AUTHORISED
