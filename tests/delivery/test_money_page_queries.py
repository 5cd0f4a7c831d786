"""The money chain's lists in the admin and the portal run the same number of queries whatever the
rows: more contracts, declarations, payments and operations cost no query per row."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.delivery import declarations, payments

from .conftest import included_application, make_contract, make_declaration


def count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def grow(world, programme, regional_unit, catalogue, pyli_user, officer, approver, kalamata_user):
    from tests.conftest import make_municipality

    app = world["application"]
    for _ in range(3):
        contract = make_contract(app, kalamata_user, project="T02", amount="5000.00")
        line = make_declaration(contract, kalamata_user, "1000.00")
        declarations.declaration_act(
            declaration=line, action="verify", actor=officer, accepted_amount="1000.00"
        )
        make_declaration(contract, kalamata_user, "1000.00")
    payment = payments.payment_prepare(application=app, amount="1000.00", reference="Ρ", actor=officer)
    payments.payment_act(
        payment=payment, action="authorise", actor=approver, paid_on=datetime.date(2025, 12, 1)
    )
    for i in range(2):
        municipality = make_municipality(regional_unit, f"44{70 + i}", f"ΔΗΜΟΣ ΣΕΛΙΔΩΝ {i}", 7000 + i)
        other = included_application(
            programme, municipality, catalogue[5:6], officer, approver, amounts=("900.00",)
        )
        from grants.models import MunicipalityAccount

        clerk = type(kalamata_user).objects.create_user(f"clerk{i}")
        MunicipalityAccount.objects.create(user=clerk, municipality=municipality)
        contract = make_contract(other, clerk, project="T06", amount="900.00")
        make_declaration(contract, clerk, "100.00")


@pytest.mark.parametrize(
    "name",
    ["grants_contract_changelist", "grants_expendituredeclaration_changelist", "grants_payment_changelist"],
)
def test_admin_lists(client, money_a, officer, name, request):
    client.force_login(officer)
    url = reverse(f"admin:{name}")
    few = count(client, url)
    grow(
        money_a,
        *(request.getfixturevalue(f) for f in ("programme", "regional_unit", "catalogue", "pyli_user")),
        officer,
        request.getfixturevalue("approver"),
        request.getfixturevalue("kalamata_user"),
    )
    assert count(client, url) == few


def test_portal_money_page(client, money_a, kalamata_user, officer, approver, request):
    client.force_login(kalamata_user)
    url = reverse("portal:money", args=[money_a["application"].pk])
    few = count(client, url)
    grow(
        money_a,
        *(request.getfixturevalue(f) for f in ("programme", "regional_unit", "catalogue", "pyli_user")),
        officer,
        approver,
        kalamata_user,
    )
    assert count(client, url) == few


def test_admin_prepare_payment_page_lists_no_operations(client, money_a, officer, approver, request):
    """The operation is typed (autocomplete), not chosen among every included one: the page costs the
    same queries and shows only the operation it was opened for."""
    client.force_login(officer)
    url = reverse("admin:grants_payment_prepare")
    chosen = f"{url}?application={money_a['application'].pk}"
    few, few_chosen = count(client, url), count(client, chosen)
    grow(
        money_a,
        *(request.getfixturevalue(f) for f in ("programme", "regional_unit", "catalogue", "pyli_user")),
        officer,
        approver,
        request.getfixturevalue("kalamata_user"),
    )
    assert (count(client, url), count(client, chosen)) == (few, few_chosen)
    page = client.get(chosen).content.decode()
    assert page.count("<option") == 1  # the operation asked for, selected
    assert str(money_a["application"]) in page and "ΔΗΜΟΣ ΣΕΛΙΔΩΝ" not in page
    assert "admin/js/autocomplete.js" in page


@pytest.mark.parametrize(
    "name",
    ["grants_contract_changelist", "grants_expendituredeclaration_changelist", "grants_payment_changelist"],
)
def test_admin_lists_count_up_to_a_limit(client, money_a, officer, name, monkeypatch):
    """Beyond the limit the lists take PostgreSQL's estimate: no COUNT(*) of the whole table, which
    at EU scale (150,000 contracts, 300,000 invoices) costs more than the page."""
    from grants import pagination

    monkeypatch.setattr(pagination, "EXACT_LIMIT", 0)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:{name}"))
    assert response.status_code == 200 and response.context["cl"].paginator.estimated
    table = f'"grants_{name.split("_")[1]}"'
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"] and table in q["sql"]]
    assert counts and all("LIMIT" in sql for sql in counts), counts
