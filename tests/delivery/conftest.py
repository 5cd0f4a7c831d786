"""An included operation of Kalamata, walked through the real workflow (submit, review, propose,
include), with three selected projects of €100,000 each."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from grants import workflow
from grants.models import Contract, DeclarationState, ExpenditureDeclaration, ProcurementProcedure
from grants.services import application_get_or_create
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
