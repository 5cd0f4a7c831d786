"""An independent review of issue 14 as an attacker and as an auditor: another municipality's
records through every URL, four eyes on payments and amendments, sums overshot, auditors writing,
bad input, and the absorption report's totals against the records."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from grants.delivery import amendments, payments
from grants.models import Contract, ExpenditureDeclaration, Payment, PaymentState
from tests.api.conftest import client_for
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_municipality_user,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)

from .conftest import included_application, make_contract, make_declaration, next_adam, valid_afm

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(module_db):
    """Kalamata's included operation and the accounts, built once for the module (tests/conftest.py:
    module_db), in the order the tests' fixtures made them; what only some tests ask for (the money
    records, Pyli's operation, officer2, the officer-approver) is still made by each of those tests."""
    with module_db.unblock(), translation.override("en"):
        region = make_region()
        regional_unit = make_regional_unit(region)
        built = {"region": region, "regional_unit": regional_unit, "programme": make_programme()}
        built["kalamata"], built["pyli"] = make_kalamata(regional_unit), make_pyli(regional_unit)
        built["catalogue"] = make_catalogue(make_category())
        built["officer"], built["approver"] = make_staff("officer"), make_staff("approver")
        built["included_a"] = included_application(
            built["programme"], built["kalamata"], built["catalogue"][:2], built["officer"], built["approver"]
        )
        built["kalamata_user"] = make_municipality_user("kalamata", built["kalamata"])
        built["pyli_user"] = make_municipality_user("pyli", built["pyli"])
        built["auditor"] = make_staff("auditor")
    return built


(
    region,
    regional_unit,
    programme,
    kalamata,
    pyli,
    catalogue,
    officer,
    approver,
    included_a,
    kalamata_user,
    pyli_user,
    auditor,
) = (
    per_test(name, "built")
    for name in (
        "region",
        "regional_unit",
        "programme",
        "kalamata",
        "pyli",
        "catalogue",
        "officer",
        "approver",
        "included_a",
        "kalamata_user",
        "pyli_user",
        "auditor",
    )
)

PAST = "2025-11-01"


def _api(app):
    return f"/api/v1/applications/{app.pk}/"


def _record_urls(money):
    app = money["application"]
    base = _api(app)
    return [
        f"{base}contracts/",
        f"{base}contracts/{money['contract'].pk}/",
        f"{base}contracts/{money['contract'].pk}/transitions/",
        f"{base}declarations/",
        f"{base}declarations/{money['pending'].pk}/",
        f"{base}declarations/{money['pending'].pk}/transitions/",
        f"{base}payments/",
        f"{base}payments/{money['prepared'].pk}/",
        f"{base}payments/{money['prepared'].pk}/transitions/",
        f"{base}decisions/",
        f"{base}amendments/",
        f"{base}progress/",
        f"{base}indicators/",
    ]


# --- (a) another municipality ---------------------------------------------------------------------


def test_other_municipality_gets_404_on_every_api_url(money_a, pyli_user):
    client = client_for(pyli_user)
    for url in _record_urls(money_a):
        assert client.get(url).status_code == 404, url
        if not url.endswith("decisions/"):  # read-only: 405 whatever the id, which reveals nothing
            assert client.post(url, {}, format="json").status_code == 404, url
    for url in _record_urls(money_a)[1::3][:2]:
        assert client.patch(url, {"amount": "1.00"}, format="json").status_code == 404, url
    assert Contract.objects.get(pk=money_a["contract"].pk).amount == Decimal("30000.00")


def test_other_municipality_gets_404_on_every_portal_url(money_a, pyli_user):
    client = Client()
    client.force_login(pyli_user)
    pk = money_a["application"].pk
    for tail in (
        "money/",
        "contracts/new/",
        "declarations/new/",
        "operation/",
        "amendments/new/",
        "progress/",
        "indicators/report/",
    ):
        url = f"/portal/applications/{pk}/{tail}"
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"amount": "1"}).status_code == 404, url
    assert Contract.objects.filter(application_id=pk).count() == 1


def test_other_municipalitys_contract_cannot_be_declared_against(money_a, included_b, pyli_user):
    client = client_for(pyli_user)
    response = client.post(
        f"{_api(included_b)}declarations/",
        {
            "contract": money_a["contract"].pk,
            "invoice_number": "Χ-1",
            "invoice_date": PAST,
            "amount": "10.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "contract" in response.json()


# --- (b) four eyes --------------------------------------------------------------------------------


def test_payment_preparer_cannot_authorise_it_through_the_api(money_a, officer_approver):
    app = money_a["application"]
    client = client_for(officer_approver)
    # free: verified 9000 − paid 4000 − prepared 2000 = 3000
    created = client.post(f"{_api(app)}payments/", {"amount": "1000.00", "reference": "Ρ-1"}, format="json")
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    response = client.post(
        f"{_api(app)}payments/{pid}/transitions/", {"action": "authorise", "paid_on": PAST}, format="json"
    )
    assert response.status_code == 409
    assert Payment.objects.get(pk=pid).state == PaymentState.PREPARED


def test_amendment_proposer_cannot_approve_it_through_the_api(included_a, officer_approver, kalamata_user):
    app = included_a
    client = client_for(officer_approver)
    created = client.post(
        f"{_api(app)}amendments/", {"justification": "Νέο τέλος", "end_date": "2027-06-30"}, format="json"
    )
    assert created.status_code == 201, created.content
    aid = created.json()["id"]
    url = f"{_api(app)}amendments/{aid}/transitions/"
    assert client.post(url, {"action": "propose"}, format="json").status_code == 200
    response = client.post(
        url,
        {"action": "approve", "decision_ada": "ΨΞΤΡ46ΜΤΛ6-ΑΒΓ", "decision_date": PAST},
        format="json",
    )
    assert response.status_code == 409
    app.refresh_from_db()
    assert app.end_date != datetime.date(2027, 6, 30)


# --- (c) sums -------------------------------------------------------------------------------------


def test_contracts_cannot_exceed_the_selection(included_a, kalamata_user):
    client = client_for(kalamata_user)
    body = {
        "project": "T01",
        "contractor_name": "Α",
        "contractor_afm": valid_afm(),
        "amount": "60000.01",
        "signed_on": PAST,
        "adam": next_adam(),
        "procedure": "open",
    }
    response = client.post(f"{_api(included_a)}contracts/", body, format="json")
    assert response.status_code == 400 and "amount" in response.json()
    assert not Contract.objects.exists()


def test_declarations_cannot_exceed_the_contract(money_a, kalamata_user):
    # contract 30000: declared 10000 + 5000 pending (1000 rejected) → 15000 free
    body = {"contract": money_a["contract"].pk, "invoice_number": "Ν-1", "invoice_date": PAST}
    client = client_for(kalamata_user)
    url = f"{_api(money_a['application'])}declarations/"
    response = client.post(url, {**body, "amount": "15000.01"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()
    assert client.post(url, {**body, "amount": "15000.00"}, format="json").status_code == 201


def test_two_prepared_payments_cannot_both_be_authorised_above_verified(money_a, officer, officer2, approver):
    app = money_a["application"]
    # free 3000: two preparations of 2000 — the second must be refused at preparation
    payments.payment_prepare(application=app, amount="2000.00", reference="Α", actor=officer)
    response = client_for(officer2).post(
        f"{_api(app)}payments/", {"amount": "2000.00", "reference": "Β"}, format="json"
    )
    assert response.status_code == 400 and "amount" in response.json()
    paid = Payment.objects.filter(application=app).exclude(state=PaymentState.CANCELLED)
    assert sum(p.amount for p in paid) <= payments.verified_total(app.pk)


def test_amendment_cannot_lower_a_project_below_its_contracts(money_a, kalamata_user):
    app = money_a["application"]
    response = client_for(kalamata_user).post(
        f"{_api(app)}amendments/",
        {
            "justification": "Μείωση",
            "selections": [
                {"project": "T01", "amount": "29999.99"},
                {"project": "T02", "amount": "40000.00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "selections" in response.json()


def test_amendment_cannot_lower_the_budget_below_contracts(money_a, kalamata_user):
    response = client_for(kalamata_user).post(
        f"{_api(money_a['application'])}amendments/",
        {"justification": "Μείωση", "budget": "29999.99"},
        format="json",
    )
    assert response.status_code == 400
    assert "budget" in response.json()


# --- (d) auditors read, never write ---------------------------------------------------------------


def test_auditor_cannot_write_through_the_api(money_a, auditor):
    client = client_for(auditor)
    base = _api(money_a["application"])
    writes = [
        ("post", f"{base}contracts/", {"project": "T01", "amount": "1.00"}),
        ("patch", f"{base}contracts/{money_a['contract'].pk}/", {"amount": "1.00"}),
        ("post", f"{base}contracts/{money_a['contract'].pk}/transitions/", {"action": "check"}),
        ("post", f"{base}declarations/", {"amount": "1.00"}),
        ("patch", f"{base}declarations/{money_a['pending'].pk}/", {"amount": "1.00"}),
        (
            "post",
            f"{base}declarations/{money_a['pending'].pk}/transitions/",
            {"action": "verify", "accepted_amount": "5000.00"},
        ),
        ("post", f"{base}payments/", {"amount": "1.00", "reference": "Χ"}),
        ("post", f"{base}payments/{money_a['prepared'].pk}/transitions/", {"action": "cancel"}),
        ("post", f"{base}amendments/", {"justification": "x", "end_date": "2027-01-01"}),
        ("post", f"{base}progress/", {"project": "T01", "stage": "procurement", "date": PAST}),
        ("post", f"{base}indicators/", {"code": "RCO14", "target": 5}),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code in (403, 405), (url, response.status_code)
    assert client.get(f"{base}contracts/").status_code == 200
    assert ExpenditureDeclaration.objects.get(pk=money_a["pending"].pk).state == "submitted"
    assert Payment.objects.get(pk=money_a["prepared"].pk).state == PaymentState.PREPARED


def test_auditor_cannot_write_through_the_admin(money_a, auditor):
    client = Client()
    client.force_login(auditor)
    contract = money_a["contract"]
    for model in ("contract", "expendituredeclaration", "payment", "amendment"):
        add = client.post(f"/admin/grants/{model}/add/", {})
        assert add.status_code in (302, 403), (model, add.status_code)
    response = client.post(f"/admin/grants/contract/{contract.pk}/change/", {"amount": "1.00"})
    assert response.status_code in (302, 403)
    assert Contract.objects.get(pk=contract.pk).amount == Decimal("30000.00")


# --- (e) bad input --------------------------------------------------------------------------------

CONTRACT_OK = {
    "project": "T02",
    "contractor_name": "ΨΗΦΙΑΚΑ Α.Ε.",
    "amount": "100.00",
    "signed_on": PAST,
    "procedure": "open",
}


@pytest.mark.parametrize(
    "field,value",
    [
        ("contractor_afm", "123456789"),
        ("contractor_afm", "abc"),
        ("adam", "24XXXX014588301"),
        ("adam", "ΑΔΑΜ"),
        ("amount", "-5.00"),
        ("amount", "0"),
        ("amount", "1e30"),
        ("amount", "999999999999999999.00"),
        ("amount", "πολλά"),
        ("amount", "10.001"),
        ("signed_on", "2099-01-01"),
        ("signed_on", "χθες"),
        ("procedure", "secret"),
        ("project", "NOPE"),
    ],
)
def test_bad_contract_input_is_a_400_naming_the_field(included_a, kalamata_user, field, value):
    body = {**CONTRACT_OK, "contractor_afm": valid_afm(), "adam": next_adam(), field: value}
    response = client_for(kalamata_user).post(f"{_api(included_a)}contracts/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Contract.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("amount", "-1"),
        ("amount", "1e30"),
        ("amount", "πολλά"),
        ("invoice_date", "2099-01-01"),
        ("invoice_date", "2020-01-01"),  # before the contract's signature
        ("invoice_date", "όχι"),
        ("contract", "abc"),
        ("contract", 999999),
    ],
)
def test_bad_declaration_input_is_a_400_naming_the_field(money_a, kalamata_user, field, value):
    before = ExpenditureDeclaration.objects.count()
    body = {
        "contract": money_a["contract"].pk,
        "invoice_number": "Κ-1",
        "invoice_date": PAST,
        "amount": "10.00",
        field: value,
    }
    response = client_for(kalamata_user).post(
        f"{_api(money_a['application'])}declarations/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert ExpenditureDeclaration.objects.count() == before


@pytest.mark.parametrize("value", ["-1", "0", "1e30", "πολλά", "3000.01"])
def test_bad_payment_amount_is_a_400(money_a, officer2, value):
    before = Payment.objects.count()
    response = client_for(officer2).post(
        f"{_api(money_a['application'])}payments/", {"amount": value, "reference": "Ρ"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "amount" in response.json()
    assert Payment.objects.count() == before


@pytest.mark.parametrize("value", ["2099-01-01", "όχι"])
def test_bad_paid_on_is_a_400(money_a, approver, value):
    prepared = money_a["prepared"]
    response = client_for(approver).post(
        f"{_api(money_a['application'])}payments/{prepared.pk}/transitions/",
        {"action": "authorise", "paid_on": value},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "paid_on" in response.json()
    assert Payment.objects.get(pk=prepared.pk).state == PaymentState.PREPARED


@pytest.mark.parametrize("field,value", [("target", -1), ("target", "πολλοί")])
def test_bad_indicator_input_is_a_400(included_a, officer, field, value):
    response = client_for(officer).post(
        f"{_api(included_a)}indicators/", {"code": "RCO14", field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("value", [-1, "πολλοί"])
def test_bad_achieved_value_is_a_400(included_a, kalamata_user, value):
    response = client_for(kalamata_user).post(
        f"{_api(included_a)}indicators/",
        {"code": "RCR11", "achieved": value, "measured_on": PAST, "evidence": "Στατιστικά"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "achieved" in response.json()


def test_achieved_value_measured_in_the_future_is_a_400(included_a, kalamata_user):
    response = client_for(kalamata_user).post(
        f"{_api(included_a)}indicators/",
        {"code": "RCR11", "achieved": 10, "measured_on": "2099-01-01", "evidence": "Στατιστικά"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "measured_on" in response.json()


def test_progress_dated_in_the_future_is_a_400(included_a, kalamata_user):
    response = client_for(kalamata_user).post(
        f"{_api(included_a)}progress/",
        {"project": "T01", "stage": "procurement", "date": "2099-01-01"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "date" in response.json()


@pytest.mark.parametrize(
    "field,value",
    [("budget", "-1"), ("budget", "1e30"), ("budget", "πολλά"), ("selections", [{"project": "T01"}])],
)
def test_bad_amendment_input_is_a_400(included_a, kalamata_user, field, value):
    response = client_for(kalamata_user).post(
        f"{_api(included_a)}amendments/", {"justification": "x", field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    "field,value",
    [
        ("decision_ada", "όχι-αδα"),
        ("decision_date", "2099-01-01"),  # was accepted: a decision dated in the future
        ("decision_date", "2024-01-01"),  # was accepted: before the inclusion of 2025-06-01
        ("decision_date", "χ"),
    ],
)
def test_bad_amendment_approval_is_a_400(included_a, kalamata_user, officer, approver, field, value):
    amendment = amendments.amendment_request(
        application=included_a, justification="Παράταση", end_date="2027-06-30", actor=kalamata_user
    )
    amendments.amendment_transition(amendment, "propose", actor=officer)
    body = {"action": "approve", "decision_ada": "ΨΞΤΡ46ΜΤΛ6-ΑΒΓ", "decision_date": PAST, field: value}
    response = client_for(approver).post(
        f"{_api(included_a)}amendments/{amendment.pk}/transitions/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    included_a.refresh_from_db()
    assert included_a.end_date != datetime.date(2027, 6, 30)


# --- (f) the absorption report --------------------------------------------------------------------


def test_absorption_totals_equal_the_records_scoped_for_a_municipality(
    money_a, included_b, kalamata_user, pyli_user
):
    contract_b = make_contract(included_b, pyli_user, project="T03", amount="5000.00")
    make_declaration(contract_b, pyli_user, "700.00")
    for user, app, expect in (
        (kalamata_user, money_a["application"], ("30000.00", "15000.00", "9000.00", "4000.00")),
        (pyli_user, included_b, ("5000.00", "700.00", "0.00", "0.00")),
    ):
        response = client_for(user).get("/api/v1/reports/absorption/?group=operation")
        assert response.status_code == 200
        rows = response.json()
        rows = rows.get("results", rows) if isinstance(rows, dict) else rows
        assert len(rows) == 1, rows
        row = rows[0]
        assert (row["contracted"], row["declared"], row["verified"], row["paid"]) == expect
        assert row["current_budget"] == f"{app.budget:.2f}"


# --- round two: the admin's four eyes, changes after the fact, verification input ------------------


def test_payment_preparer_cannot_authorise_it_in_the_admin(money_a, officer_approver):
    client = Client()
    client.force_login(officer_approver)
    app = money_a["application"]
    response = client.post(
        "/admin/grants/payment/prepare/",
        {"application": app.pk, "amount": "1000.00", "reference": "Α-1", "note": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    payment = Payment.objects.get(reference="Α-1")
    client.post(f"/admin/grants/payment/{payment.pk}/act/authorise/", {"paid_on": PAST, "note": ""})
    assert Payment.objects.get(pk=payment.pk).state == PaymentState.PREPARED


def test_amendment_proposer_cannot_approve_it_in_the_admin(included_a, kalamata_user, officer_approver):
    amendment = amendments.amendment_request(
        application=included_a, justification="Παράταση", end_date="2027-06-30", actor=kalamata_user
    )
    client = Client()
    client.force_login(officer_approver)
    url = f"/admin/grants/amendment/{amendment.pk}/action/"
    client.post(f"{url}propose/", {"propose-note": ""})
    amendment.refresh_from_db()
    assert amendment.proposed_by_id == officer_approver.pk
    client.post(
        f"{url}approve/",
        {"approve-decision_ada": "ΨΞΤΡ46ΜΤΛ6-ΑΒΓ", "approve-decision_date": "01/11/2025", "approve-note": ""},
    )
    amendment.refresh_from_db()
    assert amendment.state != "approved"
    included_a.refresh_from_db()
    assert included_a.end_date != datetime.date(2027, 6, 30)


@pytest.mark.parametrize("value", ["-1", "πολλά", "1e30", "10000.01"])
def test_bad_accepted_amount_is_a_400(money_a, officer, value):
    pending = money_a["pending"]
    response = client_for(officer).post(
        f"{_api(money_a['application'])}declarations/{pending.pk}/transitions/",
        {"action": "verify", "accepted_amount": value, "note": "περικοπή"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "accepted_amount" in response.json()
    assert ExpenditureDeclaration.objects.get(pk=pending.pk).state == "submitted"


def test_municipality_cannot_set_its_own_indicator_target(included_a, kalamata_user):
    response = client_for(kalamata_user).post(
        f"{_api(included_a)}indicators/", {"code": "RCO14", "target": 1}, format="json"
    )
    assert response.status_code in (403, 409), response.content
    rows = client_for(kalamata_user).get(f"{_api(included_a)}indicators/").json()
    assert all(r["target"] is None for r in rows)


def test_contract_signature_cannot_move_after_its_invoices(money_a, kalamata_user):
    # The invoices against it are dated 2025-10-01: the contract cannot be signed after them.
    contract = money_a["contract"]
    response = client_for(kalamata_user).patch(
        f"{_api(money_a['application'])}contracts/{contract.pk}/", {"signed_on": "2025-11-01"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "signed_on" in response.json()
    assert Contract.objects.get(pk=contract.pk).signed_on == datetime.date(2025, 9, 1)


@pytest.mark.parametrize("group", ["municipality", "region", "programme"])
def test_absorption_groups_are_scoped_for_a_municipality(money_a, included_b, pyli_user, group):
    make_contract(included_b, pyli_user, project="T03", amount="5000.00")
    response = client_for(pyli_user).get(f"/api/v1/reports/absorption/?group={group}")
    assert response.status_code == 200
    rows = response.json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    assert [(r["contracted"], r["paid"]) for r in rows] == [("5000.00", "0.00")]


# --- round three: side doors ----------------------------------------------------------------------


def test_selections_of_an_included_operation_cannot_be_changed_outside_an_amendment(
    money_a, kalamata_user, officer
):
    app = money_a["application"]
    selection = app.selections.get(project__code="T01")
    for user in (kalamata_user, officer):
        client = client_for(user)
        url = f"{_api(app)}selections/{selection.pk}/"
        assert client.patch(url, {"amount": "1.00"}, format="json").status_code in (400, 403, 405, 409)
        assert client.delete(url).status_code in (400, 403, 405, 409)
    selection.refresh_from_db()
    assert selection.amount == Decimal("60000.00")


@pytest.mark.parametrize(
    "field,value",
    [
        ("contractor_afm", "123456789"),
        ("adam", "24XXXX014588301"),
        ("amount", "-5"),
        ("amount", "πολλά"),
        ("signed_on", "01/01/2099"),
    ],
)
def test_bad_contract_input_in_the_portal_changes_nothing(included_a, kalamata_user, field, value):
    client = Client()
    client.force_login(kalamata_user)
    body = {
        "project": "T01",
        "contractor_name": "ΨΗΦΙΑΚΑ Α.Ε.",
        "contractor_afm": valid_afm(),
        "amount": "100,00",
        "signed_on": "01/11/2025",
        "adam": next_adam(),
        "procedure": "open",
        field: value,
    }
    response = client.post(f"/portal/applications/{included_a.pk}/contracts/new/", body)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Contract.objects.exists()


def test_records_are_reached_only_under_their_own_operation(money_a, included_b, pyli_user, officer):
    contract_b = make_contract(included_b, pyli_user, project="T03", amount="5000.00")
    declaration_b = make_declaration(contract_b, pyli_user, "700.00")
    base_a = _api(money_a["application"])
    client = client_for(officer)
    assert client.get(f"{base_a}contracts/{contract_b.pk}/").status_code == 404
    response = client.post(
        f"{base_a}declarations/{declaration_b.pk}/transitions/",
        {"action": "verify", "accepted_amount": "700.00"},
        format="json",
    )
    assert response.status_code == 404
    assert ExpenditureDeclaration.objects.get(pk=declaration_b.pk).state == "submitted"


def test_huge_ids_are_refused_not_a_server_error(money_a, kalamata_user):
    client = client_for(kalamata_user)
    base = _api(money_a["application"])
    response = client.post(
        f"{base}declarations/",
        {"contract": 10**20, "invoice_number": "Χ", "invoice_date": PAST, "amount": "1.00"},
        format="json",
    )
    assert response.status_code == 400
    assert "contract" in response.json()
    assert client.get(f"{base}contracts/{10**20}/").status_code == 404
    assert client.get(f"/api/v1/applications/{10**20}/contracts/").status_code == 404


def test_auditor_cannot_act_in_the_admin(money_a, auditor):
    client = Client()
    client.force_login(auditor)
    prepared, pending = money_a["prepared"], money_a["pending"]
    client.post(f"/admin/grants/payment/{prepared.pk}/act/authorise/", {"paid_on": PAST, "note": ""})
    client.post(f"/admin/grants/payment/{prepared.pk}/act/cancel/", {"note": "x"})
    client.post(
        f"/admin/grants/expendituredeclaration/{pending.pk}/act/verify/",
        {"accepted_amount": "5000,00", "note": ""},
    )
    assert Payment.objects.get(pk=prepared.pk).state == PaymentState.PREPARED
    assert ExpenditureDeclaration.objects.get(pk=pending.pk).state == "submitted"


def test_payment_cannot_be_dated_before_the_inclusion(money_a, approver):
    # The operation was included on 2025-06-01: nothing can have been paid for it before.
    prepared = money_a["prepared"]
    response = client_for(approver).post(
        f"{_api(money_a['application'])}payments/{prepared.pk}/transitions/",
        {"action": "authorise", "paid_on": "2020-01-01"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "paid_on" in response.json()
    assert Payment.objects.get(pk=prepared.pk).state == PaymentState.PREPARED


def test_amendment_approval_rechecks_contracts_signed_after_the_request(
    included_a, kalamata_user, officer, approver
):
    # Requested while T01 had no contract; a contract of 40,000 then signed; approving 35,000 for T01
    # would leave the project below its contracts: a 409, and nothing changes.
    app = included_a
    client = client_for(kalamata_user)
    created = client.post(
        f"{_api(app)}amendments/",
        {
            "justification": "Μείωση",
            "selections": [
                {"project": "T01", "amount": "35000.00"},
                {"project": "T02", "amount": "40000.00"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"{_api(app)}amendments/{created.json()['id']}/transitions/"
    assert client_for(officer).post(url, {"action": "propose"}, format="json").status_code == 200
    make_contract(app, kalamata_user, project="T01", amount="40000.00")
    response = client_for(approver).post(
        url, {"action": "approve", "decision_ada": "ΨΞΤΡ46ΜΤΛ6-ΑΒΓ", "decision_date": PAST}, format="json"
    )
    assert response.status_code == 409, response.content
    assert app.selections.get(project__code="T01").amount == Decimal("60000.00")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"project": "T03", "stage": "procurement", "date": PAST}, "project"),  # not selected here
        ({"project": "T01", "stage": "flying", "date": PAST}, "stage"),
        ({"project": "T01", "stage": "procurement", "date": "όχι"}, "date"),
    ],
)
def test_bad_progress_input_is_a_400(included_a, kalamata_user, body, field):
    response = client_for(kalamata_user).post(f"{_api(included_a)}progress/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    rows = client_for(kalamata_user).get(f"{_api(included_a)}progress/").json()
    assert all(r["procurement_on"] is None for r in rows)
