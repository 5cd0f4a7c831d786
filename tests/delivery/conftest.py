"""An included operation of municipality A (Kalamata) with two selected projects, reached through
the real workflow, and the money rows the tests build on it through the services."""

import datetime
from decimal import Decimal

import pytest

from grants import services
from grants.delivery import contracts, declarations, payments
from grants.models import Channel
from grants.workflow import transition
from projects import services as project_services

TODAY = datetime.date(2026, 1, 15)


def include(application, officer, approver):
    transition(application, "submit", actor=officer)
    transition(application, "start_review", actor=officer)
    transition(application, "propose_inclusion", actor=officer)
    transition(
        application,
        "include",
        actor=approver,
        inclusion_date=datetime.date(2025, 6, 1),
        decision_ada="ΕΨΚ446ΜΤΛ6-ΡΞΥ",
    )
    application.refresh_from_db()
    return application


def included_application(
    programme, municipality, projects, officer, approver, amounts=("60000.00", "40000.00")
):
    application, _ = services.application_get_or_create(
        programme=programme, municipality=municipality, channel=Channel.CODE
    )
    for project, amount in zip(projects, amounts, strict=False):
        project_services.selection_add(application=application, project=project, amount=Decimal(amount))
    return include(application, officer, approver)


@pytest.fixture
def included_a(programme, kalamata, catalogue, officer, approver):
    return included_application(programme, kalamata, catalogue[:2], officer, approver)


@pytest.fixture
def included_b(programme, pyli, catalogue, officer, approver):
    return included_application(programme, pyli, catalogue[2:3], officer, approver, amounts=("20000.00",))


def valid_afm(prefix="09401420") -> str:
    total = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(prefix))
    return prefix + str(total % 11 % 10)


_adam_seq = iter(range(14588301, 99999999))


def next_adam() -> str:
    return f"24SYMV{next(_adam_seq):09d}"


def make_contract(application, user, project="T01", amount="30000.00", **extra):
    data = {
        "contractor_name": "ΨΗΦΙΑΚΕΣ ΛΥΣΕΙΣ Α.Ε.",
        "contractor_afm": valid_afm(),
        "amount": amount,
        "signed_on": datetime.date(2025, 9, 1),
        "adam": next_adam(),
        "procedure": "open",
        **extra,
    }
    return contracts.contract_create(application=application, project=project, actor=user, **data)


_invoice_seq = iter(range(1, 10**6))


def make_declaration(contract, user, amount="10000.00", **extra):
    return declarations.declaration_create(
        application=contract.application,
        contract=contract,
        invoice_number=extra.pop("invoice_number", f"ΤΠΥ-{next(_invoice_seq)}"),
        invoice_date=extra.pop("invoice_date", datetime.date(2025, 10, 1)),
        amount=amount,
        actor=user,
        **extra,
    )


@pytest.fixture
def money_a(included_a, kalamata_user, officer, officer2, approver):
    """A contract with a verified, a declared and a rejected invoice, and an authorised and a
    prepared payment: every state a list shows."""
    contract = make_contract(included_a, kalamata_user)
    verified = make_declaration(contract, kalamata_user, "10000.00")
    verified = declarations.declaration_act(
        declaration=verified,
        action="verify",
        actor=officer,
        accepted_amount="9000.00",
        note="Μη επιλέξιμος ΦΠΑ",
    )
    pending = make_declaration(contract, kalamata_user, "5000.00")
    rejected = make_declaration(contract, kalamata_user, "1000.00")
    rejected = declarations.declaration_act(
        declaration=rejected, action="reject", actor=officer, note="Διπλή υποβολή"
    )
    paid = payments.payment_prepare(
        application=included_a, amount="4000.00", reference="ΤΧΣ-1", actor=officer
    )
    paid = payments.payment_act(
        payment=paid, action="authorise", actor=approver, paid_on=datetime.date(2025, 12, 1)
    )
    prepared = payments.payment_prepare(
        application=included_a, amount="2000.00", reference="ΤΧΣ-2", actor=officer2
    )
    return {
        "application": included_a,
        "contract": contract,
        "verified": verified,
        "pending": pending,
        "rejected": rejected,
        "paid": paid,
        "prepared": prepared,
    }
