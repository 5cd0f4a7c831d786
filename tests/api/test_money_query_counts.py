"""The money chain's lists and the absorption report run the same number of queries whatever the
rows and the page size (issue 14)."""

import datetime

import pytest
from django.urls import reverse

from grants.delivery import declarations, payments
from tests.conftest import per_test
from tests.delivery.conftest import included_application, make_contract, make_declaration

from .test_money_permission_matrix import MONEY_EXPECTED, built  # noqa: F401 (fixture)
from .test_query_counts import measure

MONEY_LISTS = sorted(
    name
    for name, method in MONEY_EXPECTED
    if method == "GET" and name.endswith(("-list", "report-absorption"))
)


# The money matrix's accounts and A's money records, built once for this module too (module_db).
users, money_a, programme, regional_unit, catalogue = (
    per_test(name, "built") for name in ("users", "money_a", "programme", "regional_unit", "catalogue")
)


def grow(world, programme, regional_unit, catalogue, users):
    """More of every money row: contracts, declarations in every state, payments, other operations."""
    from tests.conftest import make_municipality

    app, a, officer, approver = (
        world["application"],
        users["municipality_a"],
        users["officer"],
        users["approver"],
    )
    for i in range(3):
        contract = make_contract(app, a, project="T02", amount="5000.00")
        for j in range(3):
            line = make_declaration(contract, a, "1000.00")
            if j == 0:
                declarations.declaration_act(
                    declaration=line, action="verify", actor=officer, accepted_amount="1000.00"
                )
            elif j == 1:
                declarations.declaration_act(declaration=line, action="reject", actor=officer, note="Όχι")
        payment = payments.payment_prepare(
            application=app, amount="500.00", reference=f"Α-{i}", actor=officer
        )
        if i:
            payments.payment_act(
                payment=payment, action="authorise", actor=approver, paid_on=datetime.date(2025, 12, 3)
            )
    for i in range(3):
        municipality = make_municipality(regional_unit, f"44{60 + i}", f"ΔΗΜΟΣ ΑΠΟΡΡΟΦΗΣΗΣ {i}", 9000 + i)
        included_application(programme, municipality, catalogue[4:5], officer, approver, amounts=("1000.00",))


@pytest.mark.parametrize("role", ["officer", "municipality_a"])
@pytest.mark.parametrize("name", MONEY_LISTS)
def test_money_lists_do_not_grow_with_rows(
    name, role, clients, users, request, programme, regional_unit, catalogue
):
    world = request.getfixturevalue("money_a")
    kwargs = {} if name == "report-absorption" else {"application_pk": world["application"].pk}
    url = reverse(f"api:{name}", kwargs=kwargs)
    few_queries, few_rows = measure(clients[role], url, page_size=1)
    grow(world, programme, regional_unit, catalogue, users)
    many_queries, many_rows = measure(clients[role], url, page_size=100)
    assert many_queries == few_queries, (name, role)
    if not (role == "municipality_a" and name == "report-absorption"):
        assert many_rows > few_rows, (name, role)


def test_every_money_list_is_measured():
    assert set(MONEY_LISTS) == {"contract-list", "declaration-list", "payment-list", "report-absorption"}
