"""Included operations of Kalamata (and Pyli), walked through the real workflow, and the
after-inclusion records the tests build on them: plain rows for the decision side's tests, the
money chain's services for the money side's."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from grants import services, workflow
from grants.delivery import contracts, declarations, payments
from grants.models import Channel, Contract, DeclarationState, ExpenditureDeclaration, ProcurementProcedure
from grants.services import application_get_or_create
from grants.workflow import transition
from projects import services as project_services
from projects.services import selection_add

INCLUSION = {"inclusion_date": "2024-07-02", "decision_ada": "ΕΨΚ446ΜΤΛ6-ΡΞΥ", "end_date": "2026-12-31"}


@pytest.fixture(autouse=True)
def english():
    # Reasons are asserted by their English text; the Greek catalogue is tested on its own.
    with translation.override("en"):
        yield


def include(app, *, municipality_user, officer, approver):
    workflow.transition(app, "submit", actor=municipality_user)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)
    workflow.transition(app, "include", actor=approver, **INCLUSION)
    app.refresh_from_db()
    return app


@pytest.fixture
def included(programme, kalamata, catalogue, kalamata_user, officer, approver):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    for project in catalogue[:3]:
        selection_add(application=app, project=project, amount="100000", actor=kalamata_user)
    return include(app, municipality_user=kalamata_user, officer=officer, approver=approver)


_adam = iter(range(10**6))


def contract(app, project, amount, user):
    """Test set-up: a legal commitment as the money helper's service will write it."""
    return Contract.objects.create(
        application=app,
        project=project,
        contractor_name="ΑΝΑΔΟΧΟΣ Α.Ε.",
        contractor_afm="094014201",
        amount=Decimal(amount),
        signed_on=datetime.date(2025, 1, 10),
        adam=f"25SYMV{next(_adam):09d}",
        procedure=ProcurementProcedure.OPEN,
        created_by=user,
    )


def declaration(app, contract_, amount, user, *, state=DeclarationState.SUBMITTED, is_final=False, n=None):
    return ExpenditureDeclaration.objects.create(
        application=app,
        contract=contract_,
        invoice_number=n or f"ΤΠΥ-{next(_adam)}",
        invoice_date=datetime.date(2025, 3, 1),
        amount=Decimal(amount),
        accepted_amount=Decimal(amount) if state == DeclarationState.VERIFIED else None,
        is_final=is_final,
        state=state,
        declared_by=user,
    )


TODAY = datetime.date(2026, 1, 15)


def include_by_officer(application, officer, approver):
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
    return include_by_officer(application, officer, approver)


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
    return make_money_a(included_a, kalamata_user, officer, officer2, approver)


def make_money_a(included_a, kalamata_user, officer, officer2, approver):
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
