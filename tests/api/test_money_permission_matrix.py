"""Every money endpoint × method × role (issue 14), on municipality A's included operation with a
contract, declarations in each state and payments: another municipality gets 404, the auditor reads
and never writes, each write belongs to one role. tests/api/test_permission_matrix.py requires a rule
here for every route of grants.api.views_money."""

import pytest
from django.db import transaction
from django.urls import reverse

from grants.models import Contract, ExpenditureDeclaration, Payment
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_programme,
    make_pyli,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)
from tests.delivery.conftest import included_application, make_money_a

from .conftest import ROLES, make_role_users


def status(anon, a, b, officer, approver, auditor):
    return dict(zip(ROLES, (anon, a, b, officer, approver, auditor), strict=True))


READ = status(401, 200, 404, 200, 200, 200)
MUNICIPALITY_WRITES = status(401, 201, 404, 403, 403, 403)
MUNICIPALITY_CHANGES = status(401, 200, 404, 403, 403, 403)

CONTRACT = {
    "project": "T02",
    "contractor_name": "ΕΡΓΟΛΗΠΤΙΚΗ Ο.Ε.",
    "contractor_afm": "094014201",
    "amount": "1000.00",
    "signed_on": "2025-09-01",
    "adam": "25SYMV000000777",
    "procedure": "direct_award",
}

# (url name, method): (expected status by role, request body or None)
MONEY_EXPECTED = {
    ("contract-list", "GET"): (READ, None),
    # B is refused by scoping before the role (404); staff do not enter contracts (403).
    ("contract-list", "POST"): (MUNICIPALITY_WRITES, CONTRACT),
    ("contract-detail", "GET"): (READ, None),
    ("contract-detail", "PATCH"): (MUNICIPALITY_CHANGES, {"contractor_name": "ΝΕΟ ΟΝΟΜΑ Α.Ε."}),
    ("contract-transitions", "GET"): (READ, None),
    # Checking is the officer's: A and the approver meet the action's refusal (409).
    ("contract-transitions", "POST"): (status(401, 409, 404, 200, 409, 403), {"action": "check"}),
    ("declaration-list", "GET"): (READ, None),
    (
        "declaration-list",
        "POST",
    ): (
        MUNICIPALITY_WRITES,
        {"contract": "CONTRACT", "invoice_number": "Ν-1", "invoice_date": "2025-11-01", "amount": "100.00"},
    ),
    ("declaration-detail", "GET"): (READ, None),
    ("declaration-detail", "PATCH"): (MUNICIPALITY_CHANGES, {"amount": "4000.00"}),
    ("declaration-transitions", "GET"): (READ, None),
    (
        "declaration-transitions",
        "POST",
    ): (status(401, 409, 404, 200, 409, 403), {"action": "verify", "accepted_amount": "5000.00"}),
    ("payment-list", "GET"): (READ, None),
    ("payment-list", "POST"): (
        status(401, 403, 404, 201, 403, 403),
        {"amount": "100.00", "reference": "Π-9"},
    ),
    ("payment-detail", "GET"): (READ, None),
    ("payment-transitions", "GET"): (READ, None),
    # The approver authorises a payment another officer prepared; the officer is no approver (409).
    (
        "payment-transitions",
        "POST",
    ): (status(401, 409, 404, 409, 200, 403), {"action": "authorise", "paid_on": "2025-12-15"}),
    # Every role reads the report (a municipality its own operations).
    ("report-absorption", "GET"): (status(401, 200, 200, 200, 200, 200), None),
}


@pytest.fixture(scope="module")
def built(module_db):
    """The accounts and A's money records, built once for the module (tests/conftest.py: module_db):
    every test and every role meets them as built, since their writes are rolled back."""
    with module_db.unblock():
        regional_unit = make_regional_unit(make_region())
        programme = make_programme()
        kalamata, pyli = make_kalamata(regional_unit), make_pyli(regional_unit)
        catalogue = make_catalogue(make_category())
        users = make_role_users(kalamata, pyli)
        officer, approver = users["officer"], users["approver"]
        officer2 = make_staff("officer2")
        included_a = included_application(programme, kalamata, catalogue[:2], officer, approver)
        money = make_money_a(included_a, users["municipality_a"], officer, officer2, approver)
    return {
        "users": users,
        "money_a": money,
        "programme": programme,
        "regional_unit": regional_unit,
        "catalogue": catalogue,
    }


users, money_a = per_test("users", "built"), per_test("money_a", "built")


def _kwargs(name, world):
    app = world["application"].pk
    record = {
        "contract": world["contract"].pk,
        "declaration": world["pending"].pk,
        "payment": world["prepared"].pk,
    }
    kind = name.split("-")[0]
    if name == "report-absorption":
        return {}
    if name.endswith("-list"):
        return {"application_pk": app}
    return {"application_pk": app, "pk": record[kind]}


@pytest.mark.parametrize(("name", "method"), sorted(MONEY_EXPECTED))
def test_money_permission_matrix(name, method, clients, request):
    world = request.getfixturevalue("money_a")
    expected, body = MONEY_EXPECTED[(name, method)]
    if isinstance(body, dict) and body.get("contract") == "CONTRACT":
        body = {**body, "contract": world["contract"].pk}
    url = reverse(f"api:{name}", kwargs=_kwargs(name, world))
    answered, details = {}, {}
    for role in ROLES:
        with transaction.atomic():
            response = getattr(clients[role], method.lower())(url, body, format="json")
            transaction.set_rollback(True)
        answered[role] = response.status_code
        details[role] = getattr(response, "data", None)
    assert answered == expected, details


@pytest.mark.parametrize("role", ["municipality_b", "auditor", "approver", "officer", "municipality_a"])
def test_refused_money_writes_change_nothing(role, clients, request):
    world = request.getfixturevalue("money_a")

    def counts():
        return (
            Contract.objects.count(),
            list(ExpenditureDeclaration.objects.order_by("pk").values_list("state", "amount")),
            list(Payment.objects.order_by("pk").values_list("state", "amount")),
        )

    before = counts()
    app = world["application"].pk
    client = clients[role]
    # Each of these is refused for every role (wrong role, or a bad field): nothing may change.
    bad_contract = {**CONTRACT, "contractor_afm": "123456789"}
    client.post(reverse("api:contract-list", kwargs={"application_pk": app}), bad_contract, format="json")
    url = reverse("api:declaration-transitions", kwargs={"application_pk": app, "pk": world["pending"].pk})
    client.post(url, {"action": "verify", "accepted_amount": "1.00"}, format="json")  # a cut without a note
    url = reverse("api:payment-list", kwargs={"application_pk": app})
    client.post(url, {"amount": "999999.00", "reference": "Χ"}, format="json")
    url = reverse("api:payment-transitions", kwargs={"application_pk": app, "pk": world["paid"].pk})
    client.post(url, {"action": "cancel"}, format="json")
    assert counts() == before


def test_api_money_flow_and_errors(clients, request):
    world = request.getfixturevalue("money_a")
    app = world["application"].pk
    a, officer, approver = clients["municipality_a"], clients["officer"], clients["approver"]
    url = reverse("api:contract-list", kwargs={"application_pk": app})
    # 400 naming the field, for each rule.
    for field, bad in {
        "contractor_afm": {"contractor_afm": "094014202"},
        "adam": {"adam": "24-XYZ"},
        "amount": {"amount": "40000.01"},  # T02's 40,000 is the limit
        "project": {"project": "T09"},
    }.items():
        response = a.post(url, {**CONTRACT, **bad}, format="json")
        assert response.status_code == 400 and field in response.data, (field, response.data)
    response = a.post(url, {**CONTRACT, "adam": "25symv000000778", "amount": "40000.00"}, format="json")
    assert response.status_code == 201, response.data
    contract = response.data
    assert (contract["adam"], contract["amount"], contract["declared"]) == (
        "25SYMV000000778",
        "40000.00",
        "0.00",
    )

    url = reverse("api:declaration-list", kwargs={"application_pk": app})
    body = {
        "contract": contract["id"],
        "invoice_number": "Τ-1",
        "invoice_date": "2025-11-01",
        "amount": "40000.01",
    }
    response = a.post(url, body, format="json")
    assert response.status_code == 400 and "amount" in response.data
    response = a.post(url, {**body, "amount": "40000.00", "documents": [3]}, format="json")
    assert response.status_code == 201, response.data
    declaration = response.data
    assert declaration["status"] == "submitted" and declaration["accepted_amount"] is None

    url = reverse("api:declaration-transitions", kwargs={"application_pk": app, "pk": declaration["id"]})
    listed = {o["name"]: o for o in officer.get(url).data["actions"]}
    assert listed["verify"]["allowed"] and listed["verify"]["fields"] == ["accepted_amount"]
    assert not {o["name"]: o for o in a.get(url).data["actions"]}["verify"]["allowed"]
    response = officer.post(url, {"action": "verify", "accepted_amount": "39000.00"}, format="json")
    assert response.status_code == 400 and "note" in response.data
    response = officer.post(
        url, {"action": "verify", "accepted_amount": "39000.00", "note": "Περικοπή"}, format="json"
    )
    assert response.status_code == 200 and response.data["status"] == "verified"
    assert response.data["accepted_amount"] == "39000.00"
    response = officer.post(url, {"action": "reject", "note": "x"}, format="json")
    assert response.status_code == 409

    # Verified 9,000 + 39,000; paid 4,000; prepared 2,000 → 42,000 may still be prepared.
    url = reverse("api:payment-list", kwargs={"application_pk": app})
    response = officer.post(url, {"amount": "42000.01", "reference": "Π-1"}, format="json")
    assert response.status_code == 400 and "amount" in response.data
    response = officer.post(url, {"amount": "42000.00", "reference": "Π-1"}, format="json")
    assert response.status_code == 201 and response.data["status"] == "prepared"
    url = reverse("api:payment-transitions", kwargs={"application_pk": app, "pk": response.data["id"]})
    response = approver.post(url, {"action": "authorise"}, format="json")
    assert response.status_code == 400 and "paid_on" in response.data
    response = approver.post(url, {"action": "authorise", "paid_on": "2025-12-30"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "authorised"
    assert response.data["paid_on"] == "2025-12-30"
    response = a.get(reverse("api:payment-list", kwargs={"application_pk": app}))
    assert [p["status"] for p in response.data["results"]] == ["authorised", "prepared", "authorised"]


def test_another_municipality_never_sees_the_records(clients, request):
    world = request.getfixturevalue("money_a")
    b = clients["municipality_b"]
    app = world["application"].pk
    for name in ("contract", "declaration", "payment"):
        assert b.get(reverse(f"api:{name}-list", kwargs={"application_pk": app})).status_code == 404
    response = b.get(reverse("api:report-absorption"), {"group": "municipality"})
    assert response.data["results"] == []


def test_absorption_api_groups(clients, request):
    world = request.getfixturevalue("money_a")
    officer = clients["officer"]
    url = reverse("api:report-absorption")
    assert officer.get(url, {"group": "nation"}).status_code == 400
    for group, key in (
        ("operation", str(world["application"].pk)),
        ("municipality", "4401"),
        ("region", "EL65"),
        ("programme", "SMART-CITIES"),
    ):
        rows = officer.get(url, {"group": group}).data["results"]
        assert len(rows) == 1, rows
        row = rows[0]
        assert row["key"] == key
        assert (row["current_budget"], row["contracted"], row["declared"], row["verified"], row["paid"]) == (
            "100000.00",
            "30000.00",
            "15000.00",
            "9000.00",
            "4000.00",
        )
        assert row["included_budget"] == "100000.00"
